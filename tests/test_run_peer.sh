#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `subquad run --peer` end to end with a stand-in peer (tests/peer_numpy.py:
# the peer protocol with NumPy attention, no PyTorch, no network): peer rows
# written beside the cases' (on the cpu device and on the default one),
# verified on the same inputs (the shapes and max_rel_err of a real check),
# timed in rounds interleaved with the case's
# own (the order of the progress lines, the rounds in the sidecar, the
# requests the peer saw), the framework in the metadata; a peer with a wrong
# result is `failed` and never timed; a peer that crashes or hangs fails its
# row, is started again, and the run goes on; no Python, no framework and a
# framework without a device give `skipped` rows with the reason; ops no
# peer covers get no row; compare, the gate's paired verdict (compare
# --paired on two files marked as one gate run's) and report take peer rows
# like any other.
. "$top_srcdir/tests/tap.sh"
py=/usr/bin/python3
if ! "$py" -c 'import numpy' 2>/dev/null; then
  echo "1..0 # SKIP numpy is not installed for $py (apt-get install python3-numpy)"
  exit 0
fi
tmp=${TMPDIR:-/tmp}/subquad-peer-test-$$
mkdir -p "$tmp/t"
[ -n "$KEEP" ] || trap 'rm -rf "$tmp"' EXIT
export SUBQUAD_PYTHON=$py SUBQUAD_PEER_PROGRAM=$top_srcdir/tests/peer_numpy.py TMPDIR=$tmp/t
unset TEST_PEER_FAULT
FAST="--device cpu --min-samples 2 --max-samples 2"
SM="--kernel softmax_attn.flash --shape B=1,H=1,T=96,D=16"

# The column of a result row by name: col FILE KERNEL NAME.
col() {
  "$py" - "$1" "$2" "$3" <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")) if r["kernel"] == sys.argv[2]]
print(rows[0][sys.argv[3]] if rows else "(no row)")
EOF
}
# reason FILE KERNEL PATTERN: the row's reason matches the grep pattern.
reason() { col "$1" "$2" reason | grep -q -- "$3"; }
nrows() { grep -v '^#' "$1" | tail -n +2 | grep -c .; }

# --- the rows, verified and interleaved, on the cpu device ---
TEST_PEER_LOG=$tmp/log1 "$SUBQUAD" run $SM --causal $FAST --rounds 3 --peer torch -o "$tmp/a.csv" \
  > "$tmp/a.out" 2> "$tmp/a.err"
st=$?
check "a causal softmax case with --peer torch exits 0" [ "$st" -eq 0 ]
check "two rows: the case's and the peer's" [ "$(nrows "$tmp/a.csv")" -eq 2 ]
check "the peer row is peer:torch.sdpa, ok" [ "$(col "$tmp/a.csv" peer:torch.sdpa status)" = ok ]
check "  verified in full against the reference" [ "$(col "$tmp/a.csv" peer:torch.sdpa verify)" = full ]
err=$(col "$tmp/a.csv" peer:torch.sdpa max_rel_err)
check "  with a real error, under the tolerance ($err)" "$py" -c "import sys; e=float('$err'); sys.exit(not 0 < e < 1e-3)"
check "  on the case's shape" [ "$(col "$tmp/a.csv" peer:torch.sdpa shape)" = "B=1,H=1,T=96,D=16,DV=16" ]
check "  its family" [ "$(col "$tmp/a.csv" peer:torch.sdpa family)" = softmax_attn ]
check "  and device" [ "$(col "$tmp/a.csv" peer:torch.sdpa device)" = "$(col "$tmp/a.csv" softmax_attn.flash device)" ]
check "  mode as the case's (the cpu device times hot)" [ "$(col "$tmp/a.csv" peer:torch.sdpa mode)" = hot ]
check "  6 samples over 3 rounds" [ "$(col "$tmp/a.csv" peer:torch.sdpa samples)" -eq 6 ]
id=$(col "$tmp/a.csv" peer:torch.sdpa id)
rounds=$(awk -F, -v id="$id" '$1 == id { print $4 }' "$tmp/a.samples.csv" | sort -u | tr '\n' ' ')
check "  the sidecar holds rounds 0 1 2 of the peer row ($rounds)" [ "$rounds" = "0 1 2 " ]
check "the framework is in the metadata" grep -q '^# peer_torch: torch 0.0-numpy on cpu, 2* threads\|^# peer_torch: torch 0.0-numpy on cpu, [0-9]* threads' "$tmp/a.csv"
check "the table on stdout lists the peer row" grep -q '^peer:torch.sdpa' "$tmp/a.out"
order=$(grep '^\[1/1 round' "$tmp/a.err" | sed 's/^\[1\/1 round \([0-9]\)\/3\] \([^ ]*\) .*/\1:\2/' | tr '\n' ' ')
want="1:softmax_attn.flash 1:peer:torch.sdpa 2:peer:torch.sdpa 2:softmax_attn.flash 3:softmax_attn.flash 3:peer:torch.sdpa "
check "measurements alternate, round by round ($order)" [ "$order" = "$want" ]
reqs=$(cut -d' ' -f2 "$tmp/log1" | tr '\n' ' ')
check "the peer saw hello, case, three rounds, quit ($reqs)" [ "$reqs" = "hello case round round round quit " ]
check "the case's sample count per round is the peer's (round ID 2)" [ "$(grep -c ' round [0-9]* 2$' "$tmp/log1")" -eq 3 ]
check "the private temporary directory is gone" [ -z "$(ls "$tmp/t")" ]

# --- the default device (PoCL's CPU device here): the peer runs on the host CPU ---
"$SUBQUAD" run $SM --causal --no-peaks --min-samples 2 --max-samples 2 --peer torch -o "$tmp/d.csv" > /dev/null 2>&1
check "on the default device: the peer row ok" [ "$(col "$tmp/d.csv" peer:torch.sdpa status)" = ok ]
check "  on the case's device and mode" [ "$(col "$tmp/d.csv" peer:torch.sdpa device)/$(col "$tmp/d.csv" peer:torch.sdpa mode)" = \
  "$(col "$tmp/d.csv" softmax_attn.flash device)/$(col "$tmp/d.csv" softmax_attn.flash mode)" ]
if grep -q '^# backend: opencl\|^# device: opencl' "$tmp/d.csv" && ! grep -q '^# device_name:.*GPU' "$tmp/d.csv"; then
  check "  an OpenCL CPU device's peer runs on cpu" grep -q '^# peer_torch: .* on cpu, ' "$tmp/d.csv"
fi

# --- linear attention: the chunked and the plain form, the case's feature map ---
"$SUBQUAD" run --kernel linear_attn.causal_chunked --shape B=1,H=2,T=100,D=16 --feature elu1 --normalize $FAST \
  --peer torch -o "$tmp/l.csv" > /dev/null 2>&1
check "causal linear attention: peer:torch.chunked_linear ok" [ "$(col "$tmp/l.csv" peer:torch.chunked_linear status)" = ok ]
check "  on the case's feature map" [ "$(col "$tmp/l.csv" peer:torch.chunked_linear shape)" = "B=1,H=2,T=100,D=16,DV=16,feature=elu1,normalize=1" ]
check "  grouped with softmax attention (baseline column)" [ "$(col "$tmp/l.csv" peer:torch.chunked_linear baseline)" = "B=1,H=2,T=100,D=16,DV=16" ]
"$SUBQUAD" run --kernel linear_attn.noncausal --shape B=1,H=2,T=100,D=16 $FAST --peer torch -o "$tmp/n.csv" > /dev/null 2>&1
check "non-causal linear attention: peer:torch.linear ok" [ "$(col "$tmp/n.csv" peer:torch.linear status)" = ok ]
"$SUBQUAD" run --kernel ssm.selective_scan.chunked --shape B=1,D=16,T=64 $FAST --peer torch -o "$tmp/s.csv" > /dev/null 2>&1
check "an op no peer covers gets no peer row" [ "$(nrows "$tmp/s.csv")" -eq 1 ]

TEST_PEER_LOG=$tmp/log3 "$SUBQUAD" run $SM --causal $FAST --rounds 2 --verify-only --peer torch -o "$tmp/v.csv" > /dev/null 2>&1
check "--verify-only: the peer row is verified" [ "$(col "$tmp/v.csv" peer:torch.sdpa status)/$(col "$tmp/v.csv" peer:torch.sdpa verify)" = ok/full ]
check "  and never asked for a round" [ "$(cut -d' ' -f2 "$tmp/log3" | tr '\n' ' ')" = "hello case quit " ]

# --- a wrong result fails, untimed ---
TEST_PEER_FAULT=wrong "$SUBQUAD" run $SM --noncausal $FAST --peer torch -o "$tmp/w.csv" > /dev/null 2>&1
st=$?
check "a wrong peer result: exit 1" [ "$st" -eq 1 ]
check "  the row is failed" [ "$(col "$tmp/w.csv" peer:torch.sdpa status)" = failed ]
check "  by verification" reason "$tmp/w.csv" peer:torch.sdpa '^verify: max_rel_err' 
check "  and not timed" [ "$(col "$tmp/w.csv" peer:torch.sdpa samples)" -eq 0 ]
check "  the case's own row is still measured" [ "$(col "$tmp/w.csv" softmax_attn.flash status)" = ok ]

# --- a crash and a hang: the row fails, the peer restarts, the run goes on ---
TEST_PEER_FAULT=crash:case "$SUBQUAD" run $SM --causal $FAST --peer torch -o "$tmp/c.csv" > /dev/null 2>&1
check "a peer crashing on the case fails its row" [ "$(col "$tmp/c.csv" peer:torch.sdpa status)" = failed ]
check "  saying how it ended" reason "$tmp/c.csv" peer:torch.sdpa 'peer torch on the case: killed by signal 6' 
check "  the case's own row is ok and the file written" [ "$(col "$tmp/c.csv" softmax_attn.flash status)" = ok ]
TEST_PEER_LOG=$tmp/log2 TEST_PEER_FAULT=crash-once:round "$SUBQUAD" run $SM --causal $FAST --rounds 2 --peer torch \
  -o "$tmp/c2.csv" > /dev/null 2>&1
check "a crash in a round fails the row" reason "$tmp/c2.csv" peer:torch.sdpa 'peer torch in a round: killed by signal 6' 
check "  the peer was started again (two hellos)" [ "$(grep -c ' hello$' "$tmp/log2")" -eq 2 ]
check "  the case's own row has both rounds" [ "$(col "$tmp/c2.csv" softmax_attn.flash samples)" -eq 4 ]
start=$(date +%s)
SUBQUAD_PEER_TIMEOUT=2 TEST_PEER_FAULT=hang:round "$SUBQUAD" run $SM --causal $FAST --peer torch -o "$tmp/h.csv" \
  > /dev/null 2>&1
took=$(( $(date +%s) - start ))
check "a hanging peer is killed after SUBQUAD_PEER_TIMEOUT (run took ${took}s)" [ "$took" -lt 30 ]
check "  its row failed: hung (killed)" reason "$tmp/h.csv" peer:torch.sdpa 'peer torch in a round: hung (killed)' 

# --- no Python, no framework, no device: skipped with the reason ---
SUBQUAD_PYTHON=$tmp/no-such-python "$SUBQUAD" run $SM --causal $FAST --peer torch -o "$tmp/p.csv" > /dev/null 2>&1
st=$?
check "no Python: exit 0" [ "$st" -eq 0 ]
check "  the row is skipped" [ "$(col "$tmp/p.csv" peer:torch.sdpa status)" = skipped ]
check "  saying why" reason "$tmp/p.csv" peer:torch.sdpa 'cannot run .*no-such-python' 
check "  the metadata says unavailable" grep -q '^# peer_torch: unavailable: ' "$tmp/p.csv"
SUBQUAD_PEER_PROGRAM=$tmp/no-such-peer.py "$SUBQUAD" run $SM --causal $FAST --peer torch -o "$tmp/np.csv" > /dev/null 2>&1
check "no peer program: skipped, naming it" reason "$tmp/np.csv" peer:torch.sdpa 'no peer program at .*no-such-peer.py'
TEST_PEER_FAULT=noframework "$SUBQUAD" run $SM --causal $FAST --peer torch -o "$tmp/f.csv" > /dev/null 2>&1
st=$?
check "no framework: exit 0" [ "$st" -eq 0 ]
check "  the row skipped" [ "$(col "$tmp/f.csv" peer:torch.sdpa status)" = skipped ]
check "  with the reason" reason "$tmp/f.csv" peer:torch.sdpa "No module named 'torch'"
"$SUBQUAD" run --kernel linear_attn.causal_chunked --shape B=1,H=1,T=64,D=16 $FAST --peer torch --peer fla \
  -o "$tmp/g.csv" > /dev/null 2>&1
st=$?
check "two peers, one without its framework: exit 0" [ "$st" -eq 0 ]
check "  peer:torch.chunked_linear ok, peer:fla.chunk_linear_attn skipped" \
  [ "$(col "$tmp/g.csv" peer:torch.chunked_linear status)/$(col "$tmp/g.csv" peer:fla.chunk_linear_attn status)" = ok/skipped ]
expect_error "an unknown peer is a usage error" 2 "not a peer" -- run $SM --peer tensorflow
export SUBQUAD_PEER_TIMEOUT=soon
expect_error "a malformed SUBQUAD_PEER_TIMEOUT stops the run with one line" 2 "SUBQUAD_PEER_TIMEOUT: 'soon'" -- run $SM $FAST --peer torch
unset SUBQUAD_PEER_TIMEOUT

# --- the real peer program: hello without a framework is a skipped row ---
if ! "$py" -c 'import torch' 2>/dev/null; then
  SUBQUAD_PEER_PROGRAM= "$SUBQUAD" run $SM --causal $FAST --peer torch -o "$tmp/r.csv" > /dev/null 2>&1
  st=$?
  check "harness/peer.py without PyTorch: exit 0" [ "$st" -eq 0 ]
  check "  skipped: torch not available" reason "$tmp/r.csv" peer:torch.sdpa "torch not available"
fi

# --- compare and report treat peer rows as rows ---
"$SUBQUAD" run $SM --causal $FAST --rounds 3 --peer torch -o "$tmp/b.csv" > /dev/null 2>&1
"$SUBQUAD" compare "$tmp/a.csv" "$tmp/b.csv" > "$tmp/cmp.txt" 2>&1
check "compare judges the peer rows of two runs" grep -q '^[A-Z]* *peer:torch.sdpa  *yes .* hot  *[0-9]' "$tmp/cmp.txt"
# The gate's verdict on its two files (compare --paired) pairs rounds of
# rows however they are named: two run files marked as one gate run's.
for f in a b; do sed '2a # interleaved: test-gate-run' "$tmp/$f.csv" > "$tmp/g$f.csv"; cp "$tmp/$f.samples.csv" "$tmp/g$f.samples.csv"; done
"$SUBQUAD" compare --paired "$tmp/ga.csv" "$tmp/gb.csv" > "$tmp/paired.txt" 2>&1
check "the gate's paired verdict pairs the peer row's 3 rounds" grep -q '^[A-Z]* *peer:torch.sdpa  *yes .* 3  *' "$tmp/paired.txt"
for T in 64 128; do
  for k in softmax_attn.flash linear_attn.causal_chunked; do
    "$SUBQUAD" run --kernel $k --shape B=1,H=1,T=$T,D=16 $FAST --peer torch -o "$tmp/s-$k-$T.csv" > /dev/null 2>&1
  done
done
"$SUBQUAD" report "$tmp"/s-*[0-9].csv -o "$tmp/rep" --no-render > /dev/null 2>&1
scal=$(cat "$tmp"/rep/scaling-*.gp 2>/dev/null)
dat=$(cat "$tmp"/rep/scaling-*.dat 2>/dev/null)
check "the report's scaling figures draw the peers dashed" sh -c "printf '%s' \"\$1\" | grep -q 'dt 4 pt 6'" - "$scal"
check "  under their names" sh -c "printf '%s' \"\$1\" | grep -q 'peer:torch.sdpa' && printf '%s' \"\$1\" | grep -q 'peer:torch.chunked_linear'" - "$dat"
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `subquad run` end to end on the default device with a tiny case: the CSV
# and its samples sidecar are written, every row is ok and verified, and
# --dump writes .npy files that numpy (where installed) reads back and
# that reproduce the output from the inputs; --dump on the cpu device;
# paths over 1,100 characters; the time limit of a case typed by hand.
. "$top_srcdir/tests/tap.sh"
tmp=${TMPDIR:-/tmp}/subquad-run-$$
mkdir -p "$tmp"
"$SUBQUAD" run --kernel softmax_attn.flash --shape B=1,H=2,T=77,D=40 --noncausal --no-peaks -q \
  --min-samples 3 -o "$tmp/r.csv" --dump "$tmp/dump" > "$tmp/out.txt"
check "run exits 0" test $? -eq 0
check "result file written" test -s "$tmp/r.csv"
check "samples sidecar written" test -s "$tmp/r.samples.csv"
check "format version first" sh -c "head -1 '$tmp/r.csv' | grep -qx '# subquad-results 2'"
check "row is ok and fully verified" sh -c "grep -v '^#' '$tmp/r.csv' | tail -1 | grep -q ',ok,.*,full,'"
check "table printed on stdout" grep -q "softmax_attn.flash" "$tmp/out.txt"
dir=$(ls -d "$tmp"/dump/softmax_attn.flash.noncausal.B1.H2.T77.D40.DV40.f32 2>/dev/null)
check "dump folder named after the case" test -n "$dir"
for f in q k v o; do check "dump has $f.npy" test -s "$dir/$f.npy"; done
check "dump has case.json" grep -q '"kernel": "softmax_attn"' "$dir/case.json"
check "case.json names the implementation" grep -q '"implementation": "softmax_attn.flash"' "$dir/case.json"
py=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" > /dev/null 2>&1 && "$p" -c "import numpy" 2> /dev/null; then py=$p; break; fi
done
if [ -n "$py" ]; then
  check "numpy reproduces o from q, k, v" "$py" -c "
import numpy as np, sys
d = sys.argv[1]
q, k, v, o = (np.load(d + '/' + n + '.npy').astype(np.float64) for n in 'qkvo')
s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
p = np.exp(s - s.max(-1, keepdims=True)); p /= p.sum(-1, keepdims=True)
sys.exit(0 if np.abs(p @ v - o).max() < 1e-5 else 1)" "$dir"
else
  skip "numpy reproduces o from q, k, v" "numpy is not installed (apt-get install python3-numpy)"
fi

# --rounds: the samples of every round land in one row, the metadata says
# how they were taken, and progress names each round.
"$SUBQUAD" run --kernel linear_attn.causal_chunked --shape B=1,H=1,T=256,D=32 --no-peaks \
  --min-samples 6 --rounds 3 -o "$tmp/rounds.csv" > /dev/null 2> "$tmp/rounds.err"
check "--rounds 3 exits 0" test $? -eq 0
check "--rounds: the metadata records the rounds" grep -q "^# measure: .*rounds=3" "$tmp/rounds.csv"
check "--rounds: progress names the last round" grep -q "round 3/3" "$tmp/rounds.err"
n=$(grep -c '^1,' "$tmp/rounds.samples.csv")
check "--rounds: 3 rounds of at least 2 samples in one row ($n)" test "$n" -ge 6
check "--rounds: still one row" sh -c "grep -v '^#' '$tmp/rounds.csv' | grep -c ',ok,' | grep -qx 1"
# The sidecar names each sample's round; every round takes as many samples
# as the first, so no round outweighs another.
counts=$(awk -F, '$1 == 1 { n[$4]++ } END { for (r = 0; r < 3; r++) printf "%d ", n[r] }' "$tmp/rounds.samples.csv")
check "--rounds: the sidecar has a round column" sh -c "grep -v '^#' '$tmp/rounds.samples.csv' | head -1 | grep -qx 'id,sample,ms,round'"
check "--rounds: rounds 0, 1, 2 with equal sample counts ($counts)" sh -c \
  "echo '$counts' | awk '{ exit !(\$1 >= 2 && \$1 == \$2 && \$2 == \$3) }'"
# Issue 10 item 8: --dump was silently ignored on --device cpu. The cpu
# device's output is the reference itself; it is dumped like a device's.
"$SUBQUAD" run --kernel softmax_attn.flash --shape B=1,H=2,T=77,D=40 --noncausal --device cpu -q \
  --min-samples 3 --dump "$tmp/cpudump" > /dev/null
check "--device cpu --dump exits 0" test $? -eq 0
cdir="$tmp/cpudump/softmax_attn.flash.noncausal.B1.H2.T77.D40.DV40.f32"
for f in q k v o; do
  check "cpu dump has $f.npy, as large as the device's" sh -c "test -s '$cdir/$f.npy' && \
    test \$(wc -c < '$cdir/$f.npy') -eq \$(wc -c < '$dir/$f.npy')"
done
check "cpu dump: case.json says it is the reference" grep -q '"verify": "reference"' "$cdir/case.json"
check "cpu dump: the same inputs as the device's" cmp -s "$cdir/q.npy" "$dir/q.npy"
if [ -n "$py" ]; then
  check "numpy: the cpu's o matches the device's" "$py" -c "
import numpy as np, sys
a, b = (np.load(d + '/o.npy') for d in sys.argv[1:])
sys.exit(0 if np.abs(a - b).max() < 1e-5 else 1)" "$cdir" "$dir"
fi

# Issue 10 item 8: paths over ~1,100 characters were cut in fixed buffers
# (the dump landed in a folder of the cut name). Both outputs land at the
# full path.
long="$tmp"
while [ ${#long} -lt 1150 ]; do long="$long/0123456789012345678901234567890123456789"; done
mkdir -p "$long"
"$SUBQUAD" run --kernel linear_attn.causal_chunked --shape B=1,H=1,T=64,D=32 --no-peaks -q --min-samples 3 \
  -o "$long/r.csv" --dump "$long/d" > /dev/null 2> "$tmp/long.err"
check "a run under a path of ${#long} characters exits 0" test $? -eq 0
check "its results are at the full path" test -s "$long/r.csv"
check "its dump is at the full path" test -s "$long/d/linear_attn.causal_chunked.causal.B1.H1.T64.D32.DV32.f32/o.npy"

# Issue 10 item 10: a case typed by hand was skipped when its predicted
# time passed the default --max-case-seconds (60 s). It now runs with its
# prediction printed first; a limit the user sets still applies, and a
# suite keeps its own.
"$SUBQUAD" run --kernel linear_attn.causal_chunked --shape B=1,H=1,T=64,D=32 --no-peaks --min-samples 3 \
  > "$tmp/one.out" 2> "$tmp/one.err"
check "a typed case runs" grep -q "linear_attn.causal_chunked .* ok " "$tmp/one.out"
check "its prediction is printed before it starts" sh -c \
  "head -1 '$tmp/one.err' | grep -q '^linear_attn.causal_chunked causal B=1,H=1,T=64,D=32,DV=32,feature=identity,normalize=0: predicted '"
"$SUBQUAD" run --kernel linear_attn.causal_chunked --shape B=1,H=1,T=64,D=32 --no-peaks --min-samples 3 \
  --max-case-seconds 0.001 > "$tmp/lim.out" 2> /dev/null
check "a limit the user sets still skips it" grep -q "skipped  predicted .* > 1 ms" "$tmp/lim.out"
"$SUBQUAD" run --suite quick --only linear_attn.causal_chunked --no-peaks --max-case-seconds 0.001 \
  > "$tmp/suite.out" 2> "$tmp/suite.err"
n=$(grep -c "skipped  predicted" "$tmp/suite.out")
check "a suite's cases over the limit are still skipped ($n)" test "$n" -ge 1
check "a suite announces no single case" sh -c "! grep -q '^linear_attn.* predicted' '$tmp/suite.err'"
rm -rf "$tmp"
tap_done

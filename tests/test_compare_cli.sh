#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests of `subquad compare`: result files with raw samples are
# generated here (deterministic awk noise), then each case checks the exit
# status (0 pass, 1 slower or failing, 2 only ambiguous, 3 bad input) and the
# verdicts in the table; malformed files from tests/data must give one
# "file:line:" line and exit 3.
. "$top_srcdir/tests/tap.sh"
data="$top_srcdir/tests/data"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sq-compare-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

HEADER='id,device,backend,arch,kernel,family,causal,B,H,T,D,DV,dtype,mode,params,config_source,feature,status,reason,verify,max_rel_err,tolerance,samples,min_ms,q1_ms,median_ms,mean_ms,q3_ms,max_ms,stddev_ms,noise,gflops,gbs,peak_frac,pred_ms,pred_mem_bytes,suite,workload'

# mk FILE DEVICE SEED SPEC...: one row per SPEC "kernel:T:status:median:width[:even]"
# with 20 samples of median * (1 + width * U(-0.5, 0.5)) in the sidecar, or
# with ":even", 20 samples spread evenly over the same interval (a wide
# spread whose median is exactly `median`, whatever awk's rand()).
mk() {
  mk_file=$1 mk_dev=$2 mk_seed=$3; shift 3
  mk_side="${mk_file%.csv}.samples.csv"
  printf '# subquad-results 1\n# version: test\n%s\n' "$HEADER" > "$mk_file"
  echo "id,sample,ms" > "$mk_side"
  mk_id=0
  for spec in "$@"; do
    echo "$spec" | awk -F: -v id=$mk_id -v dev="$mk_dev" -v seed=$((mk_seed + mk_id)) -v rows="$mk_file" -v side="$mk_side" '{
      srand(seed); n = ($3 == "ok") ? 20 : 0
      reason = ($3 == "failed") ? "\"verify: max rel err 0.3, tolerance 1e-4\"" : ""
      printf "%d,%s,opencl,,%s,linear_attn,1,1,4,%s,64,64,f32,hot,,default,,%s,%s,full,,,%d,,,%s,,,,,,,,,0,0,quick,\n",
        id, dev, $1, $2, $3, reason, n, ($3 == "ok") ? $4 : "" >> rows
      for (i = 0; i < n; i++)
        printf "%d,%d,%.9g\n", id, i, $4 * (1 + $5 * (($6 == "even" ? i / (n - 1) : rand()) - 0.5)) >> side
    }'
    mk_id=$((mk_id + 1))
  done
}

dev="opencl:0 pthread-cpu"
mk "$tmp/base.csv" "$dev" 1 k1:1024:ok:5:0.04 k2:1024:ok:8:0.04 k3:4096:ok:20:0.04
mk "$tmp/aa.csv" "$dev" 101 k1:1024:ok:5:0.04 k2:1024:ok:8:0.04 k3:4096:ok:20:0.04
mk "$tmp/slower.csv" "$dev" 201 k1:1024:ok:5:0.04 k2:1024:ok:8.8:0.04 k3:4096:ok:20:0.04
mk "$tmp/noisy.csv" "$dev" 301 k1:1024:ok:5:0.04 k2:1024:ok:8.8:1.2:even k3:4096:ok:20:0.04
mk "$tmp/failed.csv" "$dev" 401 k1:1024:ok:5:0.04 k2:1024:failed:0:0 k3:4096:ok:20:0.04
mk "$tmp/onesided.csv" "$dev" 501 k1:1024:ok:5:0.04 k2:1024:ok:8:0.04 k4:4096:ok:20:0.04
mk "$tmp/otherdev.csv" "cuda:0 H100" 601 k1:1024:ok:5:0.04 k2:1024:ok:8:0.04 k3:4096:ok:20:0.04
mk "$tmp/disjoint.csv" "$dev" 701 k5:1024:ok:5:0.04

# verdict_of OUTPUT KERNEL: the verdict column of the kernel's row.
verdict_of() { printf '%s\n' "$1" | awk -v k="$2" '$0 ~ " " k " " { print $1; exit }'; }

run() { out=$("$SUBQUAD" compare "$@" 2>"$tmp/err"); st=$?; }

run "$tmp/base.csv" "$tmp/aa.csv"
check "A/A: exit 0 (status $st)" [ "$st" -eq 0 ]
n_same=$(printf '%s\n' "$out" | grep -c '^SAME ')
check "A/A: all three rows SAME ($n_same)" [ "$n_same" -eq 3 ]
check "A/A: geometric-mean summary row" sh -c 'printf "%s\n" "$1" | grep -q "^geomean .*geometric mean of 3 timed pairs"' _ "$out"
check "A/A: verdict line" sh -c 'printf "%s\n" "$1" | grep -q "^verdict: PASS (exit 0)"' _ "$out"

run "$tmp/base.csv" "$tmp/aa.csv" --calibrate
check "--calibrate on A/A: the defaults hold" sh -c 'printf "%s\n" "$1" | grep -q "no row was called a change: --gap 1 --threshold 5 hold"' _ "$out"
run "$tmp/base.csv" "$tmp/slower.csv" --calibrate
check "--calibrate on a drifting pair: the settings that silence k2" sh -c \
  'printf "%s\n" "$1" | grep -q "1 row was called a change; a gate on this machine needs --gap [0-9]* (k2 causal .*) or --threshold 1[01]\$"' _ "$out"

run "$tmp/base.csv" "$tmp/slower.csv"
check "k2 +10%: exit 1 (status $st)" [ "$st" -eq 1 ]
check "k2 +10%: k2 SLOWER ($(verdict_of "$out" k2))" [ "$(verdict_of "$out" k2)" = SLOWER ]
check "k2 +10%: k1 SAME" [ "$(verdict_of "$out" k1)" = SAME ]
run "$tmp/slower.csv" "$tmp/base.csv"
check "reverse: k2 FASTER, exit 0 (status $st, $(verdict_of "$out" k2))" [ "$st" -eq 0 -a "$(verdict_of "$out" k2)" = FASTER ]

run "$tmp/base.csv" "$tmp/noisy.csv"
check "wide noise: exit 2 (status $st)" [ "$st" -eq 2 ]
check "wide noise: k2 AMBIGUOUS ($(verdict_of "$out" k2))" [ "$(verdict_of "$out" k2)" = AMBIGUOUS ]
run "$tmp/base.csv" "$tmp/noisy.csv" --ambiguous=pass
check "wide noise, --ambiguous=pass: exit 0 (status $st)" [ "$st" -eq 0 ]
run "$tmp/base.csv" "$tmp/noisy.csv" --ambiguous fail
check "wide noise, --ambiguous fail: exit 2 (status $st)" [ "$st" -eq 2 ]

run "$tmp/base.csv" "$tmp/failed.csv"
check "failing row: exit 1 (status $st)" [ "$st" -eq 1 ]
check "failing row: FAILED with its reason" sh -c 'printf "%s\n" "$1" | grep -q "^FAILED .*newly failing: verify: max rel err 0.3"' _ "$out"

run "$tmp/base.csv" "$tmp/onesided.csv"
check "one-sided rows: exit 0 (status $st)" [ "$st" -eq 0 ]
check "one-sided rows: k3 ONLY-BASE, k4 ONLY-NEW" [ "$(verdict_of "$out" k3)" = ONLY-BASE -a "$(verdict_of "$out" k4)" = ONLY-NEW ]

expect_error "different devices: exit 3" 3 "different devices: BASE has 'opencl:0 pthread-cpu', NEW has 'cuda:0 H100'" -- \
  compare "$tmp/base.csv" "$tmp/otherdev.csv"
run "$tmp/base.csv" "$tmp/otherdev.csv" --ignore-device
check "--ignore-device: exit 0 (status $st)" [ "$st" -eq 0 ]
check "--ignore-device: a device column names NEW's device" sh -c 'printf "%s\n" "$1" | grep -q "^SAME .*cuda:0 H100 .*k1 "' _ "$out"
expect_error "no rows in common: exit 3" 3 "have no rows in common" -- compare "$tmp/base.csv" "$tmp/disjoint.csv"

run "$tmp/base.csv" "$tmp/slower.csv" --format md
check "--format md: heading and table" sh -c 'printf "%s\n" "$1" | grep -q "^### subquad compare: REGRESSION" && printf "%s\n" "$1" | grep -q "^| SLOWER | k2 |" && printf "%s\n" "$1" | grep -q "^device: \`opencl:0 pthread-cpu\`"' _ "$out"
run "$tmp/base.csv" "$tmp/aa.csv" --threshold 0.1
check "--threshold 0.1%: A/A rows are no longer SAME (status $st)" sh -c '! printf "%s\n" "$1" | grep -q "^SAME "' _ "$out"

run "$tmp/base.csv" "$tmp/slower.csv" -o "$tmp/table.md" --format=md
check "-o FILE: written, nothing on stdout, exit 1" sh -c '[ "$1" -eq 1 ] && [ -z "$2" ] && grep -q "^| SLOWER" "$3"' _ "$st" "$out" "$tmp/table.md"

# -o naming an input (issue 10, item 4): the table would replace the
# baseline. Refused before anything is read or written, under any spelling.
cp "$tmp/base.csv" "$tmp/base.keep"
cp "$tmp/base.samples.csv" "$tmp/base.samples.keep"
mkdir "$tmp/sub"
ln -s base.csv "$tmp/link.csv"
for o in "$tmp/base.csv" "$tmp/sub/../base.csv" "$tmp/link.csv" "$tmp/slower.csv" "$tmp/base.samples.csv"; do
  expect_error "-o $(basename "$o") names an input: exit 3" 3 "-o $o: is .*, which the table would replace" -- \
    compare "$tmp/base.csv" "$tmp/slower.csv" -o "$o"
done
check "-o an input: the inputs are untouched" sh -c 'cmp -s "$1/base.csv" "$1/base.keep" &&
  cmp -s "$1/base.samples.csv" "$1/base.samples.keep" && [ -L "$1/link.csv" ] && ! ls "$1" | grep -q "\.tmp\."' _ "$tmp"
cp "$tmp/base.keep" "$tmp/base.csv"; cp "$tmp/base.samples.keep" "$tmp/base.samples.csv" # whatever happened

# Why -o cannot be written (issue 10, item 8): the reason, not just "cannot write".
expect_error "-o in a missing directory: exit 3 with the reason" 3 \
  "-o $tmp/nodir/t.txt: cannot write: No such file or directory" -- compare "$tmp/base.csv" "$tmp/aa.csv" -o "$tmp/nodir/t.txt"
# Long paths: ~1,200 characters work whole; ~5,000 are refused up front with
# the reason, nothing created (they used to be cut at 4,096 bytes).
seg=$(printf '%0100d' 0)
long="$tmp"; while [ ${#long} -lt 1200 ]; do long="$long/$seg"; done
mkdir -p "$long"
run "$tmp/base.csv" "$tmp/aa.csv" -o "$long/table.txt"
check "-o a ${#long}-character directory: written (status $st)" sh -c '[ "$1" -eq 0 ] && grep -q "^verdict: PASS" "$2/table.txt"' _ "$st" "$long"
expect_error "-o under a ${#long}-character missing directory: the reason survives" 3 \
  "/nodir/t.txt: cannot write: No such file or directory" -- compare "$tmp/base.csv" "$tmp/aa.csv" -o "$long/nodir/t.txt"
huge="$tmp/h"; while [ ${#huge} -lt 5000 ]; do huge="$huge/$seg"; done; huge="$huge/t.txt"
expect_error "-o a ${#huge}-character path: refused, exit 3" 3 "path too long (${#huge} characters; at most" -- \
  compare "$tmp/base.csv" "$tmp/aa.csv" -o "$huge"
check "-o a ${#huge}-character path: nothing created" [ ! -e "$tmp/h" ]

# A time that is not a time (issue 10, item 3): a NaN sample in a side twice
# as slow used to be AMBIGUOUS and pass with --ambiguous=pass.
mk "$tmp/slow2.csv" "$dev" 801 k1:1024:ok:5:0.04 k2:1024:ok:16:0.04 k3:4096:ok:20:0.04
awk -F, 'BEGIN { OFS = "," } $1 == 1 && $2 == 7 { $3 = "nan" } { print }' "$tmp/slow2.samples.csv" > "$tmp/s.tmp" &&
  mv "$tmp/s.tmp" "$tmp/slow2.samples.csv"
expect_error "a NaN sample: exit 3, even with --ambiguous=pass" 3 "nan" -- \
  compare "$tmp/base.csv" "$tmp/slow2.csv" --ambiguous=pass

expect_error "malformed number: file:line, exit 3" 3 "results_bad_number.csv:5: T: 'abc' is not a positive integer" -- \
  compare "$data/results_bad_number.csv" "$tmp/base.csv"
expect_error "truncated file: file:line, exit 3" 3 "results_truncated.csv:5: file ends inside a quoted field" -- \
  compare "$tmp/base.csv" "$data/results_truncated.csv"
expect_error "missing file: exit 3" 3 "nonexistent.csv" -- compare "$tmp/nonexistent.csv" "$tmp/base.csv"
expect_error "bad flag: exit 3" 3 "unknown option '--bogus'" -- compare "$tmp/base.csv" "$tmp/aa.csv" --bogus
expect_error "bad threshold: exit 3" 3 "--threshold: 'abc' is not a number" -- compare "$tmp/base.csv" "$tmp/aa.csv" --threshold abc
expect_error "bad format: exit 3" 3 "--format: 'html' is not text or md" -- compare "$tmp/base.csv" "$tmp/aa.csv" --format html
expect_error "one file: exit 3" 3 "needs BASE.csv and NEW.csv" -- compare "$tmp/base.csv"

# Files of the ops that have one form only read back in that form: a
# non-causal window row and a causal-only RWKV-7 row (written by run), and
# the window row edited to causal is refused.
"$SUBQUAD" run --kernel local_attn.window_2d.flash --shape B=1,H=1,D=8,grid=8x8,win=4x4 --no-peaks -q \
  --min-samples 3 -o "$tmp/win.csv" > /dev/null 2>&1
"$SUBQUAD" run --kernel wkv.rwkv7.recurrent --shape B=1,H=1,T=16,N=8 --no-peaks -q --min-samples 3 \
  -o "$tmp/w7.csv" > /dev/null 2>&1
for f in win w7; do
  "$SUBQUAD" compare "$tmp/$f.csv" "$tmp/$f.csv" > "$tmp/out" 2> "$tmp/err"
  st=$?
  check "$f: a file of a one-form op compares with itself (status $st: $(cat "$tmp/err"))" test "$st" -ne 3
done
awk -F, 'BEGIN { OFS = "," } !/^#/ && $1 == "1" { $7 = 1 } { print }' "$tmp/win.csv" > "$tmp/wincausal.csv"
expect_error "a window row marked causal: exit 3" 3 "local_attn.window_2d is non-causal only" -- \
  compare "$tmp/wincausal.csv" "$tmp/win.csv"
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Hostile result files end to end: NaN, infinite and negative samples or
# statistics, impossible shapes, a duplicated column, a cell with a newline,
# and a sidecar left from another run (a kill between the writer's two
# renames) must stop `subquad compare` (exit 3) and `subquad report` (exit 3,
# its status for bad input) with one "file:line: column: what" line, before
# any verdict and without writing their outputs.
. "$top_srcdir/tests/tap.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sq-hostile-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
report_bad=3

HEADER='id,device,backend,arch,kernel,family,causal,B,H,T,D,DV,dtype,mode,params,config_source,feature,status,reason,verify,max_rel_err,tolerance,samples,min_ms,q1_ms,median_ms,mean_ms,q3_ms,max_ms,stddev_ms,noise,gflops,gbs,peak_frac,pred_ms,pred_mem_bytes,suite,workload'

# pair FILE MEDIAN SAMPLE...: FILE with one ok row (k1 at T=1024, that
# median) and FILE's sidecar with the samples, sample i on line i + 2.
pair() {
  p_file=$1 p_med=$2; shift 2
  printf '# subquad-results 1\n# version: test\n%s\n' "$HEADER" > "$p_file"
  printf '0,opencl:0 cpu,opencl,,k1,linear_attn,1,1,4,1024,64,64,f32,hot,,default,,ok,,full,,,%d,,,%s,,,,,,,,,0,0,quick,\n' \
    $# "$p_med" >> "$p_file"
  p_side="${p_file%.csv}.samples.csv"
  echo "id,sample,ms" > "$p_side"
  p_i=0
  for p_s in "$@"; do
    echo "0,$p_i,$p_s" >> "$p_side"
    p_i=$((p_i + 1))
  done
}
# spread CENTRE: 20 samples evenly over CENTRE +- 1 %.
spread() { awk -v c="$1" 'BEGIN { for (i = 0; i < 20; i++) printf "%.6g ", c * (0.99 + 0.02 * i / 19) }'; }

pair "$tmp/base.csv" 5 $(spread 5)
# A side twice as slow with one NaN sample (sidecar line 7): a verdict
# would be AMBIGUOUS, passing with --ambiguous=pass.
pair "$tmp/nan.csv" 10 $(spread 10 | awk '{ $6 = "nan"; print }')
pair "$tmp/inf.csv" 5 inf inf inf inf
pair "$tmp/neg.csv" 5 $(spread -5)
pair "$tmp/slow.csv" 10 $(spread 10)

run() { out=$("$SUBQUAD" compare "$@" 2>"$tmp/err"); st=$?; }
run "$tmp/base.csv" "$tmp/slow.csv"
check "control: a clean 2x slower pair is SLOWER, exit 1 (status $st)" [ "$st" -eq 1 ]

expect_error "NaN sample, 2x slower: exit 3 with file:line" 3 "nan.samples.csv:7: ms: 'nan' is not a finite non-negative number" -- \
  compare "$tmp/base.csv" "$tmp/nan.csv" --ambiguous=pass
expect_error "four inf samples: exit 3" 3 "inf.samples.csv:2: ms: 'inf' is not a finite non-negative number" -- \
  compare "$tmp/base.csv" "$tmp/inf.csv"
expect_error "negative samples: exit 3" 3 "neg.samples.csv:2: ms: '-4.95' is not a finite non-negative number" -- \
  compare "$tmp/base.csv" "$tmp/neg.csv"
expect_error "negative samples as the baseline: exit 3" 3 "neg.samples.csv:2: ms: '-4.95'" -- \
  compare "$tmp/neg.csv" "$tmp/base.csv"
"$SUBQUAD" compare "$tmp/base.csv" "$tmp/nan.csv" -o "$tmp/table.md" 2>/dev/null
st=$?
check "NaN sample with -o: exit 3, no table written (status $st)" sh -c '[ "$1" -eq 3 ] && [ ! -e "$2" ]' _ "$st" "$tmp/table.md"

expect_error "report, NaN sample: exit $report_bad with file:line" $report_bad \
  "nan.samples.csv:7: ms: 'nan' is not a finite non-negative number" -- report "$tmp/nan.csv" -o "$tmp/rep" --no-render
check "report, NaN sample: no output directory" [ ! -e "$tmp/rep" ]
expect_error "report, inf samples: exit $report_bad" $report_bad "inf.samples.csv:2: ms: 'inf'" -- \
  report "$tmp/inf.csv" -o "$tmp/rep" --no-render
expect_error "report, negative samples: exit $report_bad" $report_bad "neg.samples.csv:2: ms: '-4.95'" -- \
  report "$tmp/neg.csv" -o "$tmp/rep" --no-render

# The rows themselves: a statistic, a shape, a duplicated column, a cell
# with a newline (the message stays one line: expect_error counts lines).
pair "$tmp/rows.csv" nan $(spread 10)
expect_error "median_ms nan in the row: exit 3" 3 "rows.csv:4: median_ms: 'nan' is not a finite non-negative number" -- \
  compare "$tmp/base.csv" "$tmp/rows.csv"
expect_error "report, median_ms nan: exit $report_bad" $report_bad "rows.csv:4: median_ms: 'nan'" -- \
  report "$tmp/rows.csv" -o "$tmp/rep" --no-render
sed 's/^0,opencl:0 cpu,opencl,,k1,linear_attn,1,1,4,/0,opencl:0 cpu,opencl,,k1,linear_attn,1,-1,4,/' "$tmp/base.csv" > "$tmp/shape.csv"
expect_error "negative shape: exit 3" 3 "shape.csv:4: B: '-1' is not a positive integer" -- compare "$tmp/base.csv" "$tmp/shape.csv"
{ printf '# subquad-results 1\n%s,T\n' "$HEADER"; sed -n '4s/$/,2048/p' "$tmp/base.csv"; } > "$tmp/dup.csv"
expect_error "duplicated column: exit 3" 3 "dup.csv:2: duplicate column 'T'" -- compare "$tmp/base.csv" "$tmp/dup.csv"
expect_error "report, duplicated column: exit $report_bad" $report_bad "dup.csv:2: duplicate column 'T'" -- \
  report "$tmp/dup.csv" -o "$tmp/rep" --no-render
sed 's/,1024,64,64,/,"1024\n$(id)",64,64,/' "$tmp/base.csv" > "$tmp/nl.csv"
expect_error "newline in a cell: one line, escaped" 3 "nl.csv:4: T: '1024\\\\n\$(id)' is not a positive integer" -- \
  compare "$tmp/base.csv" "$tmp/nl.csv"
check "report never created its output directory" [ ! -e "$tmp/rep" ]

# Two real runs to one path, then the sidecar of the other run, as a kill
# between the two renames leaves it.
runq() { "$SUBQUAD" run --device cpu --kernel softmax_attn.naive --shape B=1,H=1,T=16,D=4 --no-peaks -q \
  --min-samples 3 --max-samples 3 -o "$tmp/run.csv" > /dev/null; }
runq && cp "$tmp/run.csv" "$tmp/a.csv" && cp "$tmp/run.samples.csv" "$tmp/a.samples.csv" &&
  runq && cp "$tmp/run.csv" "$tmp/b.csv" && cp "$tmp/run.samples.csv" "$tmp/b.samples.csv"
check "two runs written" [ -s "$tmp/a.samples.csv" -a -s "$tmp/b.samples.csv" ]
run "$tmp/a.csv" "$tmp/b.csv" --ignore-device
check "each run's own pair compares (status $st: $(cat "$tmp/err"))" [ "$st" -ne 3 ]
cp "$tmp/b.samples.csv" "$tmp/run.samples.csv" && cp "$tmp/a.csv" "$tmp/run.csv"
expect_error "B's sidecar next to A's rows: exit 3" 3 "run.csv: sidecar .*run.samples.csv belongs to another run" -- \
  compare "$tmp/a.csv" "$tmp/run.csv"
cp "$tmp/a.samples.csv" "$tmp/run.samples.csv" && cp "$tmp/b.csv" "$tmp/run.csv"
expect_error "A's sidecar next to B's rows: exit 3" 3 "run.csv: sidecar .*run.samples.csv belongs to another run" -- \
  compare "$tmp/run.csv" "$tmp/b.csv"
expect_error "report, A's sidecar next to B's rows: exit $report_bad" $report_bad "belongs to another run" -- \
  report "$tmp/run.csv" -o "$tmp/rep" --no-render
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The JSON outputs parse with Python's json module and hold what their CSV
# forms hold: `subquad export` of committed result files (both formats)
# round-trips every row, column and raw sample (tests/check_results_json.py);
# `run --format json` to a file and to stdout, `devices --format json`;
# a JSON output is written in full or not at all; bad uses are refused.
. "$top_srcdir/tests/tap.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/sq_json.XXXXXX")
trap 'rm -rf "$work"' EXIT
py=${PYTHON3:-python3}
parses() { "$py" -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

for f in results_run_id results_legacy; do
  "$SUBQUAD" export "$top_srcdir/tests/data/$f.csv" --format json -o "$work/$f.json"
  check "export $f.csv exits 0" test $? -eq 0
  check "export $f.csv writes JSON that parses" parses "$work/$f.json"
  out=$("$py" "$top_srcdir/tests/check_results_json.py" "$top_srcdir/tests/data/$f.csv" "$work/$f.json" 2>&1)
  check "export $f.csv round-trips every row, column and sample${out:+ ($out)}" test -z "$out"
done
"$SUBQUAD" export "$top_srcdir/tests/data/results_run_id.csv" > "$work/stdout.json"
check "export without -o writes the same document to stdout" cmp -s "$work/stdout.json" "$work/results_run_id.json"

# A real run, JSON to a file: the CSV of the same rows round-trips to it.
shape="B=1,H=1,T=128,D=16"
fast="--min-samples 3 --max-samples 3 --min-time 0 --no-peaks -q"
"$SUBQUAD" run --kernel linear_attn.causal_chunked --shape $shape $fast --format json -o "$work/run.json" > "$work/run.out" 2>&1
check "run --format json -o exits 0" test $? -eq 0
check "run --format json -o writes JSON that parses" parses "$work/run.json"
check "run --format json -o writes no sidecar" test ! -e "$work/run.samples.csv"
check "run --format json -o still prints the table" grep -q '^kernel ' "$work/run.out"
check "the run's row has its raw samples" "$py" -c '
import json,sys
d=json.load(open(sys.argv[1])); r=d["rows"][0]
assert d["schema"]=="subquad-results" and d["schema_version"]==1 and d["metadata"]["device"]
assert r["status"]=="ok" and len(r["sample_ms"])==r["samples"]==len(r["sample_rounds"])>=3
assert all(x>0 for x in r["sample_ms"])' "$work/run.json"
"$SUBQUAD" run --kernel linear_attn.causal_chunked --shape $shape $fast -o "$work/run.csv" > /dev/null 2>&1
"$SUBQUAD" export "$work/run.csv" -o "$work/run2.json"
out=$("$py" "$top_srcdir/tests/check_results_json.py" "$work/run.csv" "$work/run2.json" 2>&1)
check "a run's CSV exports to JSON with every value${out:+ ($out)}" test -z "$out"
"$SUBQUAD" run --kernel linear_attn.causal_chunked --shape $shape $fast --format json > "$work/run3.json" 2>/dev/null
check "run --format json without -o prints only JSON on stdout" parses "$work/run3.json"

"$SUBQUAD" devices --format json > "$work/dev.json"
check "devices --format json exits 0" test $? -eq 0
check "devices --format json parses and lists the devices" "$py" -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["schema"]=="subquad-devices" and d["schema_version"]==1
assert d["devices"] and all("id" in x and "global_mem" in x for x in d["devices"]) and d["host"]["pus"]>=1' "$work/dev.json"

# All or nothing: a JSON output that cannot be written leaves nothing.
expect_error "export into a missing folder is refused" 1 "$work/no/such" -- export "$top_srcdir/tests/data/results_run_id.csv" -o "$work/no/such/x.json"
cp "$work/results_run_id.json" "$work/keep.json"
expect_error "export of a bad file is refused and replaces nothing" 2 "results_truncated" -- export "$top_srcdir/tests/data/results_truncated.csv" -o "$work/keep.json"
check "the earlier file is untouched" cmp -s "$work/keep.json" "$work/results_run_id.json"
expect_error "export --format csv is refused" 2 "is not json" -- export "$top_srcdir/tests/data/results_run_id.csv" --format csv
expect_error "export with no file" 2 "name one RESULTS.csv" -- export
expect_error "run --format xml is refused" 2 "is not csv or json" -- run --kernel linear_attn.causal_chunked --shape $shape --format xml
expect_error "devices --format xml is refused" 2 "is not table, csv or json" -- devices --format xml
tap_done

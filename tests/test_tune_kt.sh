#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Kernel Tuner interop (tuner/t4.h). The committed files were written from
# the formats' documentation: tests/data/kt_cache_tiny.json is a Kernel
# Tuner cache (as `cache=` writes it), kt_cache_open.json the same left
# open by a killed run, t4_tiny.json a T4 results file with float, string
# and failed configurations; all hold the space of tuner_tiny.csv. Each
# replays as the CSV does; `--t4` writes T4 (checked against the schema's
# required fields by tests/check_t4.py) from a replay and from a short tune
# on the default device, and a written T4 file replays again.
. "$top_srcdir/tests/tap.sh"
data="$top_srcdir/tests/data"
work=$(mktemp -d "${TMPDIR:-/tmp}/sq_kt.XXXXXX")
trap 'rm -rf "$work"' EXIT
py=${PYTHON3:-python3}

"$SUBQUAD" tune --replay "$data/tuner_tiny.csv" --strategy exhaustive -o "$work/csv.trace" -q > /dev/null 2>&1
for f in kt_cache_tiny t4_tiny; do
  "$SUBQUAD" tune --replay "$data/$f.json" --strategy exhaustive -o "$work/$f.trace" -q > "$work/$f.out" 2>&1
  check "$f.json replays (exit 0)" test $? -eq 0
  check "$f.json replays as tuner_tiny.csv does (same trace)" cmp -s "$work/csv.trace" "$work/$f.trace"
done
check "a Kernel Tuner cache names its parameters" grep -q 'best block_size_x=3;tile_size_y=3: 3 ms' "$work/kt_cache_tiny.out"
check "T4: float and string values replay by their rank" grep -q 'best block_size_x=3;tile_size_y=2;layout=2: 3 ms' "$work/t4_tiny.out"
"$SUBQUAD" tune --replay "$data/kt_cache_open.json" --strategy exhaustive -o "$work/open.trace" -q > /dev/null 2>&1
check "a cache left open by a killed run replays (exit 0)" test $? -eq 0
check "... with the 10 configurations it holds" test "$(tail -n +2 "$work/open.trace" | wc -l)" -eq 10
"$SUBQUAD" tune --replay "$data/kt_cache_tiny.json" --strategy anneal,random --seeds 3 > "$work/seeds" 2>&1
check "--seeds over a Kernel Tuner cache" grep -q 'kt_cache_tiny' "$work/seeds"

# --t4 from a replay, then replayed again.
"$SUBQUAD" tune --replay "$data/tuner_tiny.csv" --strategy exhaustive --t4 "$work/out.t4.json" -q > /dev/null 2>&1
check "replay --t4 exits 0" test $? -eq 0
out=$("$py" "$top_srcdir/tests/check_t4.py" "$work/out.t4.json" 11 2>&1)
check "replay --t4 writes T4 with the schema's required fields (11 results)${out:+: $out}" test -z "$out"
check "the failed configuration is invalid, the others correct" "$py" -c '
import json,sys
r=json.load(open(sys.argv[1]))["results"]
assert sum(x["invalidity"]=="correct" for x in r)==10
bad=[x for x in r if x["invalidity"]!="correct"][0]
assert bad["configuration"]=={"x":3,"y":2} and bad["measurements"][0]["value"]=="InvalidConfig"' "$work/out.t4.json"
"$SUBQUAD" tune --replay "$work/out.t4.json" --strategy exhaustive -o "$work/again.trace" -q > /dev/null 2>&1
check "a T4 file subquad wrote replays as its source did" cmp -s "$work/csv.trace" "$work/again.trace"
"$SUBQUAD" tune --replay "$data/tuner_tiny.csv" --strategy random --budget 5 --cache "$work/r.cache" --t4 "$work/cache.t4.json" -q > /dev/null 2>&1
out=$("$py" "$top_srcdir/tests/check_t4.py" "$work/cache.t4.json" 5 2>&1)
check "replay --cache --t4: the cache's 5 evaluations${out:+: $out}" test -z "$out"

# --t4 from a tune on the default device.
"$SUBQUAD" tune --kernel linear_attn.causal_chunked --shape B=1,H=1,T=128,D=16 --budget 2 --no-save \
  --cache "$work/dev.cache" --t4 "$work/dev.t4.json" -q > "$work/dev.out" 2>&1
check "tune --t4 on a device exits 0" test $? -eq 0
out=$("$py" "$top_srcdir/tests/check_t4.py" "$work/dev.t4.json" 2 2>&1)
check "tune --t4 writes T4 with the schema's required fields (2 results)${out:+: $out}" test -z "$out"
check "the device T4 holds the kernel's parameters and times in ms" "$py" -c '
import json,sys
d=json.load(open(sys.argv[1])); r=d["results"][0]
assert d["metadata"]["kernel"]=="linear_attn.causal_chunked" and d["metadata"]["timeunit"]=="milliseconds"
assert "CHUNK" in r["configuration"] and r["objectives"]==["time"]
assert r["invalidity"]!="correct" or (r["measurements"][0]["value"]>0 and r["times"]["runtimes"])' "$work/dev.t4.json"

# Bad input and bad uses: one line, status 2.
printf '{"name": "x"}\n' > "$work/neither.json"
expect_error "a JSON file that is neither format" 2 "neither a Kernel Tuner cache" -- tune --replay "$work/neither.json"
head -c 300 "$data/t4_tiny.json" > "$work/cut.json"
expect_error "a T4 file cut short names its line" 2 "cut.json:[0-9]*:" -- tune --replay "$work/cut.json"
sed 's/"objective": "time"/"objective": "GFLOP\/s"/' "$data/kt_cache_tiny.json" > "$work/gflops.json"
expect_error "a cache of another objective" 2 "only a time objective replays" -- tune --replay "$work/gflops.json"
sed 's/"time": 9.0/"time": -1/' "$data/kt_cache_tiny.json" > "$work/neg.json"
expect_error "a negative time" 2 "is not a positive time" -- tune --replay "$work/neg.json"
expect_error "--t4 with --seeds" 2 "--seeds does not go with" -- tune --replay "$data/tuner_tiny.csv" --seeds 2 --t4 "$work/x.json"
expect_error "--t4 over the replayed file" 2 "is the --replay input" -- tune --replay "$work/out.t4.json" --t4 "$work/out.t4.json"
expect_error "--t4 into a missing folder" 2 "--t4" -- tune --replay "$data/tuner_tiny.csv" --t4 "$work/no/such/x.json"
tap_done

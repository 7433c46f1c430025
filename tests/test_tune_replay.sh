#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# subquad tune --replay on the tiny committed space, with no device: the
# evaluation trace, the --seeds summary, a replay killed with SIGKILL and
# resumed (every configuration once, the running one crashed, the same best
# as an uninterrupted run), a refused cache, and bad input. When the four
# recorded spaces are beside the checkout (../shared/data/tuning-spaces),
# the acceptance figures for anneal and genetic are checked too.
. "$top_srcdir/tests/tap.sh"
tiny="$top_srcdir/tests/data/tuner_tiny.csv"
work=$(mktemp -d /tmp/sq_tune_replay.XXXXXX)
trap 'rm -rf "$work"' EXIT

# One run with a trace.
"$SUBQUAD" tune --replay "$tiny" --strategy exhaustive --seed 1 -o "$work/trace.csv" -q > "$work/out" 2>&1
check "replay exits 0" test $? -eq 0
check "trace header is eval,time_ms,best_ms" test "$(head -1 "$work/trace.csv")" = "eval,time_ms,best_ms"
check "one trace row per configuration (11)" test "$(tail -n +2 "$work/trace.csv" | wc -l)" -eq 11
check "the failed configuration has an empty time_ms" grep -q '^8,,4$' "$work/trace.csv"
check "best_ms ends at the space's best (3)" test "$(tail -1 "$work/trace.csv" | cut -d, -f3)" = "3"
check "the summary names the best configuration" grep -q 'best x=3;y=3: 3 ms' "$work/out"

# --seeds over every strategy.
"$SUBQUAD" tune --replay "$tiny" --strategy random,anneal,genetic,ils --budget 11 --seeds 4 > "$work/seeds" 2>&1
check "--seeds exits 0" test $? -eq 0
n=$(grep -c ' 4/4 ' "$work/seeds")
check "with the whole space as budget every run reaches the best ($n of 4 rows)" test "$n" -eq 4
check "--seeds prints the median evaluations column" grep -q 'med_evals10' "$work/seeds"

# Same seed, same sequence.
"$SUBQUAD" tune --replay "$tiny" --strategy anneal --budget 6 --seed 9 -o "$work/a.csv" -q > /dev/null 2>&1
"$SUBQUAD" tune --replay "$tiny" --strategy anneal --budget 6 --seed 9 -o "$work/b.csv" -q > /dev/null 2>&1
check "same seed, same trace" cmp -s "$work/a.csv" "$work/b.csv"

# Killed mid-way with SIGKILL (the test hook raises it after the 5th
# attempting record), then resumed.
for st in exhaustive random; do
  c="$work/$st.cache"
  SUBQUAD_TUNE_KILL_AFTER=5 "$SUBQUAD" tune --replay "$tiny" --strategy $st --seed 2 --cache "$c" -q > /dev/null 2>&1
  check "$st: the hook kills the run (status 137)" test $? -eq 137
  check "$st: the killed run left an attempting record last" sh -c "tail -1 '$c' | grep -q '^attempting,'"
  "$SUBQUAD" tune --replay "$tiny" --strategy $st --seed 2 --cache "$c" -q > "$work/resumed" 2>&1
  check "$st: resume without --resume is refused (status 2)" test $? -eq 2
  "$SUBQUAD" tune --replay "$tiny" --strategy $st --seed 2 --cache "$c" --resume -q > "$work/resumed" 2>&1
  check "$st: resumed run exits 0" test $? -eq 0
  dup=$(grep -v '^#' "$c" | grep -v '^status,' | grep -v '^attempting,' | cut -d, -f2,3 | sort | uniq -d | wc -l)
  all=$(grep -v '^#' "$c" | grep -v '^status,' | grep -v '^attempting,' | cut -d, -f2,3 | sort -u | wc -l)
  check "$st: every configuration exactly once ($all unique, $dup duplicated)" test "$all" -eq 11 -a "$dup" -eq 0
  check "$st: exactly one crashed record" test "$(grep -c '^crashed,' "$c")" -eq 1
  "$SUBQUAD" tune --replay "$tiny" --strategy $st --seed 2 -q > "$work/straight" 2>&1
  b1=$(grep '^best ' "$work/resumed" | cut -d: -f1)
  b2=$(grep '^best ' "$work/straight" | cut -d: -f1)
  check "$st: same best as an uninterrupted run ($b1)" test -n "$b1" -a "$b1" = "$b2"
  check "$st: the cache's best ok record is the best" grep -q 'cache best ok record: x=3;y=3: 3 ms' "$work/resumed"
done

# A cache written for another space is refused.
cp "$tiny" "$work/other.csv"
echo "4,2,1.0" >> "$work/other.csv"
expect_error "a mismatched cache header is refused" 2 "written for" -- tune --replay "$work/other.csv" --cache "$work/exhaustive.cache" --resume

check "--help exits 0 and shows the usage" sh -c '"$SUBQUAD" tune --help | grep -q "^usage: subquad tune"'

# Bad input: one line, status 2.
expect_error "unknown strategy" 2 "unknown strategy 'hill'" -- tune --replay "$tiny" --strategy hill
expect_error "bad budget" 2 "--budget" -- tune --replay "$tiny" --budget 0
expect_error "missing space file" 2 "nonexistent" -- tune --replay /nonexistent.csv
printf 'x,y\n1,2\n' > "$work/bad.csv"
expect_error "space file without time_ms" 2 "no time_ms column" -- tune --replay "$work/bad.csv"
# Recorded times a search cannot compare (issue 10): one line naming the
# file, line and column.
for bad in nan inf -2 0 1e999 3ms; do
  printf 'x,y,time_ms\n1,1,2.5\n1,2,%s\n' "$bad" > "$work/badtime.csv"
  expect_error "recorded time_ms '$bad' refused" 2 "badtime.csv:3: time_ms: '$bad' is not a positive finite time" -- \
    tune --replay "$work/badtime.csv"
done
expect_error "--seeds with -o" 2 "--seeds does not go with" -- tune --replay "$tiny" --seeds 2 -o "$work/x.csv"
expect_error "no kernel" 2 "--kernel is missing" -- tune
expect_error "bad duration" 2 "--time" -- tune --replay "$tiny" --time 10x

# The acceptance figures on the four recorded spaces (32 seeds, budget 200).
spaces="$top_srcdir/../shared/data/tuning-spaces"
if [ -f "$spaces/gemm.csv" ]; then
  "$SUBQUAD" tune --replay "$spaces/convolution.csv" --replay "$spaces/gemm.csv" --replay "$spaces/gemm_amd.csv" \
    --replay "$spaces/pnpoly.csv" --strategy random,anneal,genetic --budget 200 --seeds 32 > "$work/four" 2>&1
  sed 's/^/# /' "$work/four"
  for st in anneal genetic; do
    for pair in convolution:31 gemm:30 gemm_amd:22 pnpoly:16; do
      name=${pair%:*}; want=${pair#*:}
      got=$(awk -v n="$name.csv" -v s=$st '$1 == n && $4 == s { split($5, a, "/"); print a[1] }' "$work/four")
      check "$st on $name: $got/32 within 10 % (reference $want)" test -n "$got" -a "${got:-0}" -ge "$want"
    done
  done
else
  skip "acceptance on the four recorded spaces" "../shared/data/tuning-spaces is not beside the checkout"
fi
tap_done

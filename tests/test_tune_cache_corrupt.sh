#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A corrupted tuning cache is refused on --resume (issue 10, item 6): a
# replay killed by the test hook leaves a cache; one record of it is then
# damaged (a negative, zero, NaN or infinite time, a fractional parameter,
# a negative duration, ...). The resumed run must exit 2 with one line
# "FILE:LINE: column: what" before any work, and leave the cache as it was
# (no crashed record appended). Before the fix, a negative time ended the
# run with exit 1 and the empty message "subquad tune: " after appending.
. "$top_srcdir/tests/tap.sh"
tiny="$top_srcdir/tests/data/tuner_tiny.csv"
work=$(mktemp -d /tmp/sq_tune_cache_corrupt.XXXXXX)
trap 'rm -rf "$work"' EXIT

SUBQUAD_TUNE_KILL_AFTER=5 "$SUBQUAD" tune --replay "$tiny" --strategy exhaustive --cache "$work/good.csv" -q \
  > /dev/null 2>&1
check "the killed run left a cache ending in an attempting record" \
  sh -c "tail -1 '$work/good.csv' | grep -q '^attempting,2,2,'"
# Line 13 is "ok,1,2,8,,,,": the record each case damages.
check "line 13 is the ok record of x=1,y=2" test "$(sed -n 13p "$work/good.csv")" = "ok,1,2,8,,,,"

# corrupt NAME LINE13 COLUMN: the resumed run refuses line 13's COLUMN.
corrupt() {
  name=$1; rec=$2; col=$3
  c="$work/$name.csv"
  sed "13s/.*/$rec/" "$work/good.csv" > "$c"
  cp "$c" "$work/before.csv"
  err=$("$SUBQUAD" tune --replay "$tiny" --strategy exhaustive --cache "$c" --resume -q 2>&1 >/dev/null); st=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ "$st" -eq 2 ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -q "^subquad tune: $c:13: $col: "; then
    ok "$name: refused with exit 2 and '$err'"
  else
    not_ok "$name: status $st, want 2; stderr: $err"
  fi
  check "$name: the cache is untouched (no crashed record appended)" cmp -s "$c" "$work/before.csv"
}
corrupt negative_time 'ok,1,2,-8,,,,' time_ms
corrupt zero_time 'ok,1,2,0,,,,' time_ms
corrupt nan_time 'ok,1,2,nan,,,,' time_ms
corrupt inf_time 'ok,1,2,inf,,,,' time_ms
corrupt huge_time 'ok,1,2,1e999,,,,' time_ms
corrupt no_time 'ok,1,2,,,,,' time_ms
corrupt text_time 'ok,1,2,8ms,,,,' time_ms
corrupt failed_with_time 'compile,1,2,8,,,,' time_ms
corrupt fractional_param 'ok,1.9,2,8,,,,' x
corrupt float_param 'ok,1,2.0,8,,,,' y
corrupt exp_param 'ok,1e0,2,8,,,,' x
corrupt empty_param 'ok,,2,8,,,,' x
corrupt wrapping_param 'ok,4294967297,2,8,,,,' x
corrupt negative_compile 'ok,1,2,8,-1,,,' compile_s
corrupt nan_verify 'ok,1,2,8,,nan,,' verify_s
corrupt inf_bench 'ok,1,2,8,,,inf,' bench_s
corrupt unknown_status 'okay,1,2,8,,,,' status
corrupt attempting_fraction 'attempting,2.5,2,,,,,' x

# The undamaged cache still resumes.
"$SUBQUAD" tune --replay "$tiny" --strategy exhaustive --cache "$work/good.csv" --resume -q > "$work/out" 2>&1
check "the undamaged cache resumes (exit 0)" test $? -eq 0
check "and finds the space's best" grep -q 'cache best ok record: x=3;y=3: 3 ms' "$work/out"
tap_done

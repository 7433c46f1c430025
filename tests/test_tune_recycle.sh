#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A long tune continues in a fresh process when its memory grows (issue 10,
# item 9: PoCL 3.1 keeps every kernel it launched loaded). The continuation
# is the --resume path: exercised here without a device through the test
# hook SUBQUAD_TUNE_RECYCLE_AFTER=N, which recycles a replay with a cache
# after every N measured evaluations. Each strategy must end as an
# uninterrupted run does: every configuration at most once in the cache,
# the same best, the counts over all the processes, one summary.
. "$top_srcdir/tests/tap.sh"
tiny="$top_srcdir/tests/data/tuner_tiny.csv"
work=$(mktemp -d /tmp/sq_tune_recycle.XXXXXX)
trap 'rm -rf "$work"' EXIT

for st in exhaustive random anneal genetic ils; do
  c="$work/$st.csv"
  SUBQUAD_TUNE_RECYCLE_AFTER=3 "$SUBQUAD" tune --replay "$tiny" --strategy $st --budget 9 --seed 4 \
    --cache "$c" > "$work/$st.out" 2> "$work/$st.err"
  check "$st: the recycled run exits 0" test $? -eq 0
  n=$(grep -c '^continuing in a fresh process after 3 evaluations' "$work/$st.err")
  check "$st: it continued in a fresh process twice, not after the last evaluation ($n)" test "$n" -eq 2
  "$SUBQUAD" tune --replay "$tiny" --strategy $st --budget 9 --seed 4 > "$work/$st.straight" 2>&1
  b1=$(grep '^best ' "$work/$st.out" | cut -d, -f1)
  b2=$(grep '^best ' "$work/$st.straight" | cut -d, -f1)
  check "$st: the same best and evaluations as a straight run ($b1)" test -n "$b1" -a "$b1" = "$b2"
  check "$st: one summary, 9 evaluations, none counted twice as from the cache" \
    test "$(grep -c '^strategy ' "$work/$st.out")" -eq 1 -a -n "$(grep '9 evaluations (0 from the cache)' "$work/$st.out")"
  dup=$(grep -v '^#' "$c" | grep -v '^status,' | grep -v '^attempting,' | cut -d, -f2,3 | sort | uniq -d | wc -l)
  all=$(grep -v '^#' "$c" | grep -v '^status,' | grep -v '^attempting,' | wc -l)
  check "$st: 9 result records, none duplicated ($all, $dup)" test "$all" -eq 9 -a "$dup" -eq 0
  check "$st: no crashed record" test "$(grep -c '^crashed,' "$c")" -eq 0
done
# The continuation needs a cache; a traced run (-o) is one process.
SUBQUAD_TUNE_RECYCLE_AFTER=2 "$SUBQUAD" tune --replay "$tiny" --strategy exhaustive -o "$work/t.csv" -q > /dev/null 2>&1
check "a traced run is not recycled: the whole trace (11 rows)" test "$(tail -n +2 "$work/t.csv" | wc -l)" -eq 11
tap_done

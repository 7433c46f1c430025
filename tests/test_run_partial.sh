#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A suite run that is killed keeps its work: -o FILE holds the rows of the
# finished cases after each round (and every minute), marked partial in its
# `progress` line, and the file reads back as a result file. The run here is
# killed with SIGKILL, as the out-of-memory killer would, during its second
# round.
. "$top_srcdir/tests/tap.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sq-partial-test.XXXXXX") || exit 1
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
sq="$SUBQUAD"

"$sq" run --suite quick --only linear_attn.noncausal --no-peaks --rounds 3 -o "$tmp/p.csv" \
  >"$tmp/out" 2>"$tmp/err" &
pid=$!
i=0
while [ ! -f "$tmp/p.csv" ] && [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
if grep -q '^# progress: partial: 6 of 6 cases, round 1 of 3' "$tmp/p.csv" 2>/dev/null; then
  ok "after the first round, -o holds the 6 cases, marked partial"
else not_ok "no partial file after round 1: $(head -c 300 "$tmp/p.csv" 2>&1) $(tail -2 "$tmp/err")"; fi
rows=$(grep -c '^[0-9]' "$tmp/p.csv" 2>/dev/null)
[ "$rows" = 6 ] && ok "6 rows saved" || not_ok "rows saved: $rows"
if "$sq" compare "$tmp/p.csv" "$tmp/p.csv" >"$tmp/cmp" 2>&1; then ok "the partial file reads back (compare: $(tail -1 "$tmp/cmp"))"
else not_ok "compare of the partial file: $(cat "$tmp/cmp")"; fi
if grep -q '^note: BASE is a partial run: partial: 6 of 6 cases, round 1 of 3' "$tmp/cmp" &&
   grep -q '^note: NEW is a partial run' "$tmp/cmp"; then ok "compare says both files are partial"
else not_ok "compare's notes: $(head -5 "$tmp/cmp")"; fi
ls "$tmp" | grep -q '\.tmp' && not_ok "a temporary file is left: $(ls "$tmp")" || ok "no temporary file left behind"
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The outputs of `subquad tune` (issue 10, items 4 and 8): an -o or --cache
# that names a --replay input, by any spelling (./, a folder and .., a
# symbolic link), or names the other output, is refused with one line and
# exit 2, the input untouched (before the fix `-o S` replaced the recorded
# space S with the trace); an -o that cannot be written (a missing folder,
# a folder) is refused with exit 2 naming the path and the reason, before
# the cache is touched; paths over 1,100 characters work (the old fixed
# buffers cut them: a long --cache could not be resumed).
. "$top_srcdir/tests/tap.sh"
tiny="$top_srcdir/tests/data/tuner_tiny.csv"
work=$(mktemp -d /tmp/sq_tune_outputs.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
cp "$tiny" S.csv
ln -s S.csv L.csv
mkdir d

refused() { # refused NAME PATTERN ARGS...: exit 2, one line, S.csv and the folder untouched
  name=$1; pat=$2; shift 2
  before=$(ls -A | sort | tr '\n' ' ')
  expect_error "$name" 2 "$pat" -- tune --replay S.csv --strategy exhaustive -q "$@"
  check "$name: the input is untouched" cmp -s S.csv "$tiny"
  check "$name: no file was left" test "$(ls -A | sort | tr '\n' ' ')" = "$before"
}
refused "-o names the input" "-o S.csv is the --replay input S.csv" -o S.csv
refused "-o names the input as ./S.csv" "-o ./S.csv is the --replay input" -o ./S.csv
refused "-o names the input through a folder and .." "is the --replay input" -o "$work/d/../S.csv"
refused "-o is a symbolic link to the input" "-o L.csv is the --replay input S.csv" -o L.csv
refused "--cache names the input" "--cache S.csv is the --replay input" --cache S.csv
refused "--cache is a symbolic link to the input" "--cache L.csv is the --replay input" --cache L.csv
refused "-o and --cache name one new file" "-o d/../x.csv and --cache x.csv are the same file" -o d/../x.csv --cache x.csv
refused "-o is a folder" "-o d is a folder" -o d
refused "-o in a missing folder" "-o $work/nope/t.csv: cannot write there: No such file or directory" -o "$work/nope/t.csv"
# A second input of --seeds is checked too (no -o there, but --replay twice
# with --cache is refused by the options check; -o against each input).
expect_error "-o against the input, with a second spelling of the space" 2 "is the --replay input" -- \
  tune --replay "$work/S.csv" --strategy exhaustive -o S.csv -q

# An unwritable -o is refused before the cache is touched: a killed run's
# cache keeps its attempting record (no crashed record appended).
SUBQUAD_TUNE_KILL_AFTER=3 "$SUBQUAD" tune --replay S.csv --strategy exhaustive --cache c.csv -q > /dev/null 2>&1
cp c.csv c.before
expect_error "an unwritable -o with --resume" 2 "-o $work/nope/t.csv: cannot write there" -- \
  tune --replay S.csv --strategy exhaustive --cache c.csv --resume -o "$work/nope/t.csv" -q
check "the cache was not resumed (unchanged)" cmp -s c.csv c.before

# Paths over 1,100 characters: trace, cache, resume and database.
long="$work"
for part in a b c d e f; do long="$long/$(printf "%0200d" 0 | tr 0 $part)"; done
mkdir -p "$long"
check "the test path is over 1,200 characters (${#long})" test ${#long} -gt 1200
"$SUBQUAD" tune --replay S.csv --strategy exhaustive -o "$long/trace.csv" --cache "$long/cache.csv" -q > /dev/null 2>&1
check "a replay writes a trace and a cache under a long path" test -s "$long/trace.csv" -a -s "$long/cache.csv"
"$SUBQUAD" tune --replay S.csv --strategy exhaustive --cache "$long/cache.csv" --resume -q > out 2>&1
check "and resumes that cache (11 from the cache)" grep -q '11 evaluations (11 from the cache)' out
cp "$top_srcdir/tuner/db/tunedb.csv" "$long/db.csv"
n=$(grep -vc '^#\|^backend,' "$long/db.csv")
SUBQUAD_TUNEDB="$long/db.csv" "$SUBQUAD" tune --show > out 2>&1
check "--show reads a database under a long path ($n entries)" grep -q "user database $long/db.csv: $n entries" out
tap_done

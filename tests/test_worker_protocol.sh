#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `subquad worker`'s line protocol on the default device: one reply line
# for every request, malformed requests answered with an `error` line while
# the worker goes on (empty, unknown, missing fields, bad numbers, unknown
# kernel or case, a case that is not ok, a line over the request limit), a
# case verified and measured in rounds of exactly the asked size, samples
# given back as a round, `save` writing a result file that compare reads
# with its rounds, rounds with and without the case kept set up, EOF
# ending the worker, and bad worker flags.
. "$top_srcdir/tests/tap.sh"
tmp=${TMPDIR:-/tmp}/subquad-worker-$$
mkdir -p "$tmp"
CASE="linear_attn.causal_chunked causal f32 B=1,H=1,T=64,D=16"
long=$(head -c 70000 /dev/zero | tr '\0' 'x')
{
  echo "hello"
  echo ""
  echo "bogus request"
  echo "case 1 $CASE"
  echo "case x $CASE -"
  echo "case 2 no_such_kernel causal f32 T=64 -"
  echo "case 3 linear_attn.causal_chunked sideways f32 B=1,H=1,T=64,D=16 -"
  echo "case 4 linear_attn.causal_chunked causal f32 B=1,H=1,T=0,D=16 -"
  echo "case 5 linear_attn.causal_chunked causal f32 B=1,H=1,T=64,D=16 NOPE=3"
  echo "round 9 3"
  echo "case 1 $CASE - workload=w1"
  echo "round 1"
  echo "round 1 zero"
  echo "round 1 0"
  echo "round 1 3"
  echo "round 1 3"
  echo "samples 1 1.5 -2"
  echo "samples 1 1.25 1.5 1.75"
  echo "mark 1 ok fine"
  echo "$long"
  echo "meta gate_note hello there"
  echo "save $tmp/w.csv"
  echo "hello"
} > "$tmp/in.txt"
"$SUBQUAD" worker -q < "$tmp/in.txt" > "$tmp/out.txt" 2> "$tmp/err.txt"
check "unknown flag refused with exit 2" test $? -eq 2
"$SUBQUAD" worker < "$tmp/in.txt" > "$tmp/out.txt" 2> "$tmp/err.txt"
st=$?
check "EOF ends the worker with status 0" test $st -eq 0
nin=$(wc -l < "$tmp/in.txt"); nout=$(wc -l < "$tmp/out.txt")
check "one reply line per request ($nin requests, $nout replies)" test "$nin" -eq "$nout"
line() { sed -n "$1p" "$tmp/out.txt"; }
expect() { # expect N PATTERN NAME
  if line "$1" | grep -q -- "$2"; then ok "$3"; else not_ok "$3 (reply: $(line "$1"))"; fi
}
expect 1 '^hello subquad-worker 1 ' "hello names the protocol and device"
expect 2 '^error empty request' "empty line: error"
expect 3 "^error unknown request 'bogus'" "unknown request: error"
expect 4 '^error case: needs ID' "missing PARAMS: error"
expect 5 "^error case: ID: 'x' is not an integer" "bad ID: error"
expect 6 "^error case: unknown kernel 'no_such_kernel'" "unknown kernel: error"
expect 7 "^error case: form 'sideways'" "bad form: error"
expect 8 '^error case: .*T' "bad shape: error naming T"
expect 9 "^error case: .*NOPE" "unknown parameter: error naming it"
expect 10 '^error round: no case 9' "round of an unknown case: error"
expect 11 '^case 1 ok ' "a good case is verified: ok"
expect 12 '^error round: needs ID N' "round without N: error"
expect 13 "^error round: N: 'zero'" "round N not a number: error"
expect 14 '^error round: N: 0 is out of range' "round N = 0: error"
n15=$(line 15 | wc -w); n16=$(line 16 | wc -w)
check "a round of 3 samples gives 3 numbers ($n15, $n16 words)" sh -c "test $n15 -eq 6 && test $n16 -eq 6"
expect 15 '^round 1 ok [0-9]' "round reply: ok and times"
expect 17 '^error samples: MS: -2 is out of range' "negative sample: error"
expect 18 '^samples 1 ok 3' "samples given back: ok"
expect 19 "^error mark: 'ok' is not failed or skipped" "mark ok: error"
expect 20 '^error request longer than' "over-long request: error, and the worker goes on"
expect 21 '^meta ok' "meta: ok"
expect 22 '^save ok 1' "save: ok, one row"
expect 23 '^hello ' "still answering after the errors"
check "result file written" test -s "$tmp/w.csv"
check "metadata carried into the file" grep -q '^# gate_note: hello there' "$tmp/w.csv"
rounds=$(grep -c '^1,' "$tmp/w.samples.csv")
check "9 samples in the sidecar ($rounds)" test "$rounds" -eq 9
check "three rounds recorded" sh -c "grep '^1,' '$tmp/w.samples.csv' | cut -d, -f4 | sort -u | tr '\n' ' ' | grep -qx '0 1 2 '"
check "workload label kept" sh -c "grep -v '^#' '$tmp/w.csv' | tail -1 | grep -q ',w1,[^,]*,[0-9][0-9]*\$'"
"$SUBQUAD" compare "$tmp/w.csv" "$tmp/w.csv" > "$tmp/cmp.txt"
check "compare reads the worker's file" test $? -eq 0
check "compare says it was not interleaved" grep -q 'not measured interleaved' "$tmp/cmp.txt"
printf 'case 1 %s -\nround 1 2\nround 1 2\n' "$CASE" | "$SUBQUAD" worker --keep-mib 0 > "$tmp/k.txt" 2>/dev/null
check "rounds without keeping the case set up (--keep-mib 0)" sh -c "test \$(grep -c '^round 1 ok [0-9.]* [0-9.]*\$' '$tmp/k.txt') -eq 2"
printf 'hello\n' | "$SUBQUAD" worker --keep-mib -1 > /dev/null 2>&1
check "bad --keep-mib: exit 2" test $? -eq 2
printf 'quit\nhello\n' | "$SUBQUAD" worker > "$tmp/q.txt" 2>/dev/null
check "quit ends the worker after one reply" sh -c "test \"\$(cat '$tmp/q.txt')\" = bye"
rm -rf "$tmp"
tap_done

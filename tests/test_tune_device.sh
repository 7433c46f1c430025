#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# subquad tune on the OpenCL CPU device (PoCL), kept to a few evaluations:
# --space, a tune killed with SIGKILL by the test hook and resumed (the
# running configuration crashed, nothing re-run, the best = the best ok
# record), the side-by-side summary, the database entry that `subquad run`
# then uses, and a tune continued in fresh processes. SKIPs where no OpenCL
# device is present.
. "$top_srcdir/tests/tap.sh"
if ! "$SUBQUAD" devices 2>/dev/null | grep -q '^opencl:0'; then
  skip "tune on opencl:0" "no OpenCL device"
  tap_done
  exit $?
fi
work=$(mktemp -d /tmp/sq_tune_device.XXXXXX)
trap 'rm -rf "$work"' EXIT
k=linear_attn.causal_recurrent
shape=B=1,H=1,T=64,D=16
"$SUBQUAD" tune --kernel $k --shape $shape --device opencl:0 --space > "$work/space" 2>&1
check "--space exits 0" test $? -eq 0
check "--space prints size, removed and build time" grep -q 'configurations in the product.*valid' "$work/space"
check "--space names the removed count" grep -q 'removed .* by the kernel.s constraints' "$work/space"

c="$work/cache.csv"
SUBQUAD_TUNE_KILL_AFTER=2 "$SUBQUAD" tune --kernel $k --shape $shape --device opencl:0 --strategy random \
  --budget 2 --cache "$c" -q > /dev/null 2>&1
check "the hook kills the run (status 137)" test $? -eq 137
check "the cache ends with an attempting record" sh -c "tail -1 '$c' | grep -q '^attempting,'"
check "the header names device, kernel, shape and source hash" \
  sh -c "grep -q '^# device: opencl ' '$c' && grep -q '^# kernel: $k' '$c' && grep -q '^# source-hash: ' '$c'"
SUBQUAD_TUNEDB="$work/db.csv" "$SUBQUAD" tune --kernel $k --shape $shape --device opencl:0 --strategy random \
  --budget 2 --cache "$c" --resume -q > "$work/out" 2>&1
check "the resumed run exits 0" test $? -eq 0
check "nothing was measured again (2 from the cache)" grep -q 'evaluations: 2 (0 measured, 2 from the cache)' "$work/out"
check "one ok and one crashed record" test "$(grep -c '^ok,' "$c")" -eq 1 -a "$(grep -c '^crashed,' "$c")" -eq 1
okcfg=$(grep '^ok,' "$c" | cut -d, -f2,3 | sed 's/^\([0-9]*\),\([0-9]*\)$/RC_COLS=\1;RC_TSTEP=\2/')
check "best = the ok record ($okcfg)" grep -q "best (lowest ok record of the cache): $okcfg:" "$work/out"
check "a side-by-side speedup is printed" grep -q 'side by side: best .* ms, default .* speedup' "$work/out"
check "the best went to the database" grep -q "^opencl,.*,$k,f32,1,\"T~64,D=16,DV=16,feature=identity,normalize=0\",$okcfg," "$work/db.csv"
SUBQUAD_TUNEDB="$work/db.csv" "$SUBQUAD" tune --show > "$work/show" 2>&1
check "--show lists the entry" grep -q "$k" "$work/show"
# Continuing in a fresh process (issue 10, item 9), forced every 2
# measured evaluations by the test hook: the device is opened again by
# each process, the summary counts every evaluation once.
c2="$work/recycle.csv"
SUBQUAD_TUNE_RECYCLE_AFTER=2 "$SUBQUAD" tune --kernel $k --shape $shape --device opencl:0 --strategy random \
  --budget 5 --cache "$c2" --no-save > "$work/rout" 2> "$work/rerr"
check "a recycled tune exits 0" test $? -eq 0
check "it continued in a fresh process twice" test "$(grep -c '^continuing in a fresh process' "$work/rerr")" -eq 2
check "the summary counts 5 measured, 0 from the cache" grep -q 'evaluations: 5 (5 measured, 0 from the cache)' "$work/rout"
check "the space is printed once" test "$(grep -c '^space of' "$work/rout")" -eq 1
n=$(grep -v '^#' "$c2" | grep -v '^status,' | grep -v '^attempting,' | cut -d, -f2- | cut -d, -f1,2 | sort -u | wc -l)
r=$(grep -v '^#' "$c2" | grep -v '^status,' | grep -c -v '^attempting,')
check "5 configurations in the cache, each once ($n unique, $r records)" test "$n" -eq 5 -a "$r" -eq 5
expect_error "a cache of another kernel is refused" 2 "written for" -- tune --kernel linear_attn.causal_chunked \
  --shape $shape --device opencl:0 --cache "$c" --resume
expect_error "unknown kernel" 2 "unknown kernel 'nope'" -- tune --kernel nope --shape $shape
expect_error "bad shape" 2 "--shape" -- tune --kernel $k --shape T=abc
tap_done

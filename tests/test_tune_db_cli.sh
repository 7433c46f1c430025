#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Tuning databases from elsewhere are checked on load (issue 10, item 7):
# a parameter --param would refuse (SPLIT=0 divided by zero in the planner,
# 99999999999 wrapped) makes `tune --show` exit 2 with one line
# "FILE:LINE: PARAM: what"; `tune` refuses such a --db before any work (no
# cache written); `run` warns with the same line and runs the defaults
# (before the fix it ran SPLIT=0 and failed verification).
. "$top_srcdir/tests/tap.sh"
work=$(mktemp -d /tmp/sq_tune_db_cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
header="backend,device,arch,vendor,kernel,dtype,causal,D,DV,T_bucket,params,time_ms,default_ms,shape,date"
ocl="opencl,pthread-skylake-avx512-AMD EPYC,pocl-cpu-skylake-avx512,AuthenticAMD"
row() { # row FILE KERNEL CAUSAL PARAMS
  printf '%s\n%s,%s,f32,%s,16,16,64,%s,1,2,"B=1,H=1,T=64,D=16,DV=16",2026-11-28\n' "$header" "$ocl" "$2" "$3" "$4" > "$1"
}
row "$work/split0.csv" linear_attn.noncausal 0 "SPLIT=0"
row "$work/wrap.csv" linear_attn.noncausal 0 "SPLIT=99999999999"
row "$work/flash.csv" softmax_attn.flash 1 "FL_BM=16;FL_SPLIT=0"
row "$work/frac.csv" linear_attn.causal_chunked 1 "CHUNK=2.9"

expect_error "--show: SPLIT=0" 2 "^subquad tune: $work/split0.csv:2: SPLIT: '0' is not a positive integer" -- \
  tune --show --db "$work/split0.csv"
expect_error "--show: 99999999999" 2 "$work/wrap.csv:2: SPLIT: '99999999999' is not a positive integer" -- \
  tune --show --db "$work/wrap.csv"
expect_error "--show: FL_SPLIT=0 (the flash check divided by it)" 2 "$work/flash.csv:2: FL_SPLIT: '0'" -- \
  tune --show --db "$work/flash.csv"
expect_error "--show: CHUNK=2.9" 2 "$work/frac.csv:2: CHUNK: '2.9'" -- tune --show --db "$work/frac.csv"
err=$(SUBQUAD_TUNEDB="$work/split0.csv" "$SUBQUAD" tune --show 2>&1 >/dev/null); st=$?
check "--show of a bad \$SUBQUAD_TUNEDB exits 2 ($err)" test $st -eq 2
"$SUBQUAD" tune --show > "$work/show" 2>&1
check "the shipped database still loads" grep -q 'shipped database (built in): [1-9][0-9]* entr' "$work/show"

if ! "$SUBQUAD" devices 2>/dev/null | grep -q '^opencl:0 .*pthread-skylake-avx512-AMD EPYC'; then
  skip "run and tune with a bad database on opencl:0" "opencl:0 is not the PoCL device these rows name"
  tap_done
  exit $?
fi
SUBQUAD_TUNEDB="$work/split0.csv" "$SUBQUAD" run --kernel linear_attn.noncausal --noncausal \
  --shape B=1,H=1,T=64,D=16 --device opencl:0 --no-peaks -o "$work/r.csv" > "$work/run.out" 2> "$work/run.err"
st=$?
check "run with a SPLIT=0 database exits 0 (status $st)" test $st -eq 0
check "run warns with the database's line" grep -q "warning: tuning database: $work/split0.csv:2: SPLIT: '0'" "$work/run.err"
check "run used the defaults (SPLIT=1024), verified" grep -q 'SPLIT=1024' "$work/r.csv"
expect_error "tune refuses a bad --db before any work" 2 "$work/split0.csv:2: SPLIT: '0'" -- \
  tune --kernel linear_attn.noncausal --noncausal --shape B=1,H=1,T=64,D=16 --device opencl:0 \
  --budget 1 --cache "$work/c.csv" --db "$work/split0.csv" -q
check "no cache was written" test ! -e "$work/c.csv"
expect_error "tune refuses a --db that is the --cache" 2 "are the same file" -- \
  tune --kernel linear_attn.noncausal --noncausal --shape B=1,H=1,T=64,D=16 --device opencl:0 \
  --budget 1 --cache "$work/same.csv" --db "$work/./same.csv" -q
tap_done

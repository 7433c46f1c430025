#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# subquad devices: lists opencl:0 (where OpenCL is built and PoCL is
# present) and cpu, in table and csv form with the host topology; --device
# picks one; unknown or malformed device names and bad flags give one line
# and exit 2; a missing CUDA driver is not an error; --peaks adds the vendor
# GEMM's rate where CLBlast loads and n/a where it does not.
. "$top_srcdir/tests/tap.sh"
tmp=${TMPDIR:-/tmp}/sq_devices.$$
trap 'rm -f "$tmp".*' EXIT

SUBQUAD_CUDA_LIBRARY=/nonexistent/libcuda.so.1 "$SUBQUAD" devices >"$tmp.out" 2>"$tmp.err"; st=$?
if [ $st -eq 0 ] && [ ! -s "$tmp.err" ]; then ok "devices exits 0 with no driver for CUDA"; else not_ok "devices: status $st, stderr: $(cat "$tmp.err")"; fi
check "table lists cpu" grep -q '^cpu ' "$tmp.out"
check "table shows the host topology" grep -q '^host topology (.*): .* cores, .* PUs, .* NUMA node' "$tmp.out"
if grep -q 'SQ_HAVE_OPENCL 1' "$(dirname "$SUBQUAD")/config.h" "$top_srcdir/config.h" 2>/dev/null && command -v clinfo >/dev/null && clinfo -l 2>/dev/null | grep -q Device; then
  check "table lists opencl:0" grep -q '^opencl:0 ' "$tmp.out"
  "$SUBQUAD" devices --device opencl:0 --format csv >"$tmp.csv" 2>"$tmp.err"; st=$?
  if [ $st -eq 0 ] && [ "$(wc -l <"$tmp.csv")" -eq 2 ] && grep -q '^opencl:0,opencl,' "$tmp.csv"; then
    ok "--device opencl:0 --format csv: header and one row"
  else
    not_ok "--device opencl:0 --format csv (status $st): $(cat "$tmp.csv" "$tmp.err")"
  fi
  # The GEMM peak (last column): CLBlast's rate where it loads, n/a where not.
  gemm_col() { "$SUBQUAD" devices --device opencl:0 --peaks --format csv 2>"$tmp.err" | awk -F, 'NR == 1 { print $NF } NR == 2 { print $NF }' | tr '\n' ' '; }
  g=$(SUBQUAD_CLBLAST_LIBRARY=/nonexistent/libclblast.so.1 gemm_col)
  check "--peaks without a vendor BLAS: peak_gemm_gflops is n/a ($g)" test "$g" = "peak_gemm_gflops n/a "
  g=$(gemm_col)
  have_clblast=
  for f in /usr/lib/*/libclblast.so.1 /usr/lib/libclblast.so.1 /usr/local/lib/libclblast.so.1; do
    [ -e "$f" ] && have_clblast=1
  done
  if [ -n "$have_clblast" ]; then
    check "--peaks with CLBlast: a GEMM rate ($g)" sh -c 'printf "%s" "$1" | grep -Eq "^peak_gemm_gflops [0-9]+[.][0-9] $"' _ "$g"
  else
    skip "--peaks with CLBlast: a GEMM rate" "CLBlast is not installed (apt-get install libclblast-dev)"
  fi
else
  skip "table lists opencl:0" "no OpenCL device here"
  skip "--device opencl:0 --format csv" "no OpenCL device here"
  skip "--peaks without a vendor BLAS: peak_gemm_gflops is n/a" "no OpenCL device here"
  skip "--peaks with CLBlast: a GEMM rate" "no OpenCL device here"
fi
"$SUBQUAD" devices --format csv >"$tmp.csv" 2>/dev/null
check "csv header names the columns" grep -q '^id,backend,name,vendor,driver,platform,arch,' "$tmp.csv"
check "csv has the cpu row" grep -q '^cpu,cpu,' "$tmp.csv"
"$SUBQUAD" devices --device cpu --peaks >"$tmp.pk" 2>"$tmp.err"; st=$?
if [ $st -eq 0 ] && grep -Eq '^cpu +[0-9.]+ +n/a +[0-9.]+ +n/a +[0-9.]+' "$tmp.pk"; then
  ok "--peaks on cpu prints measured GB/s, GFLOP/s, Gexp/s"
else
  not_ok "--peaks on cpu (status $st): $(cat "$tmp.pk" "$tmp.err")"
fi
check "--help prints usage" sh -c '"$SUBQUAD" devices --help | grep -q "usage: subquad devices"'
expect_error "unknown device" 2 "unknown device 'opencl:9' (have: .*cpu" -- devices --device opencl:9
expect_error "malformed device name" 2 "malformed device name 'opencl:x'" -- devices --device opencl:x
SUBQUAD_CUDA_LIBRARY=/nonexistent/libcuda.so.1; export SUBQUAD_CUDA_LIBRARY
expect_error "cuda:0 without a driver" 2 "unknown device 'cuda:0'" -- devices --device cuda:0
expect_error "bad flag" 2 "unknown option '--bogus'" -- devices --bogus
expect_error "bad format" 2 "--format: 'xml' is not table, csv or json" -- devices --format xml
expect_error "missing value" 2 "--device needs a value" -- devices --device
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `subquad seqpar` end to end (issue 18): the bad-flag errors; one process
# (a fleet of one, the build without MPI's only case); and, with MPI built
# and a launcher present, P = 2 and 3 ranks over T not a multiple of P,
# every method's output compared with the single device's and verified,
# the CSV with a row per (method, rank) and weak/strong scaling with plots.
. "$top_srcdir/tests/tap.sh"
tmp=${TMPDIR:-/tmp}/subquad-seqpar-$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

expect_error "no --kernel" 2 "--kernel is required" -- seqpar --T 100
expect_error "no --T" 2 "--T is required" -- seqpar --kernel linear_attn.gla.chunked
expect_error "--T not a number" 2 "--T" -- seqpar --kernel linear_attn.gla.chunked --T 1k
expect_error "unknown kernel" 2 "unknown kernel 'nope'" -- seqpar --kernel nope --T 100
expect_error "a kernel without state" 2 "no state in/out" -- seqpar --kernel linear_attn.causal_chunked --T 100
expect_error "T in --shape" 2 "give the tokens with --T" -- seqpar --kernel linear_attn.gla.chunked --T 100 --shape B=1,T=5,D=32
expect_error "bad method" 2 "--methods: 'scan' is not a method" -- seqpar --kernel linear_attn.gla.chunked --T 100 --methods ring,scan
expect_error "method twice" 2 "'ring' given twice" -- seqpar --kernel linear_attn.gla.chunked --T 100 --methods ring,ring
expect_error "bad --scaling" 2 "--scaling: 'wide'" -- seqpar --kernel linear_attn.gla.chunked --T 100 --scaling wide
expect_error "--blocks 0" 2 "--blocks" -- seqpar --kernel linear_attn.gla.chunked --T 100 --blocks 0
expect_error "unknown flag" 2 "unknown option '--bogus'" -- seqpar --kernel linear_attn.gla.chunked --T 100 --bogus
expect_error "-o into a missing folder" 2 "^subquad seqpar: -o " -- seqpar --kernel linear_attn.gla.chunked --T 100 \
  -o "$tmp/no/such/dir/x.csv"
expect_error "the cpu device" 2 "--device cpu: seqpar runs kernels" -- seqpar --kernel linear_attn.gla.chunked --T 100 --device cpu
expect_error "an unknown device" 2 "nosuch" -- seqpar --kernel linear_attn.gla.chunked --T 100 --device nosuch:0
"$SUBQUAD" seqpar --help > "$tmp/help.txt"
check "--help exits 0 and lists the methods" grep -q "allgather, allscan, ring" "$tmp/help.txt"

# One process: P = 1, every method verified against the single device.
"$SUBQUAD" seqpar --kernel linear_attn.gla.chunked --T 333 --shape B=1,H=2,D=32 --repeat 1 -q \
  -o "$tmp/one.csv" > "$tmp/one.txt"
check "P=1 exits 0" test $? -eq 0
check "P=1: three methods verified" sh -c "test \$(grep -c 'verified yes' '$tmp/one.txt') -eq 3"
check "P=1: CSV header and metadata" sh -c "head -1 '$tmp/one.csv' | grep -qx '# subquad-seqpar 1' && grep -q '^# P: 1' '$tmp/one.csv'"
check "P=1: single-device row" grep -q '^main,0,333,single,' "$tmp/one.csv"

mpirun=$(command -v mpirun || command -v mpiexec)
mpi=""
if grep -q "^#define SQ_HAVE_MPI 1" "$top_builddir/config.h" && [ -n "$mpirun" ]; then mpi=yes; fi
run_np() { # run_np P ARGS...: subquad under the launcher with P ranks
  np=$1; shift
  if "$mpirun" --version 2> /dev/null | grep -q "Open MPI"; then
    "$mpirun" --allow-run-as-root --oversubscribe -np "$np" "$SUBQUAD" "$@"
  else
    "$mpirun" -np "$np" "$SUBQUAD" "$@"
  fi
}
for np in 2 3; do
  # T = 1001 is not a multiple of 2 or 3; decay at P=3 (B, H > 1 and DV != D).
  if [ "$np" = 2 ]; then k=linear_attn.gla.chunked; shape=B=1,H=2,D=32; else k=linear_attn.decay.chunked; shape=B=2,H=2,D=32,DV=48; fi
  if [ -z "$mpi" ]; then
    for what in "exits 0" "all three methods verified" "a CSV row per (method, rank)" "ranks' tokens sum to T"; do
      skip "P=$np: $what" "built without MPI"
    done
    continue
  fi
  run_np "$np" seqpar --kernel $k --shape $shape --T 1001 --repeat 1 -q -o "$tmp/p$np.csv" > "$tmp/p$np.txt" 2> "$tmp/p$np.err"
  st=$?
  check "P=$np: exits 0" test "$st" -eq 0
  check "P=$np: all three methods verified" sh -c "test \$(grep -c 'verified yes' '$tmp/p$np.txt') -eq 3"
  n=$(grep -c "^main,$np,1001,[a-z]*,[0-9]," "$tmp/p$np.csv" 2> /dev/null)
  check "P=$np: a CSV row per (method, rank) ($n)" test "$n" -eq $((3 * np))
  sum=$(awk -F, -v p="$np" '$1 == "main" && $2 == p && $4 == "ring" { s += $6 } END { print s }' "$tmp/p$np.csv" 2> /dev/null)
  check "P=$np: ranks' tokens sum to T ($sum)" test "$sum" = 1001
done

if [ -n "$mpi" ]; then
  # Past ~15000 tokens GLA's weights underflow and the fix-up stops there:
  # a rank's slice longer than that, every method checked on both sides.
  run_np 2 seqpar --kernel linear_attn.gla.chunked --shape B=1,H=1,D=16 --T 40001 --repeat 1 -q > "$tmp/long.txt" 2>&1
  check "P=2, T=40001 (the fix-up's stop): three methods verified" sh -c "test \$(grep -c 'verified yes' '$tmp/long.txt') -eq 3"
  # --rerun: the ranks after the first run their slice again instead.
  run_np 3 seqpar --kernel linear_attn.gla.chunked --shape B=1,H=2,D=32 --T 1001 --repeat 1 --rerun -q > "$tmp/rerun.txt" 2>&1
  check "P=3 --rerun: three methods verified" sh -c "test \$(grep -c 'verified yes' '$tmp/rerun.txt') -eq 3"
  run_np 2 seqpar --kernel linear_attn.gla.chunked --shape B=1,H=1,D=32 --T 600 --repeat 1 -q --scaling both \
    --methods allscan,ring --blocks 4 -o "$tmp/sc.csv" --plot "$tmp/plots" > "$tmp/sc.txt" 2> "$tmp/sc.err"
  check "--scaling both exits 0" test $? -eq 0
  check "weak scaling rows for P'=1 and 2" sh -c "grep -q '^weak,1,300,allscan,0,' '$tmp/sc.csv' && grep -q '^weak,2,600,allscan,1,' '$tmp/sc.csv'"
  check "strong scaling rows for P'=1 and 2" sh -c "grep -q '^strong,1,600,ring,0,' '$tmp/sc.csv' && grep -q '^strong,2,600,ring,1,' '$tmp/sc.csv'"
  check "plot data and scripts" sh -c "test -s '$tmp/plots/weak.dat' && test -s '$tmp/plots/strong.gp'"
  expect_error_np() { # a usage error under the launcher: exit 2, one line from rank 0
    err=$(run_np 2 "$@" 2>&1 > /dev/null | grep "subquad seqpar")
    [ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] && printf '%s' "$err" | grep -q "fewer tokens than the 2 ranks"
  }
  check "P=2, T=1: one line, fewer tokens than ranks" expect_error_np seqpar --kernel linear_attn.gla.chunked --T 1
else
  skip "P=2, T=40001 (the fix-up's stop)" "built without MPI"
  skip "P=3 --rerun" "built without MPI"
  for what in "--scaling both exits 0" "weak scaling rows" "strong scaling rows" "plot data and scripts" "T < P"; do
    skip "$what" "built without MPI"
  done
fi
tap_done

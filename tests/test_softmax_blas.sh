#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# softmax_attn.blas on the default device: the vendor's batched GEMMs
# (CLBlast here) around subquad's row softmax, verified against the
# softmax reference for causal and non-causal rows at shapes no tile
# divides (T odd, D != DV, B*H > 1, T = 1, head dims 256) and every
# softmax work-group size; a missing library makes a skipped row naming
# it, never a failure; a dtype the GEMM is not called in is refused in
# one line.
. "$top_srcdir/tests/tap.sh"
tmp=${TMPDIR:-/tmp}/subquad-blas-$$
mkdir -p "$tmp"
K=softmax_attn.blas

# status and reason of row 1 of a result file
row() { awk -F, '!/^#/ && $1 == "1" { print }' "$1"; }

"$SUBQUAD" run --kernel $K --shape B=1,H=1,T=8,D=4 --verify-only --no-peaks -q -o "$tmp/probe.csv" > /dev/null 2>&1
if row "$tmp/probe.csv" | grep -q "no CLBlast"; then
  skip "softmax_attn.blas verified on the device" "CLBlast is not installed (apt-get install libclblast-dev)"
else
  for shape in B=2,H=3,T=257,D=40,DV=24 B=1,H=1,T=1,D=1 B=1,H=2,T=100,D=256,DV=256 B=1,H=1,T=513,D=64; do
    for mode in --causal --noncausal; do
      "$SUBQUAD" run --kernel $K --shape $shape $mode --verify-only --no-peaks -q -o "$tmp/r.csv" > "$tmp/out" 2>&1
      check "$shape $mode verified" sh -c "awk -F, '!/^#/ && \$1 == \"1\"' '$tmp/r.csv' | grep -q ',ok,,full,'"
    done
  done
  for wg in 32 256; do
    "$SUBQUAD" run --kernel $K --shape B=1,H=2,T=300,D=32 --param NV_SMWG=$wg --verify-only --no-peaks -q \
      -o "$tmp/w.csv" > /dev/null 2>&1
    check "NV_SMWG=$wg verified" sh -c "awk -F, '!/^#/ && \$1 == \"1\"' '$tmp/w.csv' | grep -q ',ok,,full,'"
  done
fi

SUBQUAD_CLBLAST_LIBRARY=$tmp/no-such-lib.so "$SUBQUAD" run --kernel $K --shape B=1,H=1,T=8,D=4 --no-peaks -q \
  -o "$tmp/miss.csv" > /dev/null 2>&1
st=$?
check "a missing CLBlast: exit 0 ($st)" test $st -eq 0
check "... and a skipped row naming the library" sh -c "awk -F, '!/^#/ && \$1 == \"1\"' '$tmp/miss.csv' | grep -q 'skipped,\"*unsupported: no CLBlast: .*no-such-lib.so'"
expect_error "f16 refused" 2 "dtype f16: the vendor GEMM is called in f32 only" -- \
  run --kernel $K --shape B=1,H=1,T=8,D=4 --dtype f16

rm -rf "$tmp"
tap_done

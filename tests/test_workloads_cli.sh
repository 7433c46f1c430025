#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `subquad workloads`: every paper of the reading list appears in the CSV
# listing (with workloads or a reason), from any directory, each row with its
# op and canonical shape; suites list with predictions; bad flags and
# malformed catalog files (shapes included) exit 2 with one line naming the
# problem (file:line: column: what).
. "$top_srcdir/tests/tap.sh"
data="$top_srcdir/tests/data"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if (cd / && "$SUBQUAD" workloads --format csv >"$tmp/all.csv" 2>"$tmp/err"); then
  ok "workloads --format csv runs from another directory"
else
  not_ok "workloads --format csv runs from another directory ($(cat "$tmp/err"))"
fi
missing=""
# The short names are the first column of the catalog's papers file.
for p in $(tail -n +2 "$top_srcdir/workloads/catalog/papers.csv" | cut -d, -f1); do
  grep -q "^$p," "$tmp/all.csv" || missing="$missing $p"
done
n=$(tail -n +2 "$top_srcdir/workloads/catalog/papers.csv" | wc -l)
if [ -z "$missing" ] && [ "$n" -eq 53 ]; then ok "all $n papers appear in the CSV"
else not_ok "papers missing from the CSV:$missing"; fi
if grep -q '^AR-Net,.*no workload.*no kernel workload' "$tmp/all.csv"; then
  ok "a paper without a kernel workload is listed with its reason"
else not_ok "AR-Net should be listed with its reason"; fi
if grep -q 'pending kernel' "$tmp/all.csv"; then ok "pending-kernel rows are listed"
else not_ok "no pending-kernel row in the listing"; fi
if head -1 "$tmp/all.csv" | grep -q '^paper,title,workload,domain,family,operator,op,kernel,status,causal,calls,shape,catalog_shape,tokens,'; then
  ok "the CSV has op, calls, shape and catalog_shape columns"
else not_ok "CSV header: $(head -1 "$tmp/all.csv")"; fi
# A runnable row: the canonical shape of the case it runs; the catalog's own text.
if grep -q '^Swin,.*,swin/swin-t-224.s1,.*,local_attn.window_2d,local_attn.window_2d.flash,[a-z ]*,0,1,"B=64,H=3,D=32,DV=32,grid=56x56,win=7x7,shift=3x3,scale=0.176776695,has_rpb=1","B=64,H=3,D=32,grid=56x56,win=7x7,shift=3x3,has_rpb=1",3136,' "$tmp/all.csv"; then
  ok "a windowed row runs local_attn.window_2d.flash and shows its canonical shape: grid, window, shift, bias and the grid's tokens"
else not_ok "swin-t-224.s1: $(grep swin-t-224.s1 "$tmp/all.csv")"; fi
# A pending:ssd row, resolved to the op's kernel: validated and shown in its
# op's axes, defaults included (its status is the device's prediction).
if grep -q ',ssm.ssd,ssm.ssd.chunked,[a-z ]*,1,1,"B=1,T=103000,H=16,P=128,G=8,N=128,dt_softplus=1,has_z=0,state=0","B=assumed:1,T=103000,H=assumed:16,P=assumed:128,G=assumed:8,N=assumed:128",103000,' "$tmp/all.csv"; then
  ok "a pending:ssd row runs ssm.ssd.chunked and shows its canonical shape in its op's axes"
else not_ok "mmmamba row: $(grep mmmamba-linear "$tmp/all.csv")"; fi
"$SUBQUAD" workloads --paper Swin >"$tmp/swin.txt" 2>/dev/null
if grep -q 'swin/swin-t-coco-1333x800-mask-r-cnn.s1 .* B=~2,H=3,D=32,grid=203x336,win=7x7,shift=3x3,has_rpb=1 ' "$tmp/swin.txt"; then
  ok "the table shows the shape as written, assumed values marked ~"
else not_ok "table: $(grep coco-1333x800-mask-r-cnn.s1 "$tmp/swin.txt")"; fi

"$SUBQUAD" workloads --suite quick --format csv >"$tmp/quick.csv" 2>/dev/null
rows=$(tail -n +2 "$tmp/quick.csv" | wc -l)
if [ "$rows" -ge 30 ] && ! tail -n +2 "$tmp/quick.csv" | grep -qv '^quick,'; then
  ok "the quick suite lists $rows cases"
else not_ok "the quick suite lists $rows cases"; fi

start=$(date +%s)
"$SUBQUAD" workloads --suite scaling --format csv >"$tmp/scaling.csv" 2>/dev/null
end=$(date +%s)
if grep -q '^scaling,,,softmax_attn.flash,softmax_attn,1,1,1,8388608,64,64,8388608,[0-9]*,[0-9.e+]*,skip,' \
    "$tmp/scaling.csv"; then
  ok "softmax at 8M tokens is planned as skipped with a prediction"
else not_ok "softmax at 8M tokens should be skipped"; fi
if [ $((end - start)) -le 2 ]; then ok "the scaling suite is planned in $((end - start)) s"
else not_ok "planning the scaling suite took $((end - start)) s"; fi

# Each sub-quadratic row is followed by softmax at the same B, H, T, D, DV and
# mode; over the case limit it is planned as skipped with its prediction.
"$SUBQUAD" workloads --suite papers --format csv --max-case-seconds 0.01 >"$tmp/papers.csv" 2>/dev/null
if grep -A1 '^papers,l2vit/l2vit-t-224-lga.s1,L2ViT,linear_attn.noncausal,' "$tmp/papers.csv" |
    grep -q '^papers,l2vit/l2vit-t-224-lga.s1,L2ViT,softmax_attn.flash,softmax_attn,0,64,3,3136,32,32,200704,[0-9]*,[0-9.e+]*,skip,"predicted [^>]*> 10 ms'; then
  ok "the papers suite lists a linear row's softmax baseline, skipped with a prediction"
else not_ok "baseline of l2vit-t-224-lga.s1: $(grep l2vit-t-224-lga.s1, "$tmp/papers.csv")"; fi

"$SUBQUAD" workloads --paper Swin --format csv >"$tmp/swin.csv" 2>/dev/null
if [ "$(tail -n +2 "$tmp/swin.csv" | grep -vc '^Swin,')" -eq 0 ] && [ "$(wc -l <"$tmp/swin.csv")" -gt 20 ]; then
  ok "--paper Swin lists only Swin's rows"
else not_ok "--paper Swin"; fi

out=$("$SUBQUAD" workloads --catalog "$data/workloads_good.csv" --suite papers --format csv 2>/dev/null | tail -n +2 | wc -l)
# Two Swin rows, and the pending selective-scan row (now run by its op's
# kernel) with its softmax baseline.
if [ "$out" -eq 4 ]; then ok "--catalog FILE replaces the catalog (4 cases)"
else not_ok "--catalog FILE: $out cases, want 4"; fi

expect_error "malformed catalog: negative" 2 "workloads_negative.csv:3: shape: T=-49 must be at least 1" -- \
  workloads --catalog "$data/workloads_negative.csv"
expect_error "malformed catalog: duplicate" 2 "workloads_duplicate.csv:4: name: 'ok/one' already used" -- \
  workloads --catalog "$data/workloads_duplicate.csv"
expect_error "malformed catalog: missing column" 2 "workloads_missing_column.csv:1: shape: missing column" -- \
  workloads --catalog "$data/workloads_missing_column.csv"
expect_error "malformed catalog: non-numeric" 2 "workloads_non_numeric.csv:3: shape: H='three'" -- \
  workloads --catalog "$data/workloads_non_numeric.csv"
expect_error "malformed catalog: absurd" 2 "workloads_absurd.csv:3: shape: batch x tokens = .* is absurd" -- \
  workloads --catalog "$data/workloads_absurd.csv"
expect_error "malformed catalog: unknown shape key" 2 "workloads_shape_unknown_key.csv:3: shape: unknown key 'N'" -- \
  workloads --catalog "$data/workloads_shape_unknown_key.csv"
expect_error "malformed catalog: pending row's missing key" 2 "workloads_shape_missing.csv:3: shape: D is missing" -- \
  workloads --catalog "$data/workloads_shape_missing.csv"
expect_error "malformed catalog: op check" 2 "workloads_shape_check.csv:3: shape: D=24 is not a multiple of G=5" -- \
  workloads --catalog "$data/workloads_shape_check.csv"
expect_error "missing catalog file" 2 "/nonexistent.csv: cannot open" -- workloads --catalog /nonexistent.csv
expect_error "unknown suite" 2 "unknown suite 'bogus'" -- workloads --suite bogus
expect_error "bad format" 2 "--format: 'xml'" -- workloads --format xml
expect_error "bad max-case-seconds" 2 "--max-case-seconds" -- workloads --max-case-seconds soon
expect_error "unknown paper" 2 "--paper: 'NoSuchPaper'" -- workloads --paper NoSuchPaper
expect_error "unknown device" 2 "--device" -- workloads --device opencl:99
expect_error "stray argument" 2 "unexpected argument 'extra'" -- workloads extra
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every bad input to `subquad run` gets one line on stderr naming what is
# wrong and exit status 2, before any device work; an output file that
# already exists is left as it was.
. "$top_srcdir/tests/tap.sh"
K=linear_attn.causal_chunked
S=B=1,H=1,T=64,D=64
expect_error "unknown kernel" 2 "unknown kernel 'nope'" -- run --kernel nope --shape $S
expect_error "unknown command" 2 "unknown command 'frobnicate'" -- frobnicate
expect_error "malformed shape (no '=')" 2 "not KEY=VALUE" -- run --kernel $K --shape B1,T=64,D=64
expect_error "unknown shape key" 2 "unknown key 'X'" -- run --kernel $K --shape B=1,X=2,T=64,D=64
expect_error "non-numeric size" 2 "T='abc' is not an integer" -- run --kernel $K --shape T=abc,D=64
expect_error "zero size" 2 "T=0 must be at least 1" -- run --kernel $K --shape T=0,D=64
expect_error "negative size" 2 "B=-2 must be at least 1" -- run --kernel $K --shape B=-2,T=64,D=64
expect_error "head dim too large" 2 "D=512 is larger than the maximum 256" -- run --kernel $K --shape T=64,D=512
expect_error "huge size" 2 "T=99999999999 is larger than the maximum" -- run --kernel $K --shape T=99999999999,D=64
expect_error "huge product" 2 "over the limit" -- run --kernel $K --shape B=1048576,H=1048576,T=4096,D=64
expect_error "missing T" 2 "T is missing (linear_attn keys: B, H, T, D, DV, feature, normalize)" -- run --kernel $K --shape B=1,D=64
expect_error "duplicate key" 2 "T is given twice" -- run --kernel $K --shape T=4,T=5,D=64
expect_error "unknown device" 2 "opencl:99" -- run --kernel $K --shape $S --device opencl:99
expect_error "malformed device" 2 "gpu0" -- run --kernel $K --shape $S --device gpu0
expect_error "unknown parameter" 2 "no parameter 'NOPE'" -- run --kernel $K --shape $S --param NOPE=4
expect_error "non-numeric parameter" 2 "is not a positive integer" -- run --kernel $K --shape $S --param CHUNK=big
expect_error "unknown dtype" 2 "unknown dtype 'f8'" -- run --kernel $K --shape $S --dtype f8
expect_error "unknown mode" 2 "'warm' is not a mode" -- run --kernel $K --shape $S --mode warm
expect_error "unknown option" 2 "unknown option '--frob'" -- run --kernel $K --shape $S --frob
expect_error "missing option value" 2 "needs a value" -- run --kernel $K --shape
expect_error "causal-only kernel asked non-causal" 2 "has no non-causal form" -- run --kernel $K --shape $S --noncausal
expect_error "unknown suite" 2 "nope" -- run --suite nope
expect_error "suite parameter no kernel has" 2 "no kernel of the selected cases has 'NOPE=4'" -- run --suite quick --param NOPE=4
expect_error "parameter for no such kernel" 2 "'no.such' is not a kernel" -- run --suite quick --param no.such:CHUNK=32
expect_error "a kernel's parameter it does not have" 2 "no kernel of the selected cases has 'linear_attn.noncausal:CHUNK=32'" -- \
  run --suite quick --param linear_attn.noncausal:CHUNK=32
expect_error "kernel without shape" 2 "needs --shape" -- run --kernel $K
expect_error "bad timeout" 2 "--timeout" -- run --kernel $K --shape $S --timeout soon
expect_error "zero rounds" 2 "--rounds" -- run --kernel $K --shape $S --rounds 0

tmp=${TMPDIR:-/tmp}/subquad-cli-$$
mkdir -p "$tmp"
echo "precious" > "$tmp/keep.csv"
"$SUBQUAD" run --kernel $K --shape T=0,D=64 -o "$tmp/keep.csv" 2>/dev/null
check "a failed run leaves an existing output file untouched" grep -qx precious "$tmp/keep.csv"
expect_error "output in a missing folder" 2 "$tmp/missing/out.csv" -- run --kernel $K --shape $S --no-peaks -o "$tmp/missing/out.csv"

# Issue 10 item 8: -o naming a directory failed (exit 1) only after all the
# work. Every bad output is now refused at once: one line, exit 2, and no
# "measuring peaks" or progress line before it.
expect_error "-o an existing directory, before any work" 2 "^subquad run: -o $tmp: is a directory" -- \
  run --kernel $K --shape $S -o "$tmp"
expect_error "-o under a plain file" 2 "-o $tmp/keep.csv/out.csv: " -- run --kernel $K --shape $S -o "$tmp/keep.csv/out.csv"
long=$(printf '%0300d' 0)
expect_error "-o with a file name over the system's limit" 2 "file name of 304 characters is longer" -- \
  run --kernel $K --shape $S -o "$tmp/$long.csv"
expect_error "--dump under a plain file, before any work" 2 "^subquad run: --dump $tmp/keep.csv/d: " -- \
  run --kernel $K --shape $S --dump "$tmp/keep.csv/d"
expect_error "--dump naming a plain file" 2 "is not a directory" -- run --kernel $K --shape $S --dump "$tmp/keep.csv"
check "the refused outputs created nothing" sh -c "ls '$tmp' | tr '\n' ' ' | grep -qx 'keep.csv '"

# Issue 10 item 8: a bad value containing a newline made a two-line error.
nl='
'
expect_error "a value with a newline: one line, escaped" 2 "T='8\\\\nD=64' is not an integer" -- \
  run --kernel $K --shape "T=8${nl}D=64"
expect_error "a kernel name with a newline and a tab: one line" 2 "unknown kernel 'a\\\\nb\\\\tc'" -- \
  run --kernel "a${nl}b	c" --shape $S
expect_error "a usage error with a newline: one line" 2 "'table\\\\ncsv' is not table, csv or json" -- \
  devices --format "table${nl}csv"
# A malformed SUBQUAD_HOST_MEMORY (the planner's host cap) stops every command.
SUBQUAD_HOST_MEMORY=12X
export SUBQUAD_HOST_MEMORY
expect_error "a malformed SUBQUAD_HOST_MEMORY: exit 2, one line" 2 "SUBQUAD_HOST_MEMORY: '12X' is not a size" -- devices
unset SUBQUAD_HOST_MEMORY
rm -rf "$tmp"
tap_done

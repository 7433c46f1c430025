#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# An installed binary reads the shipped tuning database from the data
# folder of its prefix (tuner/db.c): the binary and a database holding one
# distinctive entry for the default device are laid out as `make install`
# lays them out, under a prefix moved elsewhere (relocation); `tune --show`
# names that file, and a run takes its configuration from it while the
# user has none. The binary in the build tree keeps its built-in copy. The
# layout comes from the makefile (sq_prefix, sq_bindir, sq_pkgdatadir).
. "$top_srcdir/tests/tap.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/sq_install.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/moved"
bin="$root${sq_bindir#"$sq_prefix"}"
data="$root${sq_pkgdatadir#"$sq_prefix"}"
mkdir -p "$bin" "$data" "$work/home"
cp "$SUBQUAD" "$bin/subquad"
export HOME="$work/home"
unset XDG_DATA_HOME SUBQUAD_TUNEDB

# One entry for the default device, with a configuration no database ships.
dev=$("$SUBQUAD" devices --format csv | sed -n 2p)
backend=$(echo "$dev" | cut -d, -f2); name=$(echo "$dev" | cut -d, -f3)
arch=$(echo "$dev" | cut -d, -f7); vendor=$(echo "$dev" | cut -d, -f4)
params="CHUNK=16;LA_WY=2;LA_BK=8;LA_BN=32;LA_RUNS=0;SCAN_SEG=128"
# A row lists every tunable: those the entry leaves out at their defaults.
full="$params;LA_VEC=0"
{
  echo "# subquad-tunedb 2: best configuration per device, kernel, dtype and tuning key"
  echo "backend,device,arch,vendor,kernel,dtype,causal,key,params,time_ms,default_ms,shape,date"
  echo "$backend,$name,$arch,$vendor,linear_attn.causal_chunked,f32,1,\"D=64,DV=64,T~256\",$params,1,2,\"B=1,H=1,T=256,D=64,DV=64\",2026-11-29"
} > "$data/tunedb.csv"

"$bin/subquad" tune --show > "$work/show" 2>&1
check "the installed binary shows its prefix's database" grep -q "^shipped database ($data/tunedb.csv): 1 entry" "$work/show"
"$SUBQUAD" tune --show > "$work/show.tree" 2>&1
check "the build tree's binary shows its built-in copy" grep -q '^shipped database (built in)' "$work/show.tree"

case="--kernel linear_attn.causal_chunked --causal --shape B=1,H=1,T=256,D=64 --verify-only -q"
"$bin/subquad" run $case -o "$work/inst.csv" > /dev/null 2>&1
check "the installed binary runs (exit 0)" test $? -eq 0
check "its run takes the installed database's configuration" grep -q ",$full,tuned:device," "$work/inst.csv"
check "its metadata names the installed database" grep -q "^# tunedb: user .*; shipped $data/tunedb.csv" "$work/inst.csv"
"$SUBQUAD" run $case -o "$work/tree.csv" > /dev/null 2>&1
check "the build tree's binary does not read it" sh -c "! grep -q ',$full,' '$work/tree.csv'"
# The user's database comes first.
mkdir -p "$work/home/.local/share/subquad"
sed "s/$params/CHUNK=32;LA_WY=1;LA_BK=16;LA_BN=64;LA_RUNS=1;SCAN_SEG=64/" "$data/tunedb.csv" > "$work/home/.local/share/subquad/tunedb.csv"
"$bin/subquad" run $case -o "$work/user.csv" > /dev/null 2>&1
check "the user's database goes before the installed one" grep -q ',CHUNK=32;LA_WY=1;LA_BK=16;LA_BN=64;LA_RUNS=1;SCAN_SEG=64;LA_VEC=0,tuned:device,' "$work/user.csv"
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `subquad --version` prints the version and the git revision the binary
# was built from (base/revision.h, written at build time by
# base/revision.sh): the source tree's HEAD in a checkout, the revision
# `make dist` recorded in .revision in a tarball, never the HEAD of some
# other repository the tree sits in; the result files carry the same one.
. "$top_srcdir/tests/tap.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/sq_version.XXXXXX")
trap 'rm -rf "$work"' EXIT
script="$top_srcdir/base/revision.sh"

want=$(sh "$script" "$top_srcdir")
v=$("$SUBQUAD" --version)
check "--version exits 0" test $? -eq 0
check "--version prints 'subquad VERSION (REVISION)' ($v)" sh -c "echo '$v' | grep -Eq '^subquad [0-9]+\.[0-9]+\.[0-9]+ \([0-9a-f]{12}\)$'"
check "the revision is the source tree's now ($want)" test "$v" = "subquad ${v#subquad }" -a "${v##* (}" = "$want)"
if [ -f "$top_srcdir/.revision" ]; then
  check "a tarball build takes the revision make dist recorded" test "$want" = "$(cat "$top_srcdir/.revision")"
elif git -C "$top_srcdir" rev-parse HEAD > /dev/null 2>&1; then
  check "a checkout's revision is its HEAD" test "$want" = "$(git -C "$top_srcdir" rev-parse --short=12 HEAD)"
fi

# The script on trees of each kind.
mkdir -p "$work/tarball" "$work/bare"
echo 0123456789ab > "$work/tarball/.revision"
check "a tree with .revision (a tarball)" test "$(sh "$script" "$work/tarball")" = 0123456789ab
check "a tree with neither git nor .revision" test "$(sh "$script" "$work/bare")" = unknown
if command -v git > /dev/null 2>&1; then
  git -C "$work" init -q outer 2>/dev/null && mkdir -p "$work/outer/sub" &&
    git -C "$work/outer" -c user.name=t -c user.email=t@t commit -q --allow-empty -m x 2>/dev/null
  check "a folder inside another repository is not that repository" test "$(sh "$script" "$work/outer/sub")" = unknown
  cp "$work/tarball/.revision" "$work/outer/sub/"
  check "... and reads its own .revision" test "$(sh "$script" "$work/outer/sub")" = 0123456789ab
  check "the top of a repository is its HEAD" test "$(sh "$script" "$work/outer")" = "$(git -C "$work/outer" rev-parse --short=12 HEAD)"
fi

# Result files carry the binary's revision.
"$SUBQUAD" export "$top_srcdir/tests/data/results_run_id.csv" > /dev/null
"$SUBQUAD" run --kernel linear_attn.causal_chunked --shape B=1,H=1,T=64,D=16 --verify-only -q -o "$work/r.csv" > /dev/null 2>&1
check "a result file's git_revision is --version's" grep -q "^# git_revision: $want\$" "$work/r.csv"
tap_done

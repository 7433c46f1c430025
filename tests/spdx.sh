#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# spdx.sh [--fix | --list] [ROOT]: the license line of every source file of the tree
# at ROOT (default: the tree this script is in). Prints the source files
# whose first five lines lack "SPDX-License-Identifier: BSD-3-Clause" and
# exits 1 when there is any; with --fix, adds the line to each of them
# instead (after a #! line; as the comment of the file's language) and
# prints what it changed; with --list, prints every source file.
#
# Source files: C and headers, kernel texts (.sqk .sqh .cl .cuh), shell,
# Python, the autotools files (configure.ac, Makefile.am, */local.mk), the
# man page source, .ci/run. In a git checkout the list is `git ls-files`;
# elsewhere (a tarball) the files under ROOT, without generated ones
# (kernels/sources.c, tuner/db_text.c, workloads/catalog_data.c,
# base/revision.h, config.h), data (tests/data, the fuzz corpora) and other
# build trees (folders with a config.status).
set -u
fix=0 list=0
case ${1:-} in
--fix) fix=1; shift ;;
--list) list=1; shift ;;
esac
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
line="SPDX-License-Identifier: BSD-3-Clause"

# The comment style of a source file, or nothing when it is no source file.
style() {
  case $1 in
  build-aux/* | m4/* | autom4te.cache/* | tests/data/* | tests/fuzz/corpus/* | tests/fuzz/crashes/*) ;;
  kernels/sources.c | tuner/db_text.c | workloads/catalog_data.c | base/revision.h | config.h) ;;
  *.c | *.h | *.sqk | *.sqh | *.cl | *.cuh) echo c ;;
  *.sh | *.py | *.mk | *.bash | Makefile.am | configure.ac | .ci/run) echo hash ;;
  *.1.in) echo roff ;;
  esac
}

files() {
  top=$(git rev-parse --show-toplevel 2>/dev/null)
  if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(pwd -P)" ]; then
    git ls-files
  else
    find . \( -name .git -o -name autom4te.cache \) -prune -o -type d ! -path . -exec test -e '{}/config.status' \; -prune \
      -o -type f -print | sed 's|^\./||'
  fi
}

bad=0
tmp=$(mktemp "${TMPDIR:-/tmp}/sq_spdx.XXXXXX")
trap 'rm -f "$tmp"' EXIT
files | sort > "$tmp.list"
while IFS= read -r f; do
  s=$(style "$f")
  [ -n "$s" ] && [ -f "$f" ] || continue
  [ $list -eq 1 ] && { echo "$f"; continue; }
  head -n 5 "$f" | grep -q "$line" && continue
  if [ $fix -eq 0 ]; then
    echo "$f"
    bad=1
    continue
  fi
  case $s in
  c) text="/* $line */" ;;
  hash) text="# $line" ;;
  roff) text=".\\\" $line" ;;
  esac
  if head -n 1 "$f" | grep -q '^#!'; then
    { head -n 1 "$f"; printf '%s\n' "$text"; tail -n +2 "$f"; } > "$tmp"
  else
    { printf '%s\n' "$text"; cat "$f"; } > "$tmp"
  fi
  cat "$tmp" > "$f"   # keeps the file's mode
  echo "added: $f"
done < "$tmp.list"
rm -f "$tmp.list"
exit $bad

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The layers of the source tree, read from the #include lines: a folder
# includes only itself and the folders below it,
#
#   base < kernels < results < harness < workloads, tuner < reports < commands
#
# (workloads and tuner are peers: neither includes the other). Every project
# include of a source folder names its folder ("kernels/op.h"), so this
# reading sees them all; a folder that is no layer is an error too. The
# command layer is the only one that parses the command line: no file below
# commands/ calls sq_usage_error or defines main(). There is no exceptions
# list. tests/ is no layer: a test includes whatever it exercises.
#
# LAYERING_ROOT names another tree to check (the source tree by default).
. "$top_srcdir/tests/tap.sh"
root=${LAYERING_ROOT:-$top_srcdir}
folders="base kernels results harness workloads tuner reports commands"
tmp=${TMPDIR:-/tmp}/sq_layering.$$
trap 'rm -f "$tmp".*' EXIT

rank() {
  case $1 in
  base) echo 0 ;; kernels) echo 1 ;; results) echo 2 ;; harness) echo 3 ;;
  workloads | tuner) echo 4 ;; reports) echo 5 ;; commands) echo 6 ;;
  *) echo -1 ;;
  esac
}

# The C sources of a folder, one per line (sorted, so reports are stable).
sources() { [ -d "$root/$1" ] && find "$root/$1" -type f \( -name '*.c' -o -name '*.h' \) | sort; }

# FILE:LINE:TEXT of every quoted include naming a folder, for every file
# of every layer.
for f in $folders; do sources "$f"; done >"$tmp.files"
: >"$tmp.includes"
while read -r file; do
  grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"/]*/' "$file" | sed "s|^|${file#"$root"/}:|" >>"$tmp.includes"
done <"$tmp.files"
n=$(grep -c . "$tmp.includes")
if [ "$n" -ge 100 ]; then ok "the scan reads $n include lines of $(grep -c . "$tmp.files") files"
else not_ok "the scan reads only $n include lines: is $root the source tree?"; fi

for f in $folders; do
  r=$(rank "$f")
  if [ ! -d "$root/$f" ]; then
    not_ok "$f/ is missing"
    continue
  fi
  : >"$tmp.bad"
  grep "^$f/" "$tmp.includes" | while IFS= read -r line; do
    # line: FOLDER/FILE:LINE:#include "G/..."
    g=$(printf '%s\n' "$line" | sed 's|^[^:]*:[0-9]*:[^"]*"\([^"/]*\)/.*|\1|')
    [ "$g" = "$f" ] && continue
    rg=$(rank "$g")
    where=$(printf '%s\n' "$line" | sed 's|^\([^:]*:[0-9]*\):\(.*\)$|\1: \2|')
    if [ "$rg" -lt 0 ]; then echo "$where: '$g' is no layer" >>"$tmp.bad"
    elif [ "$rg" -eq "$r" ]; then echo "$where: $g is a peer of $f" >>"$tmp.bad"
    elif [ "$rg" -gt "$r" ]; then echo "$where: $g is a higher layer than $f" >>"$tmp.bad"
    fi
  done
  if [ -s "$tmp.bad" ]; then
    not_ok "$f/ includes a higher or peer layer"
    sed 's/^/#   /' "$tmp.bad"
  else
    ok "$f/ includes only itself and lower layers"
  fi
done

# Command-line code stays in commands/: the usage error and main().
: >"$tmp.cli"
while read -r file; do
  case ${file#"$root"/} in commands/*) continue ;; esac
  grep -n 'sq_usage_error' "$file" | sed "s|^|${file#"$root"/}:|; s|\$| (sq_usage_error outside commands/)|" >>"$tmp.cli"
  grep -nE '^[[:alnum:]_ *]*[[:space:]*]main[[:space:]]*\(' "$file" |
    sed "s|^|${file#"$root"/}:|; s|\$| (main() outside commands/)|" >>"$tmp.cli"
done <"$tmp.files"
if [ -s "$tmp.cli" ]; then
  not_ok "command-line code below commands/"
  sed 's/^/#   /' "$tmp.cli"
else
  ok "no file below commands/ calls sq_usage_error or defines main()"
fi
# The patterns above see what they look for: commands/ has both.
check "the patterns find main() and sq_usage_error in commands/" \
  sh -c "grep -qE '^[[:alnum:]_ *]*[[:space:]*]main[[:space:]]*\\(' '$root/commands/main.c' && grep -q sq_usage_error '$root/commands/options.c'"
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# subquad(1) is in step with the program: every command `subquad --help`
# lists has a section of the man page, and each section names exactly the
# flags the command's --help names (both ways); the page renders with groff
# without a warning; the bash completion offers the commands and, from the
# program's own lists, the kernels, suites and flags.
. "$top_srcdir/tests/tap.sh"
page="$top_srcdir/commands/subquad.1.in"
work=$(mktemp -d "${TMPDIR:-/tmp}/sq_man.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Flags in a text: --long ones, and -o / -q where written as flags.
flags() { grep -o -e '--[a-z][a-z0-9-]*' -e '\(^\|[ [(,|]\)-[a-zA-Z]\([] ,|)]\|$\)' | sed 's/^[^-]*//; s/[] ,|)]*$//' | sort -u; }
# A man section as plain text: roff escapes undone.
section() { awk -v s="$1" '/^\.SS /{on=($2==s); next} /^\.S[HS] /{on=0} on' "$page" | sed 's/\\-/-/g; s/\\f[BIRP]//g'; }

cmds=$("$SUBQUAD" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
check "subquad --help lists commands ($(echo $cmds | wc -w))" test "$(echo $cmds | wc -w)" -ge 8
for c in $cmds; do
  "$SUBQUAD" "$c" --help 2>&1 | flags > "$work/help.$c"
  section "$c" | flags > "$work/man.$c"
  if [ ! -s "$work/man.$c" ]; then not_ok "subquad(1) has a section for $c"; continue; fi
  missing=$(comm -23 "$work/help.$c" "$work/man.$c" | tr '\n' ' ')
  extra=$(comm -13 "$work/help.$c" "$work/man.$c" | tr '\n' ' ')
  check "subquad(1) $c: the flags of --help ($(wc -l < "$work/help.$c"))${missing:+, missing: $missing}${extra:+, not in --help: $extra}" \
    test -z "$missing$extra"
done
for f in --help --version; do
  check "subquad(1) lists the global $f" grep -q "^\.B \\\\-\\\\-${f#--}\$" "$page"
done

# The page renders: groff (man-db's renderer) with warnings on.
if [ -f "${top_builddir:-.}/subquad.1" ]; then built="${top_builddir:-.}/subquad.1"; else built=$page; fi
groff -man -Tutf8 -ww -z "$built" > "$work/groff.err" 2>&1
check "the page renders with groff without a warning$(head -c 300 "$work/groff.err" | tr '\n' ' ')" \
  test ! -s "$work/groff.err"
groff -man -Tascii -P-cbou "$built" 2>/dev/null | grep -q 'subquad tune --replay' 
check "the rendered page holds the command sections" test $? -eq 0

# bash completion, driven as bash drives it.
comp="$top_srcdir/commands/subquad.bash"
complete_words() { bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _subquad; echo "${COMPREPLY[*]}"' _ "$comp" "$@"; }
check "completion: bash reads the script" bash -n "$comp"
words=" $(complete_words "$SUBQUAD" "") "
check "completion: commands ($words)" sh -c "echo '$words' | grep -q ' run ' && echo '$words' | grep -q ' tune '"
k=$("$SUBQUAD" run --help | sed -n 's/^ *--kernel K *one of: *\([^ ]*\).*/\1/p')
check "completion: --kernel offers the kernels ($k)" sh -c "echo ' $(complete_words "$SUBQUAD" run --kernel "${k%.*}") ' | grep -q ' $k '"
check "completion: --suite offers the suites" test "$(complete_words "$SUBQUAD" run --suite qu)" = quick
check "completion: a command's flags" sh -c "echo ' $(complete_words "$SUBQUAD" tune --re) ' | grep -q ' --replay '"
check "completion: --device offers the devices" sh -c "echo ' $(complete_words "$SUBQUAD" run --device "") ' | grep -q ' cpu '"
tap_done

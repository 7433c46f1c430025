#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every source file carries the SPDX line of the LICENSE (tests/spdx.sh
# lists the files that lack it), and the LICENSE is BSD-3-Clause.
. "$top_srcdir/tests/tap.sh"
check "LICENSE is the BSD 3-Clause License of the subquad authors" sh -c \
  "grep -q '^BSD 3-Clause License' '$top_srcdir/LICENSE' && grep -q 'Copyright (c) .*the subquad authors' '$top_srcdir/LICENSE'"
missing=$(sh "$top_srcdir/tests/spdx.sh" "$top_srcdir")
n=$(printf '%s' "$missing" | grep -c .)
check "every source file has the SPDX line ($n lack it${missing:+: $(echo $missing | cut -c1-400)}; tests/spdx.sh --fix adds it)" test "$n" -eq 0
total=$(sh "$top_srcdir/tests/spdx.sh" --list "$top_srcdir" | grep -c .)
check "the check sees the tree's sources ($total)" test "$total" -ge 100
tap_done

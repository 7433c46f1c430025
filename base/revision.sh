#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# revision.sh SRCDIR: prints the git revision of the source tree at SRCDIR:
# its HEAD when SRCDIR is the top of a git work tree (a folder inside some
# other repository, such as a tarball unpacked in a checkout, is not), else
# the revision `make dist` recorded in SRCDIR/.revision, else "unknown".
src=${1:-.}
rev=
top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)
if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(cd "$src" && pwd -P)" ]; then
  rev=$(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null)
fi
if [ -z "$rev" ] && [ -f "$src/.revision" ]; then
  rev=$(sed -n '1{s/[^0-9A-Za-z._+-]//g;p;}' "$src/.revision")
fi
echo "${rev:-unknown}"

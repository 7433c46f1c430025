# SPDX-License-Identifier: BSD-3-Clause
# tests/tap.sh: TAP helpers for the shell tests (sourced). $SUBQUAD is the
# built program, $top_srcdir the source tree (set by tests/local.mk).
tap_n=0; tap_fail=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n - $*"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
check() { # check NAME COMMAND...: passes when the command exits 0
  name=$1; shift
  if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# expect_error NAME WANT_STATUS PATTERN -- ARGS...: runs subquad ARGS, wants
# exit status WANT_STATUS and exactly one stderr line matching PATTERN.
expect_error() {
  name=$1; want=$2; pat=$3; shift 4
  err=$("$SUBQUAD" "$@" 2>&1 >/dev/null); st=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ "$st" -eq "$want" ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -q -- "$pat"; then
    ok "$name"
  else
    not_ok "$name (status $st, want $want; stderr: $err)"
  fi
}
tap_done() {
  echo "1..$tap_n"
  echo "# $((tap_n - tap_fail)) passed, $tap_fail failed"
  [ "$tap_fail" -eq 0 ]
}

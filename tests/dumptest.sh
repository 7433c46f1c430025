# SPDX-License-Identifier: BSD-3-Clause
# The skeleton the dump tests share (sourced after tests/tap.sh): cases
# verified and dumped by `subquad run --dump`, the independent NumPy check
# (FAMILIES.md §0.1) run on them, and copies broken one way each. A test
# sets check_py (its checker) and kernel (what `dump` runs; a test of two
# kernels sets it before each call), then calls dumptest_start NAME.
py=${SUBQUAD_TEST_PYTHON:-/usr/bin/python3}

# dumptest_start NAME: stops with a SKIP when NumPy is missing, else makes
# the scratch folder $tmp, removed at exit.
dumptest_start() {
  if ! "$py" -c "import numpy" 2> /dev/null; then
    echo "1..0 # SKIP numpy is not installed for $py (apt-get install python3-numpy)"
    exit 0
  fi
  tmp=${TMPDIR:-/tmp}/subquad-$1-$$
  mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT
}

# dump NAME SHAPE MODE DTYPE [DEVICE [PARAM]]: one verified case of $kernel
# dumped to $tmp/NAME (the cpu device dumps its reference, opencl:0 the
# kernel's output; PARAM forces one tunable). SUBQUAD_TEST_DEVICE, where
# set, stands for opencl:0: the same dumps from another backend.
dump() {
  name=$1 shape=$2 mode=$3 dtype=$4 device=${5:-cpu} param=$6
  [ "$device" = opencl:0 ] && device=${SUBQUAD_TEST_DEVICE:-opencl:0}
  "$SUBQUAD" run --device "$device" --kernel "$kernel" --shape "$shape" "$mode" --dtype "$dtype" \
    ${param:+--param "$param"} --verify-only --no-peaks -q -o "$tmp/$name.csv" --dump "$tmp/$name.out" \
    > /dev/null 2> "$tmp/$name.err"
  st=$?
  dir=$(ls -d "$tmp/$name.out"/*/ 2> /dev/null | head -1)
  if [ "$st" -eq 0 ] && [ -n "$dir" ]; then
    mv "$dir" "$tmp/$name"
    ok "$name: $kernel $shape $mode $dtype${param:+ $param} dumped on $device"
  else
    not_ok "$name: $kernel $shape $mode $dtype dumped on $device (status $st: $(head -c 300 "$tmp/$name.err"))"
  fi
}

# passes NAME: the check exits 0 and reports err=.
passes() {
  out=$("$py" "$check_py" "$tmp/$1" 2>&1); st=$?
  if [ "$st" -eq 0 ] && printf '%s' "$out" | grep -q '^err='; then ok "$1 passes the check ($out)"
  else not_ok "$1 passes the check (status $st: $out)"; fi
}

# refused NAME WHAT PATTERN: the broken copy NAME is malformed (status 2,
# one line on stderr matching PATTERN).
refused() {
  err=$("$py" "$check_py" "$tmp/$1" 2>&1 > /dev/null); st=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ "$st" -eq 2 ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -q -- "$3"; then ok "$2: refused ($err)"
  else not_ok "$2: refused (status $st, want 2: $err)"; fi
}

# edit NAME FROM PYTHON: copies the dump FROM to NAME, then runs PYTHON in
# it, with json and numpy (np) imported and case(f) applying f to the
# case.json dict in place.
edit() {
  cp -r "$tmp/$2" "$tmp/$1" && (cd "$tmp/$1" && "$py" -c "import json, numpy as np
def case(f):
    c = json.load(open('case.json')); f(c); json.dump(c, open('case.json', 'w'))
$3")
}

# wrong NAME WHAT: the altered copy NAME is outside tolerance (status 1).
wrong() {
  "$py" "$check_py" "$tmp/$1" > /dev/null 2>&1
  check "$2 is outside tolerance (status 1)" test $? -eq 1
}

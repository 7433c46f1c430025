#!/bin/sh
# Dumps of local_attn.neighborhood_2d against the independent NumPy check
# (tests/check_neighborhood_dump.py, FAMILIES.md §0.1 and §4.3): the cpu
# device dumps its reference (dilation not dividing the grid, f32), PoCL the
# flash kernel's outputs (an even kernel in f32, a dilated even kernel in
# bf16, a kernel covering the whole grid in f16); each dump must pass the
# check and carry exactly the contract's keys and files (grid, kernel_size
# and dilation as lists of integers), and copies broken one way each (a
# missing key, a list written as a string or too short, kernel_size x
# dilation past the grid, a wrong shape, float64 storage) must be refused as
# malformed (status 2), while a wrong o or a dilated case read as undilated
# is an error (status 1).
. "$top_srcdir/tests/tap.sh"
py=/usr/bin/python3
check_py="$top_srcdir/tests/check_neighborhood_dump.py"
if ! "$py" -c "import numpy" 2> /dev/null; then
  echo "1..0 # SKIP numpy is not installed for $py (apt-get install python3-numpy)"
  exit 0
fi
tmp=${TMPDIR:-/tmp}/subquad-nadump-$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

# dump NAME SHAPE DTYPE [DEVICE]: one verified case dumped to $tmp/NAME
# (the cpu device dumps its reference, opencl:0 the kernel's output).
dump() {
  name=$1 shape=$2 dtype=$3 device=${4:-cpu}
  "$SUBQUAD" run --device "$device" --kernel local_attn.neighborhood_2d.flash --shape "$shape" --noncausal \
    --dtype "$dtype" --verify-only --no-peaks -q -o "$tmp/$name.csv" --dump "$tmp/$name.out" > /dev/null 2> "$tmp/$name.err"
  st=$?
  dir=$(ls -d "$tmp/$name.out"/*/ 2> /dev/null | head -1)
  if [ "$st" -eq 0 ] && [ -n "$dir" ]; then
    mv "$dir" "$tmp/$name"
    ok "$name: $shape $dtype dumped on $device"
  else
    not_ok "$name: $shape $dtype dumped on $device (status $st: $(head -c 300 "$tmp/$name.err"))"
  fi
}

dump dil_ref B=2,H=2,D=8,DV=12,grid=13x11,kernel_size=3x5,dilation=3x2 f32
dump even B=1,H=2,D=16,grid=16x15,kernel_size=4x6,dilation=1x2 f32 opencl:0
dump dil_bf16 B=1,H=2,D=32,DV=24,grid=20x21,kernel_size=5x4,dilation=3x4 bf16 opencl:0
dump whole B=2,H=1,D=24,grid=9x12,kernel_size=9x12 f16 opencl:0

# passes NAME: the check exits 0 and reports err=.
passes() {
  out=$("$py" "$check_py" "$tmp/$1" 2>&1); st=$?
  if [ "$st" -eq 0 ] && printf '%s' "$out" | grep -q '^err='; then ok "$1 passes the check ($out)"
  else not_ok "$1 passes the check (status $st: $out)"; fi
}
for n in dil_ref even dil_bf16 whole; do passes "$n"; done
check "the dump holds exactly q, k, v, o and case.json" \
  test "$(ls "$tmp/dil_bf16" | tr '\n' ' ')" = "case.json k.npy o.npy q.npy v.npy "
check "case.json names the op, not the implementation" \
  grep -q '"kernel": "local_attn.neighborhood_2d",' "$tmp/dil_bf16/case.json"
check "case.json writes grid, kernel_size and dilation as lists of integers" sh -c "
  grep -q '\"grid\": \[20, 21\],' '$tmp/dil_bf16/case.json' &&
  grep -q '\"kernel_size\": \[5, 4\],' '$tmp/dil_bf16/case.json' &&
  grep -q '\"dilation\": \[3, 4\],' '$tmp/dil_bf16/case.json'"
check "case.json has no causal key" sh -c "! grep -q '\"causal\"' '$tmp/dil_ref/case.json'"
check "an undilated case says dilation [1, 1]" grep -q '"dilation": \[1, 1\],' "$tmp/whole/case.json"

# refused NAME WHAT PATTERN: the broken copy NAME is malformed (status 2,
# one line on stderr matching PATTERN).
refused() {
  err=$("$py" "$check_py" "$tmp/$1" 2>&1 > /dev/null); st=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ "$st" -eq 2 ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -q -- "$3"; then ok "$2: refused ($err)"
  else not_ok "$2: refused (status $st, want 2: $err)"; fi
}
# edit NAME FROM PYTHON: copies FROM to NAME, then runs PYTHON in it.
edit() {
  cp -r "$tmp/$2" "$tmp/$1" && (cd "$tmp/$1" && "$py" -c "$3")
}
edit no_dil dil_ref "
import json; c = json.load(open('case.json')); del c['dilation']; json.dump(c, open('case.json', 'w'))"
refused no_dil "case.json without dilation" "missing key 'dilation'"
edit str_grid even "
import json; c = json.load(open('case.json')); c['grid'] = '16x15'; json.dump(c, open('case.json', 'w'))"
refused str_grid "grid written as a string" "'grid' is \"16x15\""
edit short_ks even "
import json; c = json.load(open('case.json')); c['kernel_size'] = [4]; json.dump(c, open('case.json', 'w'))"
refused short_ks "kernel_size of one integer" "'kernel_size' is \[4\]"
edit real_dil dil_ref "
import json; c = json.load(open('case.json')); c['dilation'] = [3.0, 2]; json.dump(c, open('case.json', 'w'))"
refused real_dil "a dilation written as 3.0" "'dilation' is \[3.0, 2\]"
edit too_wide dil_ref "
import json; c = json.load(open('case.json')); c['dilation'] = [5, 2]; json.dump(c, open('case.json', 'w'))"
refused too_wide "kernel_size x dilation past the grid" "kernel_size 3 x dilation 5 exceeds the grid (13)"
edit bad_shape dil_bf16 "
import numpy as np; np.save('v.npy', np.load('v.npy')[:, :, :-1])"
refused bad_shape "v one token short" "v.npy: shape"
edit f64 whole "
import numpy as np; np.save('k.npy', np.load('k.npy').astype(np.float64))"
refused f64 "k stored as float64" "want '<f4'"
edit nan_q even "
import numpy as np; q = np.load('q.npy'); q[0, 1, 4, 2] = np.nan; np.save('q.npy', q)"
refused nan_q "a NaN in q" "non-finite input"
# A wrong output is an error (status 1), not a malformed dump; so is a
# dilated case read as undilated.
edit wrong_o even "
import numpy as np; o = np.load('o.npy'); o[0, 0, 150, 7] += 0.1 * abs(o).max() + 1; np.save('o.npy', o)"
"$py" "$check_py" "$tmp/wrong_o" > /dev/null 2>&1
check "a wrong o is outside tolerance (status 1)" test $? -eq 1
edit undilated dil_ref "
import json; c = json.load(open('case.json')); c['dilation'] = [1, 1]; json.dump(c, open('case.json', 'w'))"
"$py" "$check_py" "$tmp/undilated" > /dev/null 2>&1
check "the dilated case read with dilation [1, 1] is outside tolerance (status 1)" test $? -eq 1
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Dumps of the gated linear-attention family against the independent NumPy
# check (tests/check_ga_dump.py, FAMILIES.md §0.1 and §5): the cpu device
# dumps its reference for decay (causal with state, f32; bidirectional,
# bf16) and gla (causal with state, f16; bidirectional with gb, f32), PoCL
# the chunked kernels' outputs (decay causal with state, gla bidirectional
# bf16); each
# dump must pass the check, and copies broken one way each (a missing key,
# state written 1 instead of true, a wrong shape, a positive gate) must be
# refused as malformed (status 2).
. "$top_srcdir/tests/tap.sh"
py=/usr/bin/python3
check_py="$top_srcdir/tests/check_ga_dump.py"
if ! "$py" -c "import numpy" 2> /dev/null; then
  echo "1..0 # SKIP numpy is not installed for $py (apt-get install python3-numpy)"
  exit 0
fi
tmp=${TMPDIR:-/tmp}/subquad-gadump-$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

# dump NAME KERNEL SHAPE MODE DTYPE [DEVICE]: one verified case dumped to
# $tmp/NAME (the cpu device dumps its reference, opencl:0 the kernel's output).
dump() {
  name=$1 kernel=$2 shape=$3 mode=$4 dtype=$5 device=${6:-cpu}
  "$SUBQUAD" run --device "$device" --kernel "$kernel" --shape "$shape" "$mode" --dtype "$dtype" --verify-only \
    --no-peaks -q -o "$tmp/$name.csv" --dump "$tmp/$name.out" > /dev/null 2> "$tmp/$name.err"
  st=$?
  dir=$(ls -d "$tmp/$name.out"/*/ 2> /dev/null | head -1)
  if [ "$st" -eq 0 ] && [ -n "$dir" ]; then
    mv "$dir" "$tmp/$name"
    ok "$name: $kernel $shape $mode $dtype dumped"
  else
    not_ok "$name: $kernel $shape $mode $dtype dumped (status $st: $(head -c 300 "$tmp/$name.err"))"
  fi
}

dump decay_state linear_attn.decay.recurrent B=2,H=3,T=37,D=8,DV=12,state=1 --causal f32
dump decay_bidir linear_attn.decay.recurrent B=1,H=2,T=29,D=16 --noncausal bf16
dump gla_state linear_attn.gla.recurrent B=1,H=2,T=41,D=8,DV=6,state=1 --causal f16
dump gla_bidir linear_attn.gla.recurrent B=2,H=1,T=33,D=12,DV=8 --noncausal f32
# The chunked kernels' own outputs on PoCL, ragged against their chunks.
dump decay_chunked linear_attn.decay.chunked B=1,H=2,T=77,D=40,DV=24,state=1 --causal f32 opencl:0
dump gla_chunked linear_attn.gla.chunked B=2,H=1,T=70,D=24,DV=17 --noncausal bf16 opencl:0

# passes NAME: the check exits 0 and reports err=.
passes() {
  out=$("$py" "$check_py" "$tmp/$1" 2>&1); st=$?
  if [ "$st" -eq 0 ] && printf '%s' "$out" | grep -q '^err='; then ok "$1 passes the check ($out)"
  else not_ok "$1 passes the check (status $st: $out)"; fi
}
for n in decay_state decay_bidir gla_state gla_bidir decay_chunked gla_chunked; do passes "$n"; done
check "decay_state holds h0 and ht" test -s "$tmp/decay_state/h0.npy" -a -s "$tmp/decay_state/ht.npy"
check "gla_bidir holds gb, and no h0" test -s "$tmp/gla_bidir/gb.npy" -a ! -e "$tmp/gla_bidir/h0.npy"
check "decay_state: case.json says state true" grep -q '"state": true' "$tmp/decay_state/case.json"
check "decay_bidir: case.json has no state key" sh -c "! grep -q '\"state\"' '$tmp/decay_bidir/case.json'"

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
edit no_dv decay_state "
import json; c = json.load(open('case.json')); del c['DV']; json.dump(c, open('case.json', 'w'))"
refused no_dv "case.json without DV" "missing key 'DV'"
edit state_int gla_state "
import json; c = json.load(open('case.json')); c['state'] = 1; json.dump(c, open('case.json', 'w'))"
refused state_int "state: 1 instead of true" "'state' is 1"
edit bad_shape gla_bidir "
import numpy as np; np.save('v.npy', np.load('v.npy')[:, :, :-1])"
refused bad_shape "v one token short" "v.npy: shape"
edit pos_gate gla_bidir "
import numpy as np; g = np.load('g.npy'); g[0, 0, 3, 1] = 0.25; np.save('g.npy', g)"
refused pos_gate "a positive g" "positive log gate"
edit pos_gamma decay_bidir "
import numpy as np; g = np.load('log_gamma.npy'); g[1] = 1e-3; np.save('log_gamma.npy', g)"
refused pos_gamma "a positive log_gamma" "positive log gate"
edit no_gb gla_bidir "import os; os.remove('gb.npy')"
refused no_gb "bidirectional gla without gb.npy" "gb.npy is missing"
edit f64 decay_state "
import numpy as np; np.save('q.npy', np.load('q.npy').astype(np.float64))"
refused f64 "q stored as float64" "want '<f4'"
# A wrong output is an error (status 1), not a malformed dump.
edit wrong_o gla_state "
import numpy as np; o = np.load('o.npy'); o[0, 1, 5, 2] += 0.1 * abs(o).max() + 1; np.save('o.npy', o)"
"$py" "$check_py" "$tmp/wrong_o" > /dev/null 2>&1
check "a wrong o is outside tolerance (status 1)" test $? -eq 1
edit wrong_ht decay_state "
import numpy as np; h = np.load('ht.npy'); h[1, 2, 3, 4] += 0.01 * abs(h).max(); np.save('ht.npy', h)"
"$py" "$check_py" "$tmp/wrong_ht" > /dev/null 2>&1
check "a wrong ht is outside tolerance (status 1)" test $? -eq 1
tap_done

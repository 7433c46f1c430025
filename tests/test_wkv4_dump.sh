#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Dumps of wkv.rwkv4 against the independent NumPy check
# (tests/check_wkv4_dump.py, FAMILIES.md §0.1 and §3.1): PoCL dumps
# wkv.rwkv4.segmented's own outputs (causal and Bi-WKV over several
# segments and a ragged C, f16 and bf16, one past the direct form's T), the
# cpu device its reference; each must pass the check and follow the
# contract's case.json; the check's two forms (the direct sum over pairs and
# the running sums) must agree; copies broken one way each must be refused
# as malformed (status 2), while a wrong output is an error (status 1).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dumptest.sh"
check_py="$top_srcdir/tests/check_wkv4_dump.py"
kernel=wkv.rwkv4.segmented
dumptest_start wkv4dump

dump causal "B=2,T=300,C=19" --causal f32 opencl:0 W4_SEG=32
dump bi "B=2,T=300,C=19" --noncausal f32 opencl:0 W4_SEG=32
dump bi_bf16 "B=1,T=130,C=40" --noncausal bf16 opencl:0 W4_SEG=16
dump causal_f16 "B=1,T=200,C=24" --causal f16 opencl:0
dump long_bi "B=1,T=700,C=8" --noncausal f32 opencl:0 W4_SEG=64
dump cpu "B=1,T=37,C=3" --causal f32 cpu

for n in causal bi bi_bf16 causal_f16 long_bi cpu; do passes "$n"; done

# The check's direct sum and its running sums agree on both modes.
for n in causal bi; do
  check "$n: the direct O(T^2) sum and the running sums agree" "$py" -c "
import sys; sys.path.insert(0, '$top_srcdir/tests')
import check_wkv4_dump as m
c = m.read_case('$tmp/$n'); x = m.read_tensors('$tmp/$n', c)
d, r = m.direct(c, x), m.recurrent(c, x)
sys.exit(0 if abs(d - r).max() <= 1e-12 * abs(d).max() else 1)"
done

# The contract's case.json (§3.1): causal as a boolean, the sizes, the files.
json() { "$py" -c "import json, sys; c = json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$tmp/$1/case.json"; }
check "causal: kernel wkv.rwkv4, causal true, B T C" \
  json causal "c['kernel'] == 'wkv.rwkv4' and c['causal'] is True and (c['B'], c['T'], c['C']) == (2, 300, 19)"
check "bi_bf16: causal false, dtype bf16, no state key" \
  json bi_bf16 "c['causal'] is False and c['dtype'] == 'bf16' and 'state' not in c"
check "bi holds exactly w, u, k, v, o" test "$(cd "$tmp/bi" && ls *.npy | tr '\n' ' ')" = "k.npy o.npy u.npy v.npy w.npy "
check "bi's w includes a growth (w < 0), as Bi-WKV's init allows" \
  "$py" -c "import numpy as np, sys; sys.exit(0 if (np.load('$tmp/bi/w.npy') < 0).any() else 1)"

edit no_c causal "case(lambda c: c.pop('C'))"
refused no_c "case.json without C" "missing key 'C'"
edit causal_int causal "case(lambda c: c.update(causal=1))"
refused causal_int "causal: 1 instead of true" "'causal' is 1"
edit neg_w causal "w = np.load('w.npy'); w[3] = -0.01; np.save('w.npy', w)"
refused neg_w "a causal case with w <= 0" "w <= 0"
edit short_k bi "np.save('k.npy', np.load('k.npy')[:, :-1])"
refused short_k "k one token short" "k.npy: shape"
edit no_u bi "import os; os.remove('u.npy')"
refused no_u "u.npy missing" "u.npy is missing"
edit f64 bi "np.save('v.npy', np.load('v.npy').astype(np.float64))"
refused f64 "v stored as float64" "want '<f4'"
edit nan_k bi "k = np.load('k.npy'); k[0, 5, 2] = np.nan; np.save('k.npy', k)"
refused nan_k "a NaN in k" "k.npy holds a non-finite input"
# What the contract allows: dtype aliases, unknown keys, negative w in Bi-WKV.
edit alias bi_bf16 "case(lambda c: c.update(dtype='bfloat16', lab='x'))"
passes alias
# A wrong output is an error (status 1), not a malformed dump.
edit wrong_o bi "o = np.load('o.npy'); o[1, 100, 2] += 0.01 * abs(o).max() + 0.01; np.save('o.npy', o)"
wrong wrong_o "a wrong o"
edit inf_o causal "o = np.load('o.npy'); o[0, 3, 1] = np.inf; np.save('o.npy', o)"
wrong inf_o "an Inf in o"
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Dumps of ssm.selective_scan against the independent NumPy check
# (tests/check_ssm_scan_dump.py, FAMILIES.md §0.1 and §1.7): PoCL dumps the
# chunked kernel's verified outputs (K=1 with groups, gate and state over
# several segments, f32; K=2 gated in bf16; N=1 in f16; K=2 without
# softplus), the cpu device its reference (K=2 gated; K=1 with state); each
# must pass the check, and copies broken one way each must be refused as
# malformed (status 2): a missing key, state written 1 instead of true, a
# z.npy the case does not announce, a wrong shape, float64 storage, a
# positive A, a NaN input, state with K=2, a missing h0.npy. A wrong o or
# ht is an error outside tolerance (status 1).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dumptest.sh"
check_py="$top_srcdir/tests/check_ssm_scan_dump.py"
kernel=ssm.selective_scan.chunked
dumptest_start ssmdump

dump state B=2,D=12,T=300,N=16,G=2,has_z=1,state=1 --causal f32 opencl:0 SEG=64
dump bidir_bf16 B=1,D=8,T=150,N=4,G=2,K=2,has_z=1 --noncausal bf16 opencl:0 SEG=64
dump n1_f16 B=2,D=6,T=97,N=1 --noncausal f16 opencl:0
dump bidir_nosp B=1,D=5,T=70,N=16,K=2,delta_softplus=0 --causal f32 opencl:0
dump cpu_bidir B=1,D=6,T=40,N=4,G=3,K=2,has_z=1 --noncausal f32 cpu
dump cpu_state B=2,D=3,T=33,N=2,state=1 --causal f16 cpu

for n in state bidir_bf16 n1_f16 bidir_nosp cpu_bidir cpu_state; do passes "$n"; done
check "state holds z, h0 and ht" test -s "$tmp/state/z.npy" -a -s "$tmp/state/h0.npy" -a -s "$tmp/state/ht.npy"
check "n1_f16 holds no z, h0 or ht" test ! -e "$tmp/n1_f16/z.npy" -a ! -e "$tmp/n1_f16/h0.npy" -a ! -e "$tmp/n1_f16/ht.npy"
check "state: case.json says kernel ssm.selective_scan" grep -q '"kernel": "ssm.selective_scan"' "$tmp/state/case.json"
check "state: case.json says state true, has_z true" sh -c "grep -q '\"state\": true' '$tmp/state/case.json' && grep -q '\"has_z\": true' '$tmp/state/case.json'"
check "bidir_bf16: case.json says K 2, state false, dtype bf16" sh -c "grep -q '\"K\": 2' '$tmp/bidir_bf16/case.json' && grep -q '\"state\": false' '$tmp/bidir_bf16/case.json' && grep -q '\"dtype\": \"bf16\"' '$tmp/bidir_bf16/case.json'"
check "bidir_nosp: case.json says delta_softplus false" grep -q '"delta_softplus": false' "$tmp/bidir_nosp/case.json"
check "no case.json carries a causal key (K decides)" sh -c "! grep -q '\"causal\"' '$tmp'/*/case.json"

json_edit() {
  edit "$1" "$2" "
import json; c = json.load(open('case.json')); $3; json.dump(c, open('case.json', 'w'))"
}
json_edit no_k bidir_bf16 "del c['K']"
refused no_k "case.json without K" "missing key 'K'"
json_edit state_int state "c['state'] = 1"
refused state_int "state: 1 instead of true" "'state' is 1"
json_edit z_unannounced state "c['has_z'] = False"
refused z_unannounced "z.npy present with has_z false" "z.npy is present"
json_edit state_k2 bidir_bf16 "c['state'] = True"
refused state_k2 "state true with K=2" "needs K=1"
json_edit other_kernel cpu_bidir "c['kernel'] = 'ssm.ssd'"
refused other_kernel "another kernel's case.json" "kernel 'ssm.ssd'"
edit short_u n1_f16 "
import numpy as np; np.save('u.npy', np.load('u.npy')[..., :-1])"
refused short_u "u one token short" "u.npy: shape"
edit f64 cpu_state "
import numpy as np; np.save('Bm.npy', np.load('Bm.npy').astype(np.float64))"
refused f64 "Bm stored as float64" "want '<f4'"
edit pos_a bidir_nosp "
import numpy as np; a = np.load('A.npy'); a[1, 2, 3] = 0.5; np.save('A.npy', a)"
refused pos_a "a positive A" "positive A"
edit nan_delta cpu_bidir "
import numpy as np; d = np.load('delta.npy'); d[0, 1, 2, 5] = np.nan; np.save('delta.npy', d)"
refused nan_delta "a NaN in delta" "non-finite input"
edit no_h0 state "import os; os.remove('h0.npy')"
refused no_h0 "state true without h0.npy" "h0.npy is missing"
# A wrong output is an error (status 1), not a malformed dump.
edit wrong_o bidir_bf16 "
import numpy as np; o = np.load('o.npy'); o[0, 3, 77] += 0.2 * abs(o).max() + 1; np.save('o.npy', o)"
wrong wrong_o "a wrong o"
edit wrong_ht state "
import numpy as np; h = np.load('ht.npy'); h[1, 5, 7] += 0.01 * abs(h).max(); np.save('ht.npy', h)"
wrong wrong_ht "a wrong ht"
edit nan_o n1_f16 "
import numpy as np; o = np.load('o.npy'); o[1, 2, 3] = np.nan; np.save('o.npy', o)"
"$py" "$check_py" "$tmp/nan_o" > /dev/null 2>&1
check "a NaN in o is an infinite error (status 1)" test $? -eq 1
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Dumps of local_attn.sliding_1d against the independent NumPy check
# (tests/check_sliding_dump.py, FAMILIES.md §0.1 and §4.1): the cpu device
# dumps its reference (causal f32; asymmetric non-causal bf16), PoCL the
# flash kernel's outputs (ragged T with window_left = 0 in f16, a window
# wider than T, D not a power of two); each dump must pass the check, carry
# exactly the contract's keys and files, and copies broken one way each (a
# missing key, a negative window, a window written as a real, a wrong
# shape, float64 storage) must be refused as malformed (status 2), while a
# wrong o is an error (status 1).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dumptest.sh"
check_py="$top_srcdir/tests/check_sliding_dump.py"
kernel=local_attn.sliding_1d.flash
dumptest_start slidedump

dump causal_ref B=2,H=3,T=57,D=8,DV=12,window_left=9 --causal f32
dump asym_ref B=1,H=2,T=80,D=16,window_left=3,window_right=11 --noncausal bf16
dump left0 B=1,H=2,T=203,D=40,DV=24,window_left=0,window_right=17 --noncausal f16 opencl:0
dump wide B=2,H=1,T=70,D=24,window_left=500,window_right=300 --noncausal f32 opencl:0
dump causal_k B=1,H=1,T=300,D=33,DV=65,window_left=100 --causal bf16 opencl:0

for n in causal_ref asym_ref left0 wide causal_k; do passes "$n"; done
check "the dump holds exactly q, k, v, o and case.json" \
  test "$(ls "$tmp/left0" | tr '\n' ' ')" = "case.json k.npy o.npy q.npy v.npy "
check "case.json names the op, not the implementation" grep -q '"kernel": "local_attn.sliding_1d",' "$tmp/left0/case.json"
check "case.json has window_left 0 and no causal key" \
  sh -c "grep -q '\"window_left\": 0,' '$tmp/left0/case.json' && ! grep -q '\"causal\"' '$tmp/left0/case.json'"
check "a causal case says window_right 0" grep -q '"window_right": 0,' "$tmp/causal_ref/case.json"

edit no_right asym_ref "
import json; c = json.load(open('case.json')); del c['window_right']; json.dump(c, open('case.json', 'w'))"
refused no_right "case.json without window_right" "missing key 'window_right'"
edit neg_left causal_ref "
import json; c = json.load(open('case.json')); c['window_left'] = -1; json.dump(c, open('case.json', 'w'))"
refused neg_left "a negative window_left" "'window_left' is -1"
edit real_left causal_ref "
import json; c = json.load(open('case.json')); c['window_left'] = 9.0; json.dump(c, open('case.json', 'w'))"
refused real_left "window_left written as 9.0" "'window_left' is 9.0"
edit no_scale wide "
import json; c = json.load(open('case.json')); del c['scale']; json.dump(c, open('case.json', 'w'))"
refused no_scale "case.json without scale" "missing key 'scale'"
edit bad_shape left0 "
import numpy as np; np.save('v.npy', np.load('v.npy')[:, :, :-1])"
refused bad_shape "v one token short" "v.npy: shape"
edit f64 causal_ref "
import numpy as np; np.save('k.npy', np.load('k.npy').astype(np.float64))"
refused f64 "k stored as float64" "want '<f4'"
edit nan_q asym_ref "
import numpy as np; q = np.load('q.npy'); q[0, 1, 4, 2] = np.nan; np.save('q.npy', q)"
refused nan_q "a NaN in q" "non-finite input"
# A wrong output is an error (status 1), not a malformed dump; so is o
# computed with the window read the wrong way round.
edit wrong_o causal_k "
import numpy as np; o = np.load('o.npy'); o[0, 0, 150, 7] += 0.1 * abs(o).max() + 1; np.save('o.npy', o)"
wrong wrong_o "a wrong o"
edit swapped asym_ref "
import json; c = json.load(open('case.json')); c['window_left'], c['window_right'] = c['window_right'], c['window_left']; json.dump(c, open('case.json', 'w'))"
wrong swapped "left and right swapped"
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Dumps of wkv.rwkv6 against the independent NumPy check
# (tests/check_wkv6_dump.py, FAMILIES.md §0.1 and §3.2): the cpu device
# dumps its reference (causal with state, f32; bidirectional, bf16), PoCL
# the kernels' outputs (chunked causal with state f16 and bidirectional
# f32, ragged against their chunks; recurrent bidirectional f32 at N = 7);
# each dump must pass the check, and copies broken one way each (a missing
# key, state written 1 instead of true, a wrong shape, a missing h0, state
# in a bidirectional case, a non-finite w, float64 storage) must be
# refused as malformed (status 2), and wrong outputs must fail (status 1).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dumptest.sh"
check_py="$top_srcdir/tests/check_wkv6_dump.py"
dumptest_start wkv6dump

kernel=wkv.rwkv6.recurrent
dump ref_state B=2,T=37,H=3,N=8,state=1 --causal f32
dump ref_bidir B=1,T=29,H=2,N=16 --noncausal bf16
kernel=wkv.rwkv6.chunked
dump chunked_state B=1,T=77,H=2,N=24,state=1 --causal f16 opencl:0
dump chunked_bidir B=2,T=70,H=1,N=17 --noncausal f32 opencl:0
kernel=wkv.rwkv6.recurrent
dump recurrent_bidir B=1,T=45,H=2,N=7 --noncausal f32 opencl:0

for n in ref_state ref_bidir chunked_state chunked_bidir recurrent_bidir; do passes "$n"; done
check "ref_state holds h0 and ht" test -s "$tmp/ref_state/h0.npy" -a -s "$tmp/ref_state/ht.npy"
check "chunked_bidir holds r k v w u o and no h0 or ht" sh -c "for f in r k v w u o; do test -s '$tmp/chunked_bidir/'\$f.npy || exit 1; done; test ! -e '$tmp/chunked_bidir/h0.npy' -a ! -e '$tmp/chunked_bidir/ht.npy'"
check "ref_state: case.json says state true and causal true" sh -c "grep -q '\"state\": true' '$tmp/ref_state/case.json' && grep -q '\"causal\": true' '$tmp/ref_state/case.json'"
check "ref_bidir: case.json has no state key" sh -c "! grep -q '\"state\"' '$tmp/ref_bidir/case.json'"

edit no_n ref_state "
import json; c = json.load(open('case.json')); del c['N']; json.dump(c, open('case.json', 'w'))"
refused no_n "case.json without N" "missing key 'N'"
edit state_int ref_state "
import json; c = json.load(open('case.json')); c['state'] = 1; json.dump(c, open('case.json', 'w'))"
refused state_int "state: 1 instead of true" "'state' is 1"
edit bidir_state ref_bidir "
import json; c = json.load(open('case.json')); c['state'] = True; json.dump(c, open('case.json', 'w'))"
refused bidir_state "state true in a bidirectional case" "causal only"
edit bad_shape chunked_bidir "
import numpy as np; np.save('v.npy', np.load('v.npy')[:, :-1])"
refused bad_shape "v one token short" "v.npy: shape"
edit bad_u chunked_bidir "
import numpy as np; np.save('u.npy', np.load('u.npy')[None])"
refused bad_u "u with an extra axis" "u.npy: shape"
edit no_h0 chunked_state "import os; os.remove('h0.npy')"
refused no_h0 "state without h0.npy" "h0.npy is missing"
edit inf_w ref_bidir "
import numpy as np; w = np.load('w.npy'); w[0, 3, 1, 2] = np.inf; np.save('w.npy', w.astype(np.float32))"
refused inf_w "an infinite w" "w.npy holds a non-finite input"
edit f64 ref_state "
import numpy as np; np.save('r.npy', np.load('r.npy').astype(np.float64))"
refused f64 "r stored as float64" "want '<f4'"
# A wrong output is an error (status 1), not a malformed dump.
edit wrong_o chunked_state "
import numpy as np; o = np.load('o.npy'); o[0, 5, 1, 2] += 0.1 * abs(o).max() + 1; np.save('o.npy', o)"
wrong wrong_o "a wrong o"
edit wrong_ht ref_state "
import numpy as np; h = np.load('ht.npy'); h[1, 2, 3, 4] += 0.01 * abs(h).max(); np.save('ht.npy', h)"
wrong wrong_ht "a wrong ht"
# The bonus on the diagonal and the strictly earlier state: an o computed
# with the inclusive state (GLA's o_t = S_t^T r_t, no u) is refused.
edit inclusive ref_state "
import numpy as np
r, k, v, w, u, h0 = (np.load(n + '.npy').astype(np.float64) for n in ('r', 'k', 'v', 'w', 'u', 'h0'))
S = h0.copy(); o = np.zeros(r.shape)
for t in range(r.shape[1]):
    S = np.exp(-np.exp(w[:, t]))[..., None] * S + k[:, t, :, :, None] * v[:, t, :, None, :]
    o[:, t] = np.einsum('bhi,bhij->bhj', r[:, t], S)
np.save('o.npy', o.astype(np.float32))"
wrong inclusive "an o from the inclusive state without the bonus"
tap_done

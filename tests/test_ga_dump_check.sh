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
. "$top_srcdir/tests/dumptest.sh"
check_py="$top_srcdir/tests/check_ga_dump.py"
dumptest_start gadump

kernel=linear_attn.decay.recurrent
dump decay_state B=2,H=3,T=37,D=8,DV=12,state=1 --causal f32
dump decay_bidir B=1,H=2,T=29,D=16 --noncausal bf16
kernel=linear_attn.gla.recurrent
dump gla_state B=1,H=2,T=41,D=8,DV=6,state=1 --causal f16
dump gla_bidir B=2,H=1,T=33,D=12,DV=8 --noncausal f32
# The chunked kernels' own outputs on PoCL, ragged against their chunks.
kernel=linear_attn.decay.chunked
dump decay_chunked B=1,H=2,T=77,D=40,DV=24,state=1 --causal f32 opencl:0
kernel=linear_attn.gla.chunked
dump gla_chunked B=2,H=1,T=70,D=24,DV=17 --noncausal bf16 opencl:0

for n in decay_state decay_bidir gla_state gla_bidir decay_chunked gla_chunked; do passes "$n"; done
check "decay_state holds h0 and ht" test -s "$tmp/decay_state/h0.npy" -a -s "$tmp/decay_state/ht.npy"
check "gla_bidir holds gb, and no h0" test -s "$tmp/gla_bidir/gb.npy" -a ! -e "$tmp/gla_bidir/h0.npy"
check "decay_state: case.json says state true" grep -q '"state": true' "$tmp/decay_state/case.json"
check "decay_bidir: case.json has no state key" sh -c "! grep -q '\"state\"' '$tmp/decay_bidir/case.json'"

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
wrong wrong_o "a wrong o"
edit wrong_ht decay_state "
import numpy as np; h = np.load('ht.npy'); h[1, 2, 3, 4] += 0.01 * abs(h).max(); np.save('ht.npy', h)"
wrong wrong_ht "a wrong ht"
tap_done

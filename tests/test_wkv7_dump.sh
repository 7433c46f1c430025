#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Dumps of wkv.rwkv7 against the independent NumPy check
# (tests/check_wkv7_dump.py, FAMILIES.md §0.1 and §3.3): PoCL dumps
# wkv.rwkv7.recurrent's own outputs (with and without state, ragged N,
# f16 and bf16), the cpu device its reference; each must pass the check and
# follow the contract's case.json (state, no causal key), a and b must be
# the normalised -κ̂ and κ̂ η of the init; copies broken one way each must
# be refused as malformed (status 2), while a wrong output or final state
# is an error (status 1).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dumptest.sh"
check_py="$top_srcdir/tests/check_wkv7_dump.py"
kernel=wkv.rwkv7.recurrent
dumptest_start wkv7dump

dump state "B=2,T=150,H=3,N=16,state=1" --causal f32 opencl:0 W7_TSTEP=4
dump plain "B=1,T=200,H=2,N=64" --causal bf16 opencl:0
dump ragged "B=1,T=77,H=2,N=7,state=1" --causal f16 opencl:0 W7_TSTEP=32
dump cpu "B=1,T=40,H=1,N=5,state=1" --causal f32 cpu

for n in state plain ragged cpu; do passes "$n"; done

json() { "$py" -c "import json, sys; c = json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$tmp/$1/case.json"; }
check "state: kernel wkv.rwkv7, state true, no causal key, B T H N" \
  json state "c['kernel'] == 'wkv.rwkv7' and c['state'] is True and 'causal' not in c and (c['B'], c['T'], c['H'], c['N']) == (2, 150, 3, 16)"
check "plain: state false, dtype bf16" json plain "c['state'] is False and c['dtype'] == 'bf16'"
check "state holds h0 and ht" test -s "$tmp/state/h0.npy" -a -s "$tmp/state/ht.npy"
check "plain holds no h0 or ht" test ! -e "$tmp/plain/h0.npy" -a ! -e "$tmp/plain/ht.npy"
# §3.3's init: a = -κ̂ with |κ̂| = 1 per (b, t, h), b = κ̂ η with η in (0.12, 0.88).
check "a is -κ̂ (unit rows) and b / κ̂ = η in (0.12, 0.88)" "$py" -c "
import numpy as np, sys
a, b = np.load('$tmp/state/a.npy').astype(float), np.load('$tmp/state/b.npy').astype(float)
n = np.sqrt((a * a).sum(-1)); eta = b / -a
sys.exit(0 if abs(n - 1).max() < 1e-5 and eta.min() > 0.11 and eta.max() < 0.89 else 1)"

edit no_state state "case(lambda c: c.pop('state'))"
refused no_state "case.json without state" "missing key 'state'"
edit state_int state "case(lambda c: c.update(state=1))"
refused state_int "state: 1 instead of true" "'state' is 1"
edit noncausal plain "case(lambda c: c.update(causal=False))"
refused noncausal "causal false" "causal only"
edit no_ht state "import os; os.remove('ht.npy')"
refused no_ht "state true without ht.npy" "ht.npy is missing"
edit extra_h0 plain "np.save('h0.npy', np.zeros((1, 2, 64, 64), np.float32))"
refused extra_h0 "h0.npy in a case without state" "h0.npy is present"
edit short_a state "np.save('a.npy', np.load('a.npy')[:, :-1])"
refused short_a "a one token short" "a.npy: shape"
edit nan_w plain "w = np.load('w.npy'); w[0, 5, 1, 2] = np.nan; np.save('w.npy', w)"
refused nan_w "a NaN in w" "w.npy holds a non-finite input"
edit alias plain "case(lambda c: c.update(dtype='bfloat16', lab='x'))"
passes alias
edit wrong_o state "o = np.load('o.npy'); o[1, 100, 2, 3] += 0.01 * abs(o).max() + 0.01; np.save('o.npy', o)"
wrong wrong_o "a wrong o"
edit wrong_ht cpu "h = np.load('ht.npy'); h[0, 0, 2, 1] += 0.01 * abs(h).max(); np.save('ht.npy', h)"
wrong wrong_ht "a wrong ht"
tap_done

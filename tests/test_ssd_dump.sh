#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Dumps of ssm.ssd against the independent NumPy check (tests/check_ssd_dump.py,
# FAMILIES.md §0.1 and §2.7): PoCL dumps ssm.ssd.chunked's own outputs (causal
# with z, state and G=2 over a ragged chunk; non-causal in bf16; causal f16
# without softplus at CHUNK=128), the cpu device its reference (causal with
# state); each must pass the check and follow the contract's case.json, and
# copies broken one way each must be refused as malformed (status 2), while a
# wrong output is an error (status 1).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dumptest.sh"
check_py="$top_srcdir/tests/check_ssd_dump.py"
kernel=ssm.ssd.chunked
dumptest_start ssddump

dump causal_z "B=2,T=150,H=4,P=24,G=2,N=20,has_z=1,state=1" --causal f32 opencl:0
dump noncausal "B=1,T=130,H=3,P=17,N=16" --noncausal bf16 opencl:0
dump nosoftplus "B=1,T=200,H=2,P=32,N=12,dt_softplus=0" --causal f16 opencl:0 CHUNK=128
dump cpu_state "B=1,T=37,H=2,P=5,N=3,state=1" --causal f32 cpu

for n in causal_z noncausal nosoftplus cpu_state; do passes "$n"; done

# The contract's case.json (§2.7): booleans as true/false, state only when
# causal, the optional chunk as the kernel's, the tensors exactly.
json() { "$py" -c "import json, sys; c = json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$tmp/$1/case.json"; }
check "causal_z: kernel ssm.ssd, booleans true, G=2, chunk 64" \
  json causal_z "c['kernel'] == 'ssm.ssd' and c['causal'] is True and c['has_z'] is True and c['state'] is True and c['dt_softplus'] is True and c['G'] == 2 and c['chunk'] == 64"
check "noncausal: causal false, no state key, dtype bf16" \
  json noncausal "c['causal'] is False and 'state' not in c and c['dtype'] == 'bf16' and c['has_z'] is False"
check "nosoftplus: dt_softplus false, chunk 128" json nosoftplus "c['dt_softplus'] is False and c['chunk'] == 128"
check "causal_z holds z, h0 and ht" test -s "$tmp/causal_z/z.npy" -a -s "$tmp/causal_z/h0.npy" -a -s "$tmp/causal_z/ht.npy"
check "noncausal holds no z, h0 or ht" test ! -e "$tmp/noncausal/z.npy" -a ! -e "$tmp/noncausal/h0.npy" -a ! -e "$tmp/noncausal/ht.npy"

edit no_n causal_z "case(lambda c: c.pop('N'))"
refused no_n "case.json without N" "missing key 'N'"
edit z_int causal_z "case(lambda c: c.update(has_z=1))"
refused z_int "has_z: 1 instead of true" "'has_z' is 1"
edit t_float noncausal "case(lambda c: c.update(T=130.0))"
refused t_float "T: 130.0 instead of 130" "'T' is 130.0"
edit state_nc noncausal "case(lambda c: c.update(state=True))"
refused state_nc "state true in a non-causal case" "state is true in a non-causal case"
edit bad_g causal_z "case(lambda c: c.update(G=3))"
refused bad_g "H=4 over G=3 groups" "not a multiple of G=3"
edit no_z causal_z "import os; os.remove('z.npy')"
refused no_z "has_z true without z.npy" "z.npy is missing"
edit extra_ht noncausal "np.save('ht.npy', np.zeros((1, 3, 17, 16), np.float32))"
refused extra_ht "ht.npy in a case without state" "ht.npy is present"
edit short_bm causal_z "np.save('Bm.npy', np.load('Bm.npy')[:, :-1])"
refused short_bm "Bm one token short" "Bm.npy: shape"
edit f64 causal_z "np.save('x.npy', np.load('x.npy').astype(np.float64))"
refused f64 "x stored as float64" "want '<f4'"
edit fortran causal_z "np.save('Cm.npy', np.asfortranarray(np.load('Cm.npy')))"
refused fortran "Cm in Fortran order" "fortran_order True"
edit v2 causal_z "
a = np.load('dt.npy')
with open('dt.npy', 'wb') as f: np.lib.format.write_array(f, a, version=(2, 0))"
refused v2 "dt in .npy format 2.0" "format version 2.0"
edit nan_x noncausal "x = np.load('x.npy'); x[0, 5, 1, 2] = np.nan; np.save('x.npy', x)"
refused nan_x "a NaN in x" "x.npy holds a non-finite input"
edit pos_a cpu_state "a = np.load('A.npy'); a[1] = 0.5; np.save('A.npy', a)"
refused pos_a "A > 0" "A >= 0"
# What the contract allows: dtype aliases, unknown keys.
edit alias noncausal "case(lambda c: c.update(dtype='bfloat16', lab='x'))"
passes alias
# A wrong output is an error (status 1), not a malformed dump.
edit wrong_o causal_z "o = np.load('o.npy'); o[1, 100, 2, 3] += 0.01 * abs(o).max() + 0.01; np.save('o.npy', o)"
wrong wrong_o "a wrong o"
edit wrong_ht cpu_state "h = np.load('ht.npy'); h[0, 1, 2, 0] += 0.01 * abs(h).max(); np.save('ht.npy', h)"
wrong wrong_ht "a wrong ht"
edit inf_o nosoftplus "o = np.load('o.npy'); o[0, 3, 1, 1] = np.inf; np.save('o.npy', o)"
wrong inf_o "an Inf in o"
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Dumps of softmax_attn.cross against the independent NumPy check
# (tests/check_cross_dump.py; FAMILIES.md states no contract of its own,
# so keys kernel, dtype, B, H, TQ, TK, D, DV and files q, k, v, o as the
# op declares them): the cpu device dumps its reference (f32), PoCL the
# flash kernel's outputs (CrossViT's one CLS query over 3136 keys in bf16,
# PVTv2's 784 queries over 49 keys in f16, ragged in f32); each dump must
# pass, and copies broken one way each must be refused as malformed
# (status 2), while a wrong o is an error (status 1).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dumptest.sh"
check_py="$top_srcdir/tests/check_cross_dump.py"
kernel=softmax_attn.cross.flash
dumptest_start crossdump

dump ref B=2,H=2,TQ=19,TK=45,D=8,DV=12 --noncausal f32
dump cls B=1,H=3,TQ=1,TK=3136,D=64 --noncausal bf16 opencl:0
dump sra B=1,H=2,TQ=784,TK=49,D=64 --noncausal f16 opencl:0
dump ragged B=2,H=1,TQ=77,TK=131,D=40,DV=24 --noncausal f32 opencl:0

for n in ref cls sra ragged; do passes "$n"; done
check "the dump holds exactly q, k, v, o and case.json" \
  test "$(ls "$tmp/cls" | tr '\n' ' ')" = "case.json k.npy o.npy q.npy v.npy "
check "case.json: kernel softmax_attn.cross, TQ and TK, no causal or scale key" \
  sh -c "grep -q '\"kernel\": \"softmax_attn.cross\",' '$tmp/cls/case.json' && grep -q '\"TQ\": 1,' '$tmp/cls/case.json' &&
    grep -q '\"TK\": 3136,' '$tmp/cls/case.json' && ! grep -q '\"causal\"\\|\"scale\"' '$tmp/cls/case.json'"

edit no_tk ref "
import json; c = json.load(open('case.json')); del c['TK']; json.dump(c, open('case.json', 'w'))"
refused no_tk "case.json without TK" "missing key 'TK'"
edit causal ref "
import json; c = json.load(open('case.json')); c['causal'] = True; json.dump(c, open('case.json', 'w'))"
refused causal "causal: true" "never causal"
edit k_as_q ragged "
import numpy as np; np.save('k.npy', np.load('q.npy'))"
refused k_as_q "k with TQ rows instead of TK" "k.npy: shape"
edit f64 ref "
import numpy as np; np.save('o.npy', np.load('o.npy').astype(np.float64))"
refused f64 "o stored as float64" "want '<f4'"
edit wrong_o sra "
import numpy as np; o = np.load('o.npy'); o[0, 1, 500, 3] += 0.1 * abs(o).max() + 1; np.save('o.npy', o)"
wrong wrong_o "a wrong o"
tap_done

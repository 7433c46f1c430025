#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
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
. "$top_srcdir/tests/dumptest.sh"
check_py="$top_srcdir/tests/check_neighborhood_dump.py"
kernel=local_attn.neighborhood_2d.flash
dumptest_start nadump

dump dil_ref B=2,H=2,D=8,DV=12,grid=13x11,kernel_size=3x5,dilation=3x2 --noncausal f32
dump even B=1,H=2,D=16,grid=16x15,kernel_size=4x6,dilation=1x2 --noncausal f32 opencl:0
dump dil_bf16 B=1,H=2,D=32,DV=24,grid=20x21,kernel_size=5x4,dilation=3x4 --noncausal bf16 opencl:0
dump whole B=2,H=1,D=24,grid=9x12,kernel_size=9x12 --noncausal f16 opencl:0

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
wrong wrong_o "a wrong o"
edit undilated dil_ref "
import json; c = json.load(open('case.json')); c['dilation'] = [1, 1]; json.dump(c, open('case.json', 'w'))"
wrong undilated "the dilated case read with dilation [1, 1]"
tap_done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Dumps of local_attn.window_2d and window_3d against the independent NumPy
# check (tests/check_window_dump.py, a literal Swin pipeline, FAMILIES.md
# §0.1 and §4.2): the cpu device dumps its reference, PoCL the flash
# kernels' outputs, in 2D and 3D, shifted with rpb, f32 and bf16, and
# unshifted without rpb; each dump must pass the check and carry exactly
# the contract's keys (grid, win, shift as lists, has_rpb a boolean) and
# files; copies broken one way each must be refused as malformed (status
# 2), while a wrong o, or the shift dropped from case.json, is an error
# (status 1).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dumptest.sh"
check_py="$top_srcdir/tests/check_window_dump.py"
dumptest_start windump

w2=local_attn.window_2d.flash
w3=local_attn.window_3d.flash
kernel=$w2
dump ref2 B=1,H=2,D=8,DV=6,grid=8x12,win=4x4,shift=2x1,has_rpb=1 --noncausal f32
kernel=$w3
dump ref3 B=1,H=1,D=6,grid=4x6x6,win=2x3x3,shift=1x1x2,has_rpb=1 --noncausal bf16
kernel=$w2
dump swin B=2,H=3,D=32,grid=28x28,win=7x7,shift=3x3,has_rpb=1 --noncausal f32 opencl:0
dump swin16 B=1,H=2,D=24,DV=40,grid=16x24,win=8x8,shift=4x4,has_rpb=1 --noncausal bf16 opencl:0
dump plain B=1,H=2,D=16,grid=14x21,win=7x7 --noncausal f32 opencl:0
kernel=$w3
dump video B=1,H=2,D=16,grid=8x14x14,win=4x7x7,shift=2x3x3,has_rpb=1 --noncausal f32 opencl:0
dump video16 B=2,H=1,D=16,DV=8,grid=4x8x12,win=2x4x6,shift=1x2x3,has_rpb=1 --noncausal bf16 opencl:0

for n in ref2 ref3 swin swin16 plain video video16; do passes "$n"; done
check "a dump with rpb holds exactly q, k, v, rpb, o and case.json" \
  test "$(ls "$tmp/swin" | tr '\n' ' ')" = "case.json k.npy o.npy q.npy rpb.npy v.npy "
check "a dump without rpb holds exactly q, k, v, o and case.json" \
  test "$(ls "$tmp/plain" | tr '\n' ' ')" = "case.json k.npy o.npy q.npy v.npy "
check "case.json names the op, lists grid, win and shift, and says has_rpb true" \
  sh -c "grep -q '\"kernel\": \"local_attn.window_3d\",' '$tmp/video/case.json' &&
         grep -q '\"grid\": \\[8, 14, 14\\],' '$tmp/video/case.json' &&
         grep -q '\"win\": \\[4, 7, 7\\],' '$tmp/video/case.json' &&
         grep -q '\"shift\": \\[2, 3, 3\\],' '$tmp/video/case.json' &&
         grep -q '\"has_rpb\": true' '$tmp/video/case.json' && ! grep -q '\"causal\"' '$tmp/video/case.json'"
check "an unshifted case says shift [0, 0] and has_rpb false" \
  sh -c "grep -q '\"shift\": \\[0, 0\\],' '$tmp/plain/case.json' && grep -q '\"has_rpb\": false' '$tmp/plain/case.json'"

json_edit() {
  edit "$1" "$2" "
import json; c = json.load(open('case.json')); $3; json.dump(c, open('case.json', 'w'))"
}
json_edit no_shift ref2 "del c['shift']"
refused no_shift "case.json without shift" "missing key 'shift'"
json_edit grid_text swin "c['grid'] = '28x28'"
refused grid_text "grid written as a string" "'grid' is \"28x28\""
json_edit short_win video "c['win'] = [7, 7]"
refused short_win "a 3D case with a 2-entry win" "'win' is \\[7, 7\\]"
json_edit rpb_int swin "c['has_rpb'] = 1"
refused rpb_int "has_rpb written as 1" "'has_rpb' is 1"
json_edit ragged swin "c['grid'] = [27, 28]"
refused ragged "a grid not a multiple of the window" "not a multiple of win"
json_edit big_shift ref2 "c['shift'] = [4, 1]"
refused big_shift "a shift equal to its window" "not below win"
edit no_rpb swin "import os; os.remove('rpb.npy')"
refused no_rpb "has_rpb true without rpb.npy" "rpb.npy is missing"
json_edit extra_rpb swin "c['has_rpb'] = False"
refused extra_rpb "rpb.npy present with has_rpb false" "rpb.npy is present"
edit rpb_shape ref2 "
import numpy as np; np.save('rpb.npy', np.load('rpb.npy')[:, :-1])"
refused rpb_shape "rpb one row short" "rpb.npy: shape"
edit f64 video "
import numpy as np; np.save('k.npy', np.load('k.npy').astype(np.float64))"
refused f64 "k stored as float64" "want '<f4'"
edit nan_rpb ref3 "
import numpy as np; r = np.load('rpb.npy'); r[0, 1, 2, 3] = np.inf; np.save('rpb.npy', r)"
refused nan_rpb "an Inf in rpb" "non-finite input"
# A wrong o is an error (status 1), not a malformed dump; so is a case
# whose shift is dropped (the windows then differ) or whose rpb is zeroed.
edit wrong_o swin16 "
import numpy as np; o = np.load('o.npy'); o[0, 1, 200, 7] += 0.2 * abs(o).max() + 1; np.save('o.npy', o)"
wrong wrong_o "a wrong o"
json_edit unshifted video "c['shift'] = [0, 0, 0]"
wrong unshifted "the shift dropped from case.json"
edit zero_rpb swin "
import numpy as np; np.save('rpb.npy', np.zeros_like(np.load('rpb.npy')))"
wrong zero_rpb "rpb zeroed"
tap_done

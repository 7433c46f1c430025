#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent float64 check of one dumped case of
local_attn.neighborhood_2d (FAMILIES.md §0.1 and §4.3): it validates the
dump strictly, recomputes o_t = sum_{j in K(t)} softmax_j(scale q_t . k_j) v_j
from the stored inputs, with K(t) NATTEN's dilated neighbourhood of the
token t = r * Wg + c of an Hg x Wg grid, and prints
err = max|o - r| / (max|r| + 1e-6).

NATTEN's rule, per axis of length L with kernel size k and dilation d
(k * d <= L): coordinate x is in dilation group g = x mod d at index
x' = x div d; the group holds the positions g, g + d, ... below L; the window
takes floor(k/2) group positions before x' and floor(k/2) + (k mod 2) - 1
after it, moved inward (never cut) where it would leave the group, so it
always holds k positions. K(t) is the product of the rows' and the columns'
windows: kh * kw keys.

Usage: check_neighborhood_dump.py DIR
Exit status: 0 within the dtype's tolerance, 1 outside it (a NaN or Inf in
o is an infinite error), 2 for a malformed dump (one line on stderr says
why), 3 when numpy is missing.

Written from the contract alone, not from subquad's code: it shares no
reference and no tolerance with the harness (the strict .npy reader and the
metric are tests/dumpcheck.py's)."""

import json
import os
import sys

from dumpcheck import Malformed, key, load_npy, main, np, open_case


def int_list(case, name):
    """case[name]: a list of two integers >= 1 (FAMILIES.md §0.1: lists of
    integers where stated)."""
    if name not in case:
        raise Malformed("case.json: missing key '%s'" % name)
    v = case[name]
    if type(v) is not list or len(v) != 2 or not all(type(x) is int and x >= 1 for x in v):
        raise Malformed("case.json: '%s' is %s, want a list of 2 integers >= 1" % (name, json.dumps(v)))
    return v


def read_case(d):
    case, c = open_case(d, ("local_attn.neighborhood_2d",))
    for k in ("B", "H", "D", "DV"):
        c[k] = key(case, k, "int")
    for k in ("grid", "kernel_size", "dilation"):
        c[k] = int_list(case, k)
    for a in range(2):
        if c["kernel_size"][a] * c["dilation"][a] > c["grid"][a]:
            raise Malformed("case.json: kernel_size %d x dilation %d exceeds the grid (%d) on axis %d" % (
                c["kernel_size"][a], c["dilation"][a], c["grid"][a], a))
    c["scale"] = key(case, "scale", "number")
    c["T"] = c["grid"][0] * c["grid"][1]
    return c


def read_tensors(d, c):
    B, H, T, D, DV = c["B"], c["H"], c["T"], c["D"], c["DV"]
    want = {"q": (B, H, T, D), "k": (B, H, T, D), "v": (B, H, T, DV), "o": (B, H, T, DV)}
    x = {name: load_npy(os.path.join(d, name + ".npy"), shape) for name, shape in want.items()}
    for name in ("q", "k", "v"):
        if not np.isfinite(x[name]).all():
            raise Malformed("%s.npy holds a non-finite input" % name)
    return x


def axis_windows(L, k, d):
    """(L, k): the coordinates each coordinate of the axis sees, in order."""
    out = np.empty((L, k), dtype=np.int64)
    for x in range(L):
        group = list(range(x % d, L, d))          # the positions of x's group
        i = group.index(x)
        lo = i - k // 2
        hi = i + k // 2 + k % 2 - 1                # inclusive
        if lo < 0:
            lo, hi = 0, hi - lo
        if hi > len(group) - 1:
            lo, hi = lo - (hi - len(group) + 1), len(group) - 1
        out[x] = group[lo:hi + 1]
    return out


def reference(c, x):
    """r in float64: per (b, h), the kh * kw keys of every query gathered,
    their scores, a softmax along them that the row maximum keeps in range,
    and the weighted sum of their values."""
    Hg, Wg = c["grid"]
    rows = axis_windows(Hg, c["kernel_size"][0], c["dilation"][0])
    cols = axis_windows(Wg, c["kernel_size"][1], c["dilation"][1])
    # keys[r, c] = every row window key times Wg plus every column window key.
    keys = rows[:, None, :, None] * Wg + cols[None, :, None, :]
    keys = keys.reshape(c["T"], -1)
    r = np.empty(x["o"].shape)
    for b in range(c["B"]):
        for h in range(c["H"]):
            q, k, v = x["q"][b, h], x["k"][b, h], x["v"][b, h]
            s = c["scale"] * np.einsum("td,tnd->tn", q, k[keys])
            p = np.exp(s - s.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            r[b, h] = np.einsum("tn,tnc->tc", p, v[keys])
    return r, None


def describe(c):
    return "%s %s B=%d H=%d D=%d DV=%d grid=%dx%d kernel_size=%dx%d dilation=%dx%d scale=%.6g" % (
        c["kernel"], c["dtype"], c["B"], c["H"], c["D"], c["DV"], c["grid"][0], c["grid"][1],
        c["kernel_size"][0], c["kernel_size"][1], c["dilation"][0], c["dilation"][1], c["scale"])


if __name__ == "__main__":
    sys.exit(main(sys.argv, read_case, read_tensors, reference, describe))

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent float64 check of one dumped case of local_attn.window_2d
or local_attn.window_3d (FAMILIES.md §0.1 and §4.2): it validates the dump
strictly, then recomputes o the way Swin and Video Swin run it, step by
step on arrays:
  x = np.roll(x, -shift) over the grid axes (torch.roll),
  window partition into windows of `win`,
  img_mask labelled over the slices (:-M), (-M:-s), (-s:) of every axis
  (Video Swin's compute_mask), attn_mask = -100 where labels differ,
  attn = softmax(scale q k^T + rpb[relative_position_index] + attn_mask),
  o = attn v, window reverse, np.roll(o, +shift),
and prints err = max|o - r| / (max|r| + 1e-6).

Usage: check_window_dump.py DIR
Exit status: 0 within the dtype's tolerance, 1 outside it (a NaN or Inf in
o is an infinite error), 2 for a malformed dump (one line on stderr says
why), 3 when numpy is missing.

Written from the contract and Swin's model code alone, not from subquad's:
it shares no reader, no reference and no tolerance with the harness. The
mask is materialised (windows x N^2), so keep dumped cases small."""

import itertools
import json
import os
import sys

from dumpcheck import Malformed, key, load_npy, main, np, open_case

KERNELS = {"local_attn.window_2d": 2, "local_attn.window_3d": 3}


def int_list(case, name, rank, least):
    """case[name]: a JSON list of `rank` integers >= least."""
    if name not in case:
        raise Malformed("case.json: missing key '%s'" % name)
    v = case[name]
    if type(v) is not list or len(v) != rank or not all(type(x) is int and x >= least for x in v):
        raise Malformed("case.json: '%s' is %s, want a list of %d integers >= %d" % (name, json.dumps(v), rank, least))
    return v


def read_case(d):
    case, c = open_case(d, KERNELS)
    rank = KERNELS[c["kernel"]]
    for k in ("B", "H", "D", "DV"):
        c[k] = key(case, k, "int")
    c["grid"] = int_list(case, "grid", rank, 1)
    c["win"] = int_list(case, "win", rank, 1)
    c["shift"] = int_list(case, "shift", rank, 0)
    for a in range(rank):
        if c["grid"][a] % c["win"][a]:
            raise Malformed("case.json: grid %s is not a multiple of win %s" % (c["grid"], c["win"]))
        if c["shift"][a] >= c["win"][a]:
            raise Malformed("case.json: shift %s is not below win %s" % (c["shift"], c["win"]))
    c["scale"] = key(case, "scale", "number")
    c["has_rpb"] = key(case, "has_rpb", "bool")
    return c


def read_tensors(d, c):
    B, H, D, DV = c["B"], c["H"], c["D"], c["DV"]
    T = int(np.prod(c["grid"]))
    want = {"q": (B, H, T, D), "k": (B, H, T, D), "v": (B, H, T, DV), "o": (B, H, T, DV)}
    rpb_path = os.path.join(d, "rpb.npy")
    if c["has_rpb"]:
        want["rpb"] = (H,) + tuple(2 * m - 1 for m in c["win"])
    elif os.path.exists(rpb_path):
        raise Malformed("rpb.npy is present but has_rpb is false")
    x = {name: load_npy(os.path.join(d, name + ".npy"), shape) for name, shape in want.items()}
    for name in x:
        if name != "o" and not np.isfinite(x[name]).all():
            raise Malformed("%s.npy holds a non-finite input" % name)
    return x


def partition(x, grid, win):
    """(B, H, *grid, C) -> (B, H, windows, N, C), windows and in-window
    positions both row-major (Swin's window_partition)."""
    rank = len(grid)
    b, h, c = x.shape[0], x.shape[1], x.shape[-1]
    split = [b, h]
    for a in range(rank):
        split += [grid[a] // win[a], win[a]]
    x = x.reshape(split + [c])
    order = [0, 1] + [2 + 2 * a for a in range(rank)] + [3 + 2 * a for a in range(rank)] + [2 + 2 * rank]
    return x.transpose(order).reshape(b, h, -1, int(np.prod(win)), c)


def reverse(x, grid, win):
    """The inverse of partition (Swin's window_reverse)."""
    rank = len(grid)
    b, h, c = x.shape[0], x.shape[1], x.shape[-1]
    counts = [grid[a] // win[a] for a in range(rank)]
    x = x.reshape([b, h] + counts + list(win) + [c])
    order = [0, 1]
    for a in range(rank):
        order += [2 + a, 2 + rank + a]
    return x.transpose(order + [2 + 2 * rank]).reshape([b, h] + list(grid) + [c])


def attn_mask(grid, win, shift):
    """Video Swin's compute_mask on the rolled grid: labels counted over the
    product of each axis's three slices, -100 between different labels."""
    img = np.zeros(grid, dtype=np.int64)
    per_axis = [(slice(-m), slice(-m, -s), slice(-s, None)) for m, s in zip(win, shift)]
    for cnt, sl in enumerate(itertools.product(*per_axis)):
        img[sl] = cnt
    mw = partition(img[None, None, ..., None], grid, win)[0, 0, :, :, 0]   # (windows, N)
    return np.where(mw[:, None, :] != mw[:, :, None], -100.0, 0.0)


def relative_position_index(win):
    """Swin's relative_position_index: (p_i - p_j + M - 1) per axis in mixed
    radix 2M - 1, for every pair of in-window positions."""
    coords = np.stack(np.meshgrid(*[np.arange(m) for m in win], indexing="ij")).reshape(len(win), -1)
    rel = coords[:, :, None] - coords[:, None, :]
    index = np.zeros(rel.shape[1:], dtype=np.int64)
    for a, m in enumerate(win):
        index = index * (2 * m - 1) + rel[a] + m - 1
    return index


def reference(c, x):
    grid, win, shift = c["grid"], c["win"], c["shift"]
    B, H = c["B"], c["H"]
    axes = tuple(range(2, 2 + len(grid)))
    roll = lambda a, s: np.roll(a.reshape([B, H] + grid + [a.shape[-1]]), s, axis=axes)
    q = partition(roll(x["q"], [-s for s in shift]), grid, win)
    k = partition(roll(x["k"], [-s for s in shift]), grid, win)
    v = partition(roll(x["v"], [-s for s in shift]), grid, win)
    attn = c["scale"] * np.einsum("bhwid,bhwjd->bhwij", q, k)
    if c["has_rpb"]:
        table = x["rpb"].reshape(H, -1)
        attn = attn + table[:, relative_position_index(win)][None, :, None]
    if any(shift):
        attn = attn + attn_mask(grid, win, shift)[None, None]
    attn = np.exp(attn - attn.max(axis=-1, keepdims=True))
    attn /= attn.sum(axis=-1, keepdims=True)
    o = reverse(np.einsum("bhwij,bhwjc->bhwic", attn, v), grid, win)
    o = np.roll(o, shift, axis=axes)
    return o.reshape(B, H, -1, c["DV"]), None


def describe(c):
    return "%s %s B=%d H=%d D=%d DV=%d grid=%s win=%s shift=%s scale=%.6g has_rpb=%s" % (
        c["kernel"], c["dtype"], c["B"], c["H"], c["D"], c["DV"], "x".join(map(str, c["grid"])),
        "x".join(map(str, c["win"])), "x".join(map(str, c["shift"])), c["scale"], str(c["has_rpb"]).lower())


if __name__ == "__main__":
    sys.exit(main(sys.argv, read_case, read_tensors, reference, describe))

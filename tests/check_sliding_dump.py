#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent float64 check of one dumped case of local_attn.sliding_1d
(FAMILIES.md §0.1 and §4.1): it validates the dump strictly, recomputes
o_i = sum_{j in K(i)} softmax_j(scale q_i . k_j) v_j with
K(i) = {j : i - window_left <= j <= i + window_right, 0 <= j < T}
(truncated at the ends) from the stored inputs, and prints
err = max|o - r| / (max|r| + 1e-6).

Usage: check_sliding_dump.py DIR
Exit status: 0 within the dtype's tolerance, 1 outside it (a NaN or Inf in
o is an infinite error), 2 for a malformed dump (one line on stderr says
why), 3 when numpy is missing.

Written from the contract alone, not from subquad's code: it shares no
reader, no reference and no tolerance with the harness. The key sets are
built as a dense boolean mask, so keep dumped cases at T of a few
thousand."""

import json
import os
import sys

from dumpcheck import Malformed, key, load_npy, main, np, open_case


def read_case(d):
    case, c = open_case(d, ("local_attn.sliding_1d",))
    for k in ("B", "H", "T", "D", "DV"):
        c[k] = key(case, k, "int")
    # Windows may be 0 (the query alone on that side): an integer >= 0.
    for k in ("window_left", "window_right"):
        if k not in case:
            raise Malformed("case.json: missing key '%s'" % k)
        if type(case[k]) is not int or case[k] < 0:
            raise Malformed("case.json: '%s' is %s, want an integer >= 0" % (k, json.dumps(case[k])))
        c[k] = case[k]
    c["scale"] = key(case, "scale", "number")
    return c


def read_tensors(d, c):
    B, H, T, D, DV = c["B"], c["H"], c["T"], c["D"], c["DV"]
    want = {"q": (B, H, T, D), "k": (B, H, T, D), "v": (B, H, T, DV), "o": (B, H, T, DV)}
    x = {name: load_npy(os.path.join(d, name + ".npy"), shape) for name, shape in want.items()}
    for name in ("q", "k", "v"):
        if not np.isfinite(x[name]).all():
            raise Malformed("%s.npy holds a non-finite input" % name)
    return x


def reference(c, x):
    """r in float64: the scores of every pair, -inf outside the band, a
    softmax along the keys that the row maximum keeps in range."""
    T = c["T"]
    i = np.arange(T)[:, None]
    j = np.arange(T)[None, :]
    band = (j >= i - c["window_left"]) & (j <= i + c["window_right"])
    s = c["scale"] * np.einsum("bhid,bhjd->bhij", x["q"], x["k"])
    s = np.where(band, s, -np.inf)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return np.einsum("bhij,bhjc->bhic", p, x["v"]), None


def describe(c):
    return "%s %s B=%d H=%d T=%d D=%d DV=%d window=(%d, %d) scale=%.6g" % (
        c["kernel"], c["dtype"], c["B"], c["H"], c["T"], c["D"], c["DV"], c["window_left"], c["window_right"],
        c["scale"])


if __name__ == "__main__":
    sys.exit(main(sys.argv, read_case, read_tensors, reference, describe))

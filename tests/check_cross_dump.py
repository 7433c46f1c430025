#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent float64 check of one dumped case of softmax_attn.cross:
TQ queries over TK keys of another sequence, non-causal,
o_i = sum_{j < TK} softmax_j(q_i . k_j / sqrt(D)) v_j. FAMILIES.md states
no contract of its own for it, so this one follows §0.1 with the op's
declaration: case.json keys kernel ("softmax_attn.cross"), dtype, B, H, TQ,
TK, D, DV (no scale key: the scale is D^-1/2, no causal key: never causal);
files q (B,H,TQ,D), k (B,H,TK,D), v (B,H,TK,DV), o (B,H,TQ,DV). It
validates the dump strictly, recomputes o from the stored inputs and
prints err = max|o - r| / (max|r| + 1e-6).

Usage: check_cross_dump.py DIR
Exit status: 0 within the dtype's tolerance, 1 outside it (a NaN or Inf in
o is an infinite error), 2 for a malformed dump (one line on stderr says
why), 3 when numpy is missing.

Written from the contract alone, not from subquad's code."""

import json
import math
import os
import sys

from dumpcheck import Malformed, key, load_npy, main, np, open_case


def read_case(d):
    case, c = open_case(d, ("softmax_attn.cross",))
    for k in ("B", "H", "TQ", "TK", "D", "DV"):
        c[k] = key(case, k, "int")
    if "causal" in case and case["causal"] is not False:
        raise Malformed("case.json: causal is %s; cross attention is never causal" % json.dumps(case["causal"]))
    return c


def read_tensors(d, c):
    B, H, TQ, TK, D, DV = c["B"], c["H"], c["TQ"], c["TK"], c["D"], c["DV"]
    want = {"q": (B, H, TQ, D), "k": (B, H, TK, D), "v": (B, H, TK, DV), "o": (B, H, TQ, DV)}
    x = {name: load_npy(os.path.join(d, name + ".npy"), shape) for name, shape in want.items()}
    for name in ("q", "k", "v"):
        if not np.isfinite(x[name]).all():
            raise Malformed("%s.npy holds a non-finite input" % name)
    return x


def reference(c, x):
    s = np.einsum("bhid,bhjd->bhij", x["q"], x["k"]) / math.sqrt(c["D"])
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return np.einsum("bhij,bhjc->bhic", p, x["v"]), None


def describe(c):
    return "%s %s B=%d H=%d TQ=%d TK=%d D=%d DV=%d" % (
        c["kernel"], c["dtype"], c["B"], c["H"], c["TQ"], c["TK"], c["D"], c["DV"])


if __name__ == "__main__":
    sys.exit(main(sys.argv, read_case, read_tensors, reference, describe))

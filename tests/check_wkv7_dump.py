#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent float64 check of one dumped case of wkv.rwkv7, RWKV-7's
generalised delta rule (FAMILIES.md §0.1, §3.3): it validates the dump
strictly, recomputes the output (and, with state, the final state) from
the stored inputs by the recurrence, one token at a time over every (b, h)
at once, and prints err = max|o - r| / (max|r| + 1e-6), the larger of o's
and ht's when the case has state.

Usage: check_wkv7_dump.py DIR
Exit status: 0 within the dtype's tolerance, 1 outside it (a NaN or Inf in
an output is an infinite error), 2 for a malformed dump (one line on
stderr says why), 3 when numpy is missing.

Written from the contract alone, not from subquad's code."""

import json
import os
import sys

from dumpcheck import Malformed, key, load_npy, main, np, open_case

SIZES = ("B", "T", "H", "N")
INPUTS = ("r", "w", "k", "v", "a", "b")


def read_case(d):
    case, c = open_case(d, ("wkv.rwkv7",))
    for k in SIZES:
        c[k] = key(case, k, "int")
    c["state"] = key(case, "state", "bool")
    if "causal" in case and case["causal"] is not True:
        raise Malformed("case.json: causal is %s, but wkv.rwkv7 is causal only" % json.dumps(case["causal"]))
    return c


def read_tensors(d, c):
    B, T, H, N = (c[k] for k in SIZES)
    want = {name: (B, T, H, N) for name in INPUTS + ("o",)}
    for name in ("h0", "ht"):
        exists = os.path.exists(os.path.join(d, name + ".npy"))
        if exists != c["state"]:
            raise Malformed("%s.npy is %s but the case says state=%s" % (
                name, "present" if exists else "missing", json.dumps(c["state"])))
        if exists:
            want[name] = (B, H, N, N)
    x = {name: load_npy(os.path.join(d, name + ".npy"), shape) for name, shape in want.items()}
    for name in want:
        if name not in ("o", "ht") and not np.isfinite(x[name]).all():
            raise Malformed("%s.npy holds a non-finite input" % name)
    return x


def reference(c, x):
    """r [B][T][H][N] and, with state, the final S [B][H][N][N] (value x key):
    S <- S diag(d) + (S a) b^T + v k^T with d = exp(-exp(w)), then o = S r."""
    B, T, H, N = (c[k] for k in SIZES)
    S = x["h0"].copy() if c["state"] else np.zeros((B, H, N, N))
    out = np.zeros((B, T, H, N))
    for t in range(T):
        r, w, k, v, a, b = (x[n][:, t] for n in INPUTS)                      # [B][H][N]
        d = np.exp(-np.exp(w))
        sa = np.einsum("bhij,bhj->bhi", S, a)
        S = S * d[:, :, None, :] + sa[..., None] * b[:, :, None, :] + v[..., None] * k[:, :, None, :]
        out[:, t] = np.einsum("bhij,bhj->bhi", S, r)
    return out, (S if c["state"] else None)


def describe(c):
    return "wkv.rwkv7 %s B=%d T=%d H=%d N=%d%s" % (
        c["dtype"], c["B"], c["T"], c["H"], c["N"], " state" if c["state"] else "")


if __name__ == "__main__":
    sys.exit(main(sys.argv, read_case, read_tensors, reference, describe))

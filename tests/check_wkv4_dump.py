#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent float64 check of one dumped case of wkv.rwkv4, RWKV-4's
WKV (causal) or Vision-RWKV's Bi-WKV (non-causal) (FAMILIES.md §0.1, §3.1):
it validates the dump strictly, recomputes the output from the stored
inputs and prints err = max|o - r| / (max|r| + 1e-6).

Up to T = 512 the output is the formula itself, a sum over every pair (t,
i) for each t (log-sum-exp scaled); above, running prefix and suffix sums
in float64 with their own log scale, one token at a time.

Usage: check_wkv4_dump.py DIR
Exit status: 0 within the dtype's tolerance, 1 outside it (a NaN or Inf in
the output is an infinite error), 2 for a malformed dump (one line on
stderr says why; a causal case with w <= 0 is malformed), 3 when numpy is
missing.

Written from the contract alone, not from subquad's code."""

import os
import sys

from dumpcheck import Malformed, key, load_npy, main, np, open_case

DIRECT_MAX_T = 512


def read_case(d):
    case, c = open_case(d, ("wkv.rwkv4",))
    for k in ("B", "T", "C"):
        c[k] = key(case, k, "int")
    c["causal"] = key(case, "causal", "bool")
    return c


def read_tensors(d, c):
    B, T, C = c["B"], c["T"], c["C"]
    want = {"w": (C,), "u": (C,), "k": (B, T, C), "v": (B, T, C), "o": (B, T, C)}
    x = {name: load_npy(os.path.join(d, name + ".npy"), shape) for name, shape in want.items()}
    for name in ("w", "u", "k", "v"):
        if not np.isfinite(x[name]).all():
            raise Malformed("%s.npy holds a non-finite input" % name)
    if c["causal"] and (x["w"] <= 0).any():
        raise Malformed("w.npy holds w <= 0 (min %.3g) in a causal case: RWKV-4's rate must be positive"
                        % x["w"].min())
    return x


def direct(c, x):
    """o_t from its sum over i: exponents -(|t-i|-1) w + k_i (i < t only when
    causal), u + k_t for i = t, scaled by their maximum."""
    B, T, C = c["B"], c["T"], c["C"]
    w, u, k, v = x["w"], x["u"], x["k"], x["v"]
    i = np.arange(T)
    r = np.zeros((B, T, C))
    for t in range(T):
        e = -(np.abs(t - i) - 1.0)[None, :, None] * w[None, None, :] + k          # [B][T][C]
        e[:, t, :] = u[None, :] + k[:, t, :]
        if c["causal"]:
            e[:, t + 1:, :] = -np.inf
        m = e.max(axis=1, keepdims=True)
        p = np.exp(e - m)
        r[:, t, :] = (p * v).sum(axis=1) / p.sum(axis=1)
    return r


def sums(w, k, v, order):
    """For each t in `order`, the sum over the tokens before it in that order
    of e^{-(distance-1) w + k_i} (v_i): returned as (a, b, p) [B][T][C] with
    a e^p = Σ e^.. v and b e^p = Σ e^.. (p = -inf when empty)."""
    B, T, C = k.shape
    a, b, p = np.zeros((B, T, C)), np.zeros((B, T, C)), np.full((B, T, C), -np.inf)
    sa, sb, sp = np.zeros((B, C)), np.zeros((B, C)), np.full((B, C), -np.inf)
    for t in order:
        a[:, t], b[:, t], p[:, t] = sa, sb, sp
        q = sp - w[None, :]
        n = np.maximum(q, k[:, t])
        e1 = np.where(np.isinf(q), 0.0, np.exp(q - n))
        e2 = np.exp(k[:, t] - n)
        sa, sb, sp = e1 * sa + e2 * v[:, t], e1 * sb + e2, n
    return a, b, p


def recurrent(c, x):
    w, u, k, v = x["w"], x["u"], x["k"], x["v"]
    T = c["T"]
    fa, fb, fp = sums(w, k, v, range(T))
    if c["causal"]:
        ga, gb, gp = np.zeros_like(fa), np.zeros_like(fa), np.full_like(fa, -np.inf)
    else:
        ga, gb, gp = sums(w, k, v, range(T - 1, -1, -1))
    uk = u[None, None, :] + k
    m = np.maximum(np.maximum(fp, gp), uk)
    e1, e2, e3 = np.exp(fp - m), np.exp(gp - m), np.exp(uk - m)
    return (e1 * fa + e2 * ga + e3 * v) / (e1 * fb + e2 * gb + e3)


def reference(c, x):
    return (direct(c, x) if c["T"] <= DIRECT_MAX_T else recurrent(c, x)), None


def describe(c):
    return "wkv.rwkv4 %s B=%d T=%d C=%d %s (%s)" % (
        c["dtype"], c["B"], c["T"], c["C"], "causal" if c["causal"] else "non-causal",
        "direct sum" if c["T"] <= DIRECT_MAX_T else "running sums")


if __name__ == "__main__":
    sys.exit(main(sys.argv, read_case, read_tensors, reference, describe))

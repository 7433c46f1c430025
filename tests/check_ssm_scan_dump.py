#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent float64 check of one dumped case of ssm.selective_scan
(FAMILIES.md §0.1, §1.1 and §1.7): it validates the dump strictly,
recomputes o (and ht when the case has state) from the stored inputs with a
plain loop over the tokens, and prints
err = max|o - r| / (max|r| + 1e-6), the larger of o's and ht's.

Usage: check_ssm_scan_dump.py DIR
Exit status: 0 within the dtype's tolerance, 1 outside it (a NaN or Inf in
an output is an infinite error), 2 for a malformed dump (one line on stderr
says why), 3 when numpy is missing.

Written from the contract alone, not from subquad's code: it shares no
reader, no reference and no tolerance with the harness."""

import json
import os
import sys

from dumpcheck import Malformed, key, load_npy, main, np, open_case


KERNEL = "ssm.selective_scan"
def read_case(d):
    case, c = open_case(d, (KERNEL,))
    for k in ("B", "D", "T", "N", "G", "K"):
        c[k] = key(case, k, "int")
    for k in ("delta_softplus", "has_z", "state"):
        c[k] = key(case, k, "bool")
    if c["K"] not in (1, 2):
        raise Malformed("case.json: K is %d, want 1 or 2" % c["K"])
    if c["D"] % c["G"]:
        raise Malformed("case.json: D=%d is not a multiple of G=%d" % (c["D"], c["G"]))
    if c["state"] and c["K"] != 1:
        raise Malformed("case.json: state is true with K=%d (a final state needs K=1)" % c["K"])
    return c


def read_tensors(d, c):
    """Every tensor the case has, optional ones exactly when their key says
    so; inputs finite, A a decay (<= 0)."""
    B, D, T, N, G, K = c["B"], c["D"], c["T"], c["N"], c["G"], c["K"]
    want = {"u": (B, K, D, T), "delta": (B, K, D, T), "A": (K, D, N), "Bm": (B, K, G, N, T),
            "Cm": (B, K, G, N, T), "Dskip": (K, D), "delta_bias": (K, D), "o": (B, D, T)}
    optional = {"z": ("has_z", (B, D, T)), "h0": ("state", (B, D, N)), "ht": ("state", (B, D, N))}
    for name, (flag, shape) in optional.items():
        there = os.path.exists(os.path.join(d, name + ".npy"))
        if there != c[flag]:
            raise Malformed("%s.npy is %s but %s is %s" % (name, "present" if there else "missing", flag,
                                                            json.dumps(c[flag])))
        if there:
            want[name] = shape
    x = {name: load_npy(os.path.join(d, name + ".npy"), shape) for name, shape in want.items()}
    for name, v in x.items():
        if name not in ("o", "ht") and not np.isfinite(v).all():
            raise Malformed("%s.npy holds a non-finite input" % name)
    if (x["A"] > 0).any():
        raise Malformed("A.npy holds a positive A (max %.3g): A must be a decay <= 0" % x["A"].max())
    return x


def step_size(c, x, k):
    """Δ [B][D][T] of direction k: softplus(delta + delta_bias), mamba's
    passthrough above 20, or the plain sum."""
    v = x["delta"][:, k] + x["delta_bias"][k][None, :, None]
    if not c["delta_softplus"]:
        return v
    return np.where(v > 20.0, v, np.log1p(np.exp(np.minimum(v, 20.0))))


def direction(c, x, k, h):
    """y_k [B][D][T] from the initial state h [B][D][N]; direction 0 runs
    forward, 1 backward. Returns y and the last state."""
    T, D, G = c["T"], c["D"], c["G"]
    group = np.arange(D) // (D // G)              # channel d reads B/C group d div (D/G)
    dt = step_size(c, x, k)
    u = x["u"][:, k]
    A = x["A"][k][None]                           # [1][D][N]
    y = np.zeros((c["B"], D, T))
    order = range(T) if k == 0 else range(T - 1, -1, -1)
    for t in order:
        b_t = x["Bm"][:, k, :, :, t][:, group, :]     # [B][D][N]
        c_t = x["Cm"][:, k, :, :, t][:, group, :]
        h = np.exp(dt[:, :, t, None] * A) * h + (dt[:, :, t] * u[:, :, t])[:, :, None] * b_t
        y[:, :, t] = (c_t * h).sum(axis=2) + x["Dskip"][k][None, :] * u[:, :, t]
    return y, h


def reference(c, x):
    B, D, N = c["B"], c["D"], c["N"]
    h0 = x["h0"] if c["state"] else np.zeros((B, D, N))
    y, ht = direction(c, x, 0, h0)
    if c["K"] == 2:
        y = y + direction(c, x, 1, np.zeros((B, D, N)))[0]
    if c["has_z"]:
        z = x["z"]
        y = y * (z / (1.0 + np.exp(-z)))
    return y, (ht if c["state"] else None)


def describe(c):
    return "%s %s B=%d D=%d T=%d N=%d G=%d K=%d%s%s%s" % (
        c["kernel"], c["dtype"], c["B"], c["D"], c["T"], c["N"], c["G"], c["K"],
        "" if c["delta_softplus"] else " no-softplus", " z" if c["has_z"] else "", " state" if c["state"] else "")


if __name__ == "__main__":
    sys.exit(main(sys.argv, read_case, read_tensors, reference, describe))

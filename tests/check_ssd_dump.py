#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent float64 check of one dumped case of ssm.ssd, Mamba-2's
state space duality (FAMILIES.md §0.1, §2.1 and §2.7): it validates the
dump strictly, recomputes the output from the stored inputs (the causal
recurrence as a plain loop over the tokens, or the non-causal KV sum) and
prints err = max|o - r| / (max|r| + 1e-6), the larger of o's and ht's when
the case has state.

Usage: check_ssd_dump.py DIR
Exit status: 0 within the dtype's tolerance, 1 outside it (a NaN or Inf in
an output is an infinite error), 2 for a malformed dump (one line on stderr
says why), 3 when numpy is missing.

Written from the contract alone, not from subquad's code: it shares no
reader, no reference and no tolerance with the harness."""

import json
import os
import sys

from dumpcheck import Malformed, key, load_npy, main, np, open_case


SIZES = ("B", "T", "H", "P", "G", "N")


def read_case(d):
    case, c = open_case(d, ("ssm.ssd",))
    for k in SIZES:
        c[k] = key(case, k, "int")
    for k in ("causal", "dt_softplus", "has_z"):
        c[k] = key(case, k, "bool")
    # "state (causal only)": required when causal; a non-causal case has no
    # state, so its key is absent or false.
    if c["causal"] or "state" in case:
        c["state"] = key(case, "state", "bool")
    else:
        c["state"] = False
    if c["state"] and not c["causal"]:
        raise Malformed("case.json: state is true in a non-causal case (causal only)")
    if c["H"] % c["G"]:
        raise Malformed("case.json: H=%d is not a multiple of G=%d" % (c["H"], c["G"]))
    return c


def read_tensors(d, c):
    """Every tensor, after checking that the optional ones are there exactly
    when their key says so and that the inputs are finite, with A < 0."""
    B, T, H, P, G, N = (c[k] for k in SIZES)
    want = {"x": (B, T, H, P), "dt": (B, T, H), "A": (H,), "Dskip": (H,), "dt_bias": (H,),
            "Bm": (B, T, G, N), "Cm": (B, T, G, N), "o": (B, T, H, P)}
    optional = {"z": ("has_z", (B, T, H, P)), "h0": ("state", (B, H, P, N)), "ht": ("state", (B, H, P, N))}
    for name, (flag, shape) in optional.items():
        exists = os.path.exists(os.path.join(d, name + ".npy"))
        if exists != c[flag]:
            raise Malformed("%s.npy is %s but the case says %s=%s" % (
                name, "present" if exists else "missing", flag, json.dumps(c[flag])))
        if exists:
            want[name] = shape
    x = {}
    for name, shape in want.items():
        path = os.path.join(d, name + ".npy")
        if not os.path.exists(path):
            raise Malformed("%s.npy is missing" % name)
        x[name] = load_npy(path, shape)
    for name in want:
        if name not in ("o", "ht") and not np.isfinite(x[name]).all():
            raise Malformed("%s.npy holds a non-finite input" % name)
    if (x["A"] >= 0).any():
        raise Malformed("A.npy holds A >= 0 (max %.3g): every head's A must be negative" % x["A"].max())
    return x


def steps(c, x):
    """Delta [B][T][H]: softplus(dt + dt_bias) with torch's threshold 20, or
    dt + dt_bias."""
    v = x["dt"] + x["dt_bias"][None, None, :]
    if not c["dt_softplus"]:
        return v
    return np.where(v > 20.0, v, np.log1p(np.exp(np.minimum(v, 20.0))))


def reference(c, x):
    """r [B][T][H][P] and, with state, the final state [B][H][P][N]."""
    B, T, H, P, G, N = (c[k] for k in SIZES)
    group = np.arange(H) // (H // G)              # contiguous heads share a group
    Bh = x["Bm"][:, :, group, :]                  # [B][T][H][N]
    Ch = x["Cm"][:, :, group, :]
    delta = steps(c, x)
    A = x["A"]
    y = np.zeros((B, T, H, P))
    S = None
    if c["causal"]:
        S = x["h0"].copy() if c["state"] else np.zeros((B, H, P, N))
        for t in range(T):
            decay = np.exp(delta[:, t, :] * A[None, :])                       # [B][H]
            dx = delta[:, t, :, None] * x["x"][:, t]                           # [B][H][P]
            S = decay[:, :, None, None] * S + dx[..., None] * Bh[:, t, :, None, :]
            y[:, t] = np.einsum("bhpn,bhn->bhp", S, Ch[:, t])
    else:
        w = -A[None, None, :] * delta                                          # [B][T][H]
        kv = np.einsum("bthn,bth,bthp->bhpn", Bh, w, x["x"])
        y = np.einsum("bhpn,bthn->bthp", kv, Ch)
    y = y + x["Dskip"][None, None, :, None] * x["x"]
    if c["has_z"]:
        z = x["z"]
        y = y * z * 0.5 * (1.0 + np.tanh(0.5 * z))   # silu(z) = z sigmoid(z)
    return y, (S if c["state"] else None)


def describe(c):
    return "ssm.ssd %s B=%d T=%d H=%d P=%d G=%d N=%d %s%s%s%s" % (
        c["dtype"], c["B"], c["T"], c["H"], c["P"], c["G"], c["N"],
        "causal" if c["causal"] else "non-causal", "" if c["dt_softplus"] else " no-softplus",
        " z" if c["has_z"] else "", " state" if c["state"] else "")


if __name__ == "__main__":
    sys.exit(main(sys.argv, read_case, read_tensors, reference, describe))

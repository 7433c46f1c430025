#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent float64 check of one dumped case of linear_attn.decay or
linear_attn.gla (FAMILIES.md §0.1 and §5): it validates the dump strictly,
recomputes the outputs from the stored inputs with a plain loop over the
tokens, and prints err = max|o - r| / (max|r| + 1e-6) (the larger of o's and
ht's when the case has state).

Usage: check_ga_dump.py DIR
Exit status: 0 within the dtype's tolerance, 1 outside it (a NaN or Inf in
an output is an infinite error), 2 for a malformed dump (one line on stderr
says why), 3 when numpy is missing.

Written from the contract alone, not from subquad's code: it shares no
reader, no reference and no tolerance with the harness."""

import json
import os
import sys

from dumpcheck import Malformed, key, load_npy, main, np, open_case


KERNELS = ("linear_attn.decay", "linear_attn.gla")


def read_case(d):
    case, c = open_case(d, KERNELS)
    for k in ("B", "H", "T", "D", "DV"):
        c[k] = key(case, k, "int")
    c["causal"] = key(case, "causal", "bool")
    c["scale"] = key(case, "scale", "number")
    # "state (causal only)": required in a causal case; a bidirectional one
    # has no final state, so the key is absent or false.
    if c["causal"]:
        c["state"] = key(case, "state", "bool")
    else:
        c["state"] = key(case, "state", "bool") if "state" in case else False
        if c["state"]:
            raise Malformed("case.json: state is true in a bidirectional case (causal only)")
    return c


def read_tensors(d, c):
    """Every tensor of the case, after checking that the optional ones are
    there exactly when their key says so and that the inputs are valid."""
    B, H, T, D, DV = c["B"], c["H"], c["T"], c["D"], c["DV"]
    gla = c["kernel"] == "linear_attn.gla"
    want = {"q": (B, H, T, D), "k": (B, H, T, D), "v": (B, H, T, DV), "o": (B, H, T, DV)}
    optional = {"h0": c["state"], "ht": c["state"]}
    if gla:
        want["g"] = (B, H, T, D)
        optional["gb"] = not c["causal"]
    else:
        want["log_gamma"] = (H,)
    for name, present in optional.items():
        exists = os.path.exists(os.path.join(d, name + ".npy"))
        if exists != present:
            raise Malformed("%s.npy is %s but the case says %s" % (
                name, "present" if exists else "missing",
                "causal=%s" % json.dumps(c["causal"]) if name == "gb" else "state=%s" % json.dumps(c["state"])))
        if present:
            want[name] = (B, H, T, D) if name == "gb" else (B, H, D, DV)
    x = {}
    for name, shape in want.items():
        path = os.path.join(d, name + ".npy")
        if not os.path.exists(path):
            raise Malformed("%s.npy is missing" % name)
        x[name] = load_npy(path, shape)
    for name in want:
        if name in ("o", "ht"):
            continue
        if not np.isfinite(x[name]).all():
            raise Malformed("%s.npy holds a non-finite input" % name)
    for name in ("log_gamma", "g", "gb"):
        if name in x and (x[name] > 0).any():
            raise Malformed("%s.npy holds a positive log gate (max %.3g)" % (name, x[name].max()))
    return x


def scan(c, x, gate, order, S):
    """One scan over the tokens in `order`: S = diag(exp(gate_t)) S + k_t v_t^T,
    y_t = S^T q_t. Returns y [B][H][T][DV] and the last S."""
    y = np.zeros(x["o"].shape)
    for t in order:
        a = gate(t)                                  # [B][H][D] or [1][H][1]
        S = a[..., None] * S + x["k"][:, :, t, :, None] * x["v"][:, :, t, None, :]
        y[:, :, t, :] = np.einsum("bhd,bhde->bhe", x["q"][:, :, t, :], S)
    return y, S


def reference(c, x):
    """r (and the final state when the case has one) in float64."""
    B, H, T, D, DV = c["B"], c["H"], c["T"], c["D"], c["DV"]
    if c["kernel"] == "linear_attn.gla":
        fwd = lambda t: np.exp(x["g"][:, :, t, :])
        bwd = lambda t: np.exp(x["gb"][:, :, t, :])
    else:
        gamma = np.exp(x["log_gamma"])[None, :, None]
        fwd = bwd = lambda t: gamma
    S0 = x["h0"].copy() if c["state"] else np.zeros((B, H, D, DV))
    y, S = scan(c, x, fwd, range(T), S0)
    if not c["causal"]:
        yb, _ = scan(c, x, bwd, range(T - 1, -1, -1), np.zeros((B, H, D, DV)))
        y = y + yb
    return c["scale"] * y, (S if c["state"] else None)


def describe(c):
    return "%s %s B=%d H=%d T=%d D=%d DV=%d %s%s" % (
        c["kernel"], c["dtype"], c["B"], c["H"], c["T"], c["D"], c["DV"],
        "causal" if c["causal"] else "bidirectional", " state" if c["state"] else "")


if __name__ == "__main__":
    sys.exit(main(sys.argv, read_case, read_tensors, reference, describe))

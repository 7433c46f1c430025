#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An independent float64 check of one dumped case of wkv.rwkv6
(FAMILIES.md §0.1 and §3.2): it validates the dump strictly, recomputes the
outputs from the stored inputs with a plain loop over the tokens, and
prints err = max|o - r| / (max|r| + 1e-6) (the larger of o's and ht's when
the case has state).

Usage: check_wkv6_dump.py DIR
Exit status: 0 within the dtype's tolerance, 1 outside it (a NaN or Inf in
an output is an infinite error), 2 for a malformed dump (one line on stderr
says why), 3 when numpy is missing.

Written from the contract alone, not from subquad's code: it shares no
reader, no reference and no tolerance with the harness."""

import json
import os
import sys

from dumpcheck import Malformed, key, load_npy, main, np, open_case


def read_case(d):
    case, c = open_case(d, ("wkv.rwkv6",))
    for k in ("B", "T", "H", "N"):
        c[k] = key(case, k, "int")
    c["causal"] = key(case, "causal", "bool")
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
    """Every tensor of the case, after checking that h0 and ht are there
    exactly when the case has state and that the inputs are finite."""
    B, T, H, N = c["B"], c["T"], c["H"], c["N"]
    act = (B, T, H, N)
    want = {"r": act, "k": act, "v": act, "w": act, "u": (H, N), "o": act}
    for name in ("h0", "ht"):
        exists = os.path.exists(os.path.join(d, name + ".npy"))
        if exists != c["state"]:
            raise Malformed("%s.npy is %s but the case says state=%s" % (
                name, "present" if exists else "missing", json.dumps(c["state"])))
        if c["state"]:
            want[name] = (B, H, N, N)
    x = {}
    for name, shape in want.items():
        x[name] = load_npy(os.path.join(d, name + ".npy"), shape)
    for name in want:
        if name not in ("o", "ht") and not np.isfinite(x[name]).all():
            raise Malformed("%s.npy holds a non-finite input" % name)
    return x


def scan(x, order, S, bonus):
    """One scan over the tokens in `order`: y_t = r_t^T (S + bonus diag(u)
    k_t v_t^T) with S the state before token t, then S = diag(d_t) S +
    k_t v_t^T, d_t = exp(-exp(w_t)). Returns y [B][T][H][N] and the last S
    ([B][H][N key][N value])."""
    y = np.zeros(x["o"].shape)
    for t in order:
        r, k, v = x["r"][:, t], x["k"][:, t], x["v"][:, t]          # [B][H][N]
        y[:, t] = np.einsum("bhi,bhij->bhj", r, S)
        if bonus:
            y[:, t] += np.einsum("bhi,hi,bhi->bh", r, x["u"], k)[..., None] * v
        d = np.exp(-np.exp(x["w"][:, t]))
        S = d[..., None] * S + k[..., :, None] * v[..., None, :]
    return y, S


def reference(c, x):
    """r (and the final state when the case has one) in float64."""
    B, T, H, N = c["B"], c["T"], c["H"], c["N"]
    S0 = x["h0"].copy() if c["state"] else np.zeros((B, H, N, N))
    y, S = scan(x, range(T), S0, True)
    if not c["causal"]:
        yb, _ = scan(x, range(T - 1, -1, -1), np.zeros((B, H, N, N)), False)
        y = y + yb
    return y, (S if c["state"] else None)


def describe(c):
    return "%s %s B=%d T=%d H=%d N=%d %s%s" % (
        c["kernel"], c["dtype"], c["B"], c["T"], c["H"], c["N"],
        "causal" if c["causal"] else "bidirectional", " state" if c["state"] else "")


if __name__ == "__main__":
    sys.exit(main(sys.argv, read_case, read_tensors, reference, describe))

#!/usr/bin/python3
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

import ast
import json
import math
import os
import sys

try:
    import numpy as np
except ImportError:
    print("check_ssd_dump: numpy is not installed", file=sys.stderr)
    sys.exit(3)

TOLERANCE = {"f32": 2e-4, "f16": 2e-2, "bf16": 5e-2}
DTYPES = {"f32": "f32", "float32": "f32", "fp32": "f32", "f16": "f16", "float16": "f16", "fp16": "f16",
          "bf16": "bf16", "bfloat16": "bf16"}
SIZES = ("B", "T", "H", "P", "G", "N")


class Malformed(Exception):
    """The dump breaks the contract; the message is the one-line reason."""


def load_npy(path, shape):
    """The array at path as float64, after checking by hand that the file is
    .npy version 1.0 holding '<f4' in C order, of exactly this shape and
    with exactly the bytes that shape needs."""
    name = os.path.basename(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise Malformed("%s: cannot read: %s" % (name, e.strerror or e))
    if len(raw) < 10 or raw[:6] != b"\x93NUMPY":
        raise Malformed("%s: not a .npy file (bad magic)" % name)
    if raw[6] != 1 or raw[7] != 0:
        raise Malformed("%s: .npy format version %d.%d, want 1.0" % (name, raw[6], raw[7]))
    hlen = int.from_bytes(raw[8:10], "little")
    if len(raw) < 10 + hlen:
        raise Malformed("%s: header runs past the end of the file" % name)
    text = raw[10:10 + hlen].decode("latin1")
    try:
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise Malformed("%s: the header is not a Python dict literal" % name)
    if not text.endswith("\n"):
        raise Malformed("%s: the header does not end with a newline" % name)
    if not isinstance(header, dict) or sorted(header) != ["descr", "fortran_order", "shape"]:
        raise Malformed("%s: the header keys are not descr, fortran_order, shape" % name)
    if header["descr"] != "<f4":
        raise Malformed("%s: dtype %r, want '<f4' (float32)" % (name, header["descr"]))
    if header["fortran_order"] is not False:
        raise Malformed("%s: fortran_order %r, want False (C order)" % (name, header["fortran_order"]))
    got = header["shape"]
    if not isinstance(got, tuple) or not all(type(d) is int for d in got):
        raise Malformed("%s: shape %r is not a tuple of integers" % (name, got))
    if got != tuple(shape):
        raise Malformed("%s: shape %s, want %s" % (name, got, tuple(shape)))
    body = raw[10 + hlen:]
    want = 4 * int(np.prod(shape, dtype=np.int64))
    if len(body) != want:
        raise Malformed("%s: %d data bytes, want %d for shape %s" % (name, len(body), want, tuple(shape)))
    return np.frombuffer(body, dtype="<f4").reshape(shape).astype(np.float64)


def key(case, name, kind):
    """case[name], required, of this kind: 'size' (an integer >= 1), 'bool'
    (true or false, never 0 or 1) or 'str'."""
    if name not in case:
        raise Malformed("case.json: missing key '%s'" % name)
    v = case[name]
    ok = {"size": type(v) is int and v >= 1, "bool": type(v) is bool, "str": type(v) is str}[kind]
    if not ok:
        what = {"size": "an integer >= 1", "bool": "true or false", "str": "a string"}[kind]
        raise Malformed("case.json: '%s' is %s, want %s" % (name, json.dumps(v), what))
    return v


def read_case(d):
    try:
        with open(os.path.join(d, "case.json"), encoding="utf-8") as f:
            case = json.load(f)
    except OSError as e:
        raise Malformed("case.json: cannot read: %s" % (e.strerror or e))
    except ValueError as e:
        raise Malformed("case.json: not JSON: %s" % e)
    if not isinstance(case, dict):
        raise Malformed("case.json: not a JSON object")
    c = {"kernel": key(case, "kernel", "str"), "dtype": key(case, "dtype", "str")}
    if c["kernel"] != "ssm.ssd":
        raise Malformed("case.json: kernel '%s' is not ssm.ssd" % c["kernel"])
    if c["dtype"] not in DTYPES:
        raise Malformed("case.json: dtype '%s' is not f32, f16 or bf16" % c["dtype"])
    c["dtype"] = DTYPES[c["dtype"]]
    for k in SIZES:
        c[k] = key(case, k, "size")
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


def rel_err(got, want):
    if not np.isfinite(got).all():
        return math.inf
    return float(np.abs(got - want).max() / (np.abs(want).max() + 1e-6))


def main(argv):
    if len(argv) != 2:
        print("usage: check_ssd_dump.py DIR", file=sys.stderr)
        return 2
    d = argv[1]
    try:
        if not os.path.isdir(d):
            raise Malformed("%s is not a directory" % d)
        c = read_case(d)
        x = read_tensors(d, c)
    except Malformed as e:
        print("malformed dump: %s" % e, file=sys.stderr)
        return 2
    r, ht = reference(c, x)
    err = rel_err(x["o"], r)
    if ht is not None:
        err = max(err, rel_err(x["ht"], ht))
    tol = TOLERANCE[c["dtype"]]
    print("err=%.3g tol=%g ssm.ssd %s B=%d T=%d H=%d P=%d G=%d N=%d %s%s%s%s" % (
        err, tol, c["dtype"], c["B"], c["T"], c["H"], c["P"], c["G"], c["N"],
        "causal" if c["causal"] else "non-causal", "" if c["dt_softplus"] else " no-softplus",
        " z" if c["has_z"] else "", " state" if c["state"] else ""))
    return 0 if err <= tol else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

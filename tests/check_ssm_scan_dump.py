#!/usr/bin/python3
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

import ast
import json
import math
import os
import sys

try:
    import numpy as np
except ImportError:
    print("check_ssm_scan_dump: numpy is not installed", file=sys.stderr)
    sys.exit(3)

KERNEL = "ssm.selective_scan"
TOLERANCE = {"f32": 2e-4, "f16": 2e-2, "bf16": 5e-2}
DTYPES = {"f32": "f32", "float32": "f32", "fp32": "f32", "f16": "f16", "float16": "f16", "fp16": "f16",
          "bf16": "bf16", "bfloat16": "bf16"}


class Malformed(Exception):
    """The dump breaks the contract; the message is the one-line reason."""


def load_npy(path, shape):
    """The array at path as float64, once its bytes are checked by hand:
    .npy version 1.0, descr '<f4', C order, exactly `shape`, no trailing or
    missing data."""
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise Malformed("%s is missing" % name)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise Malformed("%s: cannot read: %s" % (name, e.strerror or e))
    if len(raw) < 10 or not raw.startswith(b"\x93NUMPY"):
        raise Malformed("%s: not a .npy file (bad magic)" % name)
    if raw[6:8] != b"\x01\x00":
        raise Malformed("%s: .npy format version %d.%d, want 1.0" % (name, raw[6], raw[7]))
    hlen = int.from_bytes(raw[8:10], "little")
    if len(raw) < 10 + hlen:
        raise Malformed("%s: the header runs past the end of the file" % name)
    text = raw[10:10 + hlen].decode("latin1")
    try:
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise Malformed("%s: the header is not a dict literal" % name)
    if not text.endswith("\n"):
        raise Malformed("%s: the header does not end with a newline" % name)
    if not isinstance(header, dict) or sorted(header) != ["descr", "fortran_order", "shape"]:
        raise Malformed("%s: the header's keys are not descr, fortran_order and shape" % name)
    if header["descr"] != "<f4":
        raise Malformed("%s: dtype %r, want '<f4' (float32)" % (name, header["descr"]))
    if header["fortran_order"] is not False:
        raise Malformed("%s: fortran_order is %r, want False (C order)" % (name, header["fortran_order"]))
    dims = header["shape"]
    if not isinstance(dims, tuple) or not all(type(x) is int for x in dims):
        raise Malformed("%s: shape %r is not a tuple of integers" % (name, dims))
    if dims != tuple(shape):
        raise Malformed("%s: shape %s, want %s" % (name, dims, tuple(shape)))
    count = int(np.prod(shape, dtype=np.int64))
    body = raw[10 + hlen:]
    if len(body) != 4 * count:
        raise Malformed("%s: %d bytes of data, want %d for shape %s" % (name, len(body), 4 * count, tuple(shape)))
    return np.frombuffer(body, dtype="<f4").reshape(shape).astype(np.float64)


def key(case, name, kind):
    """case[name], present and of the kind the contract says."""
    if name not in case:
        raise Malformed("case.json: missing key '%s'" % name)
    v = case[name]
    if kind == "int":
        ok, want = type(v) is int and v >= 1, "an integer >= 1"
    elif kind == "bool":
        ok, want = type(v) is bool, "true or false"
    else:
        ok, want = type(v) is str, "a string"
    if not ok:
        raise Malformed("case.json: '%s' is %s, want %s" % (name, json.dumps(v), want))
    return v


def read_case(d):
    try:
        with open(os.path.join(d, "case.json"), encoding="utf-8") as f:
            case = json.load(f)
    except OSError as e:
        raise Malformed("case.json: cannot read: %s" % (e.strerror or e))
    except ValueError as e:
        raise Malformed("case.json: not JSON: %s" % str(e).splitlines()[0])
    if not isinstance(case, dict):
        raise Malformed("case.json: not a JSON object")
    c = {"kernel": key(case, "kernel", "str"), "dtype": key(case, "dtype", "str")}
    if c["kernel"] != KERNEL:
        raise Malformed("case.json: kernel '%s', want '%s'" % (c["kernel"], KERNEL))
    if c["dtype"] not in DTYPES:
        raise Malformed("case.json: dtype '%s' is not f32, f16 or bf16" % c["dtype"])
    c["dtype"] = DTYPES[c["dtype"]]
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


def rel_err(got, want):
    if not np.isfinite(got).all():
        return math.inf
    return float(np.abs(got - want).max() / (np.abs(want).max() + 1e-6))


def main(argv):
    if len(argv) != 2:
        print("usage: check_ssm_scan_dump.py DIR", file=sys.stderr)
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
    with np.errstate(over="ignore", under="ignore"):
        r, ht = reference(c, x)
    err = rel_err(x["o"], r)
    if ht is not None:
        err = max(err, rel_err(x["ht"], ht))
    tol = TOLERANCE[c["dtype"]]
    print("err=%.3g tol=%g %s %s B=%d D=%d T=%d N=%d G=%d K=%d%s%s%s" % (
        err, tol, c["kernel"], c["dtype"], c["B"], c["D"], c["T"], c["N"], c["G"], c["K"],
        "" if c["delta_softplus"] else " no-softplus", " z" if c["has_z"] else "", " state" if c["state"] else ""))
    return 0 if err <= tol else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

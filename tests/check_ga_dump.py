#!/usr/bin/python3
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

import ast
import json
import math
import os
import sys

try:
    import numpy as np
except ImportError:
    print("check_ga_dump: numpy is not installed", file=sys.stderr)
    sys.exit(3)

TOLERANCE = {"f32": 2e-4, "f16": 2e-2, "bf16": 5e-2}
DTYPE_ALIASES = {"f32": "f32", "float32": "f32", "fp32": "f32", "f16": "f16", "float16": "f16",
                 "fp16": "f16", "bf16": "bf16", "bfloat16": "bf16"}
KERNELS = ("linear_attn.decay", "linear_attn.gla")


class Malformed(Exception):
    """The dump breaks the contract; the message is the one-line reason."""


def read_npy(path, shape):
    """The array at path, after checking by hand that it is .npy version 1.0,
    '<f4', C order, of exactly this shape, and nothing more or less."""
    name = os.path.basename(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise Malformed("%s: cannot read: %s" % (name, e.strerror or e))
    if len(raw) < 10 or raw[:6] != b"\x93NUMPY":
        raise Malformed("%s: not a .npy file (bad magic)" % name)
    if (raw[6], raw[7]) != (1, 0):
        raise Malformed("%s: .npy format version %d.%d, want 1.0" % (name, raw[6], raw[7]))
    hlen = raw[8] | (raw[9] << 8)
    if len(raw) < 10 + hlen:
        raise Malformed("%s: header runs past the end of the file" % name)
    try:
        text = raw[10:10 + hlen].decode("latin1")
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise Malformed("%s: the header is not a Python dict literal" % name)
    if not text.endswith("\n"):
        raise Malformed("%s: the header does not end with a newline" % name)
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise Malformed("%s: the header keys are not descr, fortran_order, shape" % name)
    if header["descr"] != "<f4":
        raise Malformed("%s: dtype %r, want '<f4' (float32)" % (name, header["descr"]))
    if header["fortran_order"] is not False:
        raise Malformed("%s: fortran_order %r, want False (C order)" % (name, header["fortran_order"]))
    got = header["shape"]
    if not isinstance(got, tuple) or any(type(d) is not int for d in got):
        raise Malformed("%s: shape %r is not a tuple of integers" % (name, got))
    if got != tuple(shape):
        raise Malformed("%s: shape %s, want %s" % (name, got, tuple(shape)))
    count = 1
    for d in shape:
        count *= d
    body = raw[10 + hlen:]
    if len(body) != 4 * count:
        raise Malformed("%s: %d data bytes, want %d for shape %s" % (name, len(body), 4 * count, tuple(shape)))
    return np.frombuffer(body, dtype="<f4").reshape(shape).astype(np.float64)


def need(case, key, kind):
    """case[key], which must be there and of this kind."""
    if key not in case:
        raise Malformed("case.json: missing key '%s'" % key)
    v = case[key]
    if kind == "int":
        ok = type(v) is int and v >= 1
        what = "an integer >= 1"
    elif kind == "bool":
        ok = type(v) is bool
        what = "true or false"
    elif kind == "number":
        ok = type(v) in (int, float) and math.isfinite(v)
        what = "a finite number"
    else:
        ok = type(v) is str
        what = "a string"
    if not ok:
        raise Malformed("case.json: '%s' is %s, want %s" % (key, json.dumps(v), what))
    return v


def read_case(d):
    path = os.path.join(d, "case.json")
    try:
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
    except OSError as e:
        raise Malformed("case.json: cannot read: %s" % (e.strerror or e))
    except ValueError as e:
        raise Malformed("case.json: not JSON: %s" % e)
    if not isinstance(case, dict):
        raise Malformed("case.json: not a JSON object")
    c = {"kernel": need(case, "kernel", "str"), "dtype": need(case, "dtype", "str")}
    if c["kernel"] not in KERNELS:
        raise Malformed("case.json: kernel '%s' is not one of %s" % (c["kernel"], ", ".join(KERNELS)))
    if c["dtype"] not in DTYPE_ALIASES:
        raise Malformed("case.json: dtype '%s' is not f32, f16 or bf16" % c["dtype"])
    c["dtype"] = DTYPE_ALIASES[c["dtype"]]
    for k in ("B", "H", "T", "D", "DV"):
        c[k] = need(case, k, "int")
    c["causal"] = need(case, "causal", "bool")
    c["scale"] = need(case, "scale", "number")
    # "state (causal only)": required in a causal case; a bidirectional one
    # has no final state, so the key is absent or false.
    if c["causal"]:
        c["state"] = need(case, "state", "bool")
    else:
        c["state"] = need(case, "state", "bool") if "state" in case else False
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
        x[name] = read_npy(path, shape)
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


def rel_err(got, want):
    if not np.isfinite(got).all():
        return math.inf
    return float(np.abs(got - want).max() / (np.abs(want).max() + 1e-6))


def main(argv):
    if len(argv) != 2:
        print("usage: check_ga_dump.py DIR", file=sys.stderr)
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
    print("err=%.3g tol=%g %s %s B=%d H=%d T=%d D=%d DV=%d %s%s" % (
        err, tol, c["kernel"], c["dtype"], c["B"], c["H"], c["T"], c["D"], c["DV"],
        "causal" if c["causal"] else "bidirectional", " state" if c["state"] else ""))
    return 0 if err <= tol else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

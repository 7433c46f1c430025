# SPDX-License-Identifier: BSD-3-Clause
"""What the independent dump checks (tests/check_*_dump.py) share, written
from FAMILIES.md §0.1 alone, not from subquad's code: the strict .npy
reader, the case.json key checks, the dtype aliases and tolerances, the
error metric and the exit statuses (0 within tolerance, 1 outside, 2 for a
malformed dump with one line on stderr, 3 when numpy is missing)."""

import ast
import json
import math
import os
import sys

try:
    import numpy as np
except ImportError:
    print("%s: numpy is not installed" % os.path.basename(sys.argv[0]), file=sys.stderr)
    sys.exit(3)

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
        raise Malformed("%s: fortran_order %r, want False (C order)" % (name, header["fortran_order"]))
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
    """case[name], present and of this kind: 'int' (an integer >= 1), 'bool'
    (true or false, never 0 or 1), 'number' (finite) or 'str'."""
    if name not in case:
        raise Malformed("case.json: missing key '%s'" % name)
    v = case[name]
    ok, want = {
        "int": (type(v) is int and v >= 1, "an integer >= 1"),
        "bool": (type(v) is bool, "true or false"),
        "number": (type(v) in (int, float) and math.isfinite(v), "a finite number"),
        "str": (type(v) is str, "a string"),
    }[kind]
    if not ok:
        raise Malformed("case.json: '%s' is %s, want %s" % (name, json.dumps(v), want))
    return v


def open_case(d, kernels):
    """case.json of dump folder d: the JSON object, and its kernel (one of
    `kernels`) and dtype (aliases read as f32, f16, bf16) in a dict to fill."""
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
    if c["kernel"] not in kernels:
        raise Malformed("case.json: kernel '%s' is not %s" % (c["kernel"], " or ".join(kernels)))
    if c["dtype"] not in DTYPES:
        raise Malformed("case.json: dtype '%s' is not f32, f16 or bf16" % c["dtype"])
    c["dtype"] = DTYPES[c["dtype"]]
    return case, c


def rel_err(got, want):
    """max|got - want| / (max|want| + 1e-6); infinite when got is not finite."""
    if not np.isfinite(got).all():
        return math.inf
    return float(np.abs(got - want).max() / (np.abs(want).max() + 1e-6))


def main(argv, read_case, read_tensors, reference, describe):
    """Checks the dump in argv[1]: read_case(dir) and read_tensors(dir, case)
    raise Malformed; reference(case, tensors) returns (o, ht or None);
    describe(case) is the rest of the line printed after err and tol."""
    if len(argv) != 2:
        print("usage: %s DIR" % os.path.basename(argv[0]), file=sys.stderr)
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
    print("err=%.3g tol=%g %s" % (err, tol, describe(c)))
    return 0 if err <= tol else 1

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""check_t4.py FILE.json [N_RESULTS]: FILE holds what the T4 results schema
(Open Autotuning Results Schema 1.0.0, as Kernel Tuner ships it in
kernel_tuner/schema/T4/1.0.0/results-schema.json) requires, written here
from that schema's required fields and types so that no network or
jsonschema package is needed: a schema_version "major.minor.patch", and
per result a configuration object, a times object (compilation_time a
number, runtimes an array), an invalidity from the schema's enum, a
numeric correctness, and measurements of name/value/unit. Prints one line
per problem and exits 1 when there is any."""
import json
import re
import sys

INVALIDITY = {"timeout", "compile", "runtime", "correctness", "constraints", "correct"}


def problems(doc, want_n):
    if not isinstance(doc, dict):
        yield "the document is no object"
        return
    if not re.match(r"^[0-9]+\.[0-9]+\.[0-9]+$", str(doc.get("schema_version", ""))):
        yield "schema_version %r is not major.minor.patch" % doc.get("schema_version")
    res = doc.get("results")
    if not isinstance(res, list):
        yield "results is no array"
        return
    if want_n is not None and len(res) != want_n:
        yield "%d results, want %d" % (len(res), want_n)
    for i, r in enumerate(res):
        for key in ("configuration", "times", "invalidity", "correctness"):
            if key not in r:
                yield "result %d: no %s" % (i, key)
        if not isinstance(r.get("configuration"), dict):
            yield "result %d: configuration is no object" % i
        t = r.get("times", {})
        if not isinstance(t, dict):
            yield "result %d: times is no object" % i
            continue
        for k in ("compilation_time", "framework", "search_algorithm", "validation"):
            if k in t and not isinstance(t[k], (int, float)):
                yield "result %d: times.%s is no number" % (i, k)
        if "runtimes" in t and not isinstance(t["runtimes"], list):
            yield "result %d: times.runtimes is no array" % i
        if r.get("invalidity") not in INVALIDITY:
            yield "result %d: invalidity %r" % (i, r.get("invalidity"))
        if not isinstance(r.get("correctness"), (int, float)):
            yield "result %d: correctness is no number" % i
        if "timestamp" in r and not isinstance(r["timestamp"], str):
            yield "result %d: timestamp is no string" % i
        if "objectives" in r and not isinstance(r["objectives"], list):
            yield "result %d: objectives is no array" % i
        for m in r.get("measurements", []):
            if not isinstance(m.get("name"), str) or not isinstance(m.get("unit"), str) or \
               not isinstance(m.get("value"), (int, float, str, list)):
                yield "result %d: measurement %r" % (i, m)


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    bad = list(problems(doc, int(sys.argv[2]) if len(sys.argv) > 2 else None))
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""check_results_json.py RESULTS.csv RESULTS.json: the JSON document holds
exactly the CSV's rows, metadata and (from the .samples.csv sidecar) raw
samples, read independently of subquad with Python's csv and json modules.
Prints one line per mismatch and exits 1 when there is any."""
import csv
import json
import math
import sys

STRINGS = {"device", "backend", "arch", "kernel", "family", "shape", "baseline", "dtype", "mode", "params",
           "config_source", "status", "reason", "verify", "suite", "workload", "host"}


def read_csv(path):
    meta, body = {}, []
    with open(path, newline="") as f:
        for line in f:
            if line.startswith("#") and not body:
                k, _, v = line[1:].strip().partition(": ")
                if v or line.strip().endswith(":"):
                    meta[k] = v
                continue
            body.append(line)
    return meta, list(csv.DictReader(body))


def same_number(cell, value):
    if cell == "":
        return value is None
    if cell == "inf":
        return value == "inf"
    return isinstance(value, (int, float)) and not isinstance(value, bool) and float(cell) == float(value)


def main(csv_path, json_path):
    bad = []
    meta, rows = read_csv(csv_path)
    with open(json_path) as f:
        doc = json.load(f)
    if doc.get("schema") != "subquad-results" or doc.get("schema_version") != 1:
        bad.append("schema keys: %r %r" % (doc.get("schema"), doc.get("schema_version")))
    if meta.get("run_id") and doc.get("run_id") != meta["run_id"]:
        bad.append("run_id %r, CSV has %r" % (doc.get("run_id"), meta["run_id"]))
    for k, v in meta.items():
        if k not in ("run_id", "subquad-results 1", "subquad-results 2") and doc["metadata"].get(k) != v:
            bad.append("metadata %s: %r, CSV has %r" % (k, doc["metadata"].get(k), v))
    if len(doc["rows"]) != len(rows):
        bad.append("%d rows, CSV has %d" % (len(doc["rows"]), len(rows)))
    samples = {}
    spath = csv_path[:-4] + ".samples.csv" if csv_path.endswith(".csv") else csv_path + ".samples.csv"
    try:
        _, srows = read_csv(spath)
        for s in srows:
            samples.setdefault(int(s["id"]), []).append((float(s["ms"]), int(s.get("round") or 0)))
    except FileNotFoundError:
        pass
    for i, (c, j) in enumerate(zip(rows, doc["rows"])):
        for col, cell in c.items():
            if col in ("B", "H", "T", "D", "DV", "feature"):
                continue   # format 1 columns: the JSON has the shape they make
            v = j.get(col, "<missing>")
            ok = v == cell if col in STRINGS else same_number(cell, v)
            if not ok:
                bad.append("row %d %s: JSON %r, CSV %r" % (i + 1, col, v, cell))
        want = samples.get(int(c["id"]), [])
        got = list(zip(j["sample_ms"], j["sample_rounds"]))
        if [(float(a), b) for a, b in got] != want:
            bad.append("row %d: samples %r, sidecar has %r" % (i + 1, got[:4], want[:4]))
        if any(isinstance(x, float) and not math.isfinite(x) for x in j["sample_ms"]):
            bad.append("row %d: a non-finite sample" % (i + 1))
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

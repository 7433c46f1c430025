#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A stand-in framework peer for the tests of `subquad run --peer`
(tests/test_run_peer.sh): the protocol of harness/peer.py (hello, case,
round, quit; see its header comment), with softmax and linear attention
computed in NumPy, so the tests need neither PyTorch nor a network.
SUBQUAD_PEER_PROGRAM points subquad at it.

TEST_PEER_LOG=FILE appends every request line it reads, as "PID LINE".
TEST_PEER_FAULT makes it misbehave, for the failure paths:
  wrong         every output is off by 1 (verification must fail the row)
  noframework   hello answers that the framework is missing
  crash:case    abort() on the case request;  crash:round on the first round
  hang:case     stop answering on the case;   hang:round on the first round
  crash-once:round   abort on the first round of the first process only
                     (a marker file TEST_PEER_LOG.crashed remembers it)
"""
import os
import signal
import sys
import time

import numpy as np

args = sys.argv[1:]
framework = args[0] if args else "?"
opt = dict(zip(args[1::2], args[2::2]))
fault = os.environ.get("TEST_PEER_FAULT", "")
log = os.environ.get("TEST_PEER_LOG")
out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)


def reply(text):
    out.write(text + "\n")
    out.flush()


def misbehave(where):
    if fault == "crash:" + where:
        os.abort()
    if fault == "hang:" + where:
        while True:
            signal.pause()
    if fault == "crash-once:" + where and log and not os.path.exists(log + ".crashed"):
        open(log + ".crashed", "w").close()
        os.abort()


def phi(x, feature):
    return np.where(x > 0, x + 1, np.exp(x)) if feature == "elu1" else x


def compute(impl, causal, shape, t):
    q, k, v = (t[n].astype(np.float64) for n in ("q", "k", "v"))
    T = q.shape[2]
    if impl == "torch.sdpa":
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
        if causal:
            s = np.where(np.tril(np.ones((T, T), bool)), s, -np.inf)
        p = np.exp(s - s.max(-1, keepdims=True))
        return p / p.sum(-1, keepdims=True) @ v
    feature, normalize = shape.get("feature", "identity"), shape.get("normalize", "0") == "1"
    fq, fk = phi(q, feature), phi(k, feature)
    s = fq @ fk.transpose(0, 1, 3, 2)
    if causal:
        s = s * np.tril(np.ones((T, T)))
    o = s @ v
    return o / s.sum(-1, keepdims=True) if normalize else o


cases = {}
for raw in sys.stdin:
    line = raw.rstrip("\n")
    if log:
        with open(log, "a") as f:
            f.write("%d %s\n" % (os.getpid(), line))
    w = line.split(" ", 6)
    if w[0] == "quit":
        reply("bye")
        break
    elif w[0] == "hello":
        if fault == "noframework" or framework != "torch":
            reply("error %s not available: No module named '%s'" % (framework, framework))
        else:
            reply("hello subquad-peer 1 %s 0.0-numpy" % framework)
    elif w[0] == "case" and len(w) == 7:
        cid, impl, form, dtype, shape_text, folder = w[1:]
        misbehave("case")
        shape = dict(kv.split("=") for kv in shape_text.split(","))
        t = {n[:-4]: np.load(os.path.join(folder, n)) for n in os.listdir(folder) if n.endswith(".npy")}
        run = (lambda impl=impl, causal=form == "causal", shape=shape, t=t: compute(impl, causal, shape, t))
        o = run() + (1.0 if fault == "wrong" else 0.0)
        np.save(os.path.join(folder, "o.npy"), o.astype("<f4"))
        cases[cid] = run
        reply("case %s ok" % cid)
    elif w[0] == "round" and len(w) == 3 and w[1] in cases:
        misbehave("round")
        ms = []
        for _ in range(int(w[2])):
            t0 = time.perf_counter()
            cases[w[1]]()
            ms.append((time.perf_counter() - t0) * 1e3)
        reply("round %s ok %s" % (w[1], " ".join("%.6g" % x for x in ms)))
    else:
        reply("error unknown request")

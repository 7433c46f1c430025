#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""subquad's framework peer: the framework side of `subquad run --peer NAME`.

subquad starts this program once per peer of a run,

    PYTHON peer.py FRAMEWORK --device cpu|cuda:N --threads N --mode cold|hot
                   --warmup N --timeout S --cache-bytes B

(FRAMEWORK: torch, fla, mamba_ssm or natten; PYTHON: $SUBQUAD_PYTHON,
default python3) and drives it with the subset of `subquad worker`'s line
protocol that applies, one request line on stdin, exactly one reply line on
stdout each:

    hello                 -> hello subquad-peer 1 FRAMEWORK VERSION
                             | error REASON   (no such framework, no device:
                                               subquad writes skipped rows)
    case ID IMPL causal|noncausal DTYPE SHAPE DIR
                          -> case ID ok | case ID skipped REASON
                             | case ID failed REASON
    round ID N            -> round ID ok MS... | round ID failed REASON
    quit                  -> bye
    anything else         -> error DETAIL

`case`: IMPL is the row's name after "peer:" (torch.sdpa,
torch.chunked_linear, torch.linear, fla.chunk_linear_attn, ...), SHAPE the
op's canonical shape text (B=1,H=2,T=4096,D=64,DV=64[,feature=elu1,...]),
DIR (the rest of the line) a private folder holding every input of the op as
NAME.npy (float32, the stored values). The peer loads them onto its device
in DTYPE, computes the case once and writes each output as NAME.npy
(float32) into DIR; subquad verifies it against its own reference. `round`:
N samples of the framework call, each timed by this program's wall clock
around the call (the device synchronised on both sides), after --warmup
untimed calls (none for a case whose call takes over a second), the
last-level cache flushed before each sample in cold mode,
the round cut short once its samples sum past --timeout seconds. subquad's
library code never runs here: the framework is what is measured.

The protocol has its own copy of stdout; anything a framework prints goes to
stderr. EOF or an interrupt before `quit` means subquad is gone: the case
folders it handed over are removed, as it would have.
"""
import argparse
import os
import sys
import time

import numpy as np

PROTOCOL = 1
KEEP_BYTES = 1 << 30  # inputs of the cases kept loaded between rounds


def parse_shape(text):
    """'B=1,H=2,T=64,feature=elu1' -> {'B': 1, 'H': 2, 'T': 64, 'feature': 'elu1'}."""
    out = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        try:
            out[key] = int(value)
        except ValueError:
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
    return out


class Unsupported(Exception):
    """A case this peer does not run: a skipped row with the reason."""


# ---- PyTorch ---------------------------------------------------------------

def torch_phi(torch, x, feature):
    if feature == "elu1":
        return torch.nn.functional.elu(x) + 1.0
    return x


def torch_sdpa(torch, t, shape, causal):
    q, k, v = t["q"], t["k"], t["v"]
    sdpa = torch.nn.functional.scaled_dot_product_attention
    return lambda: {"o": sdpa(q, k, v, is_causal=causal)}


def torch_linear(torch, t, shape, causal):
    """Non-causal linear attention: O = phi(Q) (phi(K)^T V) [/ phi(Q) sum phi(K)]."""
    q, k, v = t["q"], t["k"], t["v"]
    feature, normalize = shape.get("feature", "identity"), shape.get("normalize", 0)

    def run():
        fq, fk = torch_phi(torch, q, feature), torch_phi(torch, k, feature)
        o = fq @ (fk.transpose(-1, -2) @ v)
        if normalize:
            o = o / (fq @ fk.sum(dim=-2, keepdim=True).transpose(-1, -2))
        return {"o": o}
    return run


def torch_chunked_linear(torch, t, shape, causal, chunk=64):
    """Causal linear attention in chunks of 64 with BLAS matmuls: inside a
    chunk the masked (phi(Q) phi(K)^T) V, across chunks phi(Q) times the
    state of every earlier chunk (an exclusive prefix sum of phi(K)^T V),
    with the normaliser formed the same way."""
    q, k, v = t["q"], t["k"], t["v"]
    feature, normalize = shape.get("feature", "identity"), shape.get("normalize", 0)
    B, H, T, D = q.shape
    DV = v.shape[-1]
    n = (T + chunk - 1) // chunk
    pad = n * chunk - T
    mask = torch.ones(chunk, chunk, dtype=torch.bool, device=q.device).tril()

    def run():
        fq, fk = torch_phi(torch, q, feature), torch_phi(torch, k, feature)
        vv = v
        if pad:  # padding after the last token reaches no real row (causal)
            fq, fk, vv = (torch.nn.functional.pad(x, (0, 0, 0, pad)) for x in (fq, fk, vv))
        fq = fq.reshape(B, H, n, chunk, D)
        fk = fk.reshape(B, H, n, chunk, D)
        vv = vv.reshape(B, H, n, chunk, DV)
        scores = (fq @ fk.transpose(-1, -2)).masked_fill(~mask, 0)
        kv = fk.transpose(-1, -2) @ vv                      # each chunk's phi(K)^T V
        state = kv.cumsum(dim=2) - kv                       # the chunks before it
        o = scores @ vv + fq @ state
        if normalize:
            ks = fk.sum(dim=3)                              # [B, H, n, D]
            z = ks.cumsum(dim=2) - ks
            den = scores.sum(dim=-1) + (fq * z.unsqueeze(3)).sum(dim=-1)
            o = o / den.unsqueeze(-1)
        return {"o": o.reshape(B, H, n * chunk, DV)[:, :, :T]}
    return run


# ---- the GPU frameworks (need CUDA; unverified without one) ----------------

def fla_chunk_linear_attn(torch, t, shape, causal):
    from fla.ops.linear_attn import chunk_linear_attn
    feature, normalize = shape.get("feature", "identity"), shape.get("normalize", 0)
    # fla's layout is [B, T, H, D]; its feature map lives in the layer, so
    # phi is applied here; no 1/sqrt(D) scale in subquad's op.
    q, k, v = (t[x].transpose(1, 2).contiguous() for x in ("q", "k", "v"))

    def run():
        fq, fk = torch_phi(torch, q, feature), torch_phi(torch, k, feature)
        o, _ = chunk_linear_attn(fq, fk, v, scale=1.0, normalize=bool(normalize))
        return {"o": o.transpose(1, 2)}
    return run


def fla_chunk_gla(torch, t, shape, causal):
    from fla.ops.gla import chunk_gla
    if shape.get("state", 0):
        raise Unsupported("fla.chunk_gla: state passing is not mapped")
    q, k, v, g = (t[x].transpose(1, 2).contiguous() for x in ("q", "k", "v", "g"))
    scale = shape.get("scale")

    def run():
        o, _ = chunk_gla(q, k, v, g, scale=scale)
        return {"o": o.transpose(1, 2)}
    return run


def fla_chunk_retention(torch, t, shape, causal):
    from fla.ops.retention import chunk_retention
    if shape.get("state", 0):
        raise Unsupported("fla.chunk_retention: state passing is not mapped")
    q, k, v = (t[x].transpose(1, 2).contiguous() for x in ("q", "k", "v"))
    scale = shape.get("scale")

    def run():
        o, _ = chunk_retention(q, k, v, scale=scale)
        return {"o": o.transpose(1, 2)}
    return run


def mamba_selective_scan(torch, t, shape, causal):
    from mamba_ssm.ops.selective_scan_interface import selective_scan_fn
    if shape.get("K", 1) != 1 or shape.get("state", 0):
        raise Unsupported("mamba_ssm.selective_scan: K=1 without state passing only")
    u, delta = t["u"][:, 0], t["delta"][:, 0]
    A, Bm, Cm = t["A"][0], t["Bm"][:, 0], t["Cm"][:, 0]
    Dskip, bias, z = t["Dskip"][0], t["delta_bias"][0], t.get("z")
    soft = bool(shape.get("delta_softplus", 1))
    return lambda: {"o": selective_scan_fn(u, delta, A, Bm, Cm, Dskip, z=z, delta_bias=bias,
                                           delta_softplus=soft)}


def mamba_ssd_chunk_scan(torch, t, shape, causal):
    from mamba_ssm.ops.triton.ssd_combined import mamba_chunk_scan_combined
    if shape.get("state", 0):
        raise Unsupported("mamba_ssm.ssd_chunk_scan: state passing is not mapped")
    # subquad's ssm.ssd tensors are mamba_ssm's layout: x [B,T,H,P], dt
    # [B,T,H], A [H], B and C [B,T,G,N], D and dt_bias [H], z [B,T,H,P].
    soft = bool(shape.get("dt_softplus", 1))
    return lambda: {"o": mamba_chunk_scan_combined(t["x"], t["dt"], t["A"], t["Bm"], t["Cm"], 256, D=t["Dskip"],
                                                   z=t.get("z"), dt_bias=t["dt_bias"], dt_softplus=soft)}


def natten_na2d(torch, t, shape, causal):
    from natten.functional import na2d

    def pair(v):
        return tuple(int(x) for x in str(v).split("x")) if "x" in str(v) else (int(v), int(v))
    # subquad: [B, heads, Hg*Wg, D]; NATTEN's fused na2d: [B, Hg, Wg, heads, D].
    Hg, Wg = pair(shape["grid"])
    q, k, v = (t[x].reshape(t[x].shape[0], t[x].shape[1], Hg, Wg, -1).permute(0, 2, 3, 1, 4).contiguous()
               for x in ("q", "k", "v"))
    ks, dil, scale = pair(shape["kernel_size"]), pair(shape.get("dilation", 1)), shape.get("scale")

    def run():
        o = na2d(q, k, v, kernel_size=ks, dilation=dil, scale=scale).permute(0, 3, 1, 2, 4)
        return {"o": o.reshape(o.shape[0], o.shape[1], Hg * Wg, -1)}
    return run


IMPLS = {
    "torch.sdpa": torch_sdpa,
    "torch.linear": torch_linear,
    "torch.chunked_linear": torch_chunked_linear,
    "fla.chunk_linear_attn": fla_chunk_linear_attn,
    "fla.chunk_gla": fla_chunk_gla,
    "fla.chunk_retention": fla_chunk_retention,
    "mamba_ssm.selective_scan": mamba_selective_scan,
    "mamba_ssm.ssd_chunk_scan": mamba_ssd_chunk_scan,
    "natten.na2d": natten_na2d,
}

# The module each framework is imported as, and whether it needs CUDA.
FRAMEWORKS = {"torch": ("torch", False), "fla": ("fla", True), "mamba_ssm": ("mamba_ssm", True),
              "natten": ("natten", True)}


class Peer:
    def __init__(self, args, out):
        self.args, self.out = args, out
        self.torch = None
        self.cases = {}      # id -> (request words, callable, bytes, last use)
        self.clock = 0
        self.flush_buf = None
        self.self_warming = set()

    def reply(self, text):
        self.out.write(text.replace("\n", " ") + "\n")
        self.out.flush()

    def hello(self):
        name = self.args.framework
        module, needs_cuda = FRAMEWORKS[name]
        if name == "fla":
            # subquad verifies f32 at 1e-3 and its kernels multiply in IEEE
            # f32; Triton's default TF32 dots (10-bit mantissa) missed that
            # by 2-9e-3 with fla 0.6.0 on an H200. A TRITON_F32_DEFAULT the
            # user set is kept (and such rows then fail verification).
            os.environ.setdefault("TRITON_F32_DEFAULT", "ieee")
        try:
            import torch
            mod = __import__(module)
        except Exception as e:  # no framework: skipped rows, never a failure
            return self.reply("error %s not available: %s" % (name, str(e) or type(e).__name__))
        dev = self.args.device
        if dev.startswith("cuda") and not torch.cuda.is_available():
            return self.reply("error %s: torch sees no CUDA device for %s" % (name, dev))
        if needs_cuda and not dev.startswith("cuda"):
            return self.reply("error %s needs a CUDA device (this run's device is %s)" % (name, dev))
        if dev == "cpu":
            torch.set_num_threads(self.args.threads)
        self.torch = torch
        version = getattr(mod, "__version__", "unknown").replace(" ", "_")
        if name == "fla":
            version += ",f32_dots=" + os.environ["TRITON_F32_DEFAULT"]
        self.reply("hello subquad-peer %d %s %s" % (PROTOCOL, name, version))

    def sync(self):
        if self.args.device.startswith("cuda"):
            self.torch.cuda.synchronize()

    def load(self, words):
        """The case's callable from its request words: inputs from DIR."""
        torch = self.torch
        impl, form, dtype, shape_text, folder = words[1], words[2], words[3], words[4], words[5]
        if impl not in IMPLS:
            raise Unsupported("%s is not implemented by this peer" % impl)
        dt = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[dtype]
        tensors, nbytes = {}, 0
        for f in sorted(os.listdir(folder)):
            if f.endswith(".npy"):
                a = np.load(os.path.join(folder, f))
                nbytes += a.nbytes
                x = torch.from_numpy(a).to(self.args.device)
                # q, k, v in the case's dtype; parameters stay float32 (as subquad stores them)
                tensors[f[:-4]] = x.to(dt) if f[:-4] in ("q", "k", "v", "u", "x", "z") else x
        fn = IMPLS[impl](torch, tensors, parse_shape(shape_text), form == "causal")
        return fn, nbytes

    def evict(self, need):
        held = sum(c[2] for c in self.cases.values())
        for cid in sorted(self.cases, key=lambda c: self.cases[c][3]):
            if held + need <= KEEP_BYTES:
                break
            if self.cases[cid][1] is not None:
                held -= self.cases[cid][2]
                w = self.cases[cid]
                self.cases[cid] = (w[0], None, 0, w[3])

    def case(self, line):
        words = line.split(" ", 6)
        if len(words) < 7:
            return self.reply("error case: needs ID IMPL causal|noncausal DTYPE SHAPE DIR")
        cid = words[1]
        try:
            fn, nbytes = self.load(words[1:])
            self.evict(nbytes)
            t0 = time.perf_counter()
            outs = fn()
            self.sync()
            # A call of over a second warms caches and clocks by itself (as
            # subquad's own rounds do): no warm-up for this case.
            if time.perf_counter() - t0 > 1.0:
                self.self_warming.add(cid)
            for name, o in outs.items():
                a = o.detach().to("cpu", self.torch.float32).contiguous().numpy()
                np.save(os.path.join(words[6], name + ".npy"), np.ascontiguousarray(a, dtype="<f4"))
        except Unsupported as e:
            return self.reply("case %s skipped %s" % (cid, e))
        except Exception as e:
            return self.reply("case %s failed %s: %s" % (cid, type(e).__name__, e))
        self.clock += 1
        self.cases[cid] = (words[1:], fn, nbytes, self.clock)
        self.reply("case %s ok" % cid)

    def flush(self):
        """Cold mode: write a buffer twice the last-level cache's size."""
        if self.flush_buf is None:
            n = max(2 * self.args.cache_bytes, 1 << 20)
            self.flush_buf = self.torch.empty(n, dtype=self.torch.uint8, device=self.args.device)
        self.flush_buf.fill_(self.clock & 0xFF)
        self.sync()

    def round(self, words):
        if len(words) != 3 or not words[2].isdigit() or int(words[2]) < 1:
            return self.reply("error round: needs ID N")
        cid, n = words[1], int(words[2])
        if cid not in self.cases:
            return self.reply("error round: no case %s (send case first)" % cid)
        w, fn, nbytes, _ = self.cases[cid]
        try:
            if fn is None:  # evicted: load its inputs again
                fn, nbytes = self.load(w)
                self.evict(nbytes)
            self.clock += 1
            self.cases[cid] = (w, fn, nbytes, self.clock)
            for _ in range(0 if cid in self.self_warming else self.args.warmup):
                fn()
            self.sync()
            ms, total = [], 0.0
            while len(ms) < n and (not ms or total < self.args.timeout):
                if self.args.mode == "cold":
                    self.flush()
                t0 = time.perf_counter()
                fn()
                self.sync()
                ms.append((time.perf_counter() - t0) * 1e3)
                total += ms[-1] * 1e-3
        except Exception as e:
            return self.reply("round %s failed %s: %s" % (cid, type(e).__name__, e))
        self.reply("round %s ok %s" % (cid, " ".join("%.9g" % x for x in ms)))

    def clean_up(self):
        """subquad ended without `quit` (killed, interrupted): its private
        folder would stay behind, so the case folders it handed over go,
        and their parent once empty."""
        for folder in {c[0][5] for c in self.cases.values()}:
            for f in os.listdir(folder) if os.path.isdir(folder) else ():
                if f.endswith(".npy"):
                    os.unlink(os.path.join(folder, f))
            for d in (folder, os.path.dirname(folder)):
                try:
                    os.rmdir(d)
                except OSError:
                    pass

    def serve(self):
        try:
            self.requests()
        except KeyboardInterrupt:
            self.clean_up()

    def requests(self):
        for raw in sys.stdin:
            line = raw.rstrip("\r\n")
            words = line.split()
            if not words:
                self.reply("error empty request")
            elif words[0] == "quit":
                self.reply("bye")
                return
            elif words[0] == "hello":
                self.hello()
            elif self.torch is None:
                self.reply("error no framework loaded (hello first)")
            elif words[0] == "case":
                self.case(line)
            elif words[0] == "round":
                self.round(words)
            else:
                self.reply("error unknown request '%s' (hello, case, round, quit)" % words[0])
        self.clean_up()


def main():
    ap = argparse.ArgumentParser(description="subquad's framework peer (see the header comment)")
    ap.add_argument("framework", choices=sorted(FRAMEWORKS))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--mode", choices=("cold", "hot"), default="cold")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--cache-bytes", type=int, default=32 << 20)
    args = ap.parse_args()
    # The protocol keeps the original stdout; prints of the framework go to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    Peer(args, out).serve()


if __name__ == "__main__":
    main()

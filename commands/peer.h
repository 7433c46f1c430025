/* SPDX-License-Identifier: BSD-3-Clause */
/* Framework peers of `subquad run --peer NAME`: the same cases measured
 * through a framework (PyTorch, flash-linear-attention, mamba_ssm, NATTEN)
 * by a small Python program shipped with subquad (harness/peer.py), in
 * the same run and interleaved with subquad's own cases. The C side draws
 * each case's inputs with its own generator, hands them over as .npy files
 * in a private temporary directory, reads the peer's output back and
 * verifies it with the kernel's reference as `run` verifies a kernel (a
 * wrong result is `failed`, never timed); the peer times itself, its own
 * wall clock around the framework call, and answers in the lines of the
 * worker protocol (hello, case, round, quit). Its rows are ordinary result
 * rows, kernel `peer:IMPL` ("peer:torch.sdpa"). A peer that cannot start
 * (no Python, no framework, no device it can use) gives `skipped` rows with
 * the reason; one that crashes or hangs fails the case it was on and is
 * started again for the others. */
#ifndef SQ_PEER_H
#define SQ_PEER_H

#include "harness/run.h"
#include "results/result.h"

#define SQ_MAX_PEERS 4

typedef struct sq_peers sq_peers;

/* 0 when NAME is a known peer (torch, fla, mamba_ssm, natten), else
 * SQ_EINVAL naming them. */
int sq_peer_name_check(const char *name);

/* Starts the named peers for ncases cases on dev under the run's options.
 * A peer that cannot start is no error: its rows are skipped with the
 * reason. 0, or SQ_ENOMEM / SQ_EIO (no private temporary directory). */
int sq_peers_start(const char *const *names, int n, sq_device *dev, const sq_run_opts *o, int ncases,
                   sq_peers **out);

/* peer_NAME: the framework, its version, device and threads, or why it is
 * unavailable. */
void sq_peers_meta(const sq_peers *ps, sq_meta *m);

/* The peers' rows of case i (0-based) in measuring round `round` of
 * `rounds`: the first sets each row up (its inputs handed over, the
 * output verified) and, unless verify-only, takes `count` samples; a later
 * round appends `count` more. skip: why the case is not run at all (the
 * planner's reason), or NULL. 0, or SQ_ENOMEM when the host ran out of
 * memory. */
int sq_peers_case(sq_peers *ps, int i, const sq_case *c, int round, int rounds, int count, const char *skip);

/* The rows case i has (a peer that does not cover its op has none):
 * fills up to SQ_MAX_PEERS pointers, returns how many. */
int sq_peers_rows(sq_peers *ps, int i, sq_result **rows);

/* Ends the peer programs, removes the temporary directory, frees the rows. */
void sq_peers_stop(sq_peers *ps);

#endif

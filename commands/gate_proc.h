/* SPDX-License-Identifier: BSD-3-Clause */
/* A `subquad worker` child process as `subquad gate` drives it: started
 * with fork and exec on two pipes, asked one request line at a time and
 * waited on for one reply line with a deadline, so a worker that crashes
 * (EOF on its stdout) or hangs (no reply in time: it is killed) is told
 * apart from one that answered. Its stderr goes to a log file. */
#ifndef SQ_GATE_PROC_H
#define SQ_GATE_PROC_H

#include <sys/types.h>

typedef struct sq_gate_proc {
  char *const *argv;      /* program and arguments ("BIN", "worker", ...) */
  const char *log;        /* stderr of the worker, appended */
  pid_t pid;              /* 0 when not running */
  int to, from;           /* pipe to its stdin, from its stdout */
  char *buf;              /* bytes read past the last reply */
  size_t len, cap;
  size_t taken;           /* bytes of the last reply returned, dropped on the next call */
  char death[160];        /* how it ended, when it did ("killed by signal 6") */
} sq_gate_proc;

/* Starts the worker. 0, or SQ_EIO with the detail. */
int sq_gate_proc_start(sq_gate_proc *p);

/* Sends `line` (no newline) and waits up to timeout_s for one reply line,
 * returned in *reply (owned by p, valid until the next call). 0; SQ_EIO
 * when the worker died (p->death says how; it is reaped); SQ_ETIMEOUT when
 * it did not answer in time (it is killed and reaped). */
int sq_gate_proc_ask(sq_gate_proc *p, const char *line, double timeout_s, char **reply);

/* The two halves of sq_gate_proc_ask, so that two workers can work on one
 * request each at once: send returns 0, or SQ_EIO when the worker died
 * (reaped, p->death says how); wait is ask without the sending. */
int sq_gate_proc_send(sq_gate_proc *p, const char *line);
int sq_gate_proc_wait(sq_gate_proc *p, double timeout_s, char **reply);

/* Ends the worker: closes its stdin (EOF ends a worker), waits up to
 * grace_s, then kills it. Safe on a worker not running. */
void sq_gate_proc_stop(sq_gate_proc *p, double grace_s);

#endif

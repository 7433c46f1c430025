/* SPDX-License-Identifier: BSD-3-Clause */
/* A `subquad worker` child process as `subquad gate` drives it: started
 * with fork and exec on two pipes, asked one request line at a time and
 * waited on for one reply line with a deadline, so a worker that crashes
 * (EOF on its stdout) or hangs (no reply in time: it is killed) is told
 * apart from one that answered. Its stderr goes to a log file. */
#ifndef SQ_GATE_PROC_H
#define SQ_GATE_PROC_H

#include <sys/types.h>

/* The scheduling a worker runs under. A measuring worker raised above the
 * machine's other work is preempted by it far less (a kernel of 7 ms beside
 * a one-core spinner: interquartile range 26-33 % of the median at normal
 * priority, 13-15 % under SCHED_RR, 5.5-10 % with nothing beside it); what is
 * left the pairing cancels. Only one worker measures at a time, the other
 * waits on its stdin, so the two never compete. */
typedef enum sq_gate_priority {
  SQ_GATE_PRIO_NORMAL,     /* as the gate runs */
  SQ_GATE_PRIO_HIGH,       /* nice -20 */
  SQ_GATE_PRIO_REALTIME,   /* SCHED_RR at its lowest priority, 1 */
} sq_gate_priority;

/* "normal", "high" (nice -20), "realtime" (SCHED_RR 1). */
const char *sq_gate_priority_name(sq_gate_priority p);
/* Whether this process may start a child at priority p (tried in a
 * short-lived child: root or CAP_SYS_NICE; RLIMIT_RTPRIO or RLIMIT_NICE
 * otherwise). */
int sq_gate_priority_permitted(sq_gate_priority p);

typedef struct sq_gate_proc {
  char *const *argv;      /* program and arguments ("BIN", "worker", ...) */
  const char *log;        /* stderr of the worker, appended */
  sq_gate_priority priority;  /* set in the child before exec (its threads inherit it) */
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

/* SPDX-License-Identifier: BSD-3-Clause */
/* The gate's worker processes (gate_proc.h): fork and exec on pipes, one
 * request and one reply line at a time under a deadline, crash and hang
 * told apart, stop with a grace period. */
#include "commands/gate_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "harness/measure.h"

const char *sq_gate_priority_name(sq_gate_priority p) {
  static const char *const names[] = {"normal", "high (nice -20)", "realtime (SCHED_RR 1)"};
  return names[p];
}

/* In the child, before exec; async-signal-safe system calls only. */
static int apply_priority(sq_gate_priority p) {
  if (p == SQ_GATE_PRIO_REALTIME) {
    struct sched_param sp = {.sched_priority = 1};
    return sched_setscheduler(0, SCHED_RR, &sp);
  }
  return p == SQ_GATE_PRIO_HIGH ? setpriority(PRIO_PROCESS, 0, -20) : 0;
}

int sq_gate_priority_permitted(sq_gate_priority p) {
  if (p == SQ_GATE_PRIO_NORMAL) return 1;
  pid_t pid = fork();
  if (pid < 0) return 0;
  if (pid == 0) _exit(apply_priority(p) ? 1 : 0);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) continue;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int sq_gate_proc_start(sq_gate_proc *p) {
  int in[2], out[2];
  p->len = p->taken = 0;
  p->death[0] = 0;
  if (pipe(in)) return sq_fail(SQ_EIO, "pipe: %s", strerror(errno));
  if (pipe(out)) {
    close(in[0]), close(in[1]);
    return sq_fail(SQ_EIO, "pipe: %s", strerror(errno));
  }
  /* The child must not write out what the gate had buffered. */
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    return sq_fail(SQ_EIO, "fork: %s", strerror(errno));
  }
  if (pid == 0) {
    int log = p->log ? open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    if (log >= 0) dup2(log, STDERR_FILENO);
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    if (log >= 0) close(log);
    /* Probed before (sq_gate_priority_permitted); should it fail now, the
     * worker runs at normal priority and its metadata says so. */
    apply_priority(p->priority);
    execvp(p->argv[0], p->argv);
    /* The gate reads this as the worker's first reply. */
    dprintf(STDOUT_FILENO, "error cannot run %s: %s\n", p->argv[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  /* The gate's later children must not inherit this worker's pipes, or
   * its stdin would never see EOF. */
  fcntl(in[1], F_SETFD, FD_CLOEXEC);
  fcntl(out[0], F_SETFD, FD_CLOEXEC);
  p->pid = pid;
  p->to = in[1];
  p->from = out[0];
  return 0;
}

/* Reaps the worker and records how it ended. */
static void reap(sq_gate_proc *p, int hung) {
  int st = 0;
  if (p->pid <= 0) return;
  if (hung) kill(p->pid, SIGKILL);
  close(p->to);
  close(p->from);
  waitpid(p->pid, &st, 0);
  if (hung) snprintf(p->death, sizeof p->death, "hung (killed)");
  else if (WIFSIGNALED(st)) snprintf(p->death, sizeof p->death, "killed by signal %d", WTERMSIG(st));
  else if (WIFEXITED(st)) snprintf(p->death, sizeof p->death, "exited with status %d", WEXITSTATUS(st));
  else snprintf(p->death, sizeof p->death, "ended");
  p->pid = 0;
  p->len = p->taken = 0;
}

static int send_line(sq_gate_proc *p, const char *line) {
  size_t n = strlen(line);
  char *msg = malloc(n + 2);
  if (!msg) return sq_fail(SQ_ENOMEM, "no memory for a request");
  memcpy(msg, line, n);
  msg[n++] = '\n';
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(p->to, msg + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += (size_t)w;
  }
  free(msg);
  return done == n ? 0 : SQ_EIO;
}

/* The length of the first line in the buffer (without its newline), or -1. */
static long line_end(const sq_gate_proc *p) {
  char *nl = p->len ? memchr(p->buf, '\n', p->len) : NULL;
  return nl ? nl - p->buf : -1;
}

int sq_gate_proc_send(sq_gate_proc *p, const char *line) {
  if (p->pid <= 0) return sq_fail(SQ_EIO, "%s", p->death[0] ? p->death : "not running");
  /* The previous reply, returned in place, is dropped now. */
  if (p->taken) {
    memmove(p->buf, p->buf + p->taken, p->len - p->taken);
    p->len -= p->taken;
    p->taken = 0;
  }
  if (send_line(p, line)) {
    reap(p, 0);
    return sq_fail(SQ_EIO, "%s", p->death);
  }
  return 0;
}

int sq_gate_proc_ask(sq_gate_proc *p, const char *line, double timeout_s, char **reply) {
  int rc = sq_gate_proc_send(p, line);
  return rc ? rc : sq_gate_proc_wait(p, timeout_s, reply);
}

int sq_gate_proc_wait(sq_gate_proc *p, double timeout_s, char **reply) {
  if (p->pid <= 0) return sq_fail(SQ_EIO, "%s", p->death[0] ? p->death : "not running");
  double deadline = sq_now_s() + timeout_s;
  long end;
  while ((end = line_end(p)) < 0) {
    double left = deadline - sq_now_s();
    if (left <= 0) {
      reap(p, 1);
      return sq_fail(SQ_ETIMEOUT, "no reply in %g s", timeout_s);
    }
    struct pollfd pf = {.fd = p->from, .events = POLLIN};
    int r = poll(&pf, 1, (int)(left * 1000) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    if (p->len + 4096 > p->cap) {
      size_t cap = p->cap ? 2 * p->cap : 65536;
      char *b = realloc(p->buf, cap);
      if (!b) return sq_fail(SQ_ENOMEM, "no memory for a reply");
      p->buf = b, p->cap = cap;
    }
    ssize_t got = read(p->from, p->buf + p->len, p->cap - p->len - 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      reap(p, 0);
      return sq_fail(SQ_EIO, "%s", p->death);
    }
    p->len += (size_t)got;
  }
  /* The line is returned in place, terminated; the next call drops it. */
  p->buf[end] = 0;
  p->taken = (size_t)end + 1;
  *reply = p->buf;
  return 0;
}

void sq_gate_proc_stop(sq_gate_proc *p, double grace_s) {
  if (p->pid <= 0) return;
  close(p->to);
  double deadline = sq_now_s() + grace_s;
  int st;
  while (sq_now_s() < deadline) {
    if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
      close(p->from);
      p->pid = 0;
      return;
    }
    usleep(20000);
  }
  kill(p->pid, SIGKILL);
  waitpid(p->pid, &st, 0);
  close(p->from);
  p->pid = 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* The framework peers of `subquad run --peer` (peer.h): which peer covers
 * which op under which row name, the peer program's process (started and
 * driven through gate_proc's request/reply lines, restarted after a crash
 * or a hang), the inputs handed over as .npy files in a private temporary
 * directory, and the output read back and verified on the host. */
#include "commands/peer.h"

#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/files.h"
#include "commands/commands.h"
#include "commands/gate_proc.h"
#include "harness/inputs.h"
#include "harness/npy.h"

#define PEER_PROTOCOL 1
#define MAX_RESTARTS 3
/* Seconds a peer may take to answer one request (a framework's import, a
 * case's first call, one round); SUBQUAD_PEER_TIMEOUT overrides it. */
#define DEFAULT_TIMEOUT_S 600.0

enum { FORM_CAUSAL = 1, FORM_NONCAUSAL = 2, FORM_BOTH = 3 };

/* Which peer computes which op, and the row's name (after "peer:"). The
 * GPU frameworks are listed for the ops whose counterparts they ship;
 * harness/peer.py implements each name. */
static const struct {
  const char *peer, *op;
  int forms;
  const char *impl;
} cover[] = {
  {"torch", "softmax_attn", FORM_BOTH, "torch.sdpa"},
  {"torch", "linear_attn", FORM_CAUSAL, "torch.chunked_linear"},
  {"torch", "linear_attn", FORM_NONCAUSAL, "torch.linear"},
  {"fla", "linear_attn", FORM_CAUSAL, "fla.chunk_linear_attn"},
  {"fla", "linear_attn.gla", FORM_CAUSAL, "fla.chunk_gla"},
  {"fla", "linear_attn.decay", FORM_CAUSAL, "fla.chunk_retention"},
  {"mamba_ssm", "ssm.selective_scan", FORM_BOTH, "mamba_ssm.selective_scan"},
  {"mamba_ssm", "ssm.ssd", FORM_CAUSAL, "mamba_ssm.ssd_chunk_scan"},
  {"natten", "local_attn.neighborhood_2d", FORM_BOTH, "natten.na2d"},
};

typedef struct peer {
  const char *name;
  sq_gate_proc proc;
  char *argv[24];
  char arg[12][64];
  char unavailable[256];   /* why no row of this peer is measured; "" while it runs */
  char framework[160];     /* "torch 2.5.1", from its hello */
  char device[32];         /* "cpu", "cuda:0" */
  int threads;
  int gen;                 /* bumped at every start: a row set up by an older process is set up again */
  int starts;
} peer;

typedef struct peer_row {
  int present;             /* the peer covers this case */
  int gen;                 /* the peer's start the row was set up under */
  sq_result r;
} peer_row;

struct sq_peers {
  sq_device *dev;
  sq_run_opts o;
  int n, ncases;
  peer p[SQ_MAX_PEERS];
  peer_row *rows;          /* ncases x n */
  char *tmp;               /* the private directory, or NULL */
  char program[4096];
  const char *python;
  double timeout_s;
};

int sq_peer_name_check(const char *name) {
  for (size_t i = 0; i < sizeof cover / sizeof *cover; i++)
    if (!strcmp(cover[i].peer, name)) return 0;
  return sq_fail(SQ_EINVAL, "--peer: '%s' is not a peer (torch, fla, mamba_ssm, natten)", name);
}

static const char *impl_of(const char *peer, const sq_case *c) {
  int form = c->prob.causal ? FORM_CAUSAL : FORM_NONCAUSAL;
  for (size_t i = 0; i < sizeof cover / sizeof *cover; i++)
    if (!strcmp(cover[i].peer, peer) && !strcmp(cover[i].op, c->prob.shape.op->name) && (cover[i].forms & form))
      return cover[i].impl;
  return NULL;
}

/* The framework device of subquad's device: the host's CPU for an OpenCL
 * CPU device and for cpu, cuda:N for cuda:N. Threads: the device's. */
static int peer_device(const sq_device *dev, char *buf, size_t n, int *threads, char *why, size_t wn) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  *threads = dev->info.compute_units > 0 ? dev->info.compute_units : (int)(cores > 0 ? cores : 1);
  if (!strcmp(dev->info.backend, "cuda")) {
    snprintf(buf, n, "cuda:%d", dev->index);
    *threads = (int)(cores > 0 ? cores : 1);
    return 0;
  }
  if (!dev->info.is_gpu) {
    snprintf(buf, n, "cpu");
    return 0;
  }
  snprintf(why, wn, "%s is a GPU only OpenCL reaches: the peers run on cpu and cuda devices", dev->id);
  return SQ_EUNSUPPORTED;
}

/* harness/peer.py: SUBQUAD_PEER_PROGRAM when set; else the source tree's
 * copy for a binary run from its build tree, the installed one otherwise. */
static void locate_program(char *buf, size_t n) {
  const char *env = getenv("SUBQUAD_PEER_PROGRAM");
  if (env && *env) {
    snprintf(buf, n, "%s", env);
    return;
  }
  char exe[4096];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  const char *src = SQ_PEER_SRCDIR "/harness/peer.py";
  if (len > 0) {
    exe[len] = 0;
    if (!strcmp(dirname(exe), SQ_PEER_BUILDDIR) && !access(src, R_OK)) {
      snprintf(buf, n, "%s", src);
      return;
    }
  } else if (!access(src, R_OK)) {
    snprintf(buf, n, "%s", src);
    return;
  }
  snprintf(buf, n, "%s", SQ_PEER_DATADIR "/peer.py");
}

/* The cpu device times its reference hot (run_on_cpu): its peers too, so
 * the rows compare. */
static const char *peer_mode(const sq_peers *ps) {
  return !strcmp(ps->dev->info.backend, "cpu") ? "hot" : sq_mode_name(ps->o.measure.mode);
}

static char *argf(peer *p, int i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static char *argf(peer *p, int i, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->arg[i], sizeof p->arg[i], fmt, ap);
  va_end(ap);
  return p->arg[i];
}

/* Whether the interpreter can be run: a path, or a name on PATH. Checked
 * before starting, so a missing Python reads the same whether or not the
 * child's exec failed before the hello was written to it. */
static int runnable(const char *prog) {
  if (strchr(prog, '/')) return !access(prog, X_OK);
  const char *path = getenv("PATH");
  for (const char *d = path ? path : "/usr/bin:/bin"; *d;) {
    size_t len = strcspn(d, ":");
    char *f = sq_strf("%.*s/%s", (int)len, d, prog);
    int ok = f && !access(f, X_OK);
    free(f);
    if (ok) return 1;
    d += len + (d[len] == ':');
  }
  return 0;
}

/* Starts the program and reads its hello; any failure is the peer's
 * `unavailable` reason, not an error of the run. */
static void start(sq_peers *ps, peer *p) {
  const sq_measure_opts *m = &ps->o.measure;
  int k = 0;
  p->argv[k++] = (char *)ps->python;
  p->argv[k++] = ps->program;
  p->argv[k++] = (char *)p->name;
  p->argv[k++] = "--device";
  p->argv[k++] = p->device;
  p->argv[k++] = "--threads";
  p->argv[k++] = argf(p, 0, "%d", p->threads);
  p->argv[k++] = "--mode";
  p->argv[k++] = (char *)peer_mode(ps);
  p->argv[k++] = "--warmup";
  p->argv[k++] = argf(p, 1, "%d", m->warmup);
  p->argv[k++] = "--timeout";
  p->argv[k++] = argf(p, 2, "%g", m->timeout_s);
  p->argv[k++] = "--cache-bytes";
  p->argv[k++] = argf(p, 3, "%llu", (unsigned long long)ps->dev->info.cache_bytes);
  p->argv[k] = NULL;
  p->proc = (sq_gate_proc){.argv = p->argv};
  p->gen++;
  p->starts++;
  char *reply;
  if (!runnable(ps->python)) {
    snprintf(p->unavailable, sizeof p->unavailable, "cannot run %.160s: no such program (SUBQUAD_PYTHON names the Python)",
             ps->python);
    return;
  }
  if (access(ps->program, R_OK)) {
    snprintf(p->unavailable, sizeof p->unavailable,
             "no peer program at %.160s (make install puts it there; SUBQUAD_PEER_PROGRAM names another)", ps->program);
    return;
  }
  if (sq_gate_proc_start(&p->proc)) {
    snprintf(p->unavailable, sizeof p->unavailable, "%s", sq_last_error());
    return;
  }
  if (sq_gate_proc_ask(&p->proc, "hello", ps->timeout_s, &reply)) {
    snprintf(p->unavailable, sizeof p->unavailable, "%.60s %.120s: %.60s", ps->python, ps->program, sq_last_error());
    sq_gate_proc_stop(&p->proc, 1);
    return;
  }
  char fw[64], ver[64];
  int proto;
  if (sscanf(reply, "hello subquad-peer %d %63s %63s", &proto, fw, ver) == 3 && proto == PEER_PROTOCOL) {
    snprintf(p->framework, sizeof p->framework, "%s %s", fw, ver);
    p->unavailable[0] = 0;
    return;
  }
  /* "error REASON": no framework, no such device; else a stranger. */
  if (!strncmp(reply, "error ", 6)) snprintf(p->unavailable, sizeof p->unavailable, "%s", reply + 6);
  else snprintf(p->unavailable, sizeof p->unavailable, "%.100s did not answer hello as a peer: '%.120s'", ps->program, reply);
  sq_gate_proc_stop(&p->proc, 1);
}

int sq_peers_start(const char *const *names, int n, sq_device *dev, const sq_run_opts *o, int ncases,
                   sq_peers **out) {
  *out = NULL;
  if (!n) return 0;
  sq_peers *ps = calloc(1, sizeof *ps);
  if (!ps || !(ps->rows = calloc((size_t)ncases * (size_t)n, sizeof *ps->rows))) {
    free(ps);
    return sq_fail(SQ_ENOMEM, "no memory for the peers");
  }
  ps->dev = dev, ps->o = *o, ps->n = n, ps->ncases = ncases;
  /* A peer that dies must not take the run with it on the next write. */
  signal(SIGPIPE, SIG_IGN);
  const char *py = getenv("SUBQUAD_PYTHON"), *to = getenv("SUBQUAD_PEER_TIMEOUT"), *tmpdir = getenv("TMPDIR");
  ps->python = py && *py ? py : "python3";
  ps->timeout_s = DEFAULT_TIMEOUT_S;
  if (to && *to && (sq_parse_duration(to, "SUBQUAD_PEER_TIMEOUT", &ps->timeout_s) || !(ps->timeout_s > 0))) {
    int rc = sq_fail(SQ_EINVAL, "SUBQUAD_PEER_TIMEOUT: '%s' is not a positive duration (600, 30s, 5m)", to);
    sq_peers_stop(ps);
    return rc;
  }
  locate_program(ps->program, sizeof ps->program);
  ps->tmp = sq_strf("%s/subquad-peer-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  if (!ps->tmp || !mkdtemp(ps->tmp)) {
    int rc = sq_fail(SQ_EIO, "--peer: no private temporary directory (%s)", ps->tmp ? strerror(errno) : "no memory");
    free(ps->tmp);
    ps->tmp = NULL;
    sq_peers_stop(ps);
    return rc;
  }
  for (int j = 0; j < n; j++) {
    peer *p = &ps->p[j];
    p->name = names[j];
    char why[200];
    if (peer_device(dev, p->device, sizeof p->device, &p->threads, why, sizeof why))
      snprintf(p->unavailable, sizeof p->unavailable, "%s", why);
    else
      start(ps, p);
  }
  *out = ps;
  return 0;
}

void sq_peers_meta(const sq_peers *ps, sq_meta *m) {
  for (int j = 0; ps && j < ps->n; j++) {
    const peer *p = &ps->p[j];
    char key[32], value[512];
    snprintf(key, sizeof key, "peer_%s", p->name);
    if (p->framework[0])
      snprintf(value, sizeof value, "%s on %s, %d threads (%.60s %.300s)", p->framework, p->device, p->threads,
               ps->python, ps->program);
    else
      snprintf(value, sizeof value, "unavailable: %s", p->unavailable);
    sq_meta_set(m, key, value);
  }
}

static void set_row(sq_result *r, sq_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_row(sq_result *r, sq_status s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  r->status = s;
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
}

/* A peer that died or hung on a request: the row fails with how, and the
 * peer starts again for the other cases (up to MAX_RESTARTS starts). */
static void lost(sq_peers *ps, peer *p, sq_result *r, const char *what) {
  const char *how = p->proc.death[0] ? p->proc.death : sq_last_error();
  set_row(r, SQ_STATUS_FAILED, "peer %s %s: %s", p->name, what, how);
  sq_gate_proc_stop(&p->proc, 1);
  if (p->starts > MAX_RESTARTS) {
    snprintf(p->unavailable, sizeof p->unavailable, "peer %s stopped after %d crashes or hangs", p->name,
             p->starts);
    return;
  }
  start(ps, p);
}

static char *case_dir(sq_peers *ps, int id) { return sq_strf("%s/c%d", ps->tmp, id); }

/* Removes a case's files and its folder. */
static void drop_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      char *f = sq_strf("%s/%s", dir, e->d_name);
      if (f) unlink(f);
      free(f);
    }
  if (d) closedir(d);
  rmdir(dir);
}

/* The case's inputs as float (the very values a device run sees), each
 * also written as DIR/NAME.npy for the peer. */
static int make_inputs(const sq_case *c, const sq_run_opts *o, const char *dir, float **in) {
  const sq_problem *p = &c->prob;
  const sq_op *op = p->shape.op;
  int rc = 0;
  for (int t = 0; !rc && t < sq_op_ntensors(op); t++) {
    if (op->tensors[t].out || !sq_tensor_present(&p->shape, &op->tensors[t], p->causal)) continue;
    void *stored;
    if ((rc = sq_inputs_tensor(p, t, o->seed, &o->input, &stored, &in[t]))) break;
    if (stored != (void *)in[t]) free(stored);
    int64_t dims[SQ_TENSOR_MAX_DIMS];
    int nd = sq_tensor_dims(&p->shape, &op->tensors[t], dims);
    char *path = sq_strf("%s/%s.npy", dir, op->tensors[t].name);
    rc = path ? sq_npy_write(path, "<f4", 4, in[t], dims, nd) : SQ_ENOMEM;
    free(path);
  }
  return rc;
}

/* Reads the peer's outputs back and verifies them; 0 ok, else the row is
 * failed and the code says whether the host itself failed (SQ_ENOMEM). */
static int check_outputs(sq_peers *ps, const sq_case *c, const char *dir, float **in, sq_result *r) {
  const sq_problem *p = &c->prob;
  const sq_op *op = p->shape.op;
  float *out[SQ_OP_MAX_TENSORS] = {0};
  int rc = 0;
  for (int t = 0; !rc && t < sq_op_ntensors(op); t++) {
    if (!op->tensors[t].out || !sq_tensor_present(&p->shape, &op->tensors[t], p->causal)) continue;
    size_t n = (size_t)sq_tensor_elems(&p->shape, &op->tensors[t]);
    char *path = sq_strf("%s/%s.npy", dir, op->tensors[t].name);
    if (!path || !(out[t] = malloc(sizeof(float) * (n ? n : 1)))) rc = sq_fail(SQ_ENOMEM, "no host memory for a peer's output");
    else if ((rc = sq_npy_read_f32(path, out[t], n))) set_row(r, SQ_STATUS_FAILED, "peer output: %s", sq_last_error());
    if (path) unlink(path);
    free(path);
  }
  char why[400];
  if (!rc) {
    rc = sq_case_verify_host(c, &ps->o, in, out, r, why, sizeof why);
    if (rc == SQ_EVERIFY) set_row(r, SQ_STATUS_FAILED, "verify: %s", why);
    else if (rc) set_row(r, SQ_STATUS_FAILED, "verify: %s", sq_last_error());
  }
  for (int t = 0; t < SQ_OP_MAX_TENSORS; t++) free(out[t]);
  return rc == SQ_ENOMEM ? rc : 0;
}

/* The reply's status word after "VERB ID " and the text after it. */
static const char *reply_status(const char *reply, const char *verb, int id, char *word, size_t n) {
  char head[64];
  int len = snprintf(head, sizeof head, "%s %d ", verb, id);
  if (strncmp(reply, head, (size_t)len)) return NULL;
  const char *s = reply + len;
  size_t w = strcspn(s, " ");
  snprintf(word, n, "%.*s", (int)w, s);
  return s + w + strspn(s + w, " ");
}

/* Hands the case to the peer, which computes it once; the output is
 * verified. The row is ok, skipped or failed afterwards. */
static int setup(sq_peers *ps, peer *p, peer_row *pr, const sq_case *c, const char *impl) {
  sq_result *r = &pr->r;
  float *in[SQ_OP_MAX_TENSORS] = {0};
  char *dir = case_dir(ps, r->id), *line = NULL, *reply, word[16];
  int rc = 0;
  if (!dir) return sq_fail(SQ_ENOMEM, "no memory for a path");
  if (mkdir(dir, 0700) && errno != EEXIST) {
    set_row(r, SQ_STATUS_FAILED, "peer inputs: %s: %s", dir, strerror(errno));
    goto out;
  }
  if ((rc = make_inputs(c, &ps->o, dir, in))) {
    set_row(r, rc == SQ_ENOMEM ? SQ_STATUS_SKIPPED : SQ_STATUS_FAILED, "peer inputs: %s", sq_last_error());
    rc = 0;
    goto out;
  }
  line = sq_strf("case %d %s %s %s %s %s", r->id, impl, c->prob.causal ? "causal" : "noncausal", r->dtype, r->shape, dir);
  if (!line) {
    rc = sq_fail(SQ_ENOMEM, "no memory for a request");
    goto out;
  }
  if (sq_gate_proc_ask(&p->proc, line, ps->timeout_s, &reply)) {
    lost(ps, p, r, "on the case");
    goto out;
  }
  const char *rest = reply_status(reply, "case", r->id, word, sizeof word);
  pr->gen = p->gen;
  if (!rest) set_row(r, SQ_STATUS_FAILED, "peer %s: %.200s", p->name, reply);
  else if (!strcmp(word, "skipped")) set_row(r, SQ_STATUS_SKIPPED, "%s", rest);
  else if (strcmp(word, "ok")) set_row(r, SQ_STATUS_FAILED, "%s", rest);
  else rc = check_outputs(ps, c, dir, in, r);
out:
  for (int t = 0; t < SQ_OP_MAX_TENSORS; t++) free(in[t]);
  free(line);
  free(dir);
  return rc;
}

/* One round of `count` samples, timed by the peer, appended to the row. */
static int one_round(sq_peers *ps, peer *p, peer_row *pr, const sq_case *c, int count) {
  sq_result *r = &pr->r;
  char line[64], *reply, word[16];
  snprintf(line, sizeof line, "round %d %d", r->id, count);
  if (sq_gate_proc_ask(&p->proc, line, ps->timeout_s, &reply)) {
    lost(ps, p, r, "in a round");
    return 0;
  }
  const char *rest = reply_status(reply, "round", r->id, word, sizeof word);
  if (!rest || strcmp(word, "ok")) {
    set_row(r, SQ_STATUS_FAILED, "peer %s: %.200s", p->name, rest ? rest : reply);
    return 0;
  }
  double *ms = malloc(sizeof *ms * (strlen(rest) / 2 + 1));
  int n = 0;
  if (!ms) return sq_fail(SQ_ENOMEM, "no memory for samples");
  for (const char *s = rest; *s;) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0) || v > 1e12) {
      set_row(r, SQ_STATUS_FAILED, "peer %s: bad sample in '%.120s'", p->name, rest);
      free(ms);
      return 0;
    }
    ms[n++] = v;
    s = end + strspn(end, " ");
  }
  int rc = n ? sq_case_append_round(ps->dev, c, r, ms, n) : 0;
  if (!n) set_row(r, SQ_STATUS_FAILED, "peer %s: a round without samples", p->name);
  free(ms);
  return rc;
}

/* A row's identity: the case's, under the peer's name. */
static void describe(sq_peers *ps, const sq_case *c, const char *impl, int id, sq_result *r) {
  sq_result_init(r);
  sq_case_describe(ps->dev, c, r);
  snprintf(r->kernel, sizeof r->kernel, "peer:%s", impl);
  snprintf(r->mode, sizeof r->mode, "%s", peer_mode(ps));
  r->params[0] = 0;
  snprintf(r->config_source, sizeof r->config_source, "peer");
  r->id = id;
}

int sq_peers_case(sq_peers *ps, int i, const sq_case *c, int round, int rounds, int count, const char *skip) {
  int rc = 0;
  for (int j = 0; ps && !rc && j < ps->n; j++) {
    peer *p = &ps->p[j];
    peer_row *pr = &ps->rows[i * ps->n + j];
    const char *impl = impl_of(p->name, c);
    if (!impl) continue;
    sq_result *r = &pr->r;
    if (!round) {
      pr->present = 1;
      /* Row ids after the cases' own (1..ncases). */
      describe(ps, c, impl, ps->ncases + 1 + i * ps->n + j, r);
      if (skip) set_row(r, SQ_STATUS_SKIPPED, "%s", skip);
      else if (p->unavailable[0]) set_row(r, SQ_STATUS_SKIPPED, "%s", p->unavailable);
      else rc = setup(ps, p, pr, c, impl);
    } else if (r->status == SQ_STATUS_OK && pr->gen != p->gen) {
      /* The process that verified this case is gone: set it up again. */
      if (p->unavailable[0]) continue;
      rc = setup(ps, p, pr, c, impl);
    }
    if (!rc && r->status == SQ_STATUS_OK && !ps->o.verify_only && count > 0 && !p->unavailable[0])
      rc = one_round(ps, p, pr, c, count);
    if (round + 1 >= rounds || ps->o.verify_only || r->status != SQ_STATUS_OK) {
      char *dir = case_dir(ps, r->id);
      if (dir) drop_dir(dir);
      free(dir);
    }
  }
  return rc;
}

int sq_peers_rows(sq_peers *ps, int i, sq_result **rows) {
  int m = 0;
  for (int j = 0; ps && j < ps->n; j++)
    if (ps->rows[i * ps->n + j].present) rows[m++] = &ps->rows[i * ps->n + j].r;
  return m;
}

void sq_peers_stop(sq_peers *ps) {
  if (!ps) return;
  for (int j = 0; j < ps->n; j++) {
    peer *p = &ps->p[j];
    if (p->proc.pid > 0) {
      char *reply;
      /* A polite quit, then EOF and a grace period. */
      if (!sq_gate_proc_ask(&p->proc, "quit", 10, &reply)) sq_gate_proc_stop(&p->proc, 5);
    }
    sq_gate_proc_stop(&p->proc, 1);
  }
  for (int k = 0; k < ps->ncases * ps->n; k++) {
    if (ps->tmp && ps->rows[k].present) {
      char *dir = case_dir(ps, ps->rows[k].r.id);
      if (dir) drop_dir(dir);
      free(dir);
    }
    sq_result_free(&ps->rows[k].r);
  }
  if (ps->tmp) rmdir(ps->tmp);
  free(ps->tmp);
  free(ps->rows);
  free(ps);
}

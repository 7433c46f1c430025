/* SPDX-License-Identifier: BSD-3-Clause */
/* The paper catalog: the embedded files load and cover every paper of the
 * reading list (with workloads or a reason), names are unique, most numbers
 * carry a source, every row's shape validates against its declared op
 * (pending rows included) and reads back from its canonical text, runnable
 * rows map to registered kernels of their own op and give exactly the
 * problems they gave before the shape column, a pending row resolves to its
 * op's preferred kernel for its mode once one is registered, the 31 rows of
 * the gated and decayed linear-attention family have their papers' modes
 * (LAWCAT's normaliser as a ones column on v: DV = D + 1); and each kind of
 * malformed file is rejected with "file:line: column: what". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/error.h"
#include "kernels/attention.h"
#include "tap.h"
#include "workloads/catalog.h"

static char datadir[512];

/* Loads tests/data/NAME and checks it fails with SQ_EPARSE and a message
 * naming the file, the line and the expected text. */
static void expect_bad(const char *name, int line, const char *what) {
  char path[700], want[800];
  snprintf(path, sizeof path, "%s/%s", datadir, name);
  sq_catalog c;
  int rc = sq_catalog_load(path, &c);
  snprintf(want, sizeof want, "%s:%d: ", path, line);
  const char *e = sq_last_error();
  tap_ok(rc == SQ_EPARSE && strstr(e, want) && strstr(e, what), "%s rejected: %s", name, e);
  if (!rc) sq_catalog_free(&c);
}

#define HEADER "name,paper,domain,family,op,kernel,causal,shape,operator,source,notes\n"

/* A paper listed with neither workloads nor the reason it has none; a row
 * whose every value is assumed, products included. */
static void paper_without_reason(void) {
  const char *papers = "paper,title,reason\nA,Paper A,\nB,Paper B,\n";
  const char *rows = HEADER
                     "a/one,A,lm,linear_attn,linear_attn,linear_attn.causal_chunked,1,\"B=1,H=2,T=1024,D=64\",op,abstract,\n";
  sq_catalog c;
  int rc = sq_catalog_parse(rows, strlen(rows), "w.csv", papers, strlen(papers), "p.csv", 1, &c);
  tap_ok(rc == SQ_EPARSE && strstr(sq_last_error(), "p.csv:3: reason: 'B' has no workload rows"),
         "a paper with no rows and no reason is rejected (%s)", rc ? sq_last_error() : "accepted");
  if (!rc) sq_catalog_free(&c);
  const char *guess = HEADER
                      "a/one,A,lm,linear_attn,linear_attn,linear_attn.causal_chunked,1,\"B=1,H=2,T=1024,D=64\",op,abstract,\n"
                      "b/one,B,lm,linear_attn,linear_attn,linear_attn.causal_chunked,1,"
                      "\"B=assumed:1*assumed:4,H=assumed:2,T=assumed:1024,D=assumed:64\",op,abstract,\n";
  rc = sq_catalog_parse(guess, strlen(guess), "w.csv", papers, strlen(papers), "p.csv", 1, &c);
  tap_ok(rc == SQ_EPARSE && strstr(sq_last_error(), "w.csv:3: source: every number of 'b/one' is assumed"),
         "a row whose every number is assumed is rejected (%s)", rc ? sq_last_error() : "accepted");
  if (!rc) sq_catalog_free(&c);
}

/* Rows per op: the families FAMILIES.md section 6 assigns (ssm 121, ssd 61,
 * rwkv4 21, rwkv6 13, decay 12, gla 19) and the ops declared for the other
 * pending kinds (cross 24 with FaViT's 12, hyper 9, varlen 5, lla 3). */
static void rows_per_op(const sq_catalog *c) {
  static const struct { const char *op; int n; } want[] = {
    {"ssm.selective_scan", 121}, {"ssm.ssd", 61}, {"wkv.rwkv4", 21}, {"wkv.rwkv6", 13},
    {"linear_attn.decay", 12}, {"linear_attn.gla", 19}, {"softmax_attn.cross", 24},
    {"approx_attn.hyper", 9}, {"softmax_attn.varlen", 5}, {"local_linear_attn", 3}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    int n = 0;
    for (int j = 0; j < c->n; j++) n += !strcmp(c->w[j].op->name, want[i].op);
    tap_ok(n == want[i].n, "%d rows compute %s (%d)", n, want[i].op, want[i].n);
  }
}

/* Every one of the rows validated against its op on load; here each one's
 * canonical text parses back to the same values through the op's own
 * parser to the same canonical text, as a --shape of a later kernel would. */
static void shapes_validate(const sq_catalog *c) {
  int bad = 0, pending = 0;
  for (int i = 0; i < c->n; i++) {
    const sq_workload *w = &c->w[i];
    char text[SQ_SHAPE_TEXT_MAX], again[SQ_SHAPE_TEXT_MAX] = "";
    sq_shape back;
    sq_shape_format(&w->shape, text, sizeof text);
    int rc = sq_shape_parse_op(w->op, text, w->causal, "t", &back);
    if (!rc) sq_shape_format(&back, again, sizeof again);
    /* Text, not doubles: a real (scale = D^-1/2) prints to float precision. */
    if (w->shape.op != w->op || rc || strcmp(text, again)) {
      if (bad++ < 3) tap_diag("%s: '%s' (%s)", w->name, text, sq_last_error());
    }
    pending += !w->k;
    if (!w->k && w->op->pending && strcmp(w->op->pending, w->kernel)) bad++;
  }
  tap_ok(c->n == 437 && bad == 0, "all %d rows validate against their op and read back (%d pending)", c->n,
         pending);
}

/* The problems of the runnable rows before the shape column
 * (tests/data/workloads_runnable_problems.csv, from the old columns), less
 * the 61 windowed rows that moved to local_attn.window_2d (issue 15). */
static void same_problems(const sq_catalog *c) {
  char path[700];
  sq_csvfile t;
  snprintf(path, sizeof path, "%s/workloads_runnable_problems.csv", datadir);
  if (!tap_ok(!sq_csv_read(path, 0, &t, NULL), "%s reads", path)) return;
  int same = 0, rows = 0, runnable = 0;
  for (int i = 1; i < t.nrows; i++) {
    char **f = t.rows[i].f;
    const sq_workload *w = sq_catalog_find(c, f[0]);
    sq_problem p;
    rows++;
    if (!w || !w->k || strcmp(w->k->name, f[1]) || sq_workload_problem(w, &p)) continue;
    if (p.causal == atoi(f[2]) && att_B(&p) == atoll(f[3]) && att_H(&p) == atoll(f[4]) &&
        att_T(&p) == atoll(f[5]) && att_D(&p) == atoll(f[6]) && att_DV(&p) == atoll(f[7]) &&
        att_fmap(&p) == SQ_FMAP_IDENTITY && !att_normalize(&p) && p.dtype == SQ_F32)
      same++;
    else
      tap_diag("%s: B=%lld H=%lld T=%lld D=%lld DV=%lld", w->name, (long long)att_B(&p), (long long)att_H(&p),
               (long long)att_T(&p), (long long)att_D(&p), (long long)att_DV(&p));
  }
  /* Rows that name their kernel: those 88 and the 31 of the gated family
   * (FAMILIES.md §5), which name theirs since their kernels landed. */
  for (int i = 0; i < c->n; i++) runnable += c->w[i].k && strncmp(c->w[i].kernel, "pending:", 8);
  tap_ok(rows == 88 && same == rows && runnable == rows + 31,
         "the %d rows that name their kernel give the same problems as before the shape column (%d same)",
         runnable, same);
  sq_csv_free(&t);
}

/* The ops declared for the catalog's pending kinds (kernels/ops.c) and
 * the widened GLA value head: the constraints their rows rely on. */
static int op_fails(const char *op, const char *text, int causal, const char *needle) {
  sq_shape s;
  sq_clear_error();
  int rc = sq_shape_parse_op(sq_op_find(op), text, causal, "--shape", &s);
  return tap_ok(rc == SQ_EINVAL && strstr(sq_last_error(), needle), "%s %s -> '%s' (%s)", op, text, needle,
                sq_last_error());
}

static void pending_ops(void) {
  sq_shape s;
  const sq_op *op = sq_op_find("softmax_attn.cross");
  int64_t dims[SQ_TENSOR_MAX_DIMS];
  tap_ok(op && !sq_shape_parse_op(op, "B=128,H=4,TQ=1,TK=197,D=32", 0, "t", &s) && sq_shape_tokens(&s) == 1 &&
             sq_tensor_dims(&s, &op->tensors[1], dims) == 4 && dims[2] == 197,
         "cross attention: TQ queries are the tokens, k is [B][H][TK][D]");
  op_fails("softmax_attn.cross", "TQ=1,TK=197,D=32", 1, "non-causal only");
  op_fails("softmax_attn.varlen", "T=681,D=64", 0, "T=681 but scales=var256 packs 680 tokens");
  op = sq_op_find("approx_attn.hyper");
  tap_ok(op && !sq_shape_parse_op(op, "T=4096,D=64", 1, "t", &s) && sq_shape_int(&s, "block_size") == 256 &&
             sq_shape_int(&s, "sample_size") == 256 && sq_shape_int(&s, "lsh_num_projs") == 7 &&
             sq_shape_int(&s, "min_seq_len") == 4096,
         "HyperAttention's defaults are its benchmark's");
  op = sq_op_find("local_linear_attn");
  tap_ok(op && !strcmp(op->pending, "pending:local_linear_attn") && !sq_shape_parse_op(op, "T=1024,D=64", 1, "t", &s) &&
             sq_shape_int(&s, "cg_max_iters") == 32,
         "local linear attention: 32 conjugate-gradient iterations by default");
  tap_ok(!sq_shape_parse_op(sq_op_find("linear_attn.gla"), "H=4,T=16,D=256,DV=512", 1, "t", &s),
         "GLA takes ZeCO's DV=512");
  op_fails("linear_attn.gla", "T=16,D=64,DV=1025", 1, "DV=1025 is larger than the maximum 1024");
}

/* The kernel a pending row of op in this mode should run: the first
 * registered kernel of the op that supports the mode, NULL when none. */
static const sq_kernel *preferred(const sq_op *op, int causal) {
  for (int i = 0; i < sq_nkernels; i++)
    if (sq_kernels[i]->op == op && (sq_kernels[i]->modes & (causal ? SQ_CAUSAL : SQ_NONCAUSAL)))
      return sq_kernels[i];
  return NULL;
}

/* Kernels are matched by the op their descriptor points at: every
 * runnable row's kernel computes the row's op in the row's mode, and every
 * pending row is resolved exactly when its op has a kernel for its mode,
 * to the first registered one. */
static void resolve_by_op(const sq_catalog *c) {
  int bad = 0, resolved = 0;
  for (int i = 0; i < c->n; i++) {
    const sq_workload *w = &c->w[i];
    int pending = !strncmp(w->kernel, "pending:", 8);
    if (w->k && (w->k->op != w->op || !(w->k->modes & (w->causal ? SQ_CAUSAL : SQ_NONCAUSAL)))) bad++;
    if (pending && w->k != preferred(w->op, w->causal)) bad++;
    resolved += pending && w->k;
  }
  tap_ok(bad == 0, "every row runs a kernel of its own op in its mode; pending rows resolve to the op's "
                   "preferred kernel (%d resolved, %d wrong)", resolved, bad);
  /* A file's pending rows of linear_attn, whose kernels are registered. */
  const char *text = HEADER
                     "a/c,A,lm,linear_attn,linear_attn,pending:linear_attn,1,\"T=1024,D=64\",op,src,\n"
                     "a/nc,A,lm,linear_attn,linear_attn,pending:linear_attn,0,\"T=1024,D=64\",op,src,\n"
                     "a/gla,A,lm,gated_linear_attn,linear_attn.gla,pending:gated_linear_attn,0,\"T=64,D=16,DV=32\",op,src,\n";
  sq_catalog f;
  int rc = sq_catalog_parse(text, strlen(text), "w.csv", NULL, 0, NULL, 0, &f);
  if (!tap_ok(rc == 0, "a file of pending rows loads (%s)", rc ? sq_last_error() : "ok")) return;
  const sq_kernel *kc = f.w[0].k, *knc = f.w[1].k;
  tap_ok(kc && kc == preferred(&sq_op_linear_attn, 1) && kc->op == &sq_op_linear_attn && knc &&
             !strcmp(knc->name, "linear_attn.noncausal"),
         "pending linear_attn rows resolve by op and mode: causal to %s, non-causal to %s", kc ? kc->name : "-",
         knc ? knc->name : "-");
  const sq_kernel *kg = preferred(sq_op_find("linear_attn.gla"), 0);
  tap_ok(f.w[2].k == kg, "a bidirectional GLA row resolves to %s", kg ? kg->name : "nothing (no GLA kernel yet)");
  sq_catalog_free(&f);
}

/* The 31 rows FAMILIES.md section 6 assigns to linear_attn.decay and
 * linear_attn.gla: in their op, kind and mode as their papers run them. */
static void gated_rows(const sq_catalog *c) {
  int fam_decay = 0, fam_gated = 0, kind_decay = 0, kind_gated = 0, lawcat = 0, lawcat_ok = 0;
  int vig = 0, lion = 0, zeco = 0, lightning = 0, lightnet = 0;
  for (int i = 0; i < c->n; i++) {
    const sq_workload *w = &c->w[i];
    int decay = !strcmp(w->op->name, "linear_attn.decay"), gla = !strcmp(w->op->name, "linear_attn.gla");
    if (!decay && !gla) continue;
    fam_decay += !strcmp(w->family, "decay_linear_attn");
    fam_gated += !strcmp(w->family, "gated_linear_attn");
    kind_decay += !strcmp(w->kernel, "linear_attn.decay.chunked");
    kind_gated += !strcmp(w->kernel, "linear_attn.gla.chunked");
    int64_t D = sq_shape_int(&w->shape, "D"), DV = sq_shape_int(&w->shape, "DV");
    if (!strcmp(w->paper, "LAWCAT")) {
      lawcat++;
      lawcat_ok += gla && w->causal && DV == D + 1 && strstr(w->notes, "ones column") != NULL;
    }
    vig += !strcmp(w->paper, "ViG") && gla && !w->causal && !strcmp(w->domain, "vision");
    lion += !strcmp(w->paper, "LION") && decay && w->causal;
    zeco += !strcmp(w->paper, "ZeCO") && gla && w->causal && sq_shape_int(&w->shape, "state") == 1;
    lightning += !strcmp(w->paper, "LightningAttn2") && decay && w->causal;
    lightnet += !strcmp(w->paper, "LightNet") && gla && w->causal;
  }
  tap_ok(fam_decay == 13 && fam_gated == 18 && kind_decay == 12 && kind_gated == 19,
         "31 rows of the family: families decay 13 and gated 18 (%d, %d), kernels decay.chunked 12 and gla.chunked 19 (%d, %d)",
         fam_decay, fam_gated, kind_decay, kind_gated);
  tap_ok(lawcat == 7 && lawcat_ok == 7,
         "LAWCAT's 7 rows: causal GLA with DV = D + 1, the normaliser's ones column, said in the notes (%d of %d)",
         lawcat_ok, lawcat);
  tap_ok(vig == 8 && lion == 4 && zeco == 3 && lightning == 8 && lightnet == 1,
         "modes: ViG 8 bidirectional vision rows (%d), LION-RetNet 4 causal (%d), ZeCO 3 causal with state (%d), "
         "Lightning-2 8 causal (%d), LightNet 1 causal on linear_attn.gla (%d)",
         vig, lion, zeco, lightning, lightnet);
  const sq_workload *w = sq_catalog_find(c, "lawcat/lawcat-mistral-7b-passkey.t1024");
  tap_ok(w && sq_shape_int(&w->shape, "D") == 128 && sq_shape_int(&w->shape, "DV") == 129 &&
             sq_shape_int(&w->shape, "H") == 32 && sq_shape_int(&w->shape, "T") == 1024,
         "LAWCAT Mistral-7B at 1K: 32 heads, D=128, DV=129");
}

/* Every size of the row's op (its int axes other than options such as
 * window_left, which may be 0) and its token count are at least 1: the
 * op's own axes, since a WKV or SSM op has no D or DV (and a bool such as
 * state sits where attention has DV). */
static int sizes_positive(const sq_shape *s) {
  for (int a = 0; a < sq_op_naxes(s->op); a++)
    if (s->op->axes[a].kind == SQ_AXIS_INT && s->op->axes[a].lo >= 1 && s->v[a][0] < 1) return 0;
  return sq_shape_tokens(s) >= 1;
}

static void embedded(void) {
  sq_catalog c;
  int rc = sq_catalog_load(NULL, &c);
  if (!tap_ok(rc == 0, "embedded catalog loads (%s)", rc ? sq_last_error() : "ok")) return;
  tap_ok(c.npapers == 53, "53 papers listed (%d)", c.npapers);
  int uncovered = 0, with = 0;
  for (int i = 0; i < c.npapers; i++) {
    if (c.papers[i].nworkloads) with++;
    else if (!c.papers[i].reason[0]) uncovered++;
  }
  tap_ok(uncovered == 0, "every paper has workloads or a reason (%d without)", uncovered);
  tap_ok(with >= 39, "%d papers have workloads", with);
  int nums, src;
  sq_catalog_source_share(&c, &nums, &src);
  tap_diag("%d of %d numbers (%.1f%%) carry a source", src, nums, 100.0 * src / nums);
  tap_ok(nums > 2000 && src >= 0.90 * nums, "at least 90%% of the numbers carry a source (%.1f%%)",
         100.0 * src / nums);
  int runnable = 0, bad = 0, dups = 0;
  for (int i = 0; i < c.n; i++) {
    const sq_workload *w = &c.w[i];
    if (sq_catalog_find(&c, w->name) != w) dups++;
    if (!w->k) {
      bad += strncmp(w->kernel, "pending:", 8) != 0;
      continue;
    }
    runnable++;
    sq_problem p;
    if (sq_workload_problem(w, &p) || !sizes_positive(&p.shape) ||
        !(w->k->modes & (p.causal ? SQ_CAUSAL : SQ_NONCAUSAL)))
      bad++;
  }
  tap_ok(dups == 0, "workload names are unique");
  tap_ok(bad == 0 && runnable > 100, "%d runnable rows map to kernels with valid shapes", runnable);
  shapes_validate(&c);
  rows_per_op(&c);
  same_problems(&c);
  resolve_by_op(&c);
  gated_rows(&c);
  const sq_workload *w = sq_catalog_find(&c, "swin/swin-t-224.s1");
  tap_ok(w && !strcmp(w->op->name, "local_attn.window_2d") && !strcmp(w->kernel, "pending:window_2d") &&
             !strcmp(w->shape_text, "B=64,H=3,D=32,grid=56x56,win=7x7,shift=3x3,has_rpb=1") && !w->nassumed,
         "Swin-T stage 1: batch 64, a 56x56 grid in 7x7 windows shifted by 3, with its bias table (%s)",
         w ? w->shape_text : "?");
  tap_ok(w && sq_shape_tokens(&w->shape) == 56 * 56 && sq_shape_int(&w->shape, "B") == 64,
         "its tokens are the grid's (3136), its batch the images'");
  w = sq_catalog_find(&c, "swin/swin-t-coco-1333x800-mask-r-cnn.s1");
  tap_ok(w && sq_shape_list(&w->shape, "grid", 0) == 203 && sq_shape_list(&w->shape, "grid", 1) == 336,
         "COCO's 200x336 stage-1 grid is padded to 203x336, a multiple of the window, as Swin pads it");
  sq_problem p;
  w = sq_catalog_find(&c, "mmmamba/mmmamba-linear-103k-tokens");
  tap_ok(w && w->k && w->k == sq_kernel_find("ssm.ssd.chunked") && !strcmp(w->kernel, "pending:ssd") &&
             !strcmp(w->op->name, "ssm.ssd") && sq_shape_int(&w->shape, "G") == 8 &&
             sq_shape_int(&w->shape, "P") == 128 && sq_workload_problem(w, &p) == 0 && p.causal &&
             sq_shape_int(&p.shape, "T") == 103000,
         "a Mamba2 row keeps pending:ssd and resolves to ssm.ssd.chunked, its shape in ssm.ssd's axes (G=8 from "
         "ngroups)");
  w = sq_catalog_find(&c, "hrvmamba/hrvmamba-b-pose-256x192.s1");
  tap_ok(w && sq_shape_int(&w->shape, "D") == 640 && sq_shape_int(&w->shape, "G") == 4 &&
             sq_shape_int(&w->shape, "N") == 1 && !sq_shape_int(&w->shape, "has_z"),
         "a VMamba cross-scan row: four directions folded into D = 4 x 160 channels, G = 4, no z");
  /* Calls per layer: a multi-order scan run as separate calls says how
   * many; directions folded into channels or fused (K=2) are one call. */
  const sq_workload *zig = sq_catalog_find(&c, "tokenprunessm/plainmamba-l1-224-16"),
                    *rewkv = sq_catalog_find(&c, "restore-rwkv/train-patch-128x128.s1");
  tap_ok(zig && zig->calls == 4 && rewkv && rewkv->calls == 2 && w && w->calls == 1,
         "calls per layer: PlainMamba's zig-zag %d, Re-WKV %d, VMamba's folded cross-scan %d", zig ? zig->calls : -1,
         rewkv ? rewkv->calls : -1, w ? w->calls : -1);
  w = sq_catalog_find(&c, "favit/favit-b0-224.s1");
  tap_ok(w && !strcmp(w->kernel, "pending:cross_attn") && sq_shape_int(&w->shape, "TQ") == 3136 &&
             sq_shape_int(&w->shape, "TK") == 49,
         "FaViT is cross attention of 3136 queries over 49 pooled keys");
  sq_catalog_free(&c);
}

static void good_file(void) {
  char path[700], brief[128];
  snprintf(path, sizeof path, "%s/workloads_good.csv", datadir);
  sq_catalog c;
  int rc = sq_catalog_load(path, &c);
  tap_ok(rc == 0 && c.n == 3 && sq_shape_int(&c.w[1].shape, "B") == 64 * 64 &&
             sq_shape_int(&c.w[0].shape, "DV") == 32,
         "a small well-formed file loads; B=64*64 multiplies out, DV defaults to D (%s)",
         rc ? sq_last_error() : "ok");
  if (!rc) {
    const sq_workload *w = &c.w[2];
    sq_workload_shape_brief(w, brief, sizeof brief);
    /* The row is pending:ssm_scan, which resolves to the op's kernel. */
    tap_ok(w->k && !strcmp(w->k->name, "ssm.selective_scan.chunked") && sq_shape_int(&w->shape, "B") == 256 &&
               w->nvalues == 6 && w->nassumed == 1 && w->assumed == 1u &&
               !strcmp(brief, "B=128*~2,D=384,T=197,N=16,K=2"),
           "B=128*assumed:2: two values, one assumed, on the B axis (%d, %d; %s), the pending row runs %s",
           w->nvalues, w->nassumed, brief, w->k ? w->k->name : "nothing");
    int nums, src;
    sq_catalog_source_share(&c, &nums, &src);
    tap_ok(nums == 4 + 5 + 6 && src == nums - 1, "the source share counts written values only (%d of %d)", src,
           nums);
    sq_catalog_free(&c);
  }
  rc = sq_catalog_load("/nonexistent/catalog.csv", &c);
  tap_ok(rc == SQ_EIO && strstr(sq_last_error(), "/nonexistent/catalog.csv"),
         "a missing file is an I/O error naming it");
}

int main(void) {
  const char *top = getenv("top_srcdir");
  snprintf(datadir, sizeof datadir, "%s/tests/data", top ? top : ".");
  embedded();
  pending_ops();
  good_file();
  expect_bad("workloads_missing_column.csv", 1, "shape: missing column");
  expect_bad("workloads_unknown_column.csv", 1, "colour: unknown column");
  expect_bad("workloads_non_numeric.csv", 3, "shape: H='three' is not an integer");
  expect_bad("workloads_negative.csv", 3, "shape: T=-49 must be at least 1");
  expect_bad("workloads_absurd.csv", 3, "shape: batch x tokens = 4.9e+13 is absurd");
  expect_bad("workloads_zero.csv", 3, "shape: B: factor '0' is not a positive integer");
  expect_bad("workloads_bad_calls.csv", 3, "calls: '0' is not a whole number from 1 to 64");
  expect_bad("workloads_duplicate.csv", 4, "name: 'ok/one' already used on line 2");
  expect_bad("workloads_unknown_kernel.csv", 3, "kernel: 'softmax_attn.turbo' is not a registered");
  expect_bad("workloads_bad_mode.csv", 3, "does not support non-causal mode");
  expect_bad("workloads_field_count.csv", 3, "7 fields, the header has 9");
  expect_bad("workloads_no_source.csv", 3, "source: empty");
  expect_bad("workloads_bad_quote.csv", 3, "malformed CSV");
  expect_bad("workloads_unknown_op.csv", 3, "op: 'ssm.mamba3' is not a declared operator (known: linear_attn,");
  expect_bad("workloads_op_mismatch.csv", 3, "op: linear_attn.noncausal computes linear_attn, not softmax_attn");
  expect_bad("workloads_pending_kind.csv", 3, "kernel: 'pending:ssm_scan', but ssm.ssd's kernels are pending:ssd");
  expect_bad("workloads_shape_unknown_key.csv", 3, "shape: unknown key 'N' (softmax_attn keys: B, H, T, D, DV)");
  expect_bad("workloads_shape_range.csv", 3, "shape: D=300 is larger than the maximum 256");
  expect_bad("workloads_shape_missing.csv", 3, "shape: D is missing (ssm.selective_scan keys: B, D, T,");
  expect_bad("workloads_shape_check.csv", 3, "shape: D=24 is not a multiple of G=5");
  expect_bad("workloads_shape_list.csv", 3, "shape: grid='14x' is not 2 integers written like 14x14");
  expect_bad("workloads_shape_product.csv", 3, "shape: D='8*4': only a batch axis (B, H) may be a product");
  paper_without_reason();
  return tap_done();
}

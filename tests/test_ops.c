/* SPDX-License-Identifier: BSD-3-Clause */
/* The operator declarations (kernels/op.h): shapes parsed against each op's
 * axes with defaults and one-line errors, the canonical text that reads back
 * to the same shape, tensor dims and presence from the dims lists, and the
 * consistency of every declaration (axis names unique, dims naming declared
 * axes, a token axis, outputs). */
#include <math.h>
#include <string.h>

#include "base/error.h"
#include "kernels/attention.h"
#include "kernels/op.h"
#include "tests/tap.h"

static int parse(const char *op, const char *text, int causal, sq_shape *s) {
  sq_clear_error();
  return sq_shape_parse_op(sq_op_find(op), text, causal, "--shape", s);
}

static int fails_with(const char *op, const char *text, int causal, const char *needle) {
  sq_shape s;
  int rc = parse(op, text, causal, &s);
  const char *e = sq_last_error();
  return tap_ok(rc == SQ_EINVAL && strstr(e, needle) && !strchr(e, '\n'), "%s %s -> '%s' (%s)", op, text,
                needle, e);
}

static void test_declarations(void) {
  for (int i = 0; i < sq_nops; i++) {
    const sq_op *op = sq_ops[i];
    int ok = 1, tokens = 0, outputs = 0;
    for (int a = 0; a < sq_op_naxes(op); a++) {
      tokens += !!(op->axes[a].flags & SQ_AX_TOKENS);
      ok &= sq_op_axis_index(op, op->axes[a].name) == a;
    }
    sq_shape s;
    sq_shape_defaults(op, &s);
    for (int t = 0; t < sq_op_ntensors(op); t++) {
      const sq_tensor *ts = &op->tensors[t];
      outputs += ts->out;
      int64_t dims[SQ_TENSOR_MAX_DIMS];
      int nd = sq_tensor_dims(&s, ts, dims);
      for (int d = 0; d < nd; d++) ok &= dims[d] >= 1;
      ok &= nd >= 1;
    }
    /* A sweep shape is every required axis but the token axis, which the
     * sweep sets: 1024 tokens, on a grid (32x32, 16x8x8) for a grid op. */
    for (int k = 0; k < 2; k++) {
      const char *sweep = k ? op->scaling_shape : op->quick_shape;
      if (!sweep) continue;
      const sq_axis *ax = &op->axes[sq_op_token_axis(op)];
      const char *tokens = ax->kind != SQ_AXIS_LIST ? "1024" : ax->len == 2 ? "32x32" : "16x8x8";
      char text[SQ_SHAPE_TEXT_MAX];
      snprintf(text, sizeof text, "%s,%s=%s", sweep, ax->name, tokens);
      sq_shape sw;
      ok &= !sq_shape_parse_op(op, text, 1, "sweep", &sw) || !sq_shape_parse_op(op, text, 0, "sweep", &sw);
    }
    tap_ok(ok && tokens == 1 && outputs >= 1,
           "%s: unique axes, one token axis, dims name declared axes, sweep shapes parse", op->name);
  }
}

static void test_linear_attn(void) {
  sq_shape s;
  char text[SQ_SHAPE_TEXT_MAX];
  tap_ok(!parse("linear_attn", "B=1,H=2,T=4096,D=64", 1, &s), "linear_attn parses the old --shape keys");
  sq_shape_format(&s, text, sizeof text);
  tap_ok(!strcmp(text, "B=1,H=2,T=4096,D=64,DV=64,feature=identity,normalize=0"), "canonical text: %s", text);
  sq_shape back;
  tap_ok(!parse("linear_attn", text, 1, &back) && !memcmp(back.v, s.v, sizeof s.v), "canonical text reads back");
  tap_ok(!parse("linear_attn", "T=9,D=3,feature=elu1,normalize=1", 1, &s) && sq_shape_int(&s, "feature") == 1 &&
             sq_shape_int(&s, "B") == 1 && sq_shape_int(&s, "DV") == 3,
         "defaults: B=1 and DV=D; feature by name");
  fails_with("linear_attn", "T=9,D=300", 1, "D=300 is larger than the maximum 256");
  fails_with("linear_attn", "T=9", 1, "D is missing (linear_attn keys: B, H, T, D, DV, feature, normalize)");
  fails_with("linear_attn", "T=9,D=8,N=3", 1, "unknown key 'N'");
  fails_with("linear_attn", "T=9,D=8,T=3", 1, "T is given twice");
  fails_with("linear_attn", "T=9,D=8,feature=relu", 1, "feature='relu' is not one of identity, elu1");
  fails_with("linear_attn", "T=9,D=8,normalize=yes", 1, "normalize='yes' is not 0 or 1");
  fails_with("linear_attn", "T=9,,D=8", 1, "empty field");
  fails_with("linear_attn", "T=-4,D=8", 1, "T=-4 must be at least 1");
  fails_with("linear_attn", "T=99999999999999999999,D=8", 1, "is not an integer");
  fails_with("linear_attn", "T=9\nD=8,D=8", 1, "is not an integer");
}

static void test_ssm(void) {
  sq_shape s;
  tap_ok(!parse("ssm.selective_scan", "B=2,D=24,T=333,N=16,G=2,K=2,has_z=1,delta_softplus=1", 0, &s),
         "the issue's selective-scan example parses");
  const sq_op *op = s.op;
  int64_t dims[SQ_TENSOR_MAX_DIMS];
  const sq_tensor *bm = &op->tensors[3];
  int nd = sq_tensor_dims(&s, bm, dims);
  tap_ok(!strcmp(bm->name, "Bm") && nd == 5 && dims[0] == 2 && dims[1] == 2 && dims[2] == 2 && dims[3] == 16 &&
             dims[4] == 333,
         "Bm is [B][K][G][N][T] = [2][2][2][16][333]");
  tap_ok(sq_tensor_present(&s, &op->tensors[7], 0) && !sq_tensor_present(&s, &op->tensors[8], 0),
         "z present with has_z=1, h0 absent without state");
  tap_ok(sq_shape_tokens(&s) == 333, "tokens = T");
  fails_with("ssm.selective_scan", "D=24,T=9,G=5", 0, "D=24 is not a multiple of G=5");
  fails_with("ssm.selective_scan", "D=24,T=9,K=2,state=1", 0, "state=1 needs K=1");
  fails_with("ssm.ssd", "T=9,H=4,P=64,state=1", 0, "state=1 needs a causal case");
  tap_ok(!parse("ssm.ssd", "T=9,H=4,P=64,state=1", 1, &s) && sq_shape_int(&s, "N") == 128, "ssd causal with state");
}

static void test_windows(void) {
  sq_shape s;
  char text[SQ_SHAPE_TEXT_MAX];
  tap_ok(!parse("local_attn.window_2d", "B=1,H=3,D=32,DV=32,grid=14x14,win=7x7,shift=3x3,has_rpb=1", 0, &s),
         "the issue's window_2d example parses");
  tap_ok(sq_shape_tokens(&s) == 196 && sq_shape_list(&s, "win", 1) == 7, "tokens = 14*14, win[1] = 7");
  sq_shape_format(&s, text, sizeof text);
  tap_ok(!strcmp(text, "B=1,H=3,D=32,DV=32,grid=14x14,win=7x7,shift=3x3,scale=0.176776695,has_rpb=1"),
         "canonical text: %s", text);
  const sq_op *op = s.op;
  int64_t dims[SQ_TENSOR_MAX_DIMS];
  int nd = sq_tensor_dims(&s, &op->tensors[3], dims);
  tap_ok(nd == 3 && dims[0] == 3 && dims[1] == 13 && dims[2] == 13, "rpb is [H][2Mh-1][2Mw-1] = [3][13][13]");
  nd = sq_tensor_dims(&s, &op->tensors[0], dims);
  tap_ok(nd == 4 && dims[2] == 196, "q is [B][H][Hg*Wg][D]");
  tap_ok(!parse("local_attn.window_3d", "H=3,D=32,grid=16x56x56,win=8x7x7,shift=4x3x3", 0, &s) &&
             sq_shape_tokens(&s) == 16 * 56 * 56,
         "window_3d: Video Swin's grid");
  fails_with("local_attn.window_2d", "D=32,grid=14x15,win=7x7", 0, "grid axis 1 (15) is not a multiple");
  fails_with("local_attn.window_2d", "D=32,grid=14x14,win=7x7,shift=7x0", 0, "shift 7 on axis 0");
  fails_with("local_attn.window_2d", "D=32,grid=14,win=7x7", 0, "grid='14' is not 2 integers");
  fails_with("local_attn.window_2d", "D=32,grid=14x14x14,win=7x7", 0, "is not 2 integers");
  fails_with("local_attn.window_2d", "D=32,grid=14x,win=7x7", 0, "is not 2 integers");
  fails_with("local_attn.window_2d", "D=32,grid=14x14,win=7x7", 1, "non-causal only");
  fails_with("local_attn.neighborhood_2d", "D=32,grid=14x14,kernel_size=7x7,dilation=3x1", 0,
             "kernel_size 7 x dilation 3 on axis 0");
  fails_with("local_attn.sliding_1d", "T=99,D=32,window_left=8,window_right=8", 1, "window_right=0");
  tap_ok(!parse("local_attn.sliding_1d", "T=99,D=64,window_left=4095,scale=1", 1, &s) &&
             sq_shape_real(&s, "scale") == 1.0,
         "an explicit scale wins over D^-1/2");
  fails_with("local_attn.sliding_1d", "T=99,D=64,window_left=1,scale=nan", 1, "scale='nan' is not a number");
}

static void test_gla(void) {
  sq_shape s;
  tap_ok(!parse("linear_attn.gla", "B=1,H=4,T=100,D=256,DV=256,state=1", 1, &s), "gla with state");
  const sq_op *op = s.op;
  tap_ok(!sq_tensor_present(&s, &op->tensors[4], 1) && sq_tensor_present(&s, &op->tensors[4], 0),
         "gb only when not causal");
  tap_ok(sq_tensor_elems(&s, &op->tensors[5]) == 1.0 * 4 * 256 * 256, "h0 is [B][H][D][DV]");
  tap_ok(fabs(sq_shape_real(&s, "scale") - 1.0 / 16) < 1e-15, "scale defaults to D^-1/2");
}

/* The attention family's enums name the declaration's indices, and every
 * registered kernel points at a declared op. */
static void test_attention_indices(void) {
  static const char *const axes[] = {"B", "H", "T", "D", "DV", "feature", "normalize"};
  int ok = 1;
  for (int a = 0; a < 7; a++) ok &= sq_op_axis_index(&sq_op_linear_attn, axes[a]) == a;
  for (int a = 0; a < 5; a++) ok &= sq_op_axis_index(&sq_op_softmax_attn, axes[a]) == a;
  static const char *const tensors[] = {"q", "k", "v", "o"};
  for (int t = 0; t < 4; t++)
    ok &= !strcmp(sq_op_linear_attn.tensors[t].name, tensors[t]) && !strcmp(sq_op_softmax_attn.tensors[t].name, tensors[t]);
  tap_ok(ok, "SQ_ATT_* agree with the linear_attn and softmax_attn declarations");
  int all = 1;
  for (int i = 0; i < sq_nkernels; i++) all &= sq_kernels[i]->op && sq_op_find(sq_kernels[i]->op->name) == sq_kernels[i]->op;
  tap_ok(all, "every registered kernel points at a declared op");
}

/* Each op's quadratic baseline over the same tokens (README: the mapping). */
static void test_baselines(void) {
  sq_shape s, b;
  char text[SQ_SHAPE_TEXT_MAX];
  parse("ssm.selective_scan", "B=2,D=384,T=197,N=16,K=2", 0, &s);
  sq_shape_baseline(&s, &b);
  sq_shape_format(&b, text, sizeof text);
  tap_ok(b.op == &sq_op_softmax_attn && !strcmp(text, "B=2,H=6,T=197,D=64,DV=64"), "selective scan: heads of 64 (%s)", text);
  parse("ssm.ssd", "B=1,T=4096,H=24,P=64,N=128", 1, &s);
  sq_shape_baseline(&s, &b);
  sq_shape_format(&b, text, sizeof text);
  tap_ok(!strcmp(text, "B=1,H=24,T=4096,D=128,DV=64"), "ssd: H heads, D = N, DV = P (%s)", text);
  parse("local_attn.window_2d", "B=4,H=3,D=32,grid=56x56,win=7x7", 0, &s);
  sq_shape_baseline(&s, &b);
  sq_shape_format(&b, text, sizeof text);
  tap_ok(!strcmp(text, "B=4,H=3,T=3136,D=32,DV=32"), "window_2d: full attention over the grid (%s)", text);
  parse("softmax_attn", "T=9,D=8", 1, &s);
  tap_ok(sq_shape_baseline(&s, &b) == SQ_EUNSUPPORTED, "softmax attention is its own baseline");
}

int main(void) {
  test_baselines();
  test_declarations();
  test_attention_indices();
  test_linear_attn();
  test_ssm();
  test_windows();
  test_gla();
  return tap_done();
}

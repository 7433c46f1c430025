/* SPDX-License-Identifier: BSD-3-Clause */
/* The registry of every kernel descriptor, in the order suites list them:
 * the sub-quadratic kernels first, then the quadratic baselines. Within an
 * op the preferred form comes first: a catalog row left `pending:` runs the
 * first kernel of its op that has its mode (workloads/catalog.c). */
#include <string.h>

#include "kernels/cross_attn.h"
#include "kernels/gated_attn.h"
#include "kernels/kernel.h"
#include "kernels/linear_attn.h"
#include "kernels/neighborhood_attn.h"
#include "kernels/sliding_attn.h"
#include "kernels/softmax_attn.h"
#include "kernels/ssm_scan.h"
#include "kernels/ssd.h"
#include "kernels/varlen_attn.h"
#include "kernels/window_attn.h"
#include "kernels/wkv6.h"
#include "kernels/wkv4.h"
#include "kernels/wkv7.h"

const sq_kernel *const sq_kernels[] = {
  &sq_linear_attn_causal_recurrent,
  &sq_linear_attn_causal_chunked,
  &sq_linear_attn_noncausal,
  &sq_decay_attn_chunked,
  &sq_decay_attn_recurrent,
  &sq_gla_chunked,
  &sq_gla_recurrent,
  &sq_selective_scan_chunked,
  &sq_ssd_chunked,
  &sq_wkv6_chunked,
  &sq_wkv6_recurrent,
  &sq_wkv4_segmented,
  &sq_wkv7_recurrent,
  &sq_sliding_1d_flash,
  &sq_window_2d_flash,
  &sq_window_3d_flash,
  &sq_neighborhood_2d_flash,
  &sq_cross_attn_flash,
  &sq_varlen_attn_flash,
  &sq_softmax_attn_naive,
  &sq_softmax_attn_blas,
  &sq_softmax_attn_flash,
};
const int sq_nkernels = (int)(sizeof sq_kernels / sizeof sq_kernels[0]);

const sq_kernel *sq_kernel_find(const char *name) {
  for (int i = 0; i < sq_nkernels; i++)
    if (!strcmp(sq_kernels[i]->name, name)) return sq_kernels[i];
  return NULL;
}

int sq_kernel_param_index(const sq_kernel *k, const char *name) {
  for (int i = 0; i < k->nparams; i++)
    if (!strcmp(k->params[i].name, name)) return i;
  return -1;
}

void sq_kernel_default_params(const sq_kernel *k, int *pv) {
  for (int i = 0; i < k->nparams; i++) pv[i] = k->params[i].def;
}

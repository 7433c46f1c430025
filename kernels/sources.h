/* SPDX-License-Identifier: BSD-3-Clause */
/* The kernel texts embedded at build time (kernels/sources.c is generated
 * by kernels/embed.sh from the files listed in kernels/local.mk). */
#ifndef SQ_SOURCES_H
#define SQ_SOURCES_H

extern const char *const sq_src_prelude_opencl;
extern const char *const sq_src_prelude_cuda;
extern const char *const sq_src_tiles;      /* between the prelude and every kernel text */
extern const char *const sq_src_gated_attn;
extern const char *const sq_src_ssm_scan;
extern const char *const sq_src_linear_attn;
extern const char *const sq_src_softmax_attn;
extern const char *const sq_src_ssd;
extern const char *const sq_src_wkv6;
extern const char *const sq_src_wkv4;
extern const char *const sq_src_wkv7;
extern const char *const sq_src_sliding_attn;   /* local_attn.sliding_1d and softmax_attn.cross */
extern const char *const sq_src_neighborhood_attn;   /* local_attn.neighborhood_2d */
extern const char *const sq_src_window_attn;    /* local_attn.window_2d and window_3d */
extern const char *const sq_src_peaks;
extern const char *const sq_src_seqpar;        /* harness/seqpar.c's fix-up */

#endif

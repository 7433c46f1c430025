# SPDX-License-Identifier: BSD-3-Clause
# kernels/: kernel texts in the portable dialect (embedded into the binary),
# their descriptors and plain-C double-precision references.
KERNEL_TEXTS = \
	kernels/prelude_opencl.cl \
	kernels/prelude_cuda.cuh \
	kernels/tiles.sqh \
	kernels/linear_attn.sqk \
	kernels/softmax_attn.sqk \
	kernels/gated_attn.sqk \
	kernels/ssm_scan.sqk \
	kernels/ssd.sqk \
	kernels/wkv6.sqk \
	kernels/wkv4.sqk \
	kernels/wkv7.sqk \
	kernels/sliding_attn.sqk \
	kernels/neighborhood_attn.sqk \
	kernels/window_attn.sqk \
	kernels/peaks.sqk
# `subquad seqpar`'s fix-up of a slice run from a zero state (harness/seqpar.c).
KERNEL_TEXTS += kernels/seqpar.sqk

kernels/sources.c: $(KERNEL_TEXTS) $(srcdir)/kernels/embed.sh
	$(AM_V_GEN)$(MKDIR_P) kernels && $(SHELL) $(srcdir)/kernels/embed.sh $@ $(filter %.cl %.cuh %.sqh %.sqk,$^)

BUILT_SOURCES += kernels/sources.c
CLEANFILES += kernels/sources.c
nodist_libsubquad_a_SOURCES = kernels/sources.c
EXTRA_DIST += $(KERNEL_TEXTS) kernels/embed.sh

libsubquad_a_SOURCES += \
	kernels/kernel.h kernels/kernel.c kernels/sources.h kernels/registry.c kernels/attention.h \
	kernels/op.h kernels/op.c kernels/ops.c \
	kernels/linear_attn.h kernels/linear_attn.c kernels/linear_attn_ref.c \
	kernels/softmax_attn.h kernels/softmax_attn.c kernels/softmax_attn_ref.c \
	kernels/gated_attn.h kernels/gated_attn.c kernels/gated_attn_ref.c \
	kernels/ssm_scan.h kernels/ssm_scan.c kernels/ssm_scan_ref.c \
	kernels/ssd.h kernels/ssd.c kernels/ssd_ref.c \
	kernels/wkv6.h kernels/wkv6.c kernels/wkv6_ref.c \
	kernels/wkv4.h kernels/wkv4.c kernels/wkv4_ref.c \
	kernels/wkv7.h kernels/wkv7.c kernels/wkv7_ref.c \
	kernels/sliding_attn.h kernels/sliding_attn.c kernels/sliding_attn_ref.c \
	kernels/cross_attn.h kernels/cross_attn.c \
	kernels/varlen_attn.h kernels/varlen_attn.c \
	kernels/neighborhood_attn.h kernels/neighborhood_attn.c kernels/neighborhood_attn_ref.c \
	kernels/window_attn.h kernels/window_attn.c kernels/window_attn_ref.c

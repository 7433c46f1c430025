# SPDX-License-Identifier: BSD-3-Clause
# harness/: the core of the library: backends, the device registry,
# timing, inputs, verification, dumps and the case runner.
libsubquad_a_SOURCES += \
	harness/backend.h harness/device.h harness/device.c harness/dynlib.h harness/dynlib.c \
	harness/backend_cpu.c harness/topology.h harness/topology.c harness/peaks.c \
	harness/measure.h harness/measure.c \
	harness/inputs.h harness/inputs.c \
	harness/run.h harness/run.c harness/parse.c \
	harness/verify.h harness/verify.c harness/progcache.h harness/progcache.c \
	harness/npy.h harness/npy.c harness/dump.h harness/dump.c harness/vendor_blas.h \
	harness/fleet.h harness/fleet.c

if SQ_OPENCL
libsubquad_a_SOURCES += harness/backend_opencl.c harness/blas_clblast.c
endif
if SQ_CUDA
libsubquad_a_SOURCES += harness/backend_cuda.c harness/blas_cublas.c harness/cuda_compile.h
endif

# `subquad seqpar`: the sequence-parallel engine and its state combines
# over MPI (fleet_scan.c, the only one of them that includes mpi.h).
libsubquad_a_SOURCES += harness/seqpar.h harness/seqpar.c harness/fleet_scan.h harness/fleet_scan.c

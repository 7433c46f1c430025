# SPDX-License-Identifier: BSD-3-Clause
# tests/: `make check` through automake's TAP driver. Each test program
# prints TAP (tests/tap.h) and ends with the line "N passed, N failed".
# Each area keeps its tests in its own block below.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
AM_TESTS_ENVIRONMENT = SUBQUAD='$(abs_top_builddir)/subquad'; top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	sq_prefix='$(prefix)'; sq_bindir='$(bindir)'; sq_pkgdatadir='$(pkgdatadir)'; \
	export SUBQUAD top_srcdir top_builddir sq_prefix sq_bindir sq_pkgdatadir;
LDADD = libsubquad.a $(MPI_LIBS)
EXTRA_DIST += tests/tap.h tests/tap.sh tests/capture.h tests/kernel_case.h tests/test_device.h tests/dumptest.sh

# --- core (harness, kernels, results) ---
core_tests =
core_tests += tests/test_harness_units tests/test_kernels tests/test_canary tests/test_ops tests/test_csv
TESTS += tests/test_cli_errors.sh tests/test_run_cli.sh tests/test_run_partial.sh tests/test_softmax_blas.sh
EXTRA_DIST += tests/test_cli_errors.sh tests/test_run_cli.sh tests/test_run_partial.sh tests/test_softmax_blas.sh
# The man page against every --help, and the bash completion; an installed
# binary reads the installed tuning database.
TESTS += tests/test_manpage.sh tests/test_install.sh
EXTRA_DIST += tests/test_manpage.sh tests/test_install.sh
# The LICENSE line in every source file (tests/spdx.sh --fix adds it).
TESTS += tests/test_spdx.sh
EXTRA_DIST += tests/test_spdx.sh tests/spdx.sh LICENSE
# --version and the build-time git revision (base/revision.sh).
TESTS += tests/test_version.sh
EXTRA_DIST += tests/test_version.sh
# The layer order of the folders, from their #include lines.
TESTS += tests/test_layering.sh
EXTRA_DIST += tests/test_layering.sh
core_tests += tests/test_results_csv
# JSON (base/json.c) and the JSON outputs: devices, run, export.
core_tests += tests/test_json
TESTS += tests/test_json_outputs.sh
EXTRA_DIST += tests/test_json_outputs.sh tests/check_results_json.py
TESTS += tests/test_results_hostile.sh
EXTRA_DIST += tests/test_results_hostile.sh \
	tests/data/results_legacy.csv tests/data/results_legacy.samples.csv \
	tests/data/results_run_id.csv tests/data/results_run_id.samples.csv
core_tests += tests/test_backend_opencl tests/test_cuda_absent tests/test_nvrtc_compile
TESTS += tests/test_devices.sh
EXTRA_DIST += tests/test_devices.sh
# Gated and decayed linear attention (FAMILIES.md §5): the reference
# against a parallel form, the kernels against the reference on PoCL, and
# dumps against the independent NumPy check of the dump contract.
core_tests += tests/test_gated_attn_ref tests/test_gated_attn
TESTS += tests/test_ga_dump_check.sh
EXTRA_DIST += tests/test_ga_dump_check.sh tests/check_ga_dump.py tests/dumpcheck.py
# The Mamba-1 selective scan (FAMILIES.md §1): the reference against its
# closed form, the kernel against the reference on PoCL, and dumps against
# the independent NumPy check.
core_tests += tests/test_ssm_scan_ref tests/test_ssm_scan
TESTS += tests/test_ssm_scan_dump.sh
EXTRA_DIST += tests/test_ssm_scan_dump.sh tests/check_ssm_scan_dump.py
# Mamba-2 SSD (FAMILIES.md §2): the reference against the quadratic form,
# the chunked kernel against the reference on PoCL, dumps against the
# independent NumPy check.
core_tests += tests/test_ssd_ref tests/test_ssd
TESTS += tests/test_ssd_dump.sh
EXTRA_DIST += tests/test_ssd_dump.sh tests/check_ssd_dump.py
# RWKV-6 WKV (FAMILIES.md §3.2): the reference against the direct O(T^2)
# form, both kernels against the reference on PoCL, dumps against the
# independent NumPy check.
core_tests += tests/test_wkv6_ref tests/test_wkv6
TESTS += tests/test_wkv6_dump.sh
EXTRA_DIST += tests/test_wkv6_dump.sh tests/check_wkv6_dump.py
# RWKV-4 / Bi-WKV and RWKV-7 (FAMILIES.md §3.1, §3.3): the references
# against direct evaluations, the kernels against the references on PoCL,
# dumps against the independent NumPy checks.
core_tests += tests/test_wkv4_ref tests/test_wkv4 tests/test_wkv7_ref tests/test_wkv7
TESTS += tests/test_wkv4_dump.sh tests/test_wkv7_dump.sh
EXTRA_DIST += tests/test_wkv4_dump.sh tests/check_wkv4_dump.py tests/test_wkv7_dump.sh tests/check_wkv7_dump.py
# Sliding-window, cross and varlen attention (FAMILIES.md §4.1, one band
# kernel): declarations, pairs and work, the reference against softmax
# attention and by hand, the kernels against the reference on PoCL, and
# dumps against the independent NumPy checks.
core_tests += tests/test_sliding_attn tests/test_cross_attn tests/test_varlen_attn
TESTS += tests/test_sliding_dump.sh tests/test_cross_dump.sh
EXTRA_DIST += tests/test_sliding_dump.sh tests/check_sliding_dump.py tests/test_cross_dump.sh tests/check_cross_dump.py
# NATTEN neighbourhood attention with dilation (FAMILIES.md §4.3): the
# window arithmetic against NATTEN's rule by brute force, the kernel
# against the reference on PoCL, dumps against the independent NumPy check.
core_tests += tests/test_neighborhood_attn
TESTS += tests/test_neighborhood_dump.sh
EXTRA_DIST += tests/test_neighborhood_dump.sh tests/check_neighborhood_dump.py
# Swin and Video Swin windows (FAMILIES.md §4.2): the reference against a
# literal Swin pipeline and by hand, pairs and work, the kernels against the
# reference on PoCL, dumps against the independent NumPy check.
core_tests += tests/test_window_attn
TESTS += tests/test_window_dump.sh
EXTRA_DIST += tests/test_window_dump.sh tests/check_window_dump.py
check_PROGRAMS += $(core_tests)
TESTS += $(core_tests)

# --- tuner ---
tuner_tests =
tuner_tests += tests/test_tuner_space tests/test_tuner_strategy tests/test_tuner_cache tests/test_tuner_db
tuner_tests += tests/test_tuner_progcache
TESTS += tests/test_tune_replay.sh tests/test_tune_device.sh
TESTS += tests/test_tune_cache_corrupt.sh tests/test_tune_outputs.sh tests/test_tune_db_cli.sh tests/test_tune_recycle.sh
EXTRA_DIST += tests/test_tune_cache_corrupt.sh tests/test_tune_outputs.sh tests/test_tune_db_cli.sh tests/test_tune_recycle.sh
EXTRA_DIST += tests/test_tune_replay.sh tests/test_tune_device.sh tests/data/tuner_tiny.csv
# Kernel Tuner interop: its cache and T4 files replayed, T4 written.
TESTS += tests/test_tune_kt.sh
EXTRA_DIST += tests/test_tune_kt.sh tests/check_t4.py tests/data/kt_cache_tiny.json tests/data/kt_cache_open.json tests/data/t4_tiny.json
check_PROGRAMS += $(tuner_tests)
TESTS += $(tuner_tests)

# --- workloads ---
workloads_tests =
workloads_tests += tests/test_workloads_catalog tests/test_workloads_suite
TESTS += tests/test_workloads_cli.sh
EXTRA_DIST += tests/test_workloads_cli.sh \
	tests/data/workloads_good.csv tests/data/workloads_missing_column.csv \
	tests/data/workloads_baselines.csv \
	tests/data/workloads_unknown_column.csv tests/data/workloads_non_numeric.csv \
	tests/data/workloads_negative.csv tests/data/workloads_absurd.csv \
	tests/data/workloads_zero.csv tests/data/workloads_bad_calls.csv tests/data/workloads_duplicate.csv \
	tests/data/workloads_unknown_kernel.csv tests/data/workloads_bad_mode.csv \
	tests/data/workloads_field_count.csv tests/data/workloads_no_source.csv \
	tests/data/workloads_bad_quote.csv tests/data/workloads_unknown_op.csv \
	tests/data/workloads_op_mismatch.csv tests/data/workloads_pending_kind.csv \
	tests/data/workloads_shape_unknown_key.csv tests/data/workloads_shape_range.csv \
	tests/data/workloads_shape_missing.csv tests/data/workloads_shape_check.csv \
	tests/data/workloads_shape_list.csv tests/data/workloads_shape_product.csv \
	tests/data/workloads_runnable_problems.csv
check_PROGRAMS += $(workloads_tests)
TESTS += $(workloads_tests)

# --- reports and compare ---
reports_tests =
reports_tests += tests/test_compare_verdicts
# The gate's paired verdict (reports/paired.c) on constructed rounds.
reports_tests += tests/test_paired
check_PROGRAMS += $(reports_tests)
TESTS += $(reports_tests)
# Shell tests are not programs: they go to TESTS only.
reports_scripts = tests/test_compare_cli.sh tests/test_report.sh
# The gate: the worker's protocol, and gates with a crashing and a hanging
# worker and a small real A/A on the default device.
reports_scripts += tests/test_worker_protocol.sh tests/test_gate.sh
TESTS += $(reports_scripts)
# `run --peer`: framework peers end to end with a NumPy stand-in peer.
TESTS += tests/test_run_peer.sh
EXTRA_DIST += tests/test_run_peer.sh tests/peer_numpy.py
EXTRA_DIST += $(reports_scripts) tests/data/results_bad_number.csv tests/data/results_truncated.csv

# --- fuzzing (tests/fuzz) ---
# One fuzz target per parser. `make check` replays each target's seed corpus
# and crash reproducers through replay_main.c, without a fuzzing engine;
# with --enable-fuzzing the same targets also link with libFuzzer and
# `make fuzz` runs each for FUZZ_SECONDS (FUZZ_JOBS at a time; FUZZ_TARGETS
# picks some). Corpora and reproducers travel in the tarball as folders.
fuzz_names = results sidecar catalog cache tunedb space json
fuzz_common = tests/fuzz/fuzz.h tests/fuzz/fuzz_common.c
fuzz_results_src = tests/fuzz/fuzz_results.c tests/fuzz/results_check.c $(fuzz_common)
fuzz_sidecar_src = tests/fuzz/fuzz_sidecar.c tests/fuzz/results_check.c $(fuzz_common)
fuzz_catalog_src = tests/fuzz/fuzz_catalog.c $(fuzz_common)
fuzz_cache_src = tests/fuzz/fuzz_cache.c $(fuzz_common)
fuzz_tunedb_src = tests/fuzz/fuzz_tunedb.c $(fuzz_common)
fuzz_space_src = tests/fuzz/fuzz_space.c $(fuzz_common)
fuzz_json_src = tests/fuzz/fuzz_json.c $(fuzz_common)

fuzz_replays = tests/fuzz/results_replay tests/fuzz/sidecar_replay tests/fuzz/catalog_replay \
	tests/fuzz/cache_replay tests/fuzz/tunedb_replay tests/fuzz/space_replay tests/fuzz/json_replay
check_PROGRAMS += $(fuzz_replays)
TESTS += $(fuzz_replays)
tests_fuzz_results_replay_SOURCES = tests/fuzz/replay_main.c $(fuzz_results_src)
tests_fuzz_sidecar_replay_SOURCES = tests/fuzz/replay_main.c $(fuzz_sidecar_src)
tests_fuzz_catalog_replay_SOURCES = tests/fuzz/replay_main.c $(fuzz_catalog_src)
tests_fuzz_cache_replay_SOURCES = tests/fuzz/replay_main.c $(fuzz_cache_src)
tests_fuzz_tunedb_replay_SOURCES = tests/fuzz/replay_main.c $(fuzz_tunedb_src)
tests_fuzz_space_replay_SOURCES = tests/fuzz/replay_main.c $(fuzz_space_src)
tests_fuzz_json_replay_SOURCES = tests/fuzz/replay_main.c $(fuzz_json_src)
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/corpus tests/fuzz/crashes

FUZZ_SECONDS = 60
FUZZ_JOBS = 1
FUZZ_TARGETS = $(fuzz_names)
if SQ_FUZZING
fuzz_engines = tests/fuzz/results_fuzzer tests/fuzz/sidecar_fuzzer tests/fuzz/catalog_fuzzer \
	tests/fuzz/cache_fuzzer tests/fuzz/tunedb_fuzzer tests/fuzz/space_fuzzer tests/fuzz/json_fuzzer
noinst_PROGRAMS = $(fuzz_engines)
fuzz: $(fuzz_engines)
	@$(SHELL) $(srcdir)/tests/fuzz/run.sh '$(FUZZ_SECONDS)' '$(FUZZ_JOBS)' $(srcdir)/tests/fuzz $(FUZZ_TARGETS)
else
fuzz:
	@echo "make fuzz: configure with --enable-fuzzing (needs clang with libFuzzer)" >&2; exit 1
endif
.PHONY: fuzz clean-fuzz
tests_fuzz_results_fuzzer_SOURCES = $(fuzz_results_src)
tests_fuzz_sidecar_fuzzer_SOURCES = $(fuzz_sidecar_src)
tests_fuzz_catalog_fuzzer_SOURCES = $(fuzz_catalog_src)
tests_fuzz_cache_fuzzer_SOURCES = $(fuzz_cache_src)
tests_fuzz_tunedb_fuzzer_SOURCES = $(fuzz_tunedb_src)
tests_fuzz_space_fuzzer_SOURCES = $(fuzz_space_src)
tests_fuzz_json_fuzzer_SOURCES = $(fuzz_json_src)
tests_fuzz_results_fuzzer_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_sidecar_fuzzer_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_catalog_fuzzer_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_cache_fuzzer_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_tunedb_fuzzer_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_space_fuzzer_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_json_fuzzer_LDFLAGS = -fsanitize=fuzzer
# What `make fuzz` leaves in the build tree.
clean-local: clean-fuzz
clean-fuzz:
	-rm -rf tests/fuzz/out

# `make check-device DEVICE=cuda:0`: the kernel and dump tests on another
# device (SUBQUAD_TEST_DEVICE stands for opencl:0 in them, tests/test_device.h),
# so a lent GPU runs the same ragged shapes, dtypes and modes as CI's PoCL.
device_tests = tests/test_kernels tests/test_canary tests/test_gated_attn tests/test_ssm_scan tests/test_ssd \
	tests/test_wkv4 tests/test_wkv6 tests/test_wkv7 tests/test_sliding_attn tests/test_cross_attn \
	tests/test_varlen_attn tests/test_window_attn tests/test_neighborhood_attn \
	tests/test_ga_dump_check.sh tests/test_ssm_scan_dump.sh tests/test_ssd_dump.sh tests/test_wkv4_dump.sh \
	tests/test_wkv6_dump.sh tests/test_wkv7_dump.sh tests/test_sliding_dump.sh tests/test_cross_dump.sh \
	tests/test_window_dump.sh tests/test_neighborhood_dump.sh
check-device:
	@test -n '$(DEVICE)' || { echo "make check-device: name the device, e.g. DEVICE=cuda:0" >&2; exit 2; }
	SUBQUAD_TEST_DEVICE='$(DEVICE)' $(MAKE) $(AM_MAKEFLAGS) check TESTS='$(device_tests)'
.PHONY: check-device

# `subquad seqpar` (issue 18): one process always; P = 2 and 3 under the
# MPI launcher when configure found MPI.
TESTS += tests/test_seqpar.sh
EXTRA_DIST += tests/test_seqpar.sh

# --- fleet runs over MPI (mpirun on the OpenCL CPU device) ---
TESTS += tests/test_fleet.sh
EXTRA_DIST += tests/test_fleet.sh

# tests/: `make check` through automake's TAP driver. Each test program
# prints TAP (tests/tap.h) and ends with the line "N passed, N failed".
# Each area keeps its tests in its own block below.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
AM_TESTS_ENVIRONMENT = SUBQUAD='$(abs_top_builddir)/subquad'; top_srcdir='$(abs_top_srcdir)'; export SUBQUAD top_srcdir;
LDADD = libsubquad.a
EXTRA_DIST += tests/tap.h tests/tap.sh

# --- core (harness, kernels, results) ---
core_tests =
core_tests += tests/test_harness_units tests/test_kernels tests/test_canary tests/test_ops tests/test_csv
TESTS += tests/test_cli_errors.sh tests/test_run_cli.sh
EXTRA_DIST += tests/test_cli_errors.sh tests/test_run_cli.sh
# The layer order of the folders, from their #include lines.
TESTS += tests/test_layering.sh
EXTRA_DIST += tests/test_layering.sh
core_tests += tests/test_results_csv
TESTS += tests/test_results_hostile.sh
EXTRA_DIST += tests/test_results_hostile.sh \
	tests/data/results_legacy.csv tests/data/results_legacy.samples.csv \
	tests/data/results_run_id.csv tests/data/results_run_id.samples.csv
core_tests += tests/test_backend_opencl tests/test_cuda_absent tests/test_nvrtc_compile
TESTS += tests/test_devices.sh
EXTRA_DIST += tests/test_devices.sh
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
check_PROGRAMS += $(tuner_tests)
TESTS += $(tuner_tests)

# --- workloads ---
workloads_tests =
workloads_tests += tests/test_workloads_catalog tests/test_workloads_suite
TESTS += tests/test_workloads_cli.sh
EXTRA_DIST += tests/test_workloads_cli.sh \
	tests/data/workloads_good.csv tests/data/workloads_missing_column.csv \
	tests/data/workloads_unknown_column.csv tests/data/workloads_non_numeric.csv \
	tests/data/workloads_negative.csv tests/data/workloads_absurd.csv \
	tests/data/workloads_zero.csv tests/data/workloads_duplicate.csv \
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
check_PROGRAMS += $(reports_tests)
TESTS += $(reports_tests)
# Shell tests are not programs: they go to TESTS only.
reports_scripts = tests/test_compare_cli.sh tests/test_report.sh
TESTS += $(reports_scripts)
EXTRA_DIST += $(reports_scripts) tests/data/results_bad_number.csv tests/data/results_truncated.csv

# SPDX-License-Identifier: BSD-3-Clause
# results/: the result schema, its files (written and read through the one
# CSV module), metadata and raw-sample sidecars. Committed reference results
# of known devices live in results/reference/; run outputs go to the ignored
# results/runs/.
libsubquad_a_SOURCES += results/result.h results/result.c results/analysis.h results/analysis.c
# The JSON Schema of `subquad run --format json` and `subquad export`.
dist_pkgdata_DATA += results/results.schema.json

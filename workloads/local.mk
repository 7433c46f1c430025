# SPDX-License-Identifier: BSD-3-Clause
# workloads/: the paper catalog (data files with a source for every number),
# suites, the sweep generator, the feasibility planner and slice-by-slice runs.
# The catalog CSVs are embedded into the binary (kernels/embed.sh), so
# subquad finds them from any directory.
WORKLOADS_CATALOG = workloads/catalog/workloads.csv workloads/catalog/papers.csv

workloads/catalog_data.c: $(WORKLOADS_CATALOG) $(srcdir)/kernels/embed.sh
	$(AM_V_GEN)$(MKDIR_P) workloads && $(SHELL) $(srcdir)/kernels/embed.sh $@ $(filter %.csv,$^)

BUILT_SOURCES += workloads/catalog_data.c
CLEANFILES += workloads/catalog_data.c
nodist_libsubquad_a_SOURCES += workloads/catalog_data.c
EXTRA_DIST += $(WORKLOADS_CATALOG)
dist_pkgdata_DATA += $(WORKLOADS_CATALOG)

libsubquad_a_SOURCES += \
	workloads/catalog.h workloads/catalog_data.h workloads/catalog.c \
	workloads/suite.h workloads/suite.c workloads/catalog_suite.c \
	workloads/planner.h workloads/planner.c workloads/sliced.c

# workloads/: the paper catalog (data files with a source for every number),
# suites, the sweep generator, the feasibility planner and `subquad workloads`.
libsubquad_a_SOURCES += \
	workloads/suite.h workloads/suite.c workloads/catalog_suite.c \
	workloads/cmd_workloads.c

# workloads/: the paper catalog (data files with a source for every number),
# suites, the sweep generator, the feasibility planner and `subquad workloads`.
libsubquad_a_SOURCES += workloads/cmd_workloads.c

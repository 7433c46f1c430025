/* PLACEHOLDER: replaced by the workloads implementation (owner: the workloads helper). */
#include "harness/commands.h"
int sq_cmd_workloads(int argc, char **argv) { return sq_usage_error("workloads", "not built yet"); }

/* PLACEHOLDER: replaced by the report implementation (owner: the report helper). */
#include "harness/commands.h"
int sq_cmd_report(int argc, char **argv) { return sq_usage_error("report", "not built yet"); }

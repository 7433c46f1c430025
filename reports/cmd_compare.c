/* PLACEHOLDER: replaced by the compare implementation (owner: the compare helper). */
#include "harness/commands.h"
int sq_cmd_compare(int argc, char **argv) { return sq_usage_error("compare", "not built yet"); }

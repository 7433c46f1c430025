/* PLACEHOLDER: replaced by the tune implementation (owner: the tune helper). */
#include "harness/commands.h"
int sq_cmd_tune(int argc, char **argv) { return sq_usage_error("tune", "not built yet"); }

/* SPDX-License-Identifier: BSD-3-Clause */
/* The command layer, the top of subquad: the `subquad` program's
 * subcommands and the option helpers only they use. Each subcommand returns
 * the process exit status: 0 success, 1 the work ran but something failed
 * (or, for compare, got slower), 2 bad input on the command line or in a
 * file it names; compare and gate have their own statuses (see
 * reports/compare.h).
 * Nothing below this folder prints usage or picks an exit status. */
#ifndef SQ_COMMANDS_H
#define SQ_COMMANDS_H

int sq_cmd_devices(int argc, char **argv);     /* commands/cmd_devices.c */
int sq_cmd_run(int argc, char **argv);         /* commands/cmd_run.c */
int sq_cmd_tune(int argc, char **argv);        /* commands/cmd_tune.c */
int sq_cmd_workloads(int argc, char **argv);   /* commands/cmd_workloads.c */
int sq_cmd_report(int argc, char **argv);      /* commands/cmd_report.c */
int sq_cmd_compare(int argc, char **argv);     /* commands/cmd_compare.c */
int sq_cmd_worker(int argc, char **argv);      /* commands/cmd_worker.c */
int sq_cmd_gate(int argc, char **argv);        /* commands/cmd_gate.c */
int sq_cmd_export(int argc, char **argv);      /* commands/cmd_export.c */
int sq_cmd_seqpar(int argc, char **argv);      /* commands/cmd_seqpar.c */

/* The option helpers below are in commands/options.c. */

/* Prints "subquad CMD: <detail>" on stderr as one line and returns 2. */
int sq_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict number parsing for flags: the whole string must be a number in
 * [lo, hi]; otherwise a one-line error naming `what` and SQ_EINVAL. */
int sq_parse_i64(const char *s, const char *what, long long lo, long long hi, long long *out);
int sq_parse_f64(const char *s, const char *what, double lo, double hi, double *out);
/* Durations: "90", "90s", "10m", "2h" -> seconds. */
int sq_parse_duration(const char *s, const char *what, double *seconds);

/* The argv the program was started with (commands/main.c), for result
 * metadata and for a tune continued in a fresh process. */
extern int sq_argc;
extern char **sq_argv;

#endif

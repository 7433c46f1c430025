/* SPDX-License-Identifier: BSD-3-Clause */
/* The gate's figure: a strip plot of the per-round ratios new/base of
 * every case, one column a case, with the Hodges-Lehmann estimate and its
 * interval over them and the +-threshold band behind, written as
 * DIR/ratios.gp and DIR/ratios.dat (gnuplot, as `subquad report` writes
 * its figures) and rendered to ratios.png and ratios.svg when gnuplot is
 * found. */
#ifndef SQ_GATE_PLOT_H
#define SQ_GATE_PLOT_H

#include "reports/paired.h"

/* Writes the figure of t into dir; rows of workload `witness` (may be
 * NULL) come last, labelled as the witness. 0, or SQ_EIO / SQ_ENOMEM with
 * the detail. A missing gnuplot is not an error (the script is there to
 * render later). */
int sq_gate_plot(const char *dir, const sq_paired_table *t, const char *witness);
/* Writes ratios.gp and ratios.dat only (the report renders its figures
 * itself). 0, SQ_EIO or SQ_ENOMEM. */
int sq_gate_plot_write(const char *dir, const sq_paired_table *t, const char *witness);

#endif

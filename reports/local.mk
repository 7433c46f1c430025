# SPDX-License-Identifier: BSD-3-Clause
# reports/: gnuplot figures and the index page behind `subquad report`, and
# the regression gate's comparison behind `subquad compare`.
libsubquad_a_SOURCES += \
	reports/compare.h reports/compare.c \
	reports/mannwhitney.h reports/mannwhitney.c \
	reports/paired.h reports/paired.c \
	reports/gate_plot.h reports/gate_plot.c \
	reports/table.h reports/table.c \
	reports/outfile.h reports/outfile.c \
	reports/tunefile.h reports/tunefile.c \
	reports/report.h reports/report.c reports/report_page.c

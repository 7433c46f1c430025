# reports/: gnuplot figures and the index page (`subquad report`) and the
# regression gate (`subquad compare`).
libsubquad_a_SOURCES += reports/cmd_report.c reports/cmd_compare.c \
	reports/compare.h reports/compare.c \
	reports/mannwhitney.h reports/mannwhitney.c \
	reports/table.h reports/table.c \
	reports/outfile.h reports/outfile.c \
	reports/tunefile.h reports/tunefile.c \
	reports/report.h reports/report.c reports/report_page.c

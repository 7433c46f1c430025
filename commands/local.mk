# commands/: the top layer, the `subquad` program itself: main, one file per
# subcommand (option parsing, usage texts, printing errors, exit statuses)
# and the option helpers they share. It is linked into the program only, so
# the library (libsubquad.a, which the tests link) holds no command-line
# code: a library file that called sq_usage_error would not link.
subquad_SOURCES += \
	commands/commands.h commands/main.c commands/options.c \
	commands/cmd_devices.c commands/cmd_run.c commands/cmd_tune.c \
	commands/cmd_workloads.c commands/cmd_report.c commands/cmd_compare.c \
	commands/cmd_worker.c commands/cmd_gate.c commands/gate_proc.h commands/gate_proc.c
# `run --peer` (commands/peer.c) runs harness/peer.py: the source tree's
# copy from a binary in the build tree, else the installed one.
subquad_SOURCES += commands/peer.h commands/peer.c
AM_CPPFLAGS += -DSQ_PEER_SRCDIR='"$(abs_top_srcdir)"' -DSQ_PEER_BUILDDIR='"$(abs_top_builddir)"' \
	-DSQ_PEER_DATADIR='"$(pkgdatadir)"'
dist_pkgdata_DATA += harness/peer.py

# SPDX-License-Identifier: BSD-3-Clause
# commands/: the top layer, the `subquad` program itself: main, one file per
# subcommand (option parsing, usage texts, printing errors, exit statuses)
# and the option helpers they share. It is linked into the program only, so
# the library (libsubquad.a, which the tests link) holds no command-line
# code: a library file that called sq_usage_error would not link.
subquad_SOURCES += \
	commands/commands.h commands/main.c commands/options.c \
	commands/cmd_devices.c commands/cmd_run.c commands/cmd_tune.c \
	commands/cmd_workloads.c commands/cmd_report.c commands/cmd_export.c commands/cmd_compare.c \
	commands/cmd_worker.c commands/cmd_gate.c commands/gate_proc.h commands/gate_proc.c \
	commands/run_cli.h commands/fleet_run.c
# `subquad seqpar` (commands/cmd_seqpar.c): the sequence-parallel benchmark.
subquad_SOURCES += commands/cmd_seqpar.c

# The man page, subquad(1): commands/subquad.1.in with the version and the
# data folder filled in; tests/test_manpage.sh keeps its flags in step with
# every command's --help.
nodist_man_MANS = subquad.1
subquad.1: $(srcdir)/commands/subquad.1.in Makefile
	$(AM_V_GEN)sed -e 's|@VERSION@|$(PACKAGE_VERSION)|g' -e 's|@PKGDATADIR@|$(pkgdatadir)|g' \
		$(srcdir)/commands/subquad.1.in > $@.tmp && mv $@.tmp $@
CLEANFILES += subquad.1
EXTRA_DIST += commands/subquad.1.in

# bash completion, installed under the name of the program it completes.
EXTRA_DIST += commands/subquad.bash
install-data-local: install-bash-completion
uninstall-local: uninstall-bash-completion
install-bash-completion:
	$(MKDIR_P) '$(DESTDIR)$(bashcompletiondir)'
	$(INSTALL_DATA) $(srcdir)/commands/subquad.bash '$(DESTDIR)$(bashcompletiondir)/subquad'
uninstall-bash-completion:
	rm -f '$(DESTDIR)$(bashcompletiondir)/subquad'
.PHONY: install-bash-completion uninstall-bash-completion

# `make installcheck` (and so `make distcheck`): the installed binary runs,
# says its version and revision, and finds the installed tuning database
# (under a HOME with no user database).
installcheck-local:
	@bin='$(DESTDIR)$(bindir)/subquad'; home=`mktemp -d`; \
	"$$bin" --version | grep '^subquad $(PACKAGE_VERSION) (' || exit 1; \
	HOME=$$home XDG_DATA_HOME= SUBQUAD_TUNEDB= "$$bin" tune --show > $$home/show || exit 1; \
	grep '^shipped database ($(DESTDIR)$(pkgdatadir)/tunedb.csv): [1-9]' $$home/show || { cat $$home/show; exit 1; }; \
	test -f '$(DESTDIR)$(mandir)/man1/subquad.1' && test -f '$(DESTDIR)$(bashcompletiondir)/subquad' || exit 1; \
	rm -rf $$home

# `run --peer` (commands/peer.c) runs harness/peer.py: the source tree's
# copy from a binary in the build tree, else the installed one.
subquad_SOURCES += commands/peer.h commands/peer.c
AM_CPPFLAGS += -DSQ_PEER_SRCDIR='"$(abs_top_srcdir)"' -DSQ_PEER_BUILDDIR='"$(abs_top_builddir)"' \
	-DSQ_PEER_DATADIR='"$(pkgdatadir)"'
dist_pkgdata_DATA += harness/peer.py

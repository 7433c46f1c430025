# SPDX-License-Identifier: BSD-3-Clause
# tuner/: search spaces, strategies, the crash-safe cache, the tuning
# database and the drivers behind `subquad tune` (on a device, replay).
libsubquad_a_SOURCES += \
	tuner/space.h tuner/space.c \
	tuner/strategy.h tuner/strategy.c tuner/strategy_local.c tuner/strategy_genetic.c \
	tuner/db.h tuner/db.c \
	tuner/cache.h tuner/cache.c tuner/pool.h tuner/pool.c \
	tuner/tune.h tuner/tune.c tuner/drivers.h tuner/replay.c tuner/tune_device.c \
	tuner/t4.h tuner/t4.c tuner/tune_fleet.h tuner/tune_fleet.c

# The shipped tuning database is embedded like the kernel texts, so
# `subquad run` from the build tree finds it from any directory.
tuner/db_text.c: $(srcdir)/tuner/db/tunedb.csv $(srcdir)/kernels/embed.sh
	$(AM_V_GEN)$(MKDIR_P) tuner && $(SHELL) $(srcdir)/kernels/embed.sh $@ $(srcdir)/tuner/db/tunedb.csv
BUILT_SOURCES += tuner/db_text.c
CLEANFILES += tuner/db_text.c
nodist_libsubquad_a_SOURCES += tuner/db_text.c
# It is installed too, as $(pkgdatadir)/tunedb.csv, which the installed
# binary reads instead: a site updates it without a rebuild.
dist_pkgdata_DATA += tuner/db/tunedb.csv

# tuner/: search spaces, strategies, the crash-safe cache, the tuning
# database and `subquad tune`.
libsubquad_a_SOURCES += tuner/cmd_tune.c

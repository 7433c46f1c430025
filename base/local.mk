# base/: the utilities every layer uses, below all of them (they include
# nothing of the project but each other): error codes and their one-line
# detail, whole-file reading, mkdir -p and the atomic file writer, the one
# CSV reader and writer (libcsv), and sample statistics.
libsubquad_a_SOURCES += \
	base/error.h base/error.c \
	base/files.h base/files.c \
	base/csv.h base/csv.c \
	base/stats.h base/stats.c \
	base/json.h base/json.c

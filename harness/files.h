/* Small file-system helpers. */
#ifndef SQ_FILES_H
#define SQ_FILES_H

/* mkdir -p: creates the directory and its parents (0 or SQ_EIO). */
int sq_mkdirs(const char *path);

#endif

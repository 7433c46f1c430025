/* SPDX-License-Identifier: BSD-3-Clause */
/* Optional libraries opened at run time (the CUDA driver, NVRTC, cuBLAS,
 * CLBlast), so one subquad binary runs with and without them. */
#ifndef SQ_DYNLIB_H
#define SQ_DYNLIB_H

/* Opens the first library that loads: the path in environment variable env
 * when it is set (env may be NULL), and then that path only, so a test can
 * point it at a missing file; else names[] in order (NULL-terminated).
 * *opened (opened may be NULL) gets the name last tried. Returns the handle,
 * or NULL with dlerror() saying why the last try failed. */
void *sq_dlopen_first(const char *env, const char *const *names, const char **opened);

#endif

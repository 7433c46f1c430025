/* SPDX-License-Identifier: BSD-3-Clause */
#include "harness/dynlib.h"

#include <dlfcn.h>
#include <stdlib.h>

void *sq_dlopen_first(const char *env, const char *const *names, const char **opened) {
  const char *over = env ? getenv(env) : NULL, *name = NULL;
  void *lib = NULL;
  if (over && *over) lib = dlopen(name = over, RTLD_NOW | RTLD_LOCAL);
  else
    for (int i = 0; names[i] && !lib; i++) lib = dlopen(name = names[i], RTLD_NOW | RTLD_LOCAL);
  if (opened) *opened = name;
  return lib;
}

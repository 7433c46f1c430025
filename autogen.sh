#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# autogen.sh: bootstraps the autotools build (configure, Makefile.in and the
# auxiliary scripts such as tap-driver.sh are generated, never committed).
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf --install --force

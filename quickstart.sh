#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# quickstart.sh run|check: everything a fresh Debian 12 machine needs, then
# one job. Installs the missing Debian packages (as root, or through sudo),
# bootstraps autotools, configures, builds, and then
#   run    runs the quick suite on the default device, prints the table and
#          writes results/runs/quick.csv (+ .samples.csv);
#   check  runs `make check`.
# Extra arguments after the job go to configure (e.g. --enable-sanitizers).
set -eu
job=${1:-}
case "$job" in
  run|check) shift ;;
  *) echo "usage: ./quickstart.sh run|check [configure options]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")"

packages="build-essential autoconf automake libtool pkg-config libcsv-dev libhwloc-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo gnuplot-nox python3-numpy groff-base
  libclblast-dev openmpi-bin libopenmpi-dev"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "quickstart: installing$missing" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ -x configure ] || ./autogen.sh >/dev/null
if [ ! -f Makefile ] || [ $# -gt 0 ]; then ./configure "$@"; fi
make -j"$(nproc)" >/dev/null

case "$job" in
  run)
    mkdir -p results/runs
    ./subquad run --suite quick -o results/runs/quick.csv ;;
  check)
    make -j"$(nproc)" check ;;
esac

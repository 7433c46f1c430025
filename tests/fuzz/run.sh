#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# tests/fuzz/run.sh: what `make fuzz` runs. Each named target runs under
# libFuzzer for SECONDS, JOBS targets at a time, from its seed corpus and
# crash reproducers in SRCDIR (read only); what it learns goes to
# tests/fuzz/out/NAME/corpus in the build tree, a crash, leak, sanitizer
# report or hang (an input over 10 s) to tests/fuzz/out/NAME/artifacts/, and
# the engine's output to tests/fuzz/out/NAME.log. At the end one line per
# target: executions (libFuzzer's stat::number_of_executed_units), their
# rate, the inputs it added, and ok or what failed. Exit status 1 when any
# target failed.
#
# usage: run.sh SECONDS JOBS SRCDIR NAME...
set -u
secs=$1 jobs=$2 src=$3
shift 3
out=tests/fuzz/out
mkdir -p "$out"

run_one() {
  name=$1 work=$out/$1
  mkdir -p "$work/corpus" "$work/artifacts"
  rm -f "$work/artifacts/"* "$work/rc"
  set -- "$work/corpus" "$src/corpus/$name"
  [ -d "$src/crashes/$name" ] && set -- "$@" "$src/crashes/$name"
  echo "fuzz: $name for ${secs} s (log: $out/$name.log)"
  ./tests/fuzz/${name}_fuzzer -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" "$@" >"$out/$name.log" 2>&1
  echo $? >"$work/rc"
}

running=0
for name in "$@"; do
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait
    running=0
  fi
done
wait

final_stat() { sed -n "s/^stat::$1: *//p" "$out/$2.log" 2>/dev/null | tail -n 1; }
failed=0
printf '\n%-10s %14s %10s %8s  %s\n' target executions "exec/s" added result
for name in "$@"; do
  rc=$(cat "$out/$name/rc" 2>/dev/null || echo missing)
  execs=$(final_stat number_of_executed_units "$name")
  result=ok
  if [ "$rc" != 0 ] || [ -z "$execs" ]; then
    failed=1
    artifacts=$(ls "$out/$name/artifacts" 2>/dev/null | tr '\n' ' ')
    result="FAILED (exit $rc) ${artifacts:+artifacts in $out/$name/artifacts: $artifacts}see $out/$name.log"
  fi
  printf '%-10s %14s %10s %8s  %s\n' "$name" "${execs:-?}" "$(final_stat average_exec_per_sec "$name")" \
    "$(final_stat new_units_added "$name")" "$result"
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target failed; copy its artifact to tests/fuzz/crashes/NAME/ as a reproducer" >&2
  exit 1
fi

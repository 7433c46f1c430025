#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Fleet runs under mpirun on this machine's OpenCL CPU device, every rank
# on it (--oversubscribe): a sharded suite gives the rows a one-process run
# gives, from every rank, in one file; a rank killed or hung mid-run leaves
# a complete file with its case failed and the others' rows kept; a tune
# over two ranks measures each configuration once, on either rank, and
# --resume continues it after the job is killed. A build without MPI
# refuses to run as one of several ranks.
. "$top_srcdir/tests/tap.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sq-fleet-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
sq="$SUBQUAD"
have_mpi=0
grep -q '^#define SQ_HAVE_MPI 1' "$top_builddir/config.h" && have_mpi=1
mpirun=$(command -v mpirun 2>/dev/null)
as_root=""
[ "$(id -u)" -eq 0 ] && as_root="--allow-run-as-root"
# mpirun N [mpirun flags --] subquad args...
mpi() {
  n=$1; shift
  "$mpirun" $as_root --oversubscribe --bind-to none -np "$n" "$@"
}
# rows FILE: "kernel shape status rank" per row, sorted, from an independent
# CSV reader.
rows() {
  python3 - "$1" <<'EOF'
import csv, sys
body = [l for l in open(sys.argv[1]) if not l.startswith("#")]
for r in sorted(csv.DictReader(body), key=lambda r: (r["kernel"], int(r["tokens"]))):
    print(r["kernel"], r["shape"], r["status"], r.get("rank", "-"), r.get("host", "-"), r["reason"][:160], sep="|")
EOF
}
cases="--suite quick --only causal_chunked --no-peaks --min-samples 2 --max-samples 4 --min-time 0"

if [ $have_mpi -eq 0 ]; then
  # mpirun may still be installed: a build without MPI must not run a
  # suite N times over.
  if [ -n "$mpirun" ]; then
    mpi 2 "$sq" run $cases -o "$tmp/n.csv" >/dev/null 2>"$tmp/n.err"; st=$?
    if [ $st -ne 0 ] && grep -q "built without MPI" "$tmp/n.err" && [ ! -f "$tmp/n.csv" ]; then
      ok "a build without MPI refuses to be one of 2 ranks"
    else not_ok "build without MPI under mpirun: status $st, $(head -3 "$tmp/n.err")"; fi
  else
    skip "a build without MPI under mpirun" "mpirun is not installed"
  fi
  for t in "sharded suite" "killed rank" "hung rank" "recovery" "three ranks" "fleet tune" "tune --resume"; do
    skip "$t" "built without MPI (configure --with-mpi)"
  done
  tap_done; exit
fi
if [ -z "$mpirun" ]; then
  skip "fleet runs" "MPI is built in but mpirun is not on the PATH"
  tap_done; exit
fi

# --- a sharded suite gives the rows of a one-process run ---------------------
"$sq" run $cases --rounds 1 -q -o "$tmp/one.csv" >/dev/null 2>"$tmp/one.err" ||
  not_ok "one-process run: $(tail -2 "$tmp/one.err")"
mpi 2 "$sq" run $cases --rounds 2 -o "$tmp/two.csv" >"$tmp/two.out" 2>"$tmp/two.err"; st=$?
[ $st -eq 0 ] && ok "mpirun -np 2 run exits 0" || not_ok "mpirun -np 2 run: status $st: $(tail -3 "$tmp/two.err")"
rows "$tmp/one.csv" | cut -d'|' -f1-3 >"$tmp/one.rows"
rows "$tmp/two.csv" | cut -d'|' -f1-3 >"$tmp/two.rows"
if [ -s "$tmp/one.rows" ] && cmp -s "$tmp/one.rows" "$tmp/two.rows"; then
  ok "the sharded rows are the one-process rows ($(wc -l <"$tmp/two.rows") by kernel, shape and status)"
else not_ok "rows differ: $(diff "$tmp/one.rows" "$tmp/two.rows" | head -5)"; fi
ranks=$(rows "$tmp/two.csv" | cut -d'|' -f4 | sort -u | tr '\n' ' ')
[ "$ranks" = "0 1 " ] && ok "rows from both ranks ($ranks)" || not_ok "ranks in the file: '$ranks'"
rows "$tmp/two.csv" | cut -d'|' -f3 | grep -qv '^ok$' && not_ok "a row is not ok: $(rows "$tmp/two.csv" | grep -v '|ok|')" ||
  ok "every row ok"
grep -q '^# fleet: 2 ranks; 0 .* opencl:0 .*; 1 .* opencl:0 ' "$tmp/two.csv" && ok "the file names each rank's device" ||
  not_ok "fleet line: $(grep '^# fleet' "$tmp/two.csv")"
rounds=$(awk -F, 'NR > 2 { print $4 }' "$tmp/two.samples.csv" | sort -u | tr '\n' ' ')
[ "$rounds" = "0 1 " ] && ok "the sidecar keeps both rounds' samples" || not_ok "sidecar rounds: '$rounds'"
ls "$tmp" | grep -q '\.tmp' && not_ok "temporary files left: $(ls "$tmp")" || ok "no temporary file left"
"$sq" compare "$tmp/one.csv" "$tmp/two.csv" >"$tmp/cmp" 2>&1; st=$?
[ $st -le 2 ] && ok "compare reads the fleet's file against the one-process file (status $st)" ||
  not_ok "compare: status $st: $(tail -3 "$tmp/cmp")"

# --- a rank killed mid-run: mpirun ends the job, rank 0 writes every row -------
SUBQUAD_FLEET_FAULT=crash:1:2 mpi 2 -x SUBQUAD_FLEET_FAULT "$sq" run $cases --rounds 1 -o "$tmp/kill.csv" \
  >/dev/null 2>"$tmp/kill.err"; st=$?
n=$(rows "$tmp/kill.csv" 2>/dev/null | wc -l)
[ $st -ne 0 ] && [ "$n" = 6 ] && ok "killed rank: mpirun fails (status $st), the file holds all 6 cases" ||
  not_ok "killed rank: status $st, $n rows: $(tail -3 "$tmp/kill.err")"
if [ "$(rows "$tmp/kill.csv" | grep -c '|failed|1|.*while rank 1 ran')" = 1 ]; then
  ok "the killed rank's case is failed, saying so"
else not_ok "the killed rank's case: $(rows "$tmp/kill.csv")"; fi
rows "$tmp/kill.csv" | grep -q '|ok|' && ok "rows finished before the kill are kept" ||
  not_ok "no ok row kept: $(rows "$tmp/kill.csv")"
grep -q '^# fleet: .*ended by signal' "$tmp/kill.csv" && ok "the file says the job was ended" ||
  not_ok "no end in the fleet line: $(grep '^# fleet' "$tmp/kill.csv")"
ls "$tmp" | grep -q '\.tmp' && not_ok "temporary files left: $(ls "$tmp")" || ok "no temporary file left"

# --- a hung rank: lost after --rank-timeout, the others finish ----------------
SUBQUAD_FLEET_FAULT=hang:1:1 mpi 2 -x SUBQUAD_FLEET_FAULT "$sq" run $cases --rounds 1 --rank-timeout 4 \
  -o "$tmp/hang.csv" >/dev/null 2>"$tmp/hang.err"; st=$?
if [ $st -ne 0 ] && [ "$(rows "$tmp/hang.csv" | grep -c '|failed|1|.*gave no result')" = 1 ]; then
  ok "hung rank: its case failed after --rank-timeout, the job ends non-zero (status $st)"
else not_ok "hung rank: status $st: $(rows "$tmp/hang.csv" 2>&1) $(tail -2 "$tmp/hang.err")"; fi
nok=$(rows "$tmp/hang.csv" | grep -c '|ok|')
[ "$nok" = 5 ] && ok "the other 5 cases ran" || not_ok "ok rows after the hang: $nok"

# --- with --enable-recovery the job outlives a dead rank -------------------------
SUBQUAD_FLEET_FAULT=crash:1:2 mpi 2 --enable-recovery -x SUBQUAD_FLEET_FAULT "$sq" run $cases --rounds 1 \
  --rank-timeout 4 -o "$tmp/rec.csv" >/dev/null 2>"$tmp/rec.err"
nok=$(rows "$tmp/rec.csv" 2>/dev/null | grep -c '|ok|')
if [ "$(rows "$tmp/rec.csv" | grep -c '|failed|1|.*gave no result')" = 1 ] && [ "$nok" = 5 ]; then
  ok "recovery: the dead rank's case failed, rank 0 ran the other 5"
else not_ok "recovery: $(rows "$tmp/rec.csv" 2>&1 | head -6) $(tail -2 "$tmp/rec.err")"; fi

# --- three ranks, T not spread evenly -----------------------------------------
mpi 3 "$sq" run $cases --rounds 1 -o "$tmp/three.csv" >/dev/null 2>"$tmp/three.err"; st=$?
rows "$tmp/three.csv" | cut -d'|' -f1-3 >"$tmp/three.rows"
if [ $st -eq 0 ] && cmp -s "$tmp/one.rows" "$tmp/three.rows"; then
  ok "mpirun -np 3: the one-process rows, from $(rows "$tmp/three.csv" | cut -d'|' -f4 | sort -u | wc -l) ranks"
else not_ok "three ranks: status $st $(diff "$tmp/one.rows" "$tmp/three.rows" | head -3) $(tail -2 "$tmp/three.err")"; fi

# --- a tune over two ranks ------------------------------------------------------
tune="tune --kernel linear_attn.causal_chunked --shape B=1,H=1,T=256,D=32 --strategy random --budget 8"
mpi 2 "$sq" $tune --cache "$tmp/tc.csv" --db "$tmp/tdb.csv" >"$tmp/t.out" 2>"$tmp/t.err"; st=$?
results=$(grep -cv '^#\|^status\|^attempting' "$tmp/tc.csv" 2>/dev/null)
uniq=$(grep -v '^#\|^status\|^attempting' "$tmp/tc.csv" 2>/dev/null | cut -d, -f2- | cut -d, -f1-6 | sort -u | wc -l)
[ $st -eq 0 ] && [ "$results" = 8 ] && [ "$uniq" = 8 ] && ok "fleet tune: 8 configurations, each measured once" ||
  not_ok "fleet tune: status $st, $results results, $uniq distinct: $(tail -3 "$tmp/t.err")"
other=$(sed -n 's/^measured by the other ranks: rank 1: \([0-9]*\).*/\1/p' "$tmp/t.err")
[ "${other:-0}" -gt 0 ] && [ "$other" -lt 8 ] && ok "rank 1 measured $other of them, rank 0 the rest" ||
  not_ok "rank 1 measured '${other}': $(grep measured "$tmp/t.err")"
[ "$(grep -c '^opencl,' "$tmp/tdb.csv" 2>/dev/null)" = 1 ] && ok "one tuning-database entry" ||
  not_ok "database: $(cat "$tmp/tdb.csv" 2>&1 | tail -3)"

# --- killed, then --resume -----------------------------------------------------
SUBQUAD_TUNE_KILL_AFTER=3 mpi 2 -x SUBQUAD_TUNE_KILL_AFTER "$sq" $tune --cache "$tmp/tk.csv" --db "$tmp/tkdb.csv" -q \
  >/dev/null 2>&1
before=$(grep -c '^ok,' "$tmp/tk.csv" 2>/dev/null)
mpi 2 "$sq" $tune --cache "$tmp/tk.csv" --db "$tmp/tkdb.csv" --resume >"$tmp/r.out" 2>"$tmp/r.err"; st=$?
if [ $st -eq 0 ] && [ "${before:-0}" -ge 1 ] && grep -q "from the cache" "$tmp/r.out" &&
   [ "$(grep -c '^opencl,' "$tmp/tkdb.csv")" = 1 ]; then
  ok "a killed fleet tune continues with --resume ($before results kept; $(grep '^evaluations' "$tmp/r.out" | cut -c1-60))"
else not_ok "resume: status $st, $before kept: $(tail -3 "$tmp/r.err")"; fi
tap_done

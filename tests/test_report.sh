#!/bin/sh
# End-to-end tests of `subquad report`: constructed result files (a linear
# kernel that overtakes a quadratic one at a known T, a skipped baseline
# with a prediction, paper workloads, measured peaks; a second device) and
# tuning traces must give the expected scripts, data, pages and, where
# gnuplot is installed, PNG and SVG figures; bad inputs exit 2 with
# "file:line".
. "$top_srcdir/tests/tap.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sq-report-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

HEADER='id,device,backend,arch,kernel,family,causal,B,H,T,D,DV,dtype,mode,params,config_source,feature,status,reason,verify,max_rel_err,tolerance,samples,min_ms,q1_ms,median_ms,mean_ms,q3_ms,max_ms,stddev_ms,noise,gflops,gbs,peak_frac,pred_ms,pred_mem_bytes,suite,workload'

# mk FILE DEVICE SCALE: linear_attn.causal_chunked takes 0.01 + T/51200 ms,
# softmax_attn.naive 0.002 (T/512)^2 ms (both times SCALE), so the linear
# kernel is faster from T = 4096 on; softmax at T = 131072 is skipped with
# a predicted time. Rows at T = 4096 belong to the workload synthpaper/lm-4k.
mk() {
  printf '# subquad-results 1\n# device: %s\n# peak_gbs: 20\n# peak_gflops: 200\n%s\n' "$2" "$HEADER" > "$1"
  awk -v dev="$2" -v s="$3" 'BEGIN {
    id = 0
    for (T = 512; T <= 131072; T *= 2) {
      lin = s * (0.01 + T / 51200); soft = s * 0.002 * (T / 512) ^ 2
      w = (T == 4096) ? "synthpaper/lm-4k" : ""
      row(id++, "linear_attn.causal_chunked", "linear_attn", T, "ok", lin, 1.5 + T / 65536, 3, 0, w)
      if (T < 131072) row(id++, "softmax_attn.naive", "softmax_attn", T, "ok", soft, 10, 0.5, 0, w)
      else row(id++, "softmax_attn.naive", "softmax_attn", T, "skipped", 0, 0, 0, soft, w)
    }
  }
  function row(id, k, fam, T, st, ms, gf, gb, pred, w) {
    if (st == "ok")
      printf "%d,%s,opencl,,%s,%s,1,1,2,%d,64,64,f32,hot,,default,,ok,,full,,,0,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,,,%g,%g,,0,0,quick,%s\n",
        id, dev, k, fam, T, ms * 0.97, ms * 0.98, ms, ms, ms * 1.02, ms * 1.1, gf, gb, w
    else
      printf "%d,%s,opencl,,%s,%s,1,1,2,%d,64,64,f32,hot,,default,,skipped,\"infeasible: needs 64 GiB, the device has 1 GiB\",,,,0,,,,,,,,,,,,%.6g,6.9e10,quick,%s\n",
        id, dev, k, fam, T, pred, w
  }' >> "$1"
}
mk "$tmp/a.csv" "opencl:0 test-cpu" 1
mk "$tmp/b.csv" "cuda:0 test-gpu" 0.1
printf '# strategy: anneal\neval,time_ms,best_ms\n1,5,5\n2,4,4\n3,6,4\n4,3.5,3.5\n' > "$tmp/anneal.csv"
printf '# tuner cache\n# strategy=random\nstatus,CHUNK,time_ms\nok,16,6\nattempting,32,\nfailed,32,\nok,64,4.5\n' > "$tmp/random.csv"

out="$tmp/r1"
"$SUBQUAD" report "$tmp/a.csv" -o "$out" --tune "$tmp/anneal.csv" --tune "$tmp/random.csv" >"$tmp/stdout" 2>"$tmp/stderr"
st=$?
check "report exits 0 (status $st: $(cat "$tmp/stderr"))" [ "$st" -eq 0 ]
for f in index.html summary.md scaling-1.gp scaling-1.dat roofline.gp roofline.dat paper-synthpaper.gp \
  paper-synthpaper.dat tuning.gp tuning.dat; do
  check "writes $f" [ -s "$out/$f" ]
done
check "no temporaries left" sh -c '! ls "$1" | grep -q "\.tmp\."' _ "$out"
check "scaling legend has fitted slopes (linear 0.98, softmax 2.00)" \
  sh -c 'grep -q "linear_attn.causal_chunked: slope 0.98" "$1" && grep -q "softmax_attn.naive: slope 2.00" "$1"' _ "$out/scaling-1.gp"
check "crossover marked at T=4096" grep -q "set arrow from 4096, graph 0 to 4096, graph 1" "$out/scaling-1.gp"
check "predicted softmax point drawn dashed" sh -c 'grep -q "predicted (skipped)" "$1" && grep -q "dt 2" "$1" && grep -q "^131072 " "$2"' _ \
  "$out/scaling-1.gp" "$out/scaling-1.dat"
check "log-log axes with labelled units" sh -c 'grep -q "set logscale x 2" "$1" && grep -q "set logscale y 10" "$1" &&
  grep -q "set xlabel \"sequence length T (tokens" "$1" && grep -q "set ylabel \"median time per call (ms)" "$1"' _ "$out/scaling-1.gp"
check "roofline draws the measured ceilings" grep -q "ceiling opencl:0 test-cpu: 20 GB/s, 200 GFLOP/s" "$out/roofline.gp"
check "paper figure: speedup at the paper's shape" sh -c 'grep -q "^\"synthpaper/lm-4k\" 1\.422" "$1"' _ "$out/paper-synthpaper.dat"
check "tuning: best-so-far per strategy" sh -c 'grep -q "anneal" "$1" && grep -q "random" "$1" && grep -q "^3 4$" "$2" && grep -q "^3 4.5$" "$2"' _ \
  "$out/tuning.gp" "$out/tuning.dat"
check "summary.md: scaling table with crossover" grep -q "| scaling-1 | causal, B=1, H=2, D=64, f32, hot | linear_attn.causal_chunked |.*| 4096 |" "$out/summary.md"
check "summary.md: the skipped row and its reason" grep -q "| skipped | softmax_attn.naive |.*infeasible: needs 64 GiB" "$out/summary.md"
check "index.html: device block with the peaks" sh -c 'grep -q "<h2>Devices</h2>" "$1" && grep -q "<td>peak_gbs</td><td>20</td>" "$1"' _ "$out/index.html"

if command -v gnuplot >/dev/null 2>&1; then
  for f in scaling-1 roofline paper-synthpaper tuning; do
    check "renders $f.png and $f.svg" sh -c '[ -s "$1.png" ] && [ -s "$1.svg" ] && head -c 8 "$1.png" | grep -q PNG' _ "$out/$f"
  done
  n_svg=$(grep -c "<svg" "$out/index.html")
  check "index.html inlines the 4 SVGs ($n_svg)" [ "$n_svg" -eq 4 ]
  check "a script reruns by itself in its directory" sh -c 'cd "$1" && rm -f scaling-1.png && gnuplot scaling-1.gp && [ -s scaling-1.png ]' _ "$out"
else
  skip "rendering" "gnuplot is not installed"
fi

# Two devices: one series per device.
"$SUBQUAD" report "$tmp/a.csv" "$tmp/b.csv" -o "$tmp/r2" --no-render >/dev/null 2>"$tmp/stderr"
st=$?
check "two devices: exit 0 (status $st)" [ "$st" -eq 0 ]
check "two devices: a series per device" sh -c 'grep -q "linear_attn.causal_chunked @ opencl:0 test-cpu" "$1" && grep -q "linear_attn.causal_chunked @ cuda:0 test-gpu" "$1"' _ \
  "$tmp/r2/scaling-1.gp"
check "two devices: two rooflines" sh -c '[ "$(grep -c "ceiling " "$1")" -eq 2 ]' _ "$tmp/r2/roofline.gp"
check "--no-render: no PNG, and says how to render" sh -c '! ls "$1" | grep -q "\.png$" && grep -q "gnuplot" "$2"' _ "$tmp/r2" "$tmp/stderr"

"$SUBQUAD" report "$tmp/a.csv" -o "$tmp/r3" --gnuplot /nonexistent/gnuplot >/dev/null 2>"$tmp/stderr"
st=$?
check "gnuplot missing: exit 0, scripts written, says how to render (status $st)" \
  sh -c '[ "$1" -eq 0 ] && [ -s "$2/scaling-1.gp" ] && grep -q "gnuplot not found" "$3" && grep -q "gnuplot not found" "$2/summary.md"' _ "$st" "$tmp/r3" "$tmp/stderr"

expect_error "malformed results: file:line, exit 2" 2 "results_bad_number.csv:5: column 'T': 'abc' is not a number" -- \
  report "$top_srcdir/tests/data/results_bad_number.csv" -o "$tmp/r4"
check "malformed results: nothing written" [ ! -e "$tmp/r4" ]
printf 'eval,score\n1,2\n' > "$tmp/badtune.csv"
expect_error "tuning trace without a time column: exit 2" 2 "badtune.csv:1: no time column" -- \
  report "$tmp/a.csv" -o "$tmp/r5" --tune "$tmp/badtune.csv"
check "bad tuning trace: nothing written" [ ! -e "$tmp/r5" ]
# A tuning trace is read whole: a 300-byte time field used to be cut to 255
# bytes ("000...05" read as 0) and a long line split into two records.
{ printf 'eval,time_ms\n'; printf '1,%0300d\n' 5; } > "$tmp/longfield.csv"
expect_error "tuning trace with a 300-byte field: refused, exit 2" 2 "longfield.csv:2: more than 64 fields, or a field of 256 bytes" -- \
  report "$tmp/a.csv" -o "$tmp/r10" --tune "$tmp/longfield.csv"
{ printf 'eval,time_ms\n1,5\n2,'; head -c 20000 /dev/zero | tr '\0' 1; printf '\n'; } > "$tmp/longline.csv"
expect_error "tuning trace with a 20,000-byte line: the error names that line" 2 "longline.csv:3: " -- \
  report "$tmp/a.csv" -o "$tmp/r10" --tune "$tmp/longline.csv"
expect_error "unknown flag: exit 2" 2 "unknown option '--bogus'" -- report "$tmp/a.csv" --bogus
expect_error "no input: exit 2" 2 "needs at least one RESULTS.csv" -- report -o "$tmp/r6"
expect_error "missing input: exit 2" 2 "nonexistent.csv" -- report "$tmp/nonexistent.csv" -o "$tmp/r7"
tap_done

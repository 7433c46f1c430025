#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests of `subquad report`: constructed result files (a linear
# kernel that overtakes a quadratic one at a known T, a skipped baseline
# with a prediction, paper workloads, measured peaks; a second device) and
# tuning traces must give the expected scripts, data, pages and, where
# gnuplot is installed, PNG and SVG figures; bad inputs exit 3 with
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
  grep -q "set xlabel '"'"'sequence length T (tokens" "$1" && grep -q "set ylabel '"'"'median time per call (ms)" "$1"' _ "$out/scaling-1.gp"
check "roofline draws the measured ceilings" grep -q "ceiling opencl test-cpu: 20 GB/s, 200 GFLOP/s" "$out/roofline.gp"
check "paper figure: speedup at the paper's shape, labelled in the script" sh -c 'grep -q "^# entry 0: synthpaper/lm-4k\$" "$1" &&
  grep -q "^0 1\.422" "$1" && grep -q "^set xtics .*('"'"'synthpaper/lm-4k'"'"' 0)" "$2"' _ "$out/paper-synthpaper.dat" "$out/paper-synthpaper.gp"
check "tuning: best-so-far per strategy" sh -c 'grep -q "anneal" "$1" && grep -q "random" "$1" && grep -q "^3 4$" "$2" && grep -q "^3 4.5$" "$2"' _ \
  "$out/tuning.gp" "$out/tuning.dat"
check "summary.md: scaling table with crossover" grep -q "| scaling-1 | causal, B=1,H=2,D=64,DV=64, f32, hot | linear_attn.causal_chunked |.*| 4096 |" "$out/summary.md"
check "summary.md: the skipped row and its reason" grep -q "| skipped | softmax_attn.naive |.*infeasible: needs 64 GiB" "$out/summary.md"
check "index.html: device block with the peaks" sh -c 'grep -q "<h2>Devices</h2>" "$1" && grep -q "<td>peak_gbs</td><td>20</td>" "$1"' _ "$out/index.html"

if command -v gnuplot >/dev/null 2>&1; then
  for f in scaling-1 roofline paper-synthpaper tuning; do
    check "renders $f.png and $f.svg" sh -c '[ -s "$1.png" ] && [ -s "$1.svg" ] && head -c 8 "$1.png" | grep -q PNG' _ "$out/$f"
  done
  n_svg=$(grep -c "<svg" "$out/index.html")
  check "index.html inlines the 4 SVGs ($n_svg)" [ "$n_svg" -eq 4 ]
  # gnuplot opens its images in place: a link left where one goes (here to
  # a file that is no input) is replaced, not written through.
  echo victim > "$tmp/victim"
  mkdir "$tmp/r11" && ln -s ../victim "$tmp/r11/roofline.svg"
  "$SUBQUAD" report "$tmp/a.csv" -o "$tmp/r11" >/dev/null 2>&1
  check "a link where an image goes is replaced, its target untouched" sh -c \
    '[ "$(cat "$1/victim")" = victim ] && [ ! -L "$1/r11/roofline.svg" ] && [ -s "$1/r11/roofline.svg" ]' _ "$tmp"
  check "a script reruns by itself in its directory" sh -c 'cd "$1" && rm -f scaling-1.png && gnuplot scaling-1.gp && [ -s scaling-1.png ]' _ "$out"
else
  skip "rendering" "gnuplot is not installed"
fi

# Two devices: one series per device.
"$SUBQUAD" report "$tmp/a.csv" "$tmp/b.csv" -o "$tmp/r2" --no-render >/dev/null 2>"$tmp/stderr"
st=$?
check "two devices: exit 0 (status $st)" [ "$st" -eq 0 ]
check "two devices: a series per device" sh -c 'grep -q "linear_attn.causal_chunked @ opencl test-cpu" "$1" && grep -q "linear_attn.causal_chunked @ cuda test-gpu" "$1"' _ \
  "$tmp/r2/scaling-1.gp"
check "two devices: two rooflines" sh -c '[ "$(grep -c "ceiling " "$1")" -eq 2 ]' _ "$tmp/r2/roofline.gp"
# Identical devices (a fleet's ranks): one series per device model.
mk "$tmp/b1.csv" "cuda:1 test-gpu" 0.1
"$SUBQUAD" report "$tmp/b.csv" "$tmp/b1.csv" -o "$tmp/r2b" --no-render >/dev/null 2>&1
check "identical devices on cuda:0 and cuda:1: one series, named without the index" sh -c \
  '! grep -q "@ cuda" "$1" && [ "$(grep -c "linear_attn.causal_chunked: slope" "$1")" -eq 1 ]' _ "$tmp/r2b/scaling-1.gp"
check "--no-render: no PNG, and says how to render" sh -c '! ls "$1" | grep -q "\.png$" && grep -q "gnuplot" "$2"' _ "$tmp/r2" "$tmp/stderr"

"$SUBQUAD" report "$tmp/a.csv" -o "$tmp/r3" --gnuplot /nonexistent/gnuplot >/dev/null 2>"$tmp/stderr"
st=$?
check "gnuplot missing: exit 0, scripts written, says how to render (status $st)" \
  sh -c '[ "$1" -eq 0 ] && [ -s "$2/scaling-1.gp" ] && grep -q "gnuplot not found" "$3" && grep -q "gnuplot not found" "$2/summary.md"' _ "$st" "$tmp/r3" "$tmp/stderr"

# Hostile text (issue 10, item 1): every free-text column carries gnuplot
# code three ways: a backquote command substitution, a double quote that
# ends a string followed by a `!` shell escape, newlines followed by `!`,
# and a single quote that ends a single-quoted string before a system()
# call; each would create a file A to F where gnuplot runs. Enhanced-text
# and HTML/Markdown markup ride along. Two devices put the device in the
# series titles, a paper workload puts the workload in the title, the
# xlabel and the tic labels, a skipped row puts the reason in the tables.
NL='
'
V='`>A`";!>B'"$NL"'!>C'"$NL""'.system('>D').'"'\@^_{}&<b>|'   # 41 bytes: kernel, workload (< 64)
VM='`>A`";!>B'"$NL"'!>C'"$NL""'.system('>D')"                   # 29 bytes: the 32-byte columns
VS='`>A`";!>B'"$NL"'!>C'"'"                                     # 14 bytes: backend (< 16)
DT='`>E`'"'" MO='"'"$NL"'!>F'"'"                                 # dtype, mode (< 8)
csvq() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
mk_hostile() { # FILE DEVICE-PREFIX
  {
    printf '# subquad-results 1\n# device: %s`>A`<script>x</script>\n# peak_gbs: 20\n# peak_gflops: 200\n' "$2"
    printf '# command: subquad run <img src=x onerror=alert(1)> `>A`\n%s\n' "$HEADER"
    id=0
    for T in 512 1024 2048 4096; do
      w=""; [ "$T" -eq 1024 ] && w="$V/e"
      for k in lin softmax_attn; do
        ms=$(awk -v T=$T -v k=$k 'BEGIN { print (k == "lin") ? 0.01 + T / 51200 : 0.002 * (T / 512) ^ 2 }')
        st=ok; reason=""; med=$ms; pred=0
        if [ "$k" = softmax_attn ] && [ "$T" -eq 4096 ]; then st=skipped; reason="$V<script>alert(1)</script>"; med=""; pred=$ms; fi
        printf '%d,%s,%s,%s,%s,%s,1,1,2,%d,64,64,%s,%s,%s,%s,%s,%s,%s,%s,,,0,%s,%s,%s,%s,%s,%s,,,3,1,,%s,0,%s,%s\n' \
          $id "$(csvq "$2$V")" "$(csvq "$VS")" "$(csvq "$V")" "$(csvq "$k$V")" "$(csvq "$VM")" $T "$(csvq "$DT")" \
          "$(csvq "$MO")" "$(csvq "$V")" "$(csvq "$VM")" identity $st "$(csvq "$reason")" "$(csvq "$VM")" \
          "$med" "$med" "$med" "$med" "$med" "$med" "$pred" "$(csvq "$VM")" "$(csvq "$w")"
        id=$((id + 1))
      done
    done
  } > "$1"
}
mk_hostile "$tmp/h1.csv" D1
mk_hostile "$tmp/h2.csv" D2
printf '# strategy: %s\neval,time_ms,best_ms\n1,5,5\n2,4,4\n' "\`>A\`\";!>B'.system('>D')<b>" > "$tmp/htune.csv"
hout="$tmp/hostile"
mkdir "$hout"
"$SUBQUAD" report "$tmp/h1.csv" "$tmp/h2.csv" --tune "$tmp/htune.csv" -o "$hout" >"$tmp/stdout" 2>"$tmp/stderr"
st=$?
pwned() { for d in "$hout" "$tmp" .; do for f in A B C D E F; do [ -e "$d/$f" ] && printf "%s " "$d/$f"; done; done; }
check "hostile strings: report exits 0 (status $st: $(cat "$tmp/stderr"))" [ "$st" -eq 0 ]
check "hostile strings: no injected command ran while rendering ($(pwned))" [ -z "$(pwned)" ]
if command -v gnuplot >/dev/null 2>&1; then
  hfigs=$(cd "$hout" && ls *.gp | sed 's/\.gp$//' | tr '\n' ' ')
  check "hostile strings: the four kinds of figure are there ($hfigs)" sh -c \
    'for f in scaling-1 roofline tuning; do [ -s "$1/$f.png" ] && [ -s "$1/$f.svg" ] || exit 1; done; ls "$1"/paper-*.svg >/dev/null' _ "$hout"
  check "hostile strings: every script reruns by hand without running anything" sh -c \
    'cd "$1" && for f in *.gp; do gnuplot "$f" 2>/dev/null || exit 1; done' _ "$hout"
  check "hostile strings: still nothing ran ($(pwned))" [ -z "$(pwned)" ]
  check "hostile strings: the values are printed as text in the figures" sh -c \
    'grep -qF "lin\`>A\`\";!>B !>C '"'"'.system('"'"'>D'"'"').'"'"'\\@^_{}&amp;&lt;b>|" "$1/scaling-1.svg"' _ "$hout"
else
  skip "hostile strings: rendering" "gnuplot is not installed"
fi
check "hostile strings: .dat records hold numbers only (labels only in comments)" sh -c \
  '! cat "$1"/*.dat | grep -v "^#" | grep -v "^\$" | grep -vqE "^[-+0-9.e? ]+\$"' _ "$hout"
check "hostile strings: index.html escapes the text" sh -c \
  '! grep -q "<script\|<img\|<b>" "$1/index.html" && grep -qF "&lt;script&gt;alert(1)&lt;/script&gt;" "$1/index.html"' _ "$hout"
check "hostile strings: summary.md escapes the text" sh -c \
  '! grep -qE "(^|[^\\\\])<" "$1/summary.md" && grep -qF "\\<script\\>alert(1)\\</script\\>" "$1/summary.md"' _ "$hout"

# A speedup that underflows to 0 (issue 10, item 2): the old tic loop ran
# from log10(0) = INT_MIN and wrote without bound. Paper p's first entry
# is 0 / 1e12 = 0, paper q's only entry 1e12 / 0 = inf (the reader caps times at 1e12 ms); the
# output must stay small and render, with the unplottable values left out.
{
  printf '# subquad-results 1\n%s\n' "$HEADER"
  id=0
  for spec in 512:p/e1:0:1e12 1024:q/e2:1e12:0 2048:p/e3:2:1; do
    echo "$spec" | awk -F: -v id=$id '{
      printf "%d,dev,opencl,,softmax_attn.naive,softmax_attn,1,1,2,%d,64,64,f32,hot,,default,,ok,,full,,,0,%s,%s,%s,%s,%s,%s,,,1,1,,0,0,quick,%s\n", id, $1, $3, $3, $3, $3, $3, $3, $2
      printf "%d,dev,opencl,,linear_attn.causal_chunked,linear_attn,1,1,2,%d,64,64,f32,hot,,default,,ok,,full,,,0,%s,%s,%s,%s,%s,%s,,,1,1,,0,0,quick,%s\n", id + 1, $1, $4, $4, $4, $4, $4, $4, $2
    }'
    id=$((id + 2))
  done
} > "$tmp/extreme.csv"
(ulimit -f 4096; exec "$SUBQUAD" report "$tmp/extreme.csv" -o "$tmp/extreme" >/dev/null 2>"$tmp/stderr")
st=$?
big=$(find "$tmp/extreme" -type f -size +1024k 2>/dev/null)
check "speedup of 0: exit 0 under a 2 MB file size limit (status $st: $(head -c 300 "$tmp/stderr"))" [ "$st" -eq 0 ]
check "speedup of 0: every output under 1 MB ($big)" [ -z "$big" ]
check "speedup of 0 or inf: left out of the paper figure" sh -c \
  '! grep -q "e1" "$1/paper-p.dat" && grep -q "^[0-9]* 2 ?\$" "$1/paper-p.dat" && [ ! -e "$1/paper-q.gp" ]' _ "$tmp/extreme"
if command -v gnuplot >/dev/null 2>&1; then
  check "speedup of 0: the figures render" sh -c '[ -s "$1/paper-p.png" ] && [ -s "$1/scaling-1.png" ]' _ "$tmp/extreme"
fi

expect_error "malformed results: file:line, exit 3" 3 "results_bad_number.csv:5: T: 'abc' is not a positive integer" -- \
  report "$top_srcdir/tests/data/results_bad_number.csv" -o "$tmp/r4"
check "malformed results: nothing written" [ ! -e "$tmp/r4" ]
printf 'eval,score\n1,2\n' > "$tmp/badtune.csv"
expect_error "tuning trace without a time column: exit 3" 3 "badtune.csv:1: no time column" -- \
  report "$tmp/a.csv" -o "$tmp/r5" --tune "$tmp/badtune.csv"
check "bad tuning trace: nothing written" [ ! -e "$tmp/r5" ]
# A bad -o (issue 10, item 8): exit 2 before anything is written, one line
# naming the path and the reason (it was exit 1).
cp "$tmp/a.csv" "$tmp/a.keep"
expect_error "-o an existing file: exit 2 with the reason" 2 "-o $tmp/a.csv: cannot create directory: Not a directory" -- \
  report "$tmp/a.csv" -o "$tmp/a.csv"
expect_error "-o under a file: exit 2 with the reason" 2 "-o $tmp/a.csv/sub: cannot create directory: Not a directory" -- \
  report "$tmp/a.csv" -o "$tmp/a.csv/sub"
check "-o an input file: the input is untouched" cmp -s "$tmp/a.csv" "$tmp/a.keep"
# -o holding an input under a name the report writes (issue 10, item 4):
# a tuning trace kept as DIR/tuning.dat would be replaced by the figure's
# data; a link DIR/scaling-1.png -> the results would be written through by
# gnuplot. Refused, inputs untouched, nothing written.
mkdir "$tmp/r8" "$tmp/r9"
cp "$tmp/anneal.csv" "$tmp/r8/tuning.dat"
expect_error "-o holding the --tune input as tuning.dat: exit 2" 2 "-o $tmp/r8: $tmp/r8/tuning.dat is the input .*tuning.dat and would be overwritten" -- \
  report "$tmp/a.csv" --tune "$tmp/r8/tuning.dat" -o "$tmp/r8"
check "-o holding an input: the input is untouched, nothing written" sh -c \
  'cmp -s "$1/r8/tuning.dat" "$1/anneal.csv" && [ "$(ls "$1/r8")" = tuning.dat ]' _ "$tmp"
ln -s ../a.csv "$tmp/r9/scaling-1.png"
expect_error "-o holding a link to the results as scaling-1.png: exit 2" 2 "$tmp/r9/scaling-1.png is the input $tmp/a.csv and would be overwritten" -- \
  report "$tmp/a.csv" -o "$tmp/r9"
check "-o holding a link to an input: the input is untouched" cmp -s "$tmp/a.csv" "$tmp/a.keep"
cp "$tmp/a.keep" "$tmp/a.csv" # whatever happened
# Long paths: ~1,200 characters work whole, the reason of a failure included;
# ~5,000 are refused up front and nothing is created (a 4,096-byte buffer
# used to cut them and create the directories of the cut path).
seg=$(printf '%0100d' 0)
long="$tmp"; while [ ${#long} -lt 1200 ]; do long="$long/$seg"; done
"$SUBQUAD" report "$tmp/a.csv" -o "$long" --no-render >/dev/null 2>"$tmp/stderr"
st=$?
check "-o a ${#long}-character directory: written (status $st)" sh -c '[ "$1" -eq 0 ] && [ -s "$2/index.html" ] && [ -s "$2/scaling-1.gp" ]' _ "$st" "$long"
: > "$long/file"
expect_error "-o under a file in a ${#long}-character directory: the reason survives" 2 \
  "/file/sub: cannot create directory: Not a directory" -- report "$tmp/a.csv" -o "$long/file/sub"
huge="$tmp/h"; while [ ${#huge} -lt 5000 ]; do huge="$huge/$seg"; done
expect_error "-o a ${#huge}-character directory: exit 2" 2 "path too long (${#huge} characters; the files written into it need it under" -- \
  report "$tmp/a.csv" -o "$huge"
check "-o a ${#huge}-character directory: nothing created" [ ! -e "$tmp/h" ]
# A tuning trace is read whole: a 300-byte time field used to be cut to 255
# bytes ("000...05" read as 0) and a long line split into two records.
{ printf 'eval,time_ms\n'; printf '1,%0300d\n' 5; } > "$tmp/longfield.csv"
expect_error "tuning trace with a 300-byte field: refused, exit 3" 3 "longfield.csv:2: more than 64 fields, or a field of 256 bytes" -- \
  report "$tmp/a.csv" -o "$tmp/r10" --tune "$tmp/longfield.csv"
{ printf 'eval,time_ms\n1,5\n2,'; head -c 20000 /dev/zero | tr '\0' 1; printf '\n'; } > "$tmp/longline.csv"
expect_error "tuning trace with a 20,000-byte line: the error names that line" 3 "longline.csv:3: " -- \
  report "$tmp/a.csv" -o "$tmp/r10" --tune "$tmp/longline.csv"
expect_error "unknown flag: exit 2" 2 "unknown option '--bogus'" -- report "$tmp/a.csv" --bogus
expect_error "no input: exit 2" 2 "needs at least one RESULTS.csv" -- report -o "$tmp/r6"
expect_error "missing input: exit 3" 3 "nonexistent.csv" -- report "$tmp/nonexistent.csv" -o "$tmp/r7"
tap_done

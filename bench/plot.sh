#!/usr/bin/env bash
# Roofline plot of an `mxjit bench --json` file: achieved GFLOP/s of every (shape, pass, engine) at its
# arithmetic intensity (flops / minimum bytes moved), under the roofs measured in the same run (AMX-BF16
# where present, bf16 dot and fp32 FMA peaks, memory read bandwidth). Needs gnuplot (gnuplot-nox) and the system python3.
#
#   bench/plot.sh [bench/results/bench.json] [bench/results/roofline.png]
set -euo pipefail
json=${1:-bench/results/bench.json}
png=${2:-${json%.json}}
[ "$png" = "${json%.json}" ] && png="$(dirname "$json")/roofline.png"
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot is missing (tools/install-deps.sh installs gnuplot-nox)" >&2; exit 1; }

/usr/bin/python3 - "$json" "$png" <<'PY' | gnuplot
import json, sys

records = json.load(open(sys.argv[1]))
png = sys.argv[2]
header = next(r for r in records if r.get("record") == "header")
results = [r for r in records if r.get("record") == "result" and r.get("gflops") and r.get("bytes")]
peaks = header["peaks"]
bw = peaks["read_gbps"]
fma = peaks["fp32_fma_gflops"]
bf16 = peaks.get("bf16_dot_gflops")
amx = peaks.get("amx_bf16_gflops")

shapes = []
for r in results:
    s = "x".join(str(v) for v in r["shape"])
    if s not in shapes:
        shapes.append(s)
engines = [e for e in ("mxjit", "mxjit_packed", "onednn_prepacked", "onednn_plain", "reference") if any(r["engine"] == e for r in results)]
colors = {"mxjit": "#d62728", "mxjit_packed": "#ff7f0e", "onednn_prepacked": "#1f77b4", "onednn_plain": "#17becf", "reference": "#7f7f7f"}
points = {"mxjit": 7, "mxjit_packed": 11, "onednn_prepacked": 5, "onednn_plain": 4, "reference": 9}

passes = [p for p in ("fwd", "dgrad", "wgrad", "step") if any(r["pass"] == p for r in results)]

out = []
for p in passes:
    for e in engines:
        out.append(f"$E_{p}_{e} << EOD")
        for r in results:
            if r["engine"] == e and r["pass"] == p:
                s = "x".join(str(v) for v in r["shape"])
                out.append(f'{r["flops"] / r["bytes"]:.6g} {r["gflops"]:.6g} "S{shapes.index(s) + 1}"')
        out.append("EOD")

ais = [r["flops"] / r["bytes"] for r in results]
xmin, xmax = min(ais + [1.0]) / 2, max(ais + [100.0]) * 2
top = max([fma, bf16 or 0, amx or 0] + [r["gflops"] for r in results]) * 2
bottom = min(r["gflops"] for r in results) / 2
cols = 1 if len(passes) == 1 else 2
rows = (len(passes) + cols - 1) // cols
side = 400  # pixels right of the panels for the key and the shape legend
width = 900 * cols + side
right = f"{(side - 10) / width:.3f}"  # the key and legend start here, as a fraction from the right edge

out += [
    f"set terminal pngcairo size {width},{650 * rows + 60} font ',11'",
    f"set output '{png}'",
    "set termoption noenhanced",
    f"set multiplot layout {rows},{cols} margins 0.06,{1 - side / width:.3f},0.08,0.90 spacing 0.07,0.1 "
    f"title \"mxjit bench roofline: {header['cpu']}, {header['threads']} threads, groups {header['groups']}; "
    f"points: achieved GFLOP/s at flops / minimum bytes (weights of active experts + A + out; fp8 weights for mxjit fwd)\"",
    "set logscale xy",
    "set xlabel 'arithmetic intensity (flop / byte)'",
    "set ylabel 'GFLOP/s'",
    f"set xrange [{xmin}:{xmax}]",
    f"set yrange [{bottom}:{top}]",
    "set grid xtics ytics mxtics mytics lc rgb '#dddddd'",
    "set samples 400",
    "min(a, b) = a < b ? a : b",
]
legend = "\\n".join(f"S{i + 1}: {s}" for i, s in enumerate(shapes)) + "\\n(M x K x N x G)"
for i, p in enumerate(passes):
    out.append(f"set title 'pass: {p}'")
    if i == 0:  # one key and one shape legend, right of the panels
        out.append(f"set key at screen 1 - {right}, screen 0.88 left top Left reverse box font ',10' spacing 1.2")
        out.append(f"set label 1 \"{legend}\" at screen 1 - {right}, screen 0.62 left front font ',10'")
    else:
        out.append("unset key")
        out.append("unset label 1")
    plots = []
    if amx:
        plots.append(f"min({amx}, {bw} * x) with lines lw 2 lc rgb '#ff7f0e' title 'roof: AMX-BF16 {amx:.0f} GFLOP/s'")
    if bf16:
        plots.append(f"min({bf16}, {bw} * x) with lines lw 2 lc rgb '#2ca02c' title 'roof: bf16 dot {bf16:.0f} GFLOP/s, read {bw:.0f} GB/s'")
    plots.append(f"min({fma}, {bw} * x) with lines lw 2 dt 2 lc rgb '#9467bd' title 'roof: fp32 FMA {fma:.0f} GFLOP/s'")
    for e in engines:
        if not any(r["engine"] == e and r["pass"] == p for r in results):
            continue  # e.g. mxjit_packed, forward only
        dy = -0.7 if e == "onednn_plain" else 0.6  # plain and prepacked share an intensity: keep labels apart
        plots.append(f"$E_{p}_{e} using 1:2 with points pt {points[e]} ps 1.6 lc rgb '{colors[e]}' title '{e}'")
        plots.append(f"$E_{p}_{e} using 1:2:3 with labels offset char 1.0,{dy} left font ',9' tc rgb '{colors[e]}' notitle")
    out.append("plot " + ", \\\n     ".join(plots))
out.append("unset multiplot")
print("\n".join(out))
PY
echo "plot.sh: wrote $png"

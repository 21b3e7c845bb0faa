#!/usr/bin/env bash
# Runs the benchmarks and writes each run's output into Benchmarks/RESULTS.md, headed by the date, the
# commit and `uptime` (the load average: the machine may be shared), in place of that run's earlier
# section. Every area runs with its defaults, plus the runs whose results source comments point to.
#   scripts/bench.sh            every run
#   scripts/bench.sh pack train only the runs of these areas
# HMIL_BENCH and BENCH_RESULTS override the executable and the results file (for testing this script).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${HMIL_BENCH:-}" ]]; then
  swift build -c release >&2   # the benchmarks also run the built hmil-pack and hmil-train
fi
bench=${HMIL_BENCH:-.build/release/hmil-bench}
results=${BENCH_RESULTS:-Benchmarks/RESULTS.md}
end_marker="<!-- end bench -->"

runs=()
# The areas: names at the start of --help's SUBCOMMANDS lines (wrapped descriptions are indented further).
for area in $("$bench" --help | awk '/^SUBCOMMANDS:/ {s = 1; next} s && !NF {exit} s && /^  [a-z]/ {print $1}'); do
  runs+=("$area")
done
runs+=("pack --table --bags 8" "train --thread-choice --choice-sizes 500,2000,4000,8000,16000")

# Replaces the section that starts with line $1 by the file $2, or appends $2 when there is none.
replace_section() {
  local tmp
  tmp=$(mktemp "$results.XXXXXX")
  if grep -qxF -- "$1" "$results"; then
    awk -v start="$1" -v end="$end_marker" -v file="$2" '
      $0 == start { while ((getline line < file) > 0) print line; skipping = 1; next }
      skipping { if ($0 == end) skipping = 0; next }
      { print }' "$results" > "$tmp"
  else
    { cat "$results"; echo; cat "$2"; } > "$tmp"
  fi
  mv "$tmp" "$results"
}

[[ -f "$results" ]] || printf '# Benchmark results\n\n## Runs\n' > "$results"
section=$(mktemp)
trap 'rm -f "$section"' EXIT
for run in "${runs[@]}"; do
  area=${run%% *}
  if [[ $# -gt 0 && " $* " != *" $area "* ]]; then continue; fi
  echo "== hmil-bench $run" >&2
  {
    echo "<!-- bench: $run -->"
    echo "### \`hmil-bench $run\`"
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores;"
    echo "\`uptime\` before the run: $(uptime | sed 's/^ *//')"
    echo '```'
  } > "$section"
  # shellcheck disable=SC2086  # a run is an area and its flags
  "$bench" $run | tee -a "$section"
  { echo '```'; echo "$end_marker"; } >> "$section"
  replace_section "<!-- bench: $run -->" "$section"
done

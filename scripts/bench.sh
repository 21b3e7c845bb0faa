#!/usr/bin/env bash
# Runs every benchmark in one session so each figure sits next to its reference.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=.build/release/hmil-bench
for area in $($bench --help | awk '/^SUBCOMMANDS:/{s=1;next} s && NF {print $1}'); do
  echo "== $area" 
  $bench "$area"
done

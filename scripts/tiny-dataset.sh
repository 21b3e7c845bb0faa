#!/usr/bin/env bash
# Builds issue 12's TINY shape with the pipeline tools, for profiling and timing hmil-train on small bags:
# SLIDES bags (default 140) of 2–40 instances × 166 features in CSV, 2 coarse / 4 fine classes (a few
# instances of each bag shifted by its class, so training learns something), split into 10 folds with a
# 20 % validation share (fold 0: ~100 training bags, ~25 validation), packed as f32.
#   scripts/tiny-dataset.sh WORK          → WORK/pack/dataset.json
#   .build/release/hmil-train WORK/pack/dataset.json --out WORK/run --fold 0 --model abmil --batch-size 1 \
#       --epochs 50 --lr 1e-4 --selection-metric last --quiet
# BIN (default .build/release) says where hmil-split and hmil-pack are; SEED varies the data.
set -euo pipefail
work=${1:?usage: scripts/tiny-dataset.sh WORK}
bin=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}
slides=${SLIDES:-140}
seed=${SEED:-1}
mkdir -p "$work/features"

cat > "$work/hierarchy.json" <<'EOF'
{"coarse": ["benign", "malignant"], "fine": ["a", "b", "c", "d"],
 "parent": {"a": "benign", "b": "benign", "c": "malignant", "d": "malignant"}}
EOF

awk -v slides="$slides" -v seed="$seed" -v dir="$work/features" -v labels="$work/labels.csv" '
function normal() { return sqrt(-2 * log(1 - rand())) * cos(6.283185307179586 * rand()) }
BEGIN {
  srand(seed); split("a b c d", fine, " "); dim = 166
  print "case_id,slide_id,label" > labels
  for (s = 0; s < slides; s++) {
    label = (s % 4) + 1; id = sprintf("tiny_%03d", s)
    printf "patient_%03d,%s,%s\n", s, id, fine[label] >> labels
    n = 2 + int(rand() * 39); file = dir "/" id ".csv"
    for (i = 0; i < n; i++) {
      witness = rand() < 0.3
      line = ""
      for (c = 0; c < dim; c++) {
        v = normal()
        if (witness && c % 4 == label - 1 && c < 40) v += 1.5
        line = line (c ? "," : "") sprintf("%.5f", v)
      }
      print line > file
    }
    close(file)
  }
}'

"$bin/hmil-split" "$work/labels.csv" --hierarchy "$work/hierarchy.json" --folds 10 --val-frac 0.2 --seed "$seed" \
  | "$bin/hmil-pack" --features "$work/features" --out "$work/pack" --quiet > /dev/null
echo "$work/pack/dataset.json"

#!/usr/bin/env bash
# BRACS as in the HMIL paper: CLAM's ResNet-50 patch features (1024-d), the official HMIL splits
# (10 folds of 437/54/54 slides), the 3-coarse/7-fine hierarchy; hmil, reference and the ABMIL baseline.
#
# With CLAM features extracted for BRACS (a folder holding pt_files/ or h5_files/ named by slide id,
# e.g. BRACS_745.pt), change this one path and run pipelines/bracs.sh:
BRACS_FEATURES=${BRACS_FEATURES:-/data/BRACS/clam_resnet50}
#
# Anything after the script's name goes to make, e.g. `pipelines/bracs.sh -n` (show the plan),
# `pipelines/bracs.sh EPOCHS=50 RUNS=hmil`. Results: $WORK/runs/<run>/results.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${WORK:-$here/../bracs-work}

# The official splits (train/val/test_splits_<k>.pkl, lists of [slide_id, label, path]) from the HMIL
# release, fetched once; the paths inside them are ignored, slides are found by id in BRACS_FEATURES.
splits=${HMIL_SPLITS:-$work/hmil-splits}
release=https://raw.githubusercontent.com/ChengJin-git/HMIL/af6f85ae38303fa0afb14ea479c47355fb3eebbe/src/datasets/BRACS
if [ ! -f "$splits/test_splits_9.pkl" ]; then
  mkdir -p "$splits"
  for part in train val test; do
    for k in 0 1 2 3 4 5 6 7 8 9; do
      file=${part}_splits_$k.pkl
      if [ ! -f "$splits/$file" ]; then
        curl -fsSL "$release/$file" -o "$splits/$file.tmp"
        mv "$splits/$file.tmp" "$splits/$file"
      fi
    done
  done
fi
dry_run=0
for arg in "$@"; do [ "$arg" = -n ] && dry_run=1; done
if [ ! -d "$BRACS_FEATURES" ] && [ $dry_run = 0 ]; then
  echo "bracs.sh: error: no feature folder at $BRACS_FEATURES — set BRACS_FEATURES (the line near the top of $0) to your CLAM ResNet-50 features" >&2
  exit 1
fi

exec make -f "$here/Makefile" -j2 WORK="$work" FEATURES="$BRACS_FEATURES" HIERARCHY="$here/bracs/hierarchy.json" \
  SPLITS_FROM_HMIL="$splits" FOLDS=10 RUNS="hmil reference abmil" "$@"

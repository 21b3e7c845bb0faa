#!/usr/bin/env bash
# Swapping a stage. The documents between the tools are plain JSON (DESIGN §2), so any program that reads
# and writes them can replace a step or sit between two. Here jq edits the split plan before packing:
#
#   pipelines/swap-a-stage.sh                      drop the `normal` class (a task of 2 coarse, 6 fine classes)
#   pipelines/swap-a-stage.sh drop sandal          drop another fine class
#   pipelines/swap-a-stage.sh merge shirt tshirt   relabel: shirts become T-shirts (6 fine classes)
#
# on the demo data (built into demo-work/ when missing). The plans before and after the edit are kept in
# WORK (default demo-work/swap) to compare; results in WORK/results. Labels live in the JSON, not in the
# pack, so editing them never needs new features. FOLDS, SEED, EPOCHS and HMIL_BIN may be set; training
# uses the demo's settings (pipelines/Makefile, DEMO=1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PATH="${HMIL_BIN:-$root/.build/release}:$PATH"
demo_work=${DEMO_WORK:-$root/demo-work}
work=${WORK:-$demo_work/swap}
data=$demo_work/data

case "${1:-drop}" in
  drop)  edit=(--arg class "${2:-normal}" -f "$here/filters/drop-class.jq") ;;
  merge) edit=(--arg from "${2:-shirt}" --arg into "${3:-tshirt}" -f "$here/filters/merge-classes.jq") ;;
  *) echo "usage: $0 [drop CLASS | merge FROM INTO]" >&2; exit 2 ;;
esac
command -v jq > /dev/null || { echo "swap-a-stage.sh: error: jq is missing — apt-get install jq (scripts/setup.sh installs it)" >&2; exit 1; }

make -C "$here" --no-print-directory demo-data DEMO_WORK="$demo_work"
mkdir -p "$work"

hmil-split "$data/labels.csv" --hierarchy "$data/hierarchy.json" --folds "${FOLDS:-5}" --seed "${SEED:-1}" \
  | tee "$work/split.json" \
  | jq "${edit[@]}" \
  | tee "$work/split-edited.json" \
  | hmil-pack --features "$data/h5_files" --out "$work/pack" \
  | hmil-train --out "$work/train" --fold all --epochs "${EPOCHS:-20}" --batch-size 16 --lr 1e-3 \
  | hmil-eval --out "$work/results" > "$work/eval.json"

jq -r '"swap-a-stage: hierarchy \(.hierarchy.fine | join(" ")), \(.slides | length) slides"' "$work/split.json" "$work/split-edited.json" >&2
echo "swap-a-stage: results in $work/results" >&2

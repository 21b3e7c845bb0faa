#!/usr/bin/env bash
# The whole cross-validation as one shell pipeline: each tool reads the JSON document of the step before
# on stdin and writes the whole document on; progress goes to stderr. (pipelines/Makefile runs the same
# steps as file targets, with folds in parallel and reuse of finished steps.)
#
#   pipelines/run.sh LABELS.csv HIERARCHY.json FEATURES/ WORK/ [more hmil-train flags, e.g. --epochs 50]
#
# Writes WORK/pack (bags), WORK/train (checkpoints), WORK/results (predictions, metrics, plots) and
# prints the final document (hmil.eval/1) on stdout. FOLDS, SEED and HMIL_BIN may be set in the environment.
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 LABELS.csv HIERARCHY.json FEATURES/ WORK/ [hmil-train flags...]" >&2
  exit 2
fi
labels=$1 hierarchy=$2 features=$3 work=$4
shift 4
PATH="${HMIL_BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}:$PATH"

hmil-split "$labels" --hierarchy "$hierarchy" --folds "${FOLDS:-5}" --seed "${SEED:-1}" | hmil-pack --features "$features" --out "$work/pack" | hmil-train --out "$work/train" --fold all "$@" | hmil-eval --out "$work/results"

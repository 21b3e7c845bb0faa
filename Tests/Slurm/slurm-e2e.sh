#!/usr/bin/env bash
# The Slurm end-to-end test: the small demo as a study of two seeds, submitted through
# pipelines/slurm/submit.sh to the one-node cluster of scripts/local-slurm.sh, against the same study
# run by a local make.
#
#  1. brings the cluster up (unless one is up already; only a cluster it started is stopped at the end);
#  2. runs the study locally with make (seed_1, seed_2) while submitting it to Slurm;
#  3. cancels (scancel) one training element of the array in the middle of its fold, once it has finished
#     an epoch; the queue empties (its evaluation and the report are removed as never satisfiable);
#  4. submits again: only that fold, its evaluation and the report are submitted, and the fold resumes
#     from its last finished epoch;
#  5. checks that every eval.json, every table and the demo reports equal the local run's (the work folder's
#     path aside) and that every checkpoint and optimizer state is byte-identical (one thread each);
#  6. submits a third time: nothing to do; and runs one make step through LAUNCH='srun …'.
# Every wait is bounded; a failure says what failed and shows the end of the logs. Root is needed for the
# cluster's daemons. Run by `make test` (Tests/EndToEndTests/SlurmTests.swift) or directly.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
epochs=6
settings=(DEMO=1 DEMO_BAGS_PER_CLASS=20 FOLDS=2 EPOCHS=$epochs BATCH_SIZE=8 "RUNS=hmil abmil" THREADS=1 JOBS=1)
# BIN: the tools' folder (the test passes its build's); pipelines/Makefile's default otherwise.
[ -n "${BIN:-}" ] && settings+=("BIN=$BIN")
seeds=(1 2)
resources=(PREP_CPUS=1 TRAIN_CPUS=1 EVAL_CPUS=1 REPORT_CPUS=1 PREP_MEM=1G TRAIN_MEM=1G EVAL_MEM=1G REPORT_MEM=1G
           PREP_TIME=0:20:00 TRAIN_TIME=0:20:00 EVAL_TIME=0:20:00 REPORT_TIME=0:20:00)
wait_limit=${HMIL_SLURM_TEST_WAIT:-900}    # seconds for each wait on the queue

scratch=$(mktemp -d "${TMPDIR:-/tmp}/hmil-slurm-e2e.XXXXXX")
local_work=$scratch/local
slurm_work=$scratch/cluster
started_cluster=0
local_pid=""

say() { printf 'slurm-e2e: %s\n' "$*" >&2; }
fail() {
  say "FAIL: $*"
  for log in "$scratch"/*.log "$slurm_work"/slurm/logs/*.log; do
    [ -f "$log" ] || continue
    printf '\n---- %s (end) ----\n' "$log" >&2
    tail -n 15 "$log" >&2
  done
  exit 1
}
cleanup() {
  local status=$?
  [ -n "$local_pid" ] && kill "$local_pid" 2> /dev/null
  if [ -n "${SLURM_CONF:-}" ]; then
    study_jobs=$(squeue -h -o '%i|%k' 2> /dev/null | awk -F'|' -v id="hmil:$slurm_work" '$2 == id { print $1 }')
    [ -z "$study_jobs" ] || scancel $study_jobs 2> /dev/null || true
  fi
  [ $started_cluster = 1 ] && "$root/scripts/local-slurm.sh" stop
  if [ $status = 0 ] || [ -z "${HMIL_SLURM_TEST_KEEP:-}" ]; then rm -rf "$scratch"; else say "kept $scratch"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Ids of this study's jobs still in the queue.
study_queue() { squeue -h -o '%i|%k' | awk -F'|' -v id="hmil:$slurm_work" '$2 == id { print $1 }'; }

# Waits until the study's jobs have left the queue.
wait_queue() {
  local deadline=$((SECONDS + wait_limit))
  while [ -n "$(study_queue)" ]; do
    [ $SECONDS -lt $deadline ] || fail "jobs still queued after $wait_limit s: $(squeue -h -o '%i %j %T %R' | tr '\n' ';')"
    sleep 1
  done
}

submit() {    # submit LOG_NAME: runs submit.sh on the study, its messages into LOG_NAME
  "$root/pipelines/slurm/submit.sh" "${settings[@]}" DEMO_WORK="$slurm_work" SEEDS="${seeds[*]}" "${resources[@]}" \
    2> "$scratch/$1" || fail "submit.sh failed: $(cat "$scratch/$1")"
  cat "$scratch/$1" >&2
}

# ---- 1. The cluster ---------------------------------------------------------------------------------------
eval "$("$root/scripts/local-slurm.sh" env)"
export SLURM_CONF
if ! "$root/scripts/local-slurm.sh" status 2> /dev/null; then
  started_cluster=1
  "$root/scripts/local-slurm.sh" start || fail "the local cluster did not start"
fi
test_started=$SECONDS

# ---- 2. The local reference, and the first submission -------------------------------------------------------
(
  for s in "${seeds[@]}"; do
    make --no-print-directory -f "$root/pipelines/Makefile" -j2 "${settings[@]}" DEMO_WORK="$local_work" \
      WORK="$local_work/seed_$s" SEED="$s" demo-report || exit 1
  done
) > "$scratch/local.log" 2>&1 &
local_pid=$!

submit submit-1.log
array=$(awk '$2 == "train:" { print $1 }' "$scratch/submit-1.log")
[ -n "$array" ] || fail "submit.sh printed no training array"
grep -q "train: 8 of 8 folds" "$scratch/submit-1.log" || fail "the first submission should train all 8 folds"

# ---- 3. Cancel one element in the middle of its fold ----------------------------------------------------------
victim=""
deadline=$((SECONDS + wait_limit))
while [ -z "$victim" ]; do
  [ $SECONDS -lt $deadline ] || fail "no training fold was seen between epochs within $wait_limit s"
  [ -n "$(study_queue)" ] || fail "the study ended before a fold could be caught between epochs (epochs too fast?)"
  for state in "$slurm_work"/seed_*/runs/*/fold_*/state.json; do
    [ -f "$state" ] || continue
    done_epochs=$(jq -r '.completed_epochs' "$state" 2> /dev/null || echo 0)
    # At least one epoch done and two or more to go, so that the cancel lands before the fold ends.
    if [ "$done_epochs" -ge 1 ] && [ "$done_epochs" -le $((epochs - 3)) ]; then
      fold_dir=$(dirname "$state"); run_dir=$(dirname "$fold_dir"); seed_dir=$(dirname "$(dirname "$run_dir")")
      seed=${seed_dir##*seed_}; run=${run_dir##*/}; fold=${fold_dir##*fold_}
      index=$(awk -F'\t' -v s="$seed" -v r="$run" -v k="$fold" '$2 == s && $3 == r && $4 == k { print $1 }' "$slurm_work/slurm/tasks.txt")
      victim="${array}_$index"
      scancel "$victim"
      say "cancelled $victim (seed $seed, $run fold $fold) after $done_epochs of $epochs epochs"
      break
    fi
  done
  [ -n "$victim" ] || sleep 0.1
done
victim_fold=$slurm_work/seed_$seed/runs/$run/fold_$fold
wait_queue
[ ! -e "$victim_fold.json" ] || fail "the cancelled fold finished anyway ($victim_fold.json exists): the cancel came too late"
[ ! -e "$victim_fold/.hmil-lock" ] || fail "the cancelled fold left its lock: $(cat "$victim_fold/.hmil-lock")"
[ ! -e "$slurm_work/seed_$seed/runs/$run/eval.json" ] || fail "the evaluation of the cancelled run ran"

# ---- 4. Submit again: only what is left ----------------------------------------------------------------------
submit submit-2.log
grep -q "train: 1 of 8 folds" "$scratch/submit-2.log" || fail "the second submission should train only the cancelled fold"
grep -q "eval s$seed-$run" "$scratch/submit-2.log" || fail "the second submission should evaluate $run of seed $seed"
[ "$(grep -c ' eval ' "$scratch/submit-2.log")" = 1 ] || fail "the second submission should evaluate one run"
grep -q "split + pack" "$scratch/submit-2.log" && fail "the second submission should not split and pack again"
array2=$(awk '$2 == "train:" { print $1 }' "$scratch/submit-2.log")
wait_queue
resumed_log=$(ls "$slurm_work/slurm/logs/train_${array2}_"*.log)
grep -q "fold $fold: resuming at epoch [1-9]" "$resumed_log" || fail "the resubmitted fold did not resume: $(cat "$resumed_log")"
for s in "${seeds[@]}"; do
  [ -f "$slurm_work/seed_$s/report/results.txt" ] || fail "no report for seed $s after the second submission"
done

# A result file with its work folder's path blanked; documents without `cpu_seconds`, the one field of a
# models record that is measured, not computed (DESIGN §8), so it differs between any two runs.
comparable() {
  if [[ $2 == *.json ]]; then jq -S 'del(.. | .cpu_seconds?)' "$2"; else cat "$2"; fi | sed "s|$1|WORK|g"
}

# ---- 5. The same results as the local run -------------------------------------------------------------------
wait "$local_pid" || { local_pid=""; fail "the local make run failed"; }
local_pid=""
compared=0
for s in "${seeds[@]}"; do
  for file in report/results.txt runs/hmil/eval.json runs/abmil/eval.json runs/hmil/table.txt runs/abmil/table.txt; do
    cmp -s <(comparable "$local_work" "$local_work/seed_$s/$file") <(comparable "$slurm_work" "$slurm_work/seed_$s/$file") \
      || fail "seed $s: $file differs from the local run's: $(diff <(comparable "$local_work" "$local_work/seed_$s/$file") <(comparable "$slurm_work" "$slurm_work/seed_$s/$file") | head -5 | tr '\n' ' ')"
    compared=$((compared + 1))
  done
  for checkpoint in "$local_work/seed_$s"/runs/*/fold_*/*.safetensors; do
    other=$slurm_work/seed_$s/${checkpoint#"$local_work/seed_$s/"}
    cmp -s "$checkpoint" "$other" || fail "seed $s: ${checkpoint#"$local_work/"} differs between the local and the Slurm run"
    compared=$((compared + 1))
  done
done
[ $compared = 34 ] || fail "$compared files compared, not 34 (2 seeds × (5 documents + 4 folds × 3 checkpoints))"
say "the Slurm study equals the local run ($compared files: eval.json, tables, reports, checkpoints)"

# ---- 6. Nothing left to do; a step through LAUNCH ------------------------------------------------------------
submit submit-3.log
grep -q "nothing to submit" "$scratch/submit-3.log" || fail "the third submission should have nothing to do"

rm "$local_work/seed_1/runs/abmil/eval.json"
make --no-print-directory -f "$root/pipelines/Makefile" "${settings[@]}" DEMO_WORK="$local_work" WORK="$local_work/seed_1" SEED=1 \
  LAUNCH="srun -N1 -n1 -c1 --mem=1G -t 10 -J hmil-launch-test" "$local_work/seed_1/runs/abmil/eval.json" > "$scratch/launch.log" 2>&1 \
  || fail "make with LAUNCH=srun failed"
cmp -s <(comparable "$local_work" "$local_work/seed_1/runs/abmil/eval.json") <(comparable "$slurm_work" "$slurm_work/seed_1/runs/abmil/eval.json") \
  || fail "the evaluation made through LAUNCH differs"
config=$(scontrol show config)
jobcomp=$(awk '$1 == "JobCompLoc" { print $3 }' <<< "$config")
grep -q "Name=hmil-launch-test" "$jobcomp" || fail "no srun job hmil-launch-test in the job completion log $jobcomp"

if grep -q 'AccountingStorageType *= *accounting_storage/slurmdbd' <<< "$config"; then
  ids=$(awk '$1 == "follow:" { print $4 }' "$scratch"/submit-[12].log | paste -sd,)
  say "sacct of the study's jobs:"
  sacct -X -j "$ids" --format=JobID%-14,JobName%-20,State,Elapsed,ExitCode >&2 || true
fi
say "passed in $((SECONDS - test_started)) s (cluster start not counted)"

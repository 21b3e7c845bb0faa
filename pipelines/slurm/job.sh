#!/usr/bin/env bash
# One step of a submission of pipelines/slurm/submit.sh, as Slurm runs it:
#   job.sh PLAN prep | train | eval SEED_INDEX RUN | report
# PLAN (WORK/slurm/plan.sh, written by submit.sh) holds make's variables, the seeds and their work folders,
# the runs and the number of folds. Every step is `make -f pipelines/Makefile <targets>` with those
# variables, so what is done is skipped and an interrupted fold resumes (`hmil-train --resume`).
set -euo pipefail
plan=$1 step=$2
shift 2
# shellcheck source=/dev/null
source "$plan"    # root makefile make_vars seeds works runs folds study demo base STUDY_REPORT

say() { printf 'hmil-slurm: %s\n' "$*" >&2; }

# Runs make for seed index $1 on the targets that follow.
run_make() {
  local i=$1
  shift
  local vars=("${make_vars[@]}")
  [ "$study" = 1 ] && vars+=("WORK=${works[$i]}" "SEED=${seeds[$i]}")
  say "make $(printf '%q ' "${vars[@]}" "$@")"
  make --no-print-directory -f "$makefile" "${vars[@]}" "$@"
}

say "job ${SLURM_JOB_ID:-?}${SLURM_ARRAY_TASK_ID:+ (array index $SLURM_ARRAY_TASK_ID)} on $(hostname), ${SLURM_CPUS_PER_TASK:-?} CPUs: $step"
case "$step" in
  prep)
    # Split and pack each seed's work folder, and write every run's options files now, so that the
    # array's elements, which run at once, find them and only read them.
    for i in "${!seeds[@]}"; do
      targets=("${works[$i]}/dataset.json")
      for r in "${runs[@]}"; do targets+=("${works[$i]}/runs/$r/train.options" "${works[$i]}/runs/$r/eval.options"); done
      run_make "$i" "${targets[@]}"
    done ;;
  train)
    t=${SLURM_ARRAY_TASK_ID:?train runs as an array element}
    n_runs=${#runs[@]}
    i=$((t / (n_runs * folds)))
    run=${runs[$(((t / folds) % n_runs))]}
    fold=$((t % folds))
    say "seed ${seeds[$i]}, run $run, fold $fold"
    run_make "$i" "${works[$i]}/runs/$run/fold_$fold.json" ;;
  eval)
    run_make "$1" "${works[$1]}/runs/$2/eval.json" ;;
  report)
    for i in "${!seeds[@]}"; do
      if [ "$demo" = 1 ]; then run_make "$i" demo-report; else run_make "$i" results; fi
    done
    # The study's summary over seeds: STUDY_REPORT, a command run in the submission's folder.
    if [ "$study" = 1 ] && [ -n "$STUDY_REPORT" ]; then
      export STUDY_WORK=$base
      say "study summary: $STUDY_REPORT"
      bash -c "$STUDY_REPORT"
    fi ;;
  *)
    say "error: unknown step '$step'"
    exit 2 ;;
esac
say "done: $step"

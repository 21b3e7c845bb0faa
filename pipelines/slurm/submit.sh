#!/usr/bin/env bash
# Submits hmil's cross-validation (pipelines/Makefile) to Slurm as jobs with dependencies, and returns at once.
#
#   pipelines/slurm/submit.sh [VAR=value ...]
#   pipelines/slurm/submit.sh LABELS=labels.csv HIERARCHY=h.json FEATURES=feats/ WORK=work RUNS="hmil abmil" FOLDS=10
#   pipelines/slurm/submit.sh DEMO=1 SEEDS="1 2 3" PARTITION=cpu TRAIN_TIME=2:00:00
#
# The jobs (each runs `make -f pipelines/Makefile <one target>` with the same variables, in the folder
# this script was started in, so make's file targets decide what is done and what is left):
#   hmil-prep       split + pack (and the demo's data with DEMO=1), once per seed
#   hmil-train      one job array: an element per seed × run × fold, after hmil-prep; `hmil-train --resume`
#                   continues a fold interrupted half-way from its last finished epoch
#   hmil-eval-…     one job per seed × run, after that run's elements (afterok)
#   hmil-report     after the evaluations: the demo's report (DEMO=1) or each run's results table; then, in
#                   a study, the command STUDY_REPORT (a hook for the study's summary), run in this folder
#                   with STUDY_WORK exported
# A job whose dependency failed or was cancelled is removed by Slurm (--kill-on-invalid-dep), so after a
# failure the queue empties; submitting again then submits only what is not done (a make dry run with the
# tools replaced by a recorder tells which steps would run) and refuses while jobs of the same work folder
# are still queued or running.
#
# Arguments are VAR=value, as make takes them (the environment works too):
#   make's variables    any of pipelines/Makefile's (LABELS HIERARCHY FEATURES WORK FOLDS RUNS EPOCHS …,
#                       DEMO=1 for the demo); passed to every make call. THREADS defaults to TRAIN_CPUS and
#                       JOBS to PREP_CPUS (one value for every step: the steps' options files include them)
#   SEEDS="1 2 3"       a study: the whole pipeline once per seed, in $(STUDY_WORK)/seed_<s>/ with SEED=<s>;
#                       STUDY_WORK defaults to make's WORK
#   PARTITION ACCOUNT   for every job; per step also PREP_…, TRAIN_…, EVAL_…, REPORT_… (e.g. TRAIN_PARTITION)
#   <STEP>_CPUS <STEP>_MEM <STEP>_TIME   per step, defaults below
#   MAX_RUNNING         array elements running at once (default: no limit)
#   SBATCH_FLAGS        any other sbatch options for every job, e.g. '--qos=long --constraint=avx2'
#   DRY_RUN=1           print what would be submitted, submit nothing
#
# Files, in WORK (or STUDY_WORK)/slurm/: logs/<step>_<job id>.log (array elements: train_<array id>_<index>.log),
# plan.sh (what the jobs read: make's variables, seeds, runs, folds), tasks.txt (array index → seed, run, fold),
# submissions.txt (every submission's job ids).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
makefile=$root/pipelines/Makefile
say() { printf 'hmil-slurm: %s\n' "$*" >&2; }
die() { printf 'hmil-slurm: error: %s\n' "$*" >&2; exit 1; }

# ---- Arguments: the scheduler's variables here, everything else goes to make -------------------------
own_names=" SEEDS STUDY_WORK STUDY_REPORT PARTITION ACCOUNT MAX_RUNNING SBATCH_FLAGS DRY_RUN "
for step in PREP TRAIN EVAL REPORT; do
  for field in PARTITION ACCOUNT CPUS MEM TIME; do own_names+="${step}_$field "; done
done
make_vars=()
for argument in "$@"; do
  case "$argument" in
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *=*) ;;
    *) die "'$argument' is not VAR=value — see --help" ;;
  esac
  name=${argument%%=*}
  if [[ "$own_names" == *" $name "* ]]; then
    printf -v "$name" '%s' "${argument#*=}"
  else
    make_vars+=("$argument")
  fi
done
has_make_var() { local v; for v in "${make_vars[@]}"; do [[ "$v" == "$1="* ]] && return 0; done; return 1; }

# Defaults per step. Training holds the model, one bag's activations (~11 KB per instance) and a read-ahead:
# a few GB even for bags of 100 000 patches; packing reads and compresses on every CPU it gets.
PREP_CPUS=${PREP_CPUS:-8};     PREP_MEM=${PREP_MEM:-8G};     PREP_TIME=${PREP_TIME:-4:00:00}
TRAIN_CPUS=${TRAIN_CPUS:-4};   TRAIN_MEM=${TRAIN_MEM:-8G};   TRAIN_TIME=${TRAIN_TIME:-1-00:00:00}
EVAL_CPUS=${EVAL_CPUS:-4};     EVAL_MEM=${EVAL_MEM:-8G};     EVAL_TIME=${EVAL_TIME:-2:00:00}
REPORT_CPUS=${REPORT_CPUS:-1}; REPORT_MEM=${REPORT_MEM:-4G}; REPORT_TIME=${REPORT_TIME:-1:00:00}
SEEDS=${SEEDS:-}; STUDY_WORK=${STUDY_WORK:-}; STUDY_REPORT=${STUDY_REPORT:-}
PARTITION=${PARTITION:-}; ACCOUNT=${ACCOUNT:-}; MAX_RUNNING=${MAX_RUNNING:-}; SBATCH_FLAGS=${SBATCH_FLAGS:-}
DRY_RUN=${DRY_RUN:-0}
has_make_var THREADS || make_vars+=("THREADS=$TRAIN_CPUS")
has_make_var JOBS || make_vars+=("JOBS=$PREP_CPUS")
# Inside a job, the steps run where the job runs.
make_vars+=("LAUNCH=")

command -v sbatch > /dev/null || die "sbatch not found — run this on a Slurm login node (scripts/local-slurm.sh start makes a one-node cluster here)"

# ---- What make would do --------------------------------------------------------------------------------
# make's own values of the variables this script needs, for the given arguments (and one seed's WORK/SEED).
make_query() {
  make -s --no-print-directory -f "$makefile" "${make_vars[@]}" "$@" \
    --eval 'hmil-slurm-query: ; @printf "%s\n" "$(WORK)" "$(RUNS)" "$(FOLDS)" "$(SEED)" "$(DEMO)" "$(SPLIT) $(PACK) $(TRAIN) $(EVAL)" "$(DEMO_DATA_TOOL) $(REPORT)"' \
    hmil-slurm-query
}
mapfile -t answer < <(make_query) || true
[ ${#answer[@]} -eq 7 ] || die "cannot read pipelines/Makefile's variables (make said: ${answer[*]:-nothing})"
work=${answer[0]}; read -r -a runs <<< "${answer[1]}"; folds=${answer[2]}; seed=${answer[3]}; demo=${answer[4]}
read -r -a tools <<< "${answer[5]}"
[ "$demo" = 1 ] && read -r -a more <<< "${answer[6]}" && tools+=("${more[@]}")
[ ${#runs[@]} -gt 0 ] || die "RUNS is empty"
[[ "$folds" =~ ^[1-9][0-9]*$ ]] || die "FOLDS must be a positive number, not '$folds'"

if [ -n "$SEEDS" ]; then
  read -r -a seeds <<< "$SEEDS"
  base=${STUDY_WORK:-$work}
  works=(); for s in "${seeds[@]}"; do works+=("$base/seed_$s"); done
  study=1
else
  seeds=("$seed"); works=("$work"); base=$work; study=0
fi
base_abs=$(realpath -m "$base")
slurm_dir=$base/slurm
identity="hmil:$base_abs"
n_runs=${#runs[@]}; n_seeds=${#seeds[@]}; n_tasks=$((n_seeds * n_runs * folds))

# The make arguments of seed i: in a study, its own WORK and SEED.
seed_vars() { if [ $study = 1 ]; then echo "WORK=${works[$1]}" "SEED=${seeds[$1]}"; fi; }

# Jobs of this work folder still queued or running: submitting now would let two runs write one folder.
active=$(squeue -h -u "$(id -un)" -o '%i|%k' 2> /dev/null | awk -F'|' -v id="$identity" '$2 == id { print $1 }' | tr '\n' ' ')
active=${active% }
[ -z "$active" ] || die "jobs of $base_abs are still queued or running ($active) — wait for them (squeue -j ${active// /,}) or cancel them (scancel ${active}), then submit again"

# The tools are built here, once, rather than by every job at once.
make -s --no-print-directory -f "$makefile" "${make_vars[@]}" "${tools[@]}" >&2

# A dry run of make with every tool replaced by a recorder that notes its arguments and fails: the steps it
# records are the ones left to do (a failed step's dependents are not tried, so an unfinished split or pack
# stands for everything after it). Options files are brought up to date as make always does.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/hmil-slurm.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cat > "$scratch/recorder" << 'EOF'
#!/bin/sh
{ printf '%s' "${0##*/}"; for a in "$@"; do printf '\t%s' "$a"; done; printf '\n'; } >> "$HMIL_SLURM_RECORD"
exit 97
EOF
chmod +x "$scratch/recorder"
for tool in hmil-split hmil-pack hmil-train hmil-eval hmil-demo-data hmil-demo-report; do ln -s recorder "$scratch/$tool"; done
# The options files are compared, not written: a changed one is recorded and fails like a tool.
recorded_vars=(SPLIT="$scratch/hmil-split" PACK="$scratch/hmil-pack" TRAIN="$scratch/hmil-train" EVAL="$scratch/hmil-eval"
               DEMO_DATA_TOOL="$scratch/hmil-demo-data" REPORT="$scratch/hmil-demo-report"
               'remember=@printf "%s\n" '"'"'$(1)'"'"' | cmp -s - $@ || { printf "options\t%s\n" $@ >> "$$HMIL_SLURM_RECORD"; exit 97; }')

declare -A fold_pending=() eval_pending=()
prep_pending=0; report_pending=0
for i in "${!seeds[@]}"; do
  w=${works[$i]}
  if [ "$demo" = 1 ]; then targets=("$w/report/results.txt"); else targets=(); for r in "${runs[@]}"; do targets+=("$w/runs/$r/eval.json"); done; fi
  record=$scratch/record_$i
  : > "$record"
  # shellcheck disable=SC2046
  HMIL_SLURM_RECORD=$record make -k --no-print-directory -f "$makefile" "${make_vars[@]}" $(seed_vars "$i") "${recorded_vars[@]}" \
    "${targets[@]}" > /dev/null 2> "$scratch/make_$i.log" || true
  if grep '\*\*\*' "$scratch/make_$i.log" | grep -qv 'Error 97'; then
    die "make cannot plan seed ${seeds[$i]}'s pipeline: $(grep '\*\*\*\|error:' "$scratch/make_$i.log" | grep -v 'Error 97' | head -3 | tr '\n' ' ')"
  fi
  seed_prep=0
  while IFS=$'\t' read -r -a call; do
    case "${call[0]}" in
      hmil-split | hmil-pack | hmil-demo-data) seed_prep=1 ;;
      options)    # a changed options file: what it is for is to be redone (the prep job writes it)
        prep_pending=1
        case "${call[1]}" in
          */runs/*/train.options) r=${call[1]%/train.options}; for ((k = 0; k < folds; k++)); do fold_pending[$i/${r##*/}/$k]=1; done ;;
          */runs/*/eval.options) r=${call[1]%/eval.options}; eval_pending[$i/${r##*/}]=1 ;;
          *) seed_prep=1 ;;
        esac ;;
      hmil-demo-report) report_pending=1 ;;
      hmil-train | hmil-eval)
        for j in "${!call[@]}"; do
          [ "${call[$j]}" = --out ] && out=${call[$((j + 1))]}
          [ "${call[$j]}" = --fold ] && fold=${call[$((j + 1))]}
        done
        if [ "${call[0]}" = hmil-train ]; then fold_pending[$i/${out##*/}/$fold]=1
        else run=${out%/results}; eval_pending[$i/${run##*/}]=1; fi ;;
    esac
  done < "$record"
  [ $seed_prep = 1 ] && prep_pending=1
  for r in "${runs[@]}"; do
    for ((k = 0; k < folds; k++)); do
      [ $seed_prep = 1 ] && fold_pending[$i/$r/$k]=1
      [ -n "${fold_pending[$i/$r/$k]:-}" ] && eval_pending[$i/$r]=1
    done
    [ -n "${eval_pending[$i/$r]:-}" ] && report_pending=1
  done
done
if [ "$demo" != 1 ] && [ ${#eval_pending[@]} -eq 0 ]; then report_pending=0; fi

if [ $prep_pending = 0 ] && [ ${#fold_pending[@]} -eq 0 ] && [ ${#eval_pending[@]} -eq 0 ] && [ $report_pending = 0 ]; then
  say "nothing to submit: everything in $base is up to date"
  for w in "${works[@]}"; do
    if [ "$demo" = 1 ]; then say "results: $w/report/results.txt"; else say "results: $w/runs/<run>/table.txt"; fi
  done
  exit 0
fi

# ---- The plan the jobs read, and the task table ---------------------------------------------------------
if [ "$DRY_RUN" != 1 ]; then
  mkdir -p "$slurm_dir/logs"
  {
    echo "# Written by pipelines/slurm/submit.sh; read by pipelines/slurm/job.sh."
    declare -p root makefile make_vars seeds works runs folds study demo base STUDY_REPORT
  } > "$slurm_dir/plan.sh.tmp"
  mv -f "$slurm_dir/plan.sh.tmp" "$slurm_dir/plan.sh"
  {
    printf 'index\tseed\trun\tfold\twork\n'
    for ((t = 0; t < n_tasks; t++)); do
      i=$((t / (n_runs * folds))); r=${runs[$(((t / folds) % n_runs))]}
      printf '%d\t%s\t%s\t%d\t%s\n' "$t" "${seeds[$i]}" "$r" $((t % folds)) "${works[$i]}"
    done
  } > "$slurm_dir/tasks.txt"
fi

# ---- Submitting ----------------------------------------------------------------------------------------
step_flags() {    # the sbatch options of a step: PREP TRAIN EVAL REPORT
  local step=$1 p a c m t
  p=${step}_PARTITION; a=${step}_ACCOUNT; c=${step}_CPUS; m=${step}_MEM; t=${step}_TIME
  p=${!p:-$PARTITION}; a=${!a:-$ACCOUNT}
  flags=(--parsable --chdir="$PWD" --comment="$identity" --kill-on-invalid-dep=yes
         --cpus-per-task="${!c}" --mem="${!m}" --time="${!t}" --ntasks=1 --nodes=1)
  [ -n "$p" ] && flags+=(--partition="$p")
  [ -n "$a" ] && flags+=(--account="$a")
  # shellcheck disable=SC2206
  [ -n "$SBATCH_FLAGS" ] && flags+=($SBATCH_FLAGS)
  return 0
}
submitted=()
submit() {    # submit NAME LOG STEP DEPENDENCY sbatch-options… -- job arguments…; sets job_id
  local name=$1 log=$2 step=$3 dependency=$4 extra=()
  shift 4
  while [ "$1" != -- ]; do extra+=("$1"); shift; done
  shift
  step_flags "$step"
  [ -n "$dependency" ] && flags+=(--dependency="afterok:$dependency")
  if [ "$DRY_RUN" = 1 ]; then
    job_id="<$name>"
    printf 'sbatch %s\n' "$(printf '%q ' "${flags[@]}" "${extra[@]}" --job-name="$name" --output="$slurm_dir/logs/$log" \
      "$root/pipelines/slurm/job.sh" "$slurm_dir/plan.sh" "$@")"
  else
    job_id=$(sbatch "${flags[@]}" "${extra[@]}" --job-name="$name" --output="$slurm_dir/logs/$log" \
      "$root/pipelines/slurm/job.sh" "$slurm_dir/plan.sh" "$@") || die "sbatch refused the $name job"
    job_id=${job_id%%;*}
  fi
  submitted+=("$job_id")
}

# Ascending numbers as Slurm's array ranges: 0 1 2 5 7 8 → 0-2,5,7-8.
ranges() {
  local out="" first=$1 last=$1 n
  shift
  for n in "$@" ""; do
    if [ -n "$n" ] && [ "$n" -eq $((last + 1)) ]; then last=$n; continue; fi
    out+="${out:+,}$first"; [ "$last" != "$first" ] && out+="-$last"
    first=$n; last=$n
  done
  echo "$out"
}

lines=()
prep_id=""
if [ $prep_pending = 1 ]; then
  submit hmil-prep 'prep_%j.log' PREP "" -- prep
  prep_id=$job_id
  lines+=("$(printf '%-10s %-28s %s' "$prep_id" "split + pack" "$slurm_dir/logs/prep_$prep_id.log")")
fi

pending_tasks=()
for ((t = 0; t < n_tasks; t++)); do
  i=$((t / (n_runs * folds))); r=${runs[$(((t / folds) % n_runs))]}
  [ -n "${fold_pending[$i/$r/$((t % folds))]:-}" ] && pending_tasks+=("$t")
done
array_id=""
if [ ${#pending_tasks[@]} -gt 0 ]; then
  spec=$(ranges "${pending_tasks[@]}")
  [ -n "$MAX_RUNNING" ] && spec+="%$MAX_RUNNING"
  submit hmil-train 'train_%A_%a.log' TRAIN "$prep_id" --array="$spec" -- train
  array_id=$job_id
  lines+=("$(printf '%-10s %-28s %s' "$array_id" "train: ${#pending_tasks[@]} of $n_tasks folds" "$slurm_dir/logs/train_${array_id}_<index>.log (index: $slurm_dir/tasks.txt)")")
fi

eval_ids=()
for i in "${!seeds[@]}"; do
  for ri in "${!runs[@]}"; do
    r=${runs[$ri]}
    [ -n "${eval_pending[$i/$r]:-}" ] || continue
    after=()
    for ((k = 0; k < folds; k++)); do
      t=$(((i * n_runs + ri) * folds + k))
      [ -n "${fold_pending[$i/$r/$k]:-}" ] && after+=("${array_id}_$t")
    done
    [ ${#after[@]} -eq 0 ] && [ -n "$prep_id" ] && after=("$prep_id")
    label=$r; [ $study = 1 ] && label="s${seeds[$i]}-$r"
    submit "hmil-eval-$label" "eval_${label}_%j.log" EVAL "$(IFS=:; echo "${after[*]}")" -- eval "$i" "$r"
    eval_ids+=("$job_id")
    lines+=("$(printf '%-10s %-28s %s' "$job_id" "eval $label" "$slurm_dir/logs/eval_${label}_$job_id.log")")
  done
done

if [ $report_pending = 1 ]; then
  after=("${eval_ids[@]}")
  [ ${#after[@]} -eq 0 ] && [ -n "$prep_id" ] && after=("$prep_id")
  submit hmil-report 'report_%j.log' REPORT "$(IFS=:; echo "${after[*]}")" -- report
  lines+=("$(printf '%-10s %-28s %s' "$job_id" "report" "$slurm_dir/logs/report_$job_id.log")")
fi

[ "$DRY_RUN" = 1 ] && exit 0
ids=$(IFS=,; echo "${submitted[*]}")
printf '%s\t%s\t%s\n' "$(date -Is)" "$ids" "$*" >> "$slurm_dir/submissions.txt"
{
  echo "hmil-slurm: submitted for $base_abs:"
  printf '  %-10s %-28s %s\n' "job" "what" "log"
  for line in "${lines[@]}"; do echo "  $line"; done
  echo "follow:  squeue -j $ids"
  echo "         sacct -j $ids --format=JobID%-14,JobName%-22,State,Elapsed,ExitCode"
  echo "         tail -f $slurm_dir/logs/*.log"
} >&2

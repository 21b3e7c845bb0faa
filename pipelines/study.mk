# Studies: every run on every seed's own folds, then each run against a baseline run, pair by pair.
# Included by pipelines/Makefile.
#
#   make -C pipelines study STUDY_TASK=garments SEEDS="1 2 3" RUNS="abmil hmil ls02" \
#        FLAGS_ls02='--preset hmil --weight-attention 0.5' BASELINE=abmil
#   make -f pipelines/Makefile study LABELS=labels.csv HIERARCHY=h.json FEATURES=feats/ STUDY_WORK=study/ \
#        RUNS="abmil hmil" SEEDS="1 2 3" EPOCHS=60 LR=1e-3 BATCH_SIZE=16
#
# For each seed s, the Makefile's whole pipeline runs in $(STUDY_WORK)/seed_<s>/ with SEED=s: hmil-split
# draws seed s's folds (each seed has its own), and every run of that seed trains on them with
# hmil-train --seed s. The (seed, fold) pairs are the units the runs are compared on. Reuse is the
# Makefile's: a second `make study` trains nothing, and changing one run's flags redoes that run only.
# Then hmil-study (pipelines/study/hmil-study/) writes $(STUDY_WORK)/study.md and study.json.
#
# Variables:
#   RUNS, FLAGS_<run>   the runs, as in the Makefile (default here: "abmil hmil")
#   SEEDS               seeds, each its own split and training seed (default "1 2 3")
#   BASELINE            the run the others are compared with (default: the first of RUNS)
#   STUDY_WORK          the study's folder (default: study, or study-work-<task> for a demo task)
#   STUDY_TASK          garments or lesions: study a demo task (`make demo TASK=<task>`): its data, built
#                       first, its defaults (EPOCHS BATCH_SIZE LR), and EVAL_FLAGS='--instance-labels
#                       <data>/instance_labels.csv' so that the key AUC of the attention is measured
#   and everything the Makefile takes: LABELS HIERARCHY FEATURES FOLDS EPOCHS BATCH_SIZE LR TRAIN_FLAGS
#   EVAL_FLAGS JOBS THREADS ...
# Flags in FLAGS_<run> and EVAL_FLAGS are passed to each seed's make in single quotes: no ' inside.
#
# Files in STUDY_WORK:
#   seed_<s>/                  the Makefile's WORK for seed s (split.json, pack/, runs/<run>/eval.json, ...)
#   study.options              the summary's options (runs, seeds, baseline)
#   study.md, study.json       hmil-study's tables and numbers (study.json: hmil.study/1)

SEEDS      ?= 1 2 3
STUDY_TASK ?=
STUDY_WORK ?= $(if $(STUDY_TASK),$(ROOT)/study-work-$(STUDY_TASK),study)
STUDY_TOOL := $(BIN)/hmil-study

.PHONY: study study-report

# `make study` runs this Makefile again with STUDY=1 (and DEMO=1 TASK=<task> for a demo task), as
# `make demo` does, so that the task's inputs and defaults apply when the rules are read.
study:
	@start=$$(date +%s); $(MAKE) -f $(THIS) STUDY=1 $(if $(STUDY_TASK),DEMO=1 TASK=$(STUDY_TASK)) \
	  $(if $(filter -j%,$(MAKEFLAGS)),,-j$(JOBS)) study-report && \
	  printf 'pipeline: study done in %ss\n' $$(( $$(date +%s) - start )) >&2

ifeq ($(STUDY),1)
# A variable the user gave (command line or environment) wins over the study's defaults.
given = $(filter command line environment%,$(origin $(1)))
STUDY_RUNS       := $(if $(call given,RUNS),$(RUNS),abmil hmil)
STUDY_EVAL_FLAGS := $(if $(call given,EVAL_FLAGS),$(EVAL_FLAGS),$(if $(STUDY_TASK),--instance-labels $(DEMO_DATA)/instance_labels.csv,$(EVAL_FLAGS)))
BASELINE         ?= $(firstword $(STUDY_RUNS))
# Made once before the seeds start (the demo data), so that seeds in parallel never build them twice.
STUDY_INPUTS := $(SPLIT_INPUTS) $(if $(STUDY_TASK),$(DEMO_DATA)/instance_labels.csv)

study_evals = $(foreach run,$(STUDY_RUNS),$(STUDY_WORK)/seed_$(1)/runs/$(run)/eval.json)
study_seed_args = STUDY= WORK=$(STUDY_WORK)/seed_$(1) SEED=$(1) RUNS='$(STUDY_RUNS)' EVAL_FLAGS='$(STUDY_EVAL_FLAGS)' \
  $(foreach run,$(STUDY_RUNS),$(if $(filter undefined,$(origin FLAGS_$(run))),,FLAGS_$(run)='$(FLAGS_$(run))'))

# Each seed is one make of the Makefile's targets; it runs every time and does only what is not done
# (make sees the eval.json files unchanged and does not redo the summary).
define study_seed_rules
$(call study_evals,$(1)) &: $(STUDY_INPUTS) FORCE
	$(Q)$$(MAKE) -f $(THIS) $(call study_seed_args,$(1)) $(call study_evals,$(1))
endef
$(foreach seed,$(SEEDS),$(eval $(call study_seed_rules,$(seed))))

STUDY_ARGS = --runs $(STUDY_RUNS) --seeds $(SEEDS) --baseline $(BASELINE)
$(STUDY_WORK)/study.options: FORCE ; $(call remember,$(STUDY_ARGS))
$(STUDY_WORK)/study.json: $(foreach seed,$(SEEDS),$(call study_evals,$(seed))) $(STUDY_WORK)/study.options | $(STUDY_TOOL)
	$(call say,study → $(@D)/study.md)
	$(Q)$(STUDY_TOOL) $(@D) $(STUDY_ARGS) > /dev/null

study-report: $(STUDY_WORK)/study.json
	@printf '\n' && cat $(STUDY_WORK)/study.md
endif

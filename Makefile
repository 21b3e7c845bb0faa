# hmil: top-level entry points. `make demo` runs the whole job on the built-in demo data;
# `make test` runs the tests; `make bench` the benchmarks. Each installs what it needs first.
SWIFT_TEST_FLAGS ?= -c release

.PHONY: setup build test demo bench clean

setup:
	@scripts/setup.sh

build: setup

# The tests include the demo pipeline on a small version of the demo data, so they want Fashion-MNIST too,
# and the same demo submitted to a one-node Slurm cluster on this machine, so they want Slurm.
test:
	@HMIL_DEMO_DATA=1 HMIL_SLURM=1 scripts/setup.sh
	swift test $(SWIFT_TEST_FLAGS)

demo:
	@HMIL_DEMO_DATA=1 scripts/setup.sh
	$(MAKE) -C pipelines demo

# Writes Benchmarks/RESULTS.md; AREAS="pack train" reruns only those areas' sections.
bench: setup
	@scripts/bench.sh $(AREAS)

clean:
	rm -rf .build demo-work

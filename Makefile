# hmil: top-level entry points. `make demo` runs the whole job on the built-in demo data;
# `make test` runs the tests; `make bench` the benchmarks. Each installs what it needs first.
SWIFT_TEST_FLAGS ?= -c release
# `make install PREFIX=/usr/local` (and DESTDIR=/staging for packages): the tools, man pages, completions.
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: setup build test lint format demo bench clean install uninstall

setup:
	@scripts/setup.sh

build: setup

# The tests include the demo pipeline on a small version of the demo data, so they want Fashion-MNIST too,
# and the same demo submitted to a one-node Slurm cluster on this machine, so they want Slurm.
test:
	@HMIL_DEMO_DATA=1 HMIL_SLURM=1 scripts/setup.sh
	$(MAKE) lint
	swift test $(SWIFT_TEST_FLAGS)
	scripts/test-install.sh

# The Swift sources in the toolchain's formatter's style (.swift-format): `make lint` checks, `make format` rewrites.
SWIFT_FILES = Package.swift Sources Tests Benchmarks pipelines
lint:
	swift format lint --strict --recursive --parallel $(SWIFT_FILES)

format:
	swift format format --in-place --recursive --parallel $(SWIFT_FILES)

demo:
	@HMIL_DEMO_DATA=1 scripts/setup.sh
	$(MAKE) -C pipelines demo

# Writes Benchmarks/RESULTS.md; AREAS="pack train" reruns only those areas' sections.
bench: setup
	@scripts/bench.sh $(AREAS)

# hmil-split, hmil-pack, hmil-train, hmil-eval, hmil-heatmap into $(DESTDIR)$(PREFIX)/bin, their man pages into
# share/man/man1, bash, zsh and fish completions into share/bash-completion/completions, share/zsh/site-functions
# and share/fish/vendor_completions.d (scripts/install.sh).
install:
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/install.sh install

uninstall:
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/install.sh uninstall

clean:
	rm -rf .build demo-work

#!/usr/bin/env bash
# Installs what hmil needs on a fresh Debian machine (only what is missing), then builds in release mode.
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Heatmaps: libopenslide-dev and libpng-dev to build and run hmil-heatmap; libvips-tools (the vips command) to
# make the demo's and the tests' slides and for hmil-bench heatmap. man-db and groff-base: `make test` reads the
# man pages `make install` writes with `man -l`.
packages=(libopenblas-dev libzstd-dev libhdf5-dev zstd pkg-config jq libopenslide-dev libpng-dev libvips-tools man-db groff-base)
[ "${HMIL_DEMO_DATA:-0}" = 1 ] && packages+=(dataset-fashion-mnist)
# The Slurm end-to-end test (`make test`): a one-node cluster (scripts/local-slurm.sh) from the daemons and
# commands of Debian's slurm-wlm and munge, with accounting (slurmdbd on a private MariaDB) for sacct.
[ "${HMIL_SLURM:-0}" = 1 ] && packages+=(slurmctld slurmd slurm-client munge slurmdbd mariadb-server-core mariadb-client-core)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
fi

if [ "${HMIL_SKIP_BUILD:-0}" != 1 ]; then
  echo "setup: building (release)" >&2
  swift build -c release >&2
fi

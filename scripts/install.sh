#!/usr/bin/env bash
# `make install` / `make uninstall`: the tools, their man pages and their bash, zsh and fish completions,
# in the usual places under $DESTDIR$PREFIX (GNU conventions: PREFIX is where they will live, DESTDIR a
# staging root for packagers).
#
#   scripts/install.sh install|uninstall      (PREFIX, default /usr/local; DESTDIR, default empty)
#
# The man pages come from swift-argument-parser's manual plugin (`swift package plugin generate-manual`,
# which reads each tool's --experimental-dump-help); the completions from each tool's
# --generate-completion-script. Both describe the options exactly as the built tools parse them.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=(hmil-split hmil-pack hmil-train hmil-eval hmil-heatmap)
prefix=${PREFIX:-/usr/local}
root=${DESTDIR:-}
bin=$root$prefix/bin
man1=$root$prefix/share/man/man1
bash_dir=$root$prefix/share/bash-completion/completions
zsh_dir=$root$prefix/share/zsh/site-functions
fish_dir=$root$prefix/share/fish/vendor_completions.d

case "${1:-}" in
install)
  swift build -c release >&2
  built=$(swift build -c release --show-bin-path)
  # The plugin builds (nothing left to do) and writes <tool>.1 for every executable product.
  swift package plugin generate-manual >&2
  pages=.build/plugins/GenerateManual/outputs
  install -d "$bin" "$man1" "$bash_dir" "$zsh_dir" "$fish_dir"
  scratch=$(mktemp)
  trap 'rm -f "$scratch"' EXIT
  for tool in "${tools[@]}"; do
    install -m 755 "$built/$tool" "$bin/$tool"
    page=$(find "$pages" -name "$tool.1" | head -n 1)
    [ -n "$page" ] || { echo "install: no man page for $tool under $pages" >&2; exit 1; }
    install -m 644 "$page" "$man1/$tool.1"
    # Written to a temporary file first, so a failing tool leaves no empty completion behind.
    for shell in bash zsh fish; do
      "$built/$tool" --generate-completion-script "$shell" > "$scratch"
      case $shell in
      bash) target=$bash_dir/$tool ;;
      zsh) target=$zsh_dir/_$tool ;;
      fish) target=$fish_dir/$tool.fish ;;
      esac
      install -m 644 "$scratch" "$target"
    done
  done
  echo "installed ${tools[*]} into $bin (man pages, bash/zsh/fish completions under $root$prefix/share)" >&2
  ;;
uninstall)
  for tool in "${tools[@]}"; do
    rm -f "$bin/$tool" "$man1/$tool.1" "$bash_dir/$tool" "$zsh_dir/_$tool" "$fish_dir/$tool.fish"
  done
  echo "removed ${tools[*]} from $root$prefix" >&2
  ;;
*)
  echo "usage: scripts/install.sh install|uninstall (PREFIX=$prefix DESTDIR=$root)" >&2
  exit 2
  ;;
esac

#!/usr/bin/env bash
# `make test`'s check of `make install`: installs into a DESTDIR under /tmp, checks that every tool, man
# page and completion is there, that the man pages render (`man -l`) and the completions are not empty,
# that the installed tools run, then `make uninstall` and checks that nothing is left.
set -euo pipefail
cd "$(dirname "$0")/.."

stage=$(mktemp -d /tmp/hmil-install-test.XXXXXX)
trap 'rm -rf "$stage"' EXIT
prefix=/usr/local
root=$stage$prefix
tools=(hmil-split hmil-pack hmil-train hmil-eval hmil-heatmap)
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }

make --no-print-directory install DESTDIR="$stage" PREFIX="$prefix" >/dev/null 2>"$stage/install.log" \
  || { cat "$stage/install.log" >&2; fail "make install"; }
for tool in "${tools[@]}"; do
  [ -x "$root/bin/$tool" ] || fail "$root/bin/$tool is not an executable"
  help=$("$root/bin/$tool" --help) || fail "$tool --help"
  grep -q "USAGE: $tool" <<<"$help" || fail "$tool --help does not show its usage"
  page=$root/share/man/man1/$tool.1
  [ -s "$page" ] || fail "no man page $page"
  rendered=$(MANWIDTH=80 man -l "$page" 2>/dev/null) || fail "man -l $page"
  grep -q "$tool" <<<"$rendered" || fail "man -l $page does not name $tool"
  for completion in "share/bash-completion/completions/$tool" "share/zsh/site-functions/_$tool" \
                    "share/fish/vendor_completions.d/$tool.fish"; do
    [ -s "$root/$completion" ] || fail "empty or missing $completion"
    grep -q -- "$tool" "$root/$completion" || fail "$completion does not name $tool"
  done
done
# The options reach the man page and the completions, e.g. hmil-train's optimizers.
grep -q "adam" "$root/share/man/man1/hmil-train.1" || fail "hmil-train.1 lacks --optimizer's values"
grep -q "adam" "$root/share/bash-completion/completions/hmil-train" || fail "bash completion lacks --optimizer's values"

make --no-print-directory uninstall DESTDIR="$stage" PREFIX="$prefix" >/dev/null 2>&1 || fail "make uninstall"
left=$(find "$stage/usr" -type f)
[ -z "$left" ] || fail "left after make uninstall: $left"
echo "test-install: ok (${tools[*]}: binaries, man pages, bash/zsh/fish completions; uninstall removes them)"

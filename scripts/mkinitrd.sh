#!/usr/bin/env bash
# Packs programs into a cpio "newc" initrd, in the order given, named by
# their file names without directories.
#
#   scripts/mkinitrd.sh OUT.cpio PROGRAM...
#   scripts/mkinitrd.sh -h | --help     this text
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
[ $# -ge 2 ] || { echo "usage: $0 OUT.cpio PROGRAM..." >&2; exit 2; }
out=$1; shift
command -v cpio >/dev/null || bash "$(dirname "$0")/setup.sh"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
names=()
for p in "$@"; do
    [ -f "$p" ] || { echo "mkinitrd: no such program: $p" >&2; exit 2; }
    name=$(basename "$p")
    name=${name%.elf}
    cp "$p" "$stage/$name"
    names+=("$name")
done
mkdir -p "$(dirname "$out")"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd "$stage" && printf '%s\n' "${names[@]}" | cpio --quiet -o -H newc --reproducible > "$out_abs")

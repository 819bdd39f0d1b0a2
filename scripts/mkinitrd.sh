#!/usr/bin/env bash
# Packs programs into a cpio "newc" initrd, in the order given, named by
# their file names without directories, after the test manifest
# (tests/el0/manifest.txt, or FILE), which goes first as manifest.txt: the
# kernel's runner judges each program by it.
#
#   scripts/mkinitrd.sh [--manifest FILE] OUT.cpio PROGRAM...
#   scripts/mkinitrd.sh -h | --help     this text
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
manifest=$here/../tests/el0/manifest.txt
if [ "${1:-}" = --manifest ]; then
    manifest=$2
    shift 2
fi
[ $# -ge 2 ] || { echo "usage: $0 [--manifest FILE] OUT.cpio PROGRAM..." >&2; exit 2; }
out=$1; shift
[ -f "$manifest" ] || { echo "mkinitrd: no such manifest: $manifest" >&2; exit 2; }
command -v cpio >/dev/null || bash "$here/setup.sh"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$manifest" "$stage/manifest.txt"
names=(manifest.txt)
for p in "$@"; do
    [ -f "$p" ] || { echo "mkinitrd: no such program: $p" >&2; exit 2; }
    name=$(basename "$p")
    name=${name%.elf}
    [ "$name" != manifest.txt ] || { echo "mkinitrd: a program may not be called manifest.txt" >&2; exit 2; }
    cp "$p" "$stage/$name"
    names+=("$name")
done
mkdir -p "$(dirname "$out")"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd "$stage" && printf '%s\n' "${names[@]}" | cpio --quiet -o -H newc --reproducible > "$out_abs")

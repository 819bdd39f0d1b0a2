# shellcheck shell=bash
# Reads tests/el0/manifest.txt (its grammar is at its top) for the scripts;
# source it. The manifest is checked by the kernel's parser whenever the
# programs are built (tests/el0/build.rs), so this only picks words out.
#
#   manifest_suite          the suite's programs (no boot=, not bench), in order
#   manifest_programs BOOT  the programs with boot=BOOT, in order
#   manifest_boot_args BOOT qemu.sh options for BOOT (--mem SIZE, one
#                           --append ARG per arg=) and its programs'
#                           build/el0/ paths, one word a line; fails for an
#                           undeclared BOOT

manifest_file=${manifest_file:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/manifest.txt}

# Every entry, comments and blank lines dropped.
_manifest_entries() {
    sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e '/^$/d' "$manifest_file"
}

manifest_suite() {
    _manifest_entries | awk '$1 != "boot" && $2 != "bench" {
        for (i = 3; i <= NF; i++) if ($i ~ /^boot=/) next
        print $1
    }'
}

manifest_programs() {
    _manifest_entries | awk -v b="$1" '$1 != "boot" {
        for (i = 3; i <= NF; i++) if ($i == "boot=" b) print $1
    }'
}

manifest_boot_args() {
    _manifest_entries | awk -v b="$1" '$1 == "boot" && $2 == b {
        found = 1
        for (i = 3; i <= NF; i++) {
            if ($i ~ /^mem=/) { print "--mem"; print substr($i, 5) }
            if ($i ~ /^arg=/) { print "--append"; print substr($i, 5) }
        }
    }
    END { exit !found }' || { echo "manifest: no boot '$1' in $manifest_file" >&2; return 1; }
    manifest_programs "$1" | sed 's|^|build/el0/|'
}

# shellcheck shell=bash
# shellcheck disable=SC2154 # logs and out come from test.sh
# The verdicts come from the manifest (sourced by scripts/test.sh): the same
# programs fail under wrong expectations, each saying why, and an initrd
# without a manifest runs nothing and fails.
#
# Uses test.sh's pass, fail, boot, expect, $logs and $out.

# A copy of tests/el0/manifest.txt with wrong lines: a faulting program
# expected to pass, one expected to die of another kind, one that exits 0
# expected to be killed, and one left out. brk keeps its line and passes.
wrong_manifest=$logs/manifest-wrong.txt
sed -e 's/^null_read .*/null_read pass/' \
    -e 's/^udf .*/udf killed:breakpoint/' \
    -e 's|^hello .*|hello killed:page-fault/read/unmapped|' \
    -e '/^exit_code_zero /d' tests/el0/manifest.txt >"$wrong_manifest"
if bash scripts/mkinitrd.sh --manifest "$wrong_manifest" build/initrd-manifest-wrong.cpio \
    build/el0/null_read build/el0/udf build/el0/hello build/el0/exit_code_zero build/el0/brk &&
    boot manifest-wrong 1 --initrd build/initrd-manifest-wrong.cpio; then
    expect "manifest-wrong: a fault where the manifest says pass fails" \
        '^test null_read \.\.\. FAILED \(killed: page fault: read at 0x0, unmapped address\)$'
    expect "manifest-wrong: a fault of another kind fails, naming both" \
        '^test udf \.\.\. FAILED \(killed, undefined: undefined instruction; expected breakpoint\)$'
    expect "manifest-wrong: an exit where the manifest says killed fails" \
        '^test hello \.\.\. FAILED \(exit code 0, expected to be killed, page-fault/read/unmapped\)$'
    expect "manifest-wrong: a program not in the manifest fails" \
        '^test exit_code_zero \.\.\. FAILED \(not in manifest\.txt: no expectation\)$'
    expect "manifest-wrong: the right expectation still passes" \
        '^test brk \.\.\. ok \(killed as expected, breakpoint: breakpoint \(brk\)\)$'
    expect "manifest-wrong: el0: 1 passed, 4 failed" '^el0: 1 passed, 4 failed$'
fi

# Programs without a manifest: nothing runs, the boot fails.
no_manifest=$(mktemp -d)
cp build/el0/hello "$no_manifest/"
if (cd "$no_manifest" && echo hello | cpio --quiet -o -H newc --reproducible) \
    >build/initrd-no-manifest.cpio && boot no-manifest 1 --initrd build/initrd-no-manifest.cpio; then
    expect "no-manifest: the runner says why" \
        '^initrd: the first file is hello, not manifest\.txt: no expectations to judge the programs by$'
    expect "no-manifest: nothing runs" '^el0: 0 passed, 1 failed$'
    if grep -q '^test ' "$out"; then
        fail "no-manifest: no program ran" "$(grep '^test ' "$out")"
    else
        pass "no-manifest: no program ran"
    fi
fi
rm -rf "$no_manifest"

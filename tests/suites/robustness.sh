# shellcheck shell=bash
# Kernel bookkeeping under hostile use (sourced by scripts/test.sh; the boot
# and its memory come from tests/el0/manifest.txt).

# Sparse first touches cost page-list nodes on the kernel heap: the program
# is killed for running out of memory, the kernel and the next program go
# on, and every page comes back.
if manifest_boot sparse-touch 0 sparse-touch build/el0/hello; then
    expect "sparse-touch: killed, out of memory" '^test sparse_touch \.\.\. ok \(killed as expected, out-of-memory: page fault: write at 0x[0-9a-f]+, out of memory\)$'
    expect "sparse-touch: the next program runs" '^test hello \.\.\. ok'
    expect "sparse-touch: no page leaked" '^free pages: ([0-9]+) before the programs, \1 after$'
fi

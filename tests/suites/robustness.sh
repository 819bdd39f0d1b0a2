# Kernel bookkeeping under hostile use (sourced by scripts/test.sh).

# Sparse first touches cost page-list nodes on the kernel heap: the program
# is killed for running out of memory, the kernel and the next program go
# on, and every page comes back.
if boot sparse-touch 0 --mem 128M build/el0/pressure_expect_fault_sparse_touch build/el0/hello; then
    expect "sparse-touch: killed, out of memory" '^test pressure_expect_fault_sparse_touch \.\.\. ok \(killed: page fault: write at 0x[0-9a-f]+, out of memory\)'
    expect "sparse-touch: the next program runs" '^test hello \.\.\. ok'
    expect "sparse-touch: no page leaked" '^free pages: ([0-9]+) before the programs, \1 after$'
fi

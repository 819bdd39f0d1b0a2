# shellcheck shell=bash
# shellcheck disable=SC2154 # logs, pass, fail and expect come from test.sh
# Debugging with GDB as the README describes it (sourced by scripts/test.sh):
# QEMU's gdb stub listens on 127.0.0.1 only; gdb-multiarch stops at
# kernel_entry with the kernel's symbols and at an EL0 program's main with
# that program's unstripped copy, then lets the boot finish.

gdb_port=$((40000 + RANDOM % 20000))
gdb_qemu="$logs/gdb-qemu.log"
{ bash scripts/qemu.sh --no-build --gdb --gdb-port "$gdb_port" --timeout 180 build/el0/hello
  echo "qemu.sh status $?"; } 2>&1 | tr -d '\r' >"$gdb_qemu" &
gdb_job=$!
gdb_listen=""
for _ in $(seq 1 100); do
    gdb_listen=$(ss -Hltn "sport = :$gdb_port" 2>/dev/null | awk '{print $4}')
    [ -n "$gdb_listen" ] && break
    sleep 0.2
done
if [ "$gdb_listen" = "127.0.0.1:$gdb_port" ]; then
    pass "gdb: the stub listens on 127.0.0.1:$gdb_port only"
else
    fail "gdb: the stub listens on 127.0.0.1 only" "listening: '${gdb_listen}'"
fi
out="$logs/gdb.log"
timeout 170 gdb-multiarch -q -batch -nx \
    -ex "target remote 127.0.0.1:$gdb_port" \
    -ex 'break kernel_entry' -ex continue -ex bt \
    -ex 'add-symbol-file target/aarch64-unknown-none/release/hello' \
    -ex 'break hello::main' -ex continue -ex bt \
    -ex continue \
    build/kernel.elf >"$out" 2>&1 </dev/null
wait "$gdb_job"
expect "gdb: stops at kernel_entry with the kernel's symbols" \
    '^(Thread [0-9]+ hit )?Breakpoint 1, kernel::boot::kernel_entry \(dtb_pa=[0-9]+, kimage_offset=[0-9]+, entry_el=1\) at kernel/src/boot\.rs:[0-9]+$'
expect "gdb: stops in the EL0 program's main with its unstripped symbols" \
    '^(Thread [0-9]+ hit )?Breakpoint 2, hello::main \(.*\) at tests/el0/src/bin/hello\.rs:[0-9]+$'
expect "gdb: EL0 backtrace through the program's runtime" '^#1 +hello::zx_program_main \(.*\) at tests/userlib/src/rt\.rs:[0-9]+$'
out=$gdb_qemu
expect "gdb: the boot then finishes, the program passes" '^test hello \.\.\. ok$'
expect "gdb: QEMU exits with the kernel's verdict" '^qemu\.sh status 0$'

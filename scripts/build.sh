#!/usr/bin/env bash
# Builds the kernel as a raw arm64 Image (build/kernel8.img) and the EL0 test
# programs. Prints the paths it produced.
#
#   scripts/build.sh
#
# Also writes build/kernel.elf (the kernel with its symbols, for gdb) and
# build/el0/* (the EL0 programs, stripped; their unstripped copies, for gdb,
# stay in target/aarch64-unknown-none/release/).
#   -h, --help    this text
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh --rust-only

profile=release
# The kernel is soft-float: its code never touches FP/SIMD registers, which
# therefore belong to the running EL0 program (see docs/syscall-abi.md).
cargo build -q -p kernel --target aarch64-unknown-none-softfloat --profile "$profile"
cargo build -q -p el0-tests --target aarch64-unknown-none --profile "$profile"

sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
objcopy="$sysroot/lib/rustlib/$host/bin/llvm-objcopy"
[ -x "$objcopy" ] || { echo "build: llvm-objcopy missing (rustup component add llvm-tools)" >&2; exit 1; }

mkdir -p build
elf=target/aarch64-unknown-none-softfloat/$profile/kernel
"$objcopy" -O binary "$elf" build/kernel8.img
cp "$elf" build/kernel.elf

# The EL0 test programs, in name order. Not in the suite's initrd: bench_*
# (run by scripts/bench.sh), pressure_* (booted alone with little memory)
# and limit_* (booted alone with a short time limit) by scripts/test.sh.
# Stripped copies go into build/el0/ (the debug info stays in target/).
mkdir -p build/el0
rm -f build/el0/*
bins=()
for src in tests/el0/src/bin/*.rs; do
    name=$(basename "$src" .rs)
    "$objcopy" --strip-debug "target/aarch64-unknown-none/$profile/$name" "build/el0/$name"
    case "$name" in bench_*|pressure_*|limit_*) continue ;; esac
    bins+=("build/el0/$name")
done
bash scripts/mkinitrd.sh build/initrd.cpio "${bins[@]}"
echo "build/kernel8.img build/initrd.cpio"

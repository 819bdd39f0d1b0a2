#!/usr/bin/env bash
# Builds the kernel as a raw arm64 Image (build/kernel8.img) and the EL0 test
# programs. Prints the paths it produced.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh --rust-only

profile=release
sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
objcopy="$sysroot/lib/rustlib/$host/bin/llvm-objcopy"
[ -x "$objcopy" ] || { echo "build: llvm-objcopy missing (rustup component add llvm-tools)" >&2; exit 1; }
mkdir -p build

# The EL2 layer first: its own image (hyp/, linker/hyp.ld), embedded in the
# kernel (platform/build.rs reads ZK_HYP_IMAGE). Soft-float too: it never
# touches the guest's FP/SIMD registers. See docs/el2-layer.md.
cargo build -q -p hyp --target aarch64-unknown-none-softfloat --profile "$profile"
"$objcopy" -O binary "target/aarch64-unknown-none-softfloat/$profile/hyp" build/hyp.bin.new
cmp -s build/hyp.bin.new build/hyp.bin 2>/dev/null && rm build/hyp.bin.new || mv build/hyp.bin.new build/hyp.bin

# The kernel is soft-float: its code never touches FP/SIMD registers, which
# therefore belong to the running EL0 program (see docs/syscall-abi.md).
ZK_HYP_IMAGE="$root/build/hyp.bin" cargo build -q -p kernel --target aarch64-unknown-none-softfloat --profile "$profile"
cargo build -q -p el0-tests --target aarch64-unknown-none --profile "$profile"
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

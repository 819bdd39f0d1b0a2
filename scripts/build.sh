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

# The EL0 test programs. Stripped copies of all of them go into build/el0/
# (the debug info stays in target/); the suite's initrd holds the manifest's
# suite (tests/el0/manifest.txt: the programs without a boot of their own
# and not benchmarks), in manifest order, after the manifest itself.
mkdir -p build/el0
rm -f build/el0/*
for src in tests/el0/src/bin/*.rs; do
    name=$(basename "$src" .rs)
    "$objcopy" --strip-debug "target/aarch64-unknown-none/$profile/$name" "build/el0/$name"
done
# shellcheck source=tests/el0/manifest.sh
. tests/el0/manifest.sh
bins=()
while read -r name; do
    bins+=("build/el0/$name")
done < <(manifest_suite)
bash scripts/mkinitrd.sh build/initrd.cpio "${bins[@]}"
echo "build/kernel8.img build/initrd.cpio"

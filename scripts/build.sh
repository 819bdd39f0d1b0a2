#!/usr/bin/env bash
# Builds the kernel as a raw arm64 Image (build/kernel8.img) and the EL0 test
# programs. Prints the paths it produced.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh --rust-only

profile=release
cargo build -q -p kernel -p el0-tests --target aarch64-unknown-none --profile "$profile"

sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
objcopy="$sysroot/lib/rustlib/$host/bin/llvm-objcopy"
[ -x "$objcopy" ] || { echo "build: llvm-objcopy missing (rustup component add llvm-tools)" >&2; exit 1; }

mkdir -p build
elf=target/aarch64-unknown-none/$profile/kernel
"$objcopy" -O binary "$elf" build/kernel8.img
cp "$elf" build/kernel.elf

# The EL0 test programs, in name order; bench_* programs are run by
# scripts/bench.sh, not by the suite.
bins=()
for src in tests/el0/src/bin/*.rs; do
    name=$(basename "$src" .rs)
    case "$name" in bench_*) continue ;; esac
    bins+=("target/aarch64-unknown-none/$profile/$name")
done
bash scripts/mkinitrd.sh build/initrd.cpio "${bins[@]}"
echo "build/kernel8.img build/initrd.cpio"

#!/usr/bin/env bash
# Produces the real device trees that `cargo test -p platform` parses (platform/src/dt).
#
#   scripts/fetch-dtbs.sh [OUTDIR]        OUTDIR defaults to <workspace>/target/dtb
#   scripts/fetch-dtbs.sh -h | --help     this text
#
# Idempotent: a tree already in OUTDIR is left alone (delete it to regenerate).
# The Debian kernel package (~57 MB) is downloaded once into OUTDIR/cache; on
# a host without the arm64 dpkg architecture it first says so, then adds it
# (`dpkg --add-architecture arm64` + `apt-get update`), because that package
# is arm64-only.
#
# The Raspberry Pi trees are Debian's mainline ones (bcm2711-rpi-4-b.dtb,
# bcm2711-rpi-400.dtb, bcm2711-rpi-cm4-io.dtb, all from the kernel package).
# The Raspberry Pi firmware's own trees (raspberrypi/firmware boot/*.dtb) are
# in no Debian package: trixie's raspi-firmware ships only start*.elf,
# fixup*.dat, bootcode.bin and two overlays (checked with dpkg-deb -c).
#
# What QEMU does, found while writing this (QEMU 10.0):
# - `dumpdtb` writes the tree QEMU would hand the guest and exits with status 0.
# - `-initrd` is refused without `-kernel` ("-initrd only allowed with -kernel option").
#   With a dummy raw kernel (4 KiB of zeros) QEMU builds the full boot setup and the
#   dump has /chosen linux,initrd-start/-end as 8-byte cells (end exclusive) plus
#   `bootargs` from -append.
# - The virt dumps contain random `rng-seed`/`kaslr-seed`, so they differ byte-wise
#   between runs; nothing the tests assert depends on them.
# - raspi4b generates no tree of its own: it needs `-dtb`. It edits the Debian tree:
#   a new memory@0 with reg = 0..0x3c000000 (the original placeholder, reg <0 0 0>,
#   is NOPed out), FDT_NOPs over the pcie/rng200/thermal/genet nodes (warnings on
#   stderr, filtered below), and with -kernel/-initrd it adds /chosen bootargs and
#   linux,initrd-* (8-byte cells). `/memreserve/ 0x0 0x1000` is already in Debian's
#   tree (mainline bcm2711-rpi.dtsi); QEMU does not add a second one.
# - The stand-in initrd is 315 bytes; the tests assert initrd ranges of that size.
# - virt-gicv3.dtb (`gic-version=3`) is extra: it covers the GICv3 layout.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac

log() { printf 'fetch-dtbs: %s\n' "$*" >&2; }

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/dtb}
mkdir -p "$out/cache"
out=$(cd "$out" && pwd)
cache=$out/cache

command -v qemu-system-aarch64 >/dev/null || {
    log "qemu-system-aarch64 not found (run scripts/setup.sh)"
    exit 1
}

# Small stand-ins: QEMU only needs something to load.
[ -f "$cache/kernel.bin" ] || head -c 4096 /dev/zero >"$cache/kernel.bin"
[ -f "$cache/initrd.bin" ] || printf 'initrd-for-dtb-tests\n%.0s' $(seq 1 15) >"$cache/initrd.bin"

# dump NAME QEMU-ARGS...: run QEMU with dumpdtb into OUTDIR/NAME unless it exists.
dump() {
    local name=$1 machine=$2
    shift 2
    if [ -s "$out/$name" ]; then
        return 0
    fi
    log "generating $name"
    local tmp="$out/.$name.tmp"
    rm -f "$tmp"
    qemu-system-aarch64 -M "$machine,dumpdtb=$tmp" -nographic -monitor none "$@" \
        2> >(grep -v -e 'warning: ' -e '^$' >&2 || true)
    mv "$tmp" "$out/$name"
}

# -smp 4 on virt.dtb and virt-el2.dtb puts enable-method = "psci" in every cpu node;
# a single-CPU tree (virt-initrd, virt-4g) has no enable-method at all.
dump virt.dtb virt -cpu cortex-a72 -m 1G -smp 4
dump virt-initrd.dtb virt -cpu cortex-a72 -m 1G \
    -kernel "$cache/kernel.bin" -initrd "$cache/initrd.bin" -append "console=ttyAMA0 dt-test"
dump virt-el2.dtb virt,virtualization=on -cpu cortex-a72 -m 1G -smp 4
dump virt-4g.dtb virt -cpu cortex-a72 -m 4G
dump virt-gicv3.dtb virt,gic-version=3 -cpu cortex-a72 -m 1G -smp 2
# 130 cores overflow the first redistributor region (123): #redistributor-regions = 2.
dump virt-gicv3-smp130.dtb virt,gic-version=3 -cpu cortex-a72 -m 1G -smp 130

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root for: $*"
        return 1
    fi
}

# Debian's mainline Raspberry Pi 4, Pi 400 and CM4 (on its IO board) trees,
# from the arm64 kernel package.
rpi=bcm2711-rpi-4-b.dtb
rpi_trees="$rpi bcm2711-rpi-400.dtb bcm2711-rpi-cm4-io.dtb"
missing=0
for t in $rpi_trees; do [ -s "$out/$t" ] || missing=1; done
if [ "$missing" = 1 ]; then
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        log "adding dpkg architecture arm64 (dpkg --add-architecture arm64; apt-get update):"
        log "  the Raspberry Pi trees come from Debian's arm64 kernel package; nothing arm64 is installed"
        as_root dpkg --add-architecture arm64
        as_root apt-get update -qq
    fi
    pkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
        awk '/Depends: linux-image-/{print $2; exit}')
    if [ -z "$pkg" ]; then
        log "apt does not know linux-image-arm64:arm64 yet; running apt-get update"
        as_root apt-get update -qq
        pkg=$(apt-cache depends linux-image-arm64:arm64 |
            awk '/Depends: linux-image-/{print $2; exit}')
    fi
    [ -n "$pkg" ] || {
        log "cannot resolve linux-image-arm64:arm64"
        exit 1
    }
    pkg=${pkg%:arm64}
    deb=$(ls "$cache/${pkg}"_*_arm64.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
        log "downloading $pkg:arm64 (about 57 MB, once, kept in $cache) to take the Raspberry Pi trees from it"
        # As root, apt's download sandbox user (_apt) cannot write here; say so
        # instead of letting apt warn about it.
        sandbox=()
        [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
        (cd "$cache" && apt-get download -q "${sandbox[@]}" "$pkg:arm64")
        deb=$(ls "$cache/${pkg}"_*_arm64.deb | head -1)
    fi
    tmpdir=$(mktemp -d)
    trap 'rm -rf "$tmpdir"' EXIT
    patterns=()
    for t in $rpi_trees; do patterns+=("./usr/lib/linux-image-*/broadcom/$t"); done
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmpdir" --wildcards "${patterns[@]}"
    for t in $rpi_trees; do
        cp "$tmpdir"/usr/lib/linux-image-*/broadcom/"$t" "$out/$t"
    done
    log "extracted $rpi_trees from $(basename "$deb")"
fi

# The tree QEMU raspi4b hands a guest booted from a raw image with an initrd.
dump raspi4b-qemu.dtb raspi4b -dtb "$out/$rpi" \
    -kernel "$cache/kernel.bin" -initrd "$cache/initrd.bin" -append "console=ttyS1 dt-test"

log "trees in $out: $(cd "$out" && ls ./*.dtb | tr '\n' ' ')"

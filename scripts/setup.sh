#!/usr/bin/env bash
# Installs what building, booting, testing and debugging need, and nothing
# more: the Rust targets and tools, QEMU (9 or later, for raspi4b), the
# device-tree and SD-card tools, cpio, and gdb-multiarch (Debian's plain gdb
# cannot debug aarch64). Idempotent and quick when everything is there.
#
#   scripts/setup.sh [--rust-only]
#
# Options:
#   --rust-only   only the Rust targets and components (rustup)
#   -h, --help    this text
#
# Before it changes the host it says what and why, then does it:
# - on Debian bookworm without QEMU 9+, it adds bookworm-backports (main) to
#   apt's sources, as /etc/apt/sources.list.d/aarch64-kernel-extra.sources,
#   because bookworm's QEMU 7.2 has no raspi4b machine;
# - it runs apt-get update and apt-get install for missing packages only.
# Other scripts say the same before their own host changes:
# scripts/fetch-dtbs.sh (dpkg --add-architecture arm64, to download Debian's
# arm64 kernel package for its device trees) and scripts/sdcard.sh (Debian
# trixie's raspi-firmware, through a private apt configuration under
# target/rpi-firmware: the host's sources are not touched).
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root for: $*"; return 1
    fi
}

rust_tools() {
    local targets="aarch64-unknown-none aarch64-unknown-none-softfloat"
    # shellcheck disable=SC2086
    rustup target add $targets >/dev/null 2>&1 || rustup target add $targets
    rustup component add llvm-tools clippy rustfmt >/dev/null 2>&1 || rustup component add llvm-tools clippy rustfmt
}

qemu_major() {
    qemu-system-aarch64 --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9]*\).*/\1/p' || true
}

apt_updated=0
apt_update() {
    if [ "$apt_updated" -eq 0 ]; then
        log "running apt-get update (refreshes the package lists)"
        as_root apt-get update -qq
        apt_updated=1
    fi
}

# bookworm ships QEMU 7.2, which has no raspi4b; its backports have QEMU 10.
debian_sources() {
    local codename
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || return 0
    local f=/etc/apt/sources.list.d/aarch64-kernel-extra.sources
    if [ ! -f "$f" ]; then
        log "adding ${codename}-backports (main) to apt's sources as $f:"
        log "  ${codename}'s QEMU $(qemu_major) is older than 9 and has no raspi4b machine; backports has a newer one"
        # The mirror the host already uses for Debian.
        local mirror
        mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Label: Debian' 2>/dev/null | sort -u | head -1 || true)
        [ -n "$mirror" ] || { log "apt has no Debian mirror configured: install QEMU 9+ yourself"; exit 1; }
        as_root tee "$f" >/dev/null <<SRC
Types: deb
URIs: ${mirror}
Suites: ${codename}-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        apt_updated=0
    fi
}

# apt_install WHY PACKAGE...: says what and why, then installs.
apt_install() {
    local why=$1
    shift
    command -v apt-get >/dev/null || { log "install these with your package manager: $* ($why)"; exit 1; }
    apt_update
    log "installing $* ($why)"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

host_packages() {
    local need=()
    command -v dtc >/dev/null || need+=(device-tree-compiler)
    command -v mcopy >/dev/null || need+=(mtools)
    command -v mkfs.vfat >/dev/null || need+=(dosfstools)
    command -v sfdisk >/dev/null || need+=(fdisk)
    command -v cpio >/dev/null || need+=(cpio)
    command -v gdb-multiarch >/dev/null || need+=(gdb-multiarch)
    local major
    major=$(qemu_major)
    if [ -z "$major" ] || [ "$major" -lt 9 ]; then
        if ! command -v apt-get >/dev/null; then
            log "install QEMU 9 or later (qemu-system-aarch64) with your package manager"
            exit 1
        fi
        debian_sources
        local codename
        codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
        apt_install "QEMU 9+ from ${codename}-backports, for raspi4b" -t "${codename}-backports" qemu-system-arm
    fi
    if [ "${#need[@]}" -gt 0 ]; then
        apt_install "device trees, SD image, initrd, debugging" "${need[@]}"
    fi
}

rust_tools
[ "${1:-}" = "--rust-only" ] && exit 0
host_packages
log "ready: $(qemu-system-aarch64 --version | head -1), $(rustc --version)"

#!/usr/bin/env bash
# Installs what building, booting and testing need, and nothing more: the Rust
# target and tools, QEMU (9 or later, for raspi4b), the device-tree and SD-card
# tools. Idempotent and quick when everything is already there.
set -euo pipefail

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
        as_root apt-get update -qq
        apt_updated=1
    fi
}

# bookworm ships QEMU 7.2, which has no raspi4b; its backports have QEMU 10.
# The Raspberry Pi firmware lives in non-free-firmware.
debian_sources() {
    local codename
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || return 0
    local f=/etc/apt/sources.list.d/aarch64-kernel-extra.sources
    if [ ! -f "$f" ]; then
        log "adding ${codename}-backports and non-free-firmware to apt sources"
        as_root tee "$f" >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: ${codename} ${codename}-backports
Components: non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian
Suites: ${codename}-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        apt_updated=0
    fi
}

host_packages() {
    local need=()
    command -v dtc >/dev/null || need+=(device-tree-compiler)
    command -v mcopy >/dev/null || need+=(mtools)
    command -v mkfs.vfat >/dev/null || need+=(dosfstools)
    command -v sfdisk >/dev/null || need+=(fdisk)
    command -v cpio >/dev/null || need+=(cpio)
    local major
    major=$(qemu_major)
    if [ -z "$major" ] || [ "$major" -lt 9 ]; then
        if ! command -v apt-get >/dev/null; then
            log "install QEMU 9 or later (qemu-system-aarch64) with your package manager"
            exit 1
        fi
        debian_sources
        apt_update
        local codename
        codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
        log "installing qemu-system-arm from ${codename}-backports"
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq -t "${codename}-backports" \
            qemu-system-arm >/dev/null
    fi
    if [ "${#need[@]}" -gt 0 ]; then
        command -v apt-get >/dev/null || { log "install: ${need[*]}"; exit 1; }
        apt_update
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
    fi
}

rust_tools
[ "${1:-}" = "--rust-only" ] && exit 0
host_packages
log "ready: $(qemu-system-aarch64 --version | head -1), $(rustc --version)"

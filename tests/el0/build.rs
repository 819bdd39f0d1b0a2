//! Links every program in src/bin with `linker/user.ld` at its load address:
//! 0x200000 unless the program's name asks for another (the loader tests use
//! the lowest and highest addresses the kernel promises to load at).

use std::fs;

/// Programs linked somewhere other than the default.
const LINK_ADDRESSES: &[(&str, u64)] = &[
    ("load_low_address", 0x1_0000),
    ("load_high_address", (1 << 39) - (2 << 20)),
];
const DEFAULT_BASE: u64 = 0x20_0000;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = format!("{dir}/../../linker/user.ld");
    println!("cargo:rerun-if-changed={script}");
    println!("cargo:rerun-if-changed=src/bin");
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default() != "none" {
        return;
    }
    let bins = fs::read_dir(format!("{dir}/src/bin")).expect("src/bin exists");
    for entry in bins {
        let path = entry.expect("readable src/bin").path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let base = LINK_ADDRESSES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(DEFAULT_BASE, |(_, b)| *b);
        println!("cargo:rustc-link-arg-bin={name}=-T{script}");
        println!("cargo:rustc-link-arg-bin={name}=--defsym=USER_BASE={base:#x}");
        println!("cargo:rustc-link-arg-bin={name}=-zmax-page-size=4096");
    }
}

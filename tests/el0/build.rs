//! Links every program in src/bin with `linker/user.ld` at its load address:
//! 0x200000 unless the program's name asks for another (the loader tests use
//! the lowest and highest addresses the kernel promises to load at). Checks
//! `manifest.txt` first, with the kernel's own parser: it must parse, and
//! list every program in src/bin and nothing else.

use std::collections::BTreeSet;
use std::fs;

#[allow(dead_code)] // the kernel's runner uses the rest
#[path = "../../kernel/src/manifest.rs"]
mod manifest;

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
    println!("cargo:rerun-if-changed=manifest.txt");
    println!("cargo:rerun-if-changed=../../kernel/src/manifest.rs");
    check_manifest(&dir);
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

/// Fails the build unless `manifest.txt` parses and names exactly the
/// programs in src/bin.
fn check_manifest(dir: &str) {
    let path = format!("{dir}/{}", manifest::FILE_NAME);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let m = manifest::Manifest::parse(&text).unwrap_or_else(|e| panic!("{dir}/{e}"));
    let listed: BTreeSet<&str> = m.programs().map(|p| p.name).collect();
    let built: BTreeSet<String> = fs::read_dir(format!("{dir}/src/bin"))
        .expect("src/bin exists")
        .filter_map(|e| {
            let path = e.expect("readable src/bin").path();
            (path.extension()? == "rs").then_some(path.file_stem()?.to_str()?.to_owned())
        })
        .collect();
    let built: BTreeSet<&str> = built.iter().map(String::as_str).collect();
    let unlisted: Vec<_> = built.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&built).collect();
    assert!(
        unlisted.is_empty() && missing.is_empty(),
        "{path}: programs in src/bin without a line: {unlisted:?}; lines without a program in src/bin: {missing:?}"
    );
}

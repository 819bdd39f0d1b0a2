//! Generates the system-call numbers from `syscall-numbers.md`, the table the
//! ABI follows (a copy of the project's shared contract; a host test checks
//! that the two agree). The Markdown table is the one place a number is
//! written: `sys::VMO_CREATE` and the list `ZIRCON_CALLS` come from it.

use std::fmt::Write as _;
use std::{env, fs, path::Path};

fn main() {
    let src = "syscall-numbers.md";
    println!("cargo:rerun-if-changed={src}");
    println!("cargo:rerun-if-changed=build.rs");
    let text = fs::read_to_string(src).expect("abi/syscall-numbers.md is readable");
    let mut calls: Vec<(u64, String)> = Vec::new();
    for line in text.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        for pair in cells.windows(2) {
            let (Ok(number), name) = (pair[0].parse::<u64>(), pair[1]) else {
                continue;
            };
            let name = name.trim_end_matches(['*', ' ']);
            let Some(name) = name.strip_prefix("`zx_").and_then(|n| n.strip_suffix('`')) else {
                continue;
            };
            calls.push((number, name.to_string()));
        }
    }
    calls.sort();
    assert!(
        calls.len() > 160,
        "syscall-numbers.md: only {} calls parsed",
        calls.len()
    );
    for pair in calls.windows(2) {
        assert!(pair[0].0 != pair[1].0, "number {} used twice", pair[0].0);
    }
    let mut out = String::new();
    for (n, name) in &calls {
        writeln!(out, "pub const {}: u64 = {n};", name.to_uppercase()).unwrap();
    }
    out.push_str("\n/// `(number, name without zx_)` for every call of Zircon's table.\n");
    out.push_str("pub const ZIRCON_CALLS: &[(u64, &str)] = &[\n");
    for (n, name) in &calls {
        writeln!(out, "    ({n}, \"{name}\"),").unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("numbers.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}

//! Links the EL2 layer with `linker/hyp.ld` at `hyp_abi::EL2_VA_BASE` when
//! building for the bare-metal target (the host build is only for tests).

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "none" {
        let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        let script = format!("{dir}/../linker/hyp.ld");
        println!("cargo:rustc-link-arg-bins=-T{script}");
        println!(
            "cargo:rustc-link-arg-bins=--defsym=__hyp_link_base={:#x}",
            hyp_abi::EL2_VA_BASE
        );
        println!("cargo:rerun-if-changed={script}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}

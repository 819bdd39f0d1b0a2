//! Embeds the EL2 layer's image when `scripts/build.sh` names it in
//! `ZK_HYP_IMAGE` (it builds `hyp/` first). Without it (host tests,
//! `cargo clippy`) the kernel is built without the layer and says so when
//! entered at EL2.

fn main() {
    println!("cargo:rustc-check-cfg=cfg(hyp_image)");
    println!("cargo:rerun-if-env-changed=ZK_HYP_IMAGE");
    println!("cargo:rerun-if-changed=build.rs");
    if let Ok(path) = std::env::var("ZK_HYP_IMAGE") {
        if std::path::Path::new(&path).is_file() {
            println!("cargo:rustc-cfg=hyp_image");
            println!("cargo:rustc-env=ZK_HYP_IMAGE_PATH={path}");
            println!("cargo:rerun-if-changed={path}");
        } else {
            println!(
                "cargo:warning=ZK_HYP_IMAGE={path} is not a file: building without the EL2 layer"
            );
        }
    }
}

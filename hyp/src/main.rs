//! The resident EL2 layer ("hypervisor-lite") as its own program. The kernel,
//! entered at EL2, loads this image into a reserved region of RAM, builds its
//! EL2 tables and the guest's stage-2 view there, and launches it; from then
//! on the kernel runs at EL1 as the layer's guest. See docs/el2-layer.md.
//!
//! Only the bare-metal build is the layer (`el2`); the host build is an
//! empty program so that `cargo test` and `cargo clippy` cover the workspace.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod el2;

#[cfg(not(target_os = "none"))]
fn main() {}

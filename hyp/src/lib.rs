//! The EL2 layer's decisions, kept free of hardware so they run under
//! `cargo test`: which SMCCC function a guest's `SMC`/`HVC` names (the
//! allow-list; everything else is refused), whether a PSCI power state loses
//! the core's context, and whether an entry point or context id is the
//! guest's. The EL2 program itself is `main.rs`.
#![cfg_attr(not(test), no_std)]

pub mod policy;

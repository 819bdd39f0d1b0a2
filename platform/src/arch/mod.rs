//! Everything that only exists on an aarch64 CPU: entry code, vectors, system
//! registers, translation tables, the PSCI and semihosting calls.

pub mod aarch64;
pub use aarch64::*;

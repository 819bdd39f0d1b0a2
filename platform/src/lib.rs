//! Everything about the machine: the device tree, the CPU and its
//! translation tables, exceptions, the console and power-off. The kernel asks
//! `platform` about the board and never names a board address itself.
#![cfg_attr(not(test), no_std)]

pub mod dt;
pub mod layout;
pub mod memmap;

#[cfg(target_arch = "aarch64")]
pub mod arch;
#[cfg(target_arch = "aarch64")]
pub mod boot;
#[cfg(target_arch = "aarch64")]
pub mod console;
#[cfg(target_arch = "aarch64")]
pub mod drivers;
#[cfg(target_arch = "aarch64")]
pub mod hyp;
#[cfg(target_arch = "aarch64")]
pub mod irq;
#[cfg(target_arch = "aarch64")]
pub mod power;
#[cfg(target_arch = "aarch64")]
pub mod smp;
#[cfg(target_arch = "aarch64")]
pub mod timer;

//! The kernel proper: memory management glue, processes, handles, the
//! system-call layer and the EL0 test runner. Modules that only make sense on
//! the machine are compiled for the bare-metal target; the portable ones
//! (archive and ELF parsing, the EL0 test manifest) are also unit-tested on
//! the host.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod buddy;
pub mod cold_drop;
pub mod cpio;
pub mod elf;
pub mod manifest;
pub mod object;
pub mod rwlock;
pub mod sched;
pub mod sync;

#[cfg(target_os = "none")]
pub mod boot;
#[cfg(target_os = "none")]
pub mod el0;
#[cfg(target_os = "none")]
pub mod heap;
#[cfg(target_os = "none")]
pub mod initrd;
#[cfg(target_os = "none")]
pub mod memory;
#[cfg(target_os = "none")]
pub mod runner;
#[cfg(target_os = "none")]
pub mod selftest;
#[cfg(target_os = "none")]
pub mod syscall;
#[cfg(target_os = "none")]
pub mod task;
pub mod vm;
#[cfg(target_os = "none")]
pub mod wait;

#[cfg(all(test, loom))]
mod models;

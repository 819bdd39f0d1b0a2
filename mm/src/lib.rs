//! `mm`: the kernel's memory management that knows nothing of boards or CPUs —
//! typed physical addresses ([`addr`]) and the linear map ([`phys`]), the page allocator
//! and owned frames ([`frame`]), the core of Zircon's VM objects ([`vmo`],
//! with their page lists in [`page_list`]) and Zircon's memory attribution
//! figures for them ([`attribution`]). No assembly lives here; everything
//! builds and tests on the host.
//!
//! `unsafe` is denied crate-wide and allowed in exactly one module, [`phys`],
//! which holds every raw memory access and every promise a caller must make
//! about physical memory.
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(any(test, feature = "testing"))]
extern crate std;

pub mod addr;
pub mod attribution;
pub mod frame;
pub mod page_list;
#[allow(unsafe_code)]
pub mod phys;
mod sync;
pub mod vmo;

#[cfg(all(test, loom))]
mod models;

pub use attribution::{Attribution, ScaledBytes};
pub use frame::{Frame, FrameAllocator};
pub use phys::PhysAddr;
pub use vmo::{Vmo, VmoOptions};
pub use zx_abi::{ZxStatus, PAGE_SIZE};

//! Kernel objects as handles see them, and their ids (koids).

use crate::vm::{AddressSpace, VmoObject};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use zx_abi::obj_type;

/// Koids below 1024 are reserved (ZX_KOID_FIRST).
static NEXT_KOID: AtomicU64 = AtomicU64::new(1024);

pub fn new_koid() -> u64 {
    NEXT_KOID.fetch_add(1, Ordering::Relaxed)
}

/// A VMAR: a region of an address space. Every process has one, the root.
pub struct VmarObject {
    pub koid: u64,
    pub aspace: Arc<AddressSpace>,
    pub base: u64,
    pub size: u64,
}

/// What a handle refers to.
#[derive(Clone)]
pub enum KernelObject {
    Vmo(Arc<VmoObject>),
    Vmar(Arc<VmarObject>),
}

impl KernelObject {
    pub fn obj_type(&self) -> u32 {
        match self {
            Self::Vmo(_) => obj_type::VMO,
            Self::Vmar(_) => obj_type::VMAR,
        }
    }

    pub fn koid(&self) -> u64 {
        match self {
            Self::Vmo(v) => v.koid,
            Self::Vmar(v) => v.koid,
        }
    }
}

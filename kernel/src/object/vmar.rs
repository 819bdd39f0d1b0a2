//! A VMAR object: a region of an address space that mappings go into.
//! Every process has one, the root; sub-regions come with the object-model
//! work.

use crate::object::ObjectBase;
use crate::vm::AddressSpace;
use alloc::sync::Arc;
use zx_abi::{obj_type, Rights, Signals};

pub struct VmarObject {
    base: ObjectBase,
    pub aspace: Arc<AddressSpace>,
    pub base_addr: u64,
    pub size: u64,
}

crate::kernel_object!(VmarObject, obj_type::VMAR, Rights::ROOT_VMAR;
    /// Zircon's VMARs have no signals to wait for.
    fn is_waitable(&self) -> bool {
        false
    }
);

impl VmarObject {
    pub fn new(aspace: Arc<AddressSpace>, base_addr: u64, size: u64) -> Arc<Self> {
        Arc::new(Self {
            base: ObjectBase::new(Signals::empty()),
            aspace,
            base_addr,
            size,
        })
    }
}

//! A VMAR object: a handle's view of one region of an address space (the
//! root, or a sub-region from `zx_vmar_allocate`). The region itself lives
//! in the address space's tree (`vm::vmar`); this object names it, so a
//! region outlives its handles (as in Zircon) and a handle outlives a
//! destroyed region (its calls then answer `ZX_ERR_BAD_STATE`).

use crate::object::ObjectBase;
use crate::vm::vmar::VmarId;
use crate::vm::AddressSpace;
use alloc::sync::Arc;
use zx_abi::{obj_type, Rights, Signals};

#[repr(C)]
pub struct VmarObject {
    base: ObjectBase,
    pub aspace: Arc<AddressSpace>,
    /// The region in `aspace`'s tree.
    pub id: VmarId,
    pub base_addr: u64,
    pub size: u64,
}

crate::kernel_object!(VmarObject, obj_type::VMAR, Rights::DEFAULT_VMAR;
    /// Zircon's VMARs have no signals to wait for.
    fn is_waitable(&self) -> bool {
        false
    }
);

impl VmarObject {
    pub fn new(aspace: Arc<AddressSpace>, id: VmarId, base_addr: u64, size: u64) -> Arc<Self> {
        Arc::new(Self {
            base: ObjectBase::new(Signals::empty()),
            aspace,
            id,
            base_addr,
            size,
        })
    }
}

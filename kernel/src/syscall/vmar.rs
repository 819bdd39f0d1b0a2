//! `zx_vmar_map` and `zx_vmar_unmap`, with Zircon's argument checks in
//! Zircon's order.

use super::{user, SysResult};
use crate::object::vmar::VmarObject;
use crate::task::process::DEFAULT_MAP_BASE;
use crate::task::Thread;
use crate::vm::aspace::Placement;
use crate::vm::VmoObject;
use platform::arch::user_pt::UserPerms;
use zx_abi::{vm_opt, Handle, Rights, UserOut, ZxStatus, PAGE_SIZE};

const PERMS: u32 = vm_opt::PERM_READ | vm_opt::PERM_WRITE | vm_opt::PERM_EXECUTE;
const CAN_MAP: u32 = vm_opt::CAN_MAP_SPECIFIC
    | vm_opt::CAN_MAP_READ
    | vm_opt::CAN_MAP_WRITE
    | vm_opt::CAN_MAP_EXECUTE;
const KNOWN: u32 = PERMS
    | vm_opt::SPECIFIC
    | vm_opt::SPECIFIC_OVERWRITE
    | vm_opt::MAP_RANGE
    | vm_opt::REQUIRE_NON_RESIZABLE
    | vm_opt::ALLOW_FAULTS
    | vm_opt::OFFSET_IS_UPPER_LIMIT
    | vm_opt::ALIGN_MASK;

/// The rights a handle needs for the requested permissions.
fn rights_for(options: u32) -> Rights {
    let mut r = Rights::NONE;
    if options & vm_opt::PERM_READ != 0 {
        r |= Rights::READ;
    }
    if options & vm_opt::PERM_WRITE != 0 {
        r |= Rights::WRITE;
    }
    if options & vm_opt::PERM_EXECUTE != 0 {
        r |= Rights::EXECUTE;
    }
    r
}

#[allow(clippy::too_many_arguments)]
pub fn vmar_map(
    t: &Thread,
    vmar_h: Handle,
    options: u32,
    vmar_offset: usize,
    vmo_h: Handle,
    vmo_offset: u64,
    len: usize,
    out: UserOut<usize>,
) -> SysResult {
    let (vmar_offset, len) = (vmar_offset as u64, len as u64);
    // EL0 pages here are readable whenever they are accessible at all (no
    // execute-only mappings), so "read if execute-only is unsupported" is
    // always "read"; the rights checks below then apply to READ as well.
    let options = if options & vm_opt::PERM_READ_IF_XOM_UNSUPPORTED != 0 {
        (options & !vm_opt::PERM_READ_IF_XOM_UNSUPPORTED) | vm_opt::PERM_READ
    } else {
        options
    };
    let (vmar, vmar_rights) = t.process.get::<VmarObject>(vmar_h, Rights::NONE)?;
    let (vmo, vmo_rights) = t.process.get::<VmoObject>(vmo_h, Rights::NONE)?;
    if !vmo_rights.contains(Rights::MAP) {
        return Err(ZxStatus::AccessDenied);
    }
    let writes_or_executes = options & (vm_opt::PERM_WRITE | vm_opt::PERM_EXECUTE) != 0;
    if writes_or_executes && options & vm_opt::PERM_READ == 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    if options & vm_opt::MAP_RANGE != 0 && options & vm_opt::SPECIFIC_OVERWRITE != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    if options & CAN_MAP != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let needed = rights_for(options);
    if !vmo_rights.contains(needed) || !vmar_rights.contains(needed) {
        return Err(ZxStatus::AccessDenied);
    }
    if options & vm_opt::PERM_WRITE != 0 && options & vm_opt::PERM_EXECUTE != 0 {
        // W^X: no EL0 page is ever both writable and executable.
        return Err(ZxStatus::NotSupported);
    }
    if options & !KNOWN != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let align_log2 = (options & vm_opt::ALIGN_MASK) >> vm_opt::ALIGN_BASE;
    if align_log2 != 0 && !(10..=32).contains(&align_log2) {
        return Err(ZxStatus::InvalidArgs);
    }
    let align = if align_log2 == 0 {
        PAGE_SIZE
    } else {
        (1u64 << align_log2).max(PAGE_SIZE)
    };
    let (resizable, discardable) = {
        let v = vmo.inner.lock();
        (
            v.vmo.is_resizable(),
            v.vmo.options().contains(mm::vmo::VmoOptions::DISCARDABLE),
        )
    };
    if options & vm_opt::REQUIRE_NON_RESIZABLE != 0 && resizable {
        return Err(ZxStatus::NotSupported);
    }
    if discardable && options & vm_opt::ALLOW_FAULTS == 0 {
        return Err(ZxStatus::NotSupported);
    }
    if !vmo_offset.is_multiple_of(PAGE_SIZE) {
        return Err(ZxStatus::InvalidArgs);
    }
    let len = len
        .checked_next_multiple_of(PAGE_SIZE)
        .ok_or(ZxStatus::OutOfRange)?;
    if vmo_offset.checked_add(len).is_none() {
        return Err(ZxStatus::OutOfRange);
    }
    if len == 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let specific = options & (vm_opt::SPECIFIC | vm_opt::SPECIFIC_OVERWRITE) != 0;
    let upper_limit = options & vm_opt::OFFSET_IS_UPPER_LIMIT != 0;
    if upper_limit && specific {
        return Err(ZxStatus::InvalidArgs);
    }
    let placement = if specific {
        if !vmar_offset.is_multiple_of(align) {
            return Err(ZxStatus::InvalidArgs);
        }
        let inside = vmar_offset
            .checked_add(len)
            .is_some_and(|end| end <= vmar.size);
        if !inside {
            return Err(ZxStatus::InvalidArgs);
        }
        let addr = vmar.base_addr + vmar_offset;
        if options & vm_opt::SPECIFIC_OVERWRITE != 0 {
            Placement::SpecificOverwrite(addr)
        } else {
            Placement::Specific(addr)
        }
    } else if upper_limit {
        let hi = vmar.base_addr + vmar_offset.min(vmar.size);
        Placement::Anywhere {
            lo: vmar.base_addr,
            hi,
            align,
        }
    } else {
        if vmar_offset != 0 {
            return Err(ZxStatus::InvalidArgs);
        }
        let lo = DEFAULT_MAP_BASE.max(vmar.base_addr);
        Placement::Anywhere {
            lo,
            hi: vmar.base_addr + vmar.size,
            align,
        }
    };
    let perms = UserPerms {
        read: options & vm_opt::PERM_READ != 0,
        write: options & vm_opt::PERM_WRITE != 0,
        execute: options & vm_opt::PERM_EXECUTE != 0,
    };
    crate::heap::ensure_headroom()?;
    let addr = vmar.aspace.map(vmo, vmo_offset, len, perms, placement)?;
    if let Err(e) = user::write(t, out, &(addr as usize)) {
        vmar.aspace.unmap(addr, len)?;
        return Err(e.into());
    }
    if options & vm_opt::MAP_RANGE != 0 {
        // Populate now; pages beyond the VMO's end stay unmapped.
        let mut va = addr;
        while va < addr + len
            && vmar
                .aspace
                .handle_fault(va, crate::vm::Access::Read)
                .is_ok()
        {
            va += PAGE_SIZE;
        }
    }
    Ok(())
}

pub fn vmar_unmap(t: &Thread, vmar_h: Handle, addr: usize, len: usize) -> SysResult {
    let (addr, len) = (addr as u64, len as u64);
    let (vmar, _) = t.process.get::<VmarObject>(vmar_h, Rights::NONE)?;
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(ZxStatus::InvalidArgs);
    }
    let len = len
        .checked_next_multiple_of(PAGE_SIZE)
        .ok_or(ZxStatus::InvalidArgs)?;
    if len == 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let inside = addr >= vmar.base_addr
        && addr
            .checked_add(len)
            .is_some_and(|end| end <= vmar.base_addr + vmar.size);
    if !inside {
        return Err(ZxStatus::InvalidArgs);
    }
    vmar.aspace.unmap(addr, len)
}

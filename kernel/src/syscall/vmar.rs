//! The VMAR calls: `zx_vmar_map`, `zx_vmar_unmap`, `zx_vmar_allocate`,
//! `zx_vmar_destroy`, `zx_vmar_protect` and `zx_vmar_op_range`, with
//! Zircon's argument checks in Zircon's order. The regions and mappings
//! themselves are `vm::aspace`'s.

use super::vmo::{check_range, commit_range, decommit};
use super::{user, SysResult};
use crate::object::vmar::VmarObject;
use crate::task::process::DEFAULT_MAP_BASE;
use crate::task::Thread;
use crate::vm::aspace::Placement;
use crate::vm::vmar::Caps;
use crate::vm::VmoObject;
use platform::arch::user_pt::UserPerms;
use zx_abi::{vm_opt, vmar_op, Handle, Rights, UserInOut, UserOut, ZxStatus, PAGE_SIZE};

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

/// Every option bit below the alignment field that Zircon defines.
const DEFINED: u32 =
    KNOWN & !vm_opt::ALIGN_MASK | vm_opt::COMPACT | CAN_MAP | vm_opt::PERM_READ_IF_XOM_UNSUPPORTED;

/// READ, WRITE and EXECUTE, as many as asked for.
fn rwx_rights(read: bool, write: bool, execute: bool) -> Rights {
    let mut r = Rights::NONE;
    for (wanted, right) in [
        (read, Rights::READ),
        (write, Rights::WRITE),
        (execute, Rights::EXECUTE),
    ] {
        if wanted {
            r |= right;
        }
    }
    r
}

/// The rights a handle needs for the requested permissions.
fn rights_for(options: u32) -> Rights {
    let p = perms_of(options);
    rwx_rights(p.read, p.write, p.execute)
}

/// The `ZX_VM_PERM_*` bits as page permissions.
fn perms_of(options: u32) -> UserPerms {
    UserPerms {
        read: options & vm_opt::PERM_READ != 0,
        write: options & vm_opt::PERM_WRITE != 0,
        execute: options & vm_opt::PERM_EXECUTE != 0,
        ..Default::default()
    }
}

/// The alignment the `ZX_VM_ALIGN_*` field asks for (at least a page).
/// Zircon accepts 2^10 to 2^32, or nothing.
fn alignment(options: u32) -> Result<u64, ZxStatus> {
    let align_log2 = (options & vm_opt::ALIGN_MASK) >> vm_opt::ALIGN_BASE;
    if align_log2 != 0 && !(10..=32).contains(&align_log2) {
        return Err(ZxStatus::InvalidArgs);
    }
    Ok(if align_log2 == 0 {
        PAGE_SIZE
    } else {
        (1u64 << align_log2).max(PAGE_SIZE)
    })
}

/// `PERM_READ_IF_XOM_UNSUPPORTED` is "read" here: EL0 pages are readable
/// whenever they are accessible at all (no execute-only mappings).
fn without_xom(options: u32) -> u32 {
    if options & vm_opt::PERM_READ_IF_XOM_UNSUPPORTED != 0 {
        (options & !vm_opt::PERM_READ_IF_XOM_UNSUPPORTED) | vm_opt::PERM_READ
    } else {
        options
    }
}

/// Where the kernel chooses addresses in a region: at or above
/// `DEFAULT_MAP_BASE` in the root (below it lie the programs' segments),
/// anywhere in a sub-region.
fn lowest_chosen(vmar: &VmarObject) -> u64 {
    if vmar.id == crate::vm::vmar::ROOT {
        DEFAULT_MAP_BASE.max(vmar.base_addr)
    } else {
        vmar.base_addr
    }
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
    // The rights checks below then apply to READ as well.
    let options = without_xom(options);
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
    if options & !KNOWN != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let align = alignment(options)?;
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
        Placement::Anywhere {
            lo: lowest_chosen(&vmar),
            hi: vmar.base_addr + vmar.size,
            align,
        }
    };
    let perms = perms_of(options);
    // What both handles allow now bounds every later protect.
    let both = vmo_rights & vmar_rights;
    let max = UserPerms {
        read: both.contains(Rights::READ),
        write: both.contains(Rights::WRITE),
        execute: both.contains(Rights::EXECUTE),
        ..Default::default()
    };
    let caps = vmar.aspace.vmar_caps(vmar.id)?;
    let max_caps = Caps {
        read: max.read,
        write: max.write,
        execute: max.execute,
        ..Caps::default()
    };
    if !max_caps.rwx_within(&caps) || ((specific || upper_limit) && !caps.specific) {
        return Err(ZxStatus::AccessDenied);
    }
    crate::heap::ensure_headroom()?;
    let addr = vmar
        .aspace
        .map_in(vmar.id, vmo, vmo_offset, len, perms, max, placement)?;
    if let Err(e) = user::write(t, out, &(addr as usize)) {
        vmar.aspace.unmap(addr, len)?;
        return Err(e.into());
    }
    if options & vm_opt::MAP_RANGE != 0 {
        vmar.aspace.populate(addr, len);
    }
    Ok(())
}

/// A page-aligned address and a length rounded up to pages, not zero.
fn page_range(addr: usize, len: usize) -> Result<(u64, u64), ZxStatus> {
    let (addr, len) = (addr as u64, len as u64);
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(ZxStatus::InvalidArgs);
    }
    let len = len
        .checked_next_multiple_of(PAGE_SIZE)
        .ok_or(ZxStatus::InvalidArgs)?;
    if len == 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    Ok((addr, len))
}

pub fn vmar_unmap(t: &Thread, vmar_h: Handle, addr: usize, len: usize) -> SysResult {
    let (vmar, rights) = t.process.get::<VmarObject>(vmar_h, Rights::NONE)?;
    let (addr, len) = page_range(addr, len)?;
    let op_children = rights.contains(Rights::OP_CHILDREN);
    vmar.aspace.unmap_in(vmar.id, addr, len, op_children)
}

/// The options `zx_vmar_allocate` takes.
const ALLOCATE_OPTIONS: u32 = vm_opt::SPECIFIC
    | vm_opt::CAN_MAP_SPECIFIC
    | vm_opt::COMPACT
    | CAN_MAP
    | vm_opt::OFFSET_IS_UPPER_LIMIT
    | vm_opt::PERM_READ_IF_XOM_UNSUPPORTED
    | vm_opt::ALIGN_MASK;

pub fn vmar_allocate(
    t: &Thread,
    parent_h: Handle,
    options: u32,
    offset: usize,
    size: usize,
    child_out: UserOut<Handle>,
    addr_out: UserOut<usize>,
) -> SysResult {
    let (offset, size) = (offset as u64, size as u64);
    let caps = Caps {
        read: options & vm_opt::CAN_MAP_READ != 0,
        write: options & vm_opt::CAN_MAP_WRITE != 0,
        execute: options & vm_opt::CAN_MAP_EXECUTE != 0,
        specific: options & vm_opt::CAN_MAP_SPECIFIC != 0,
        compact: options & vm_opt::COMPACT != 0,
    };
    // What the region may map, the parent's handle must allow.
    let can_map = rwx_rights(caps.read, caps.write, caps.execute);
    let (parent, _) = t.process.get::<VmarObject>(parent_h, can_map)?;
    if options & !vm_opt::ALIGN_MASK & !DEFINED != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let align = alignment(options)?;
    if options & PERMS != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    if !size.is_multiple_of(PAGE_SIZE) || options & !ALLOCATE_OPTIONS != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let parent_caps = parent.aspace.vmar_caps(parent.id)?;
    if size == 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    if !caps.rwx_within(&parent_caps) {
        return Err(ZxStatus::AccessDenied);
    }
    let specific = options & vm_opt::SPECIFIC != 0;
    let upper_limit = options & vm_opt::OFFSET_IS_UPPER_LIMIT != 0;
    if specific && upper_limit
        || !specific && !upper_limit && offset != 0
        || !offset.is_multiple_of(PAGE_SIZE)
    {
        return Err(ZxStatus::InvalidArgs);
    }
    if (specific || upper_limit) && !parent_caps.specific {
        return Err(ZxStatus::AccessDenied);
    }
    let psize = parent.size;
    let fits = if upper_limit {
        offset <= psize && size <= offset
    } else {
        offset < psize && size <= psize - offset
    };
    if !fits {
        return Err(ZxStatus::InvalidArgs);
    }
    let placement = if specific {
        let addr = parent.base_addr + offset;
        if !addr.is_multiple_of(align) {
            return Err(ZxStatus::InvalidArgs);
        }
        Placement::Specific(addr)
    } else {
        Placement::Anywhere {
            lo: lowest_chosen(&parent),
            hi: parent.base_addr + if upper_limit { offset } else { psize },
            align,
        }
    };
    crate::heap::ensure_headroom()?;
    let (id, base) = parent.aspace.allocate(parent.id, size, caps, placement)?;
    let child = VmarObject::new(parent.aspace.clone(), id, base, size);
    let rights = Rights::DEFAULT_VMAR | can_map;
    let given = t.process.add_handle(child, rights).and_then(|h| {
        user::give_handle(t, child_out, h)?;
        if let Err(e) = user::write(t, addr_out, &(base as usize)) {
            t.process.close_handle(h)?;
            return Err(e.into());
        }
        Ok(())
    });
    if given.is_err() {
        // The region never existed for the caller.
        let _ = parent.aspace.destroy_vmar(id);
    }
    given
}

pub fn vmar_destroy(t: &Thread, h: Handle) -> SysResult {
    let (vmar, _) = t.process.get::<VmarObject>(h, Rights::OP_CHILDREN)?;
    vmar.aspace.destroy_vmar(vmar.id)
}

pub fn vmar_protect(t: &Thread, h: Handle, options: u32, addr: usize, len: usize) -> SysResult {
    let options = without_xom(options);
    let (vmar, rights) = t.process.get::<VmarObject>(h, rights_for(options))?;
    let writes_or_executes = options & (vm_opt::PERM_WRITE | vm_opt::PERM_EXECUTE) != 0;
    if writes_or_executes && options & vm_opt::PERM_READ == 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    if !(addr as u64).is_multiple_of(PAGE_SIZE) || options & !PERMS != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (addr, len) = page_range(addr, len)?;
    let op_children = rights.contains(Rights::OP_CHILDREN);
    vmar.aspace
        .protect(vmar.id, addr, len, perms_of(options), op_children)
}

pub fn vmar_op_range(
    t: &Thread,
    h: Handle,
    op: u32,
    addr: usize,
    len: usize,
    buffer: UserInOut<u8>,
    buffer_size: usize,
) -> SysResult {
    let (vmar, rights) = t.process.get::<VmarObject>(h, Rights::NONE)?;
    let known = [
        vmar_op::COMMIT,
        vmar_op::DECOMMIT,
        vmar_op::MAP_RANGE,
        vmar_op::DONT_NEED,
        vmar_op::ALWAYS_NEED,
    ];
    if !known.contains(&op) || !buffer.is_null() || buffer_size != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (addr, len) = page_range(addr, len)?;
    let op_children = rights.contains(Rights::OP_CHILDREN);
    let (segments, complete) = vmar.aspace.segments(vmar.id, addr, len)?;
    for s in segments {
        // Committing or decommitting acts like a protect that adds write
        // access, which a parent may not do to a sub-region's mapping.
        let writes = op == vmar_op::COMMIT || op == vmar_op::DECOMMIT;
        if (writes || !op_children) && !s.direct {
            return Err(ZxStatus::InvalidArgs);
        }
        if writes && !s.can_write {
            return Err(ZxStatus::AccessDenied);
        }
        match op {
            vmar_op::COMMIT => {
                check_range(s.object.size(), s.object_offset, s.len)?;
                let (root, root_offset) = s.object.root(s.object_offset);
                commit_range(&root, root_offset, s.len)?;
                vmar.aspace.populate(s.va, s.len);
            }
            vmar_op::DECOMMIT => {
                check_range(s.object.size(), s.object_offset, s.len)?;
                decommit(&s.object, s.object_offset, s.len)?;
            }
            vmar_op::MAP_RANGE | vmar_op::ALWAYS_NEED => vmar.aspace.populate(s.va, s.len),
            // A hint this kernel has no use for.
            _ => {}
        }
    }
    if complete {
        Ok(())
    } else {
        Err(ZxStatus::BadState)
    }
}

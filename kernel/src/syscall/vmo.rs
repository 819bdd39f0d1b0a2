//! `zx_vmo_create`, `zx_vmo_read`, `zx_vmo_write`, `zx_vmo_get_size`,
//! `zx_vmo_set_size`.

use super::user;
use crate::memory::FRAMES;
use crate::object::KernelObject;
use crate::process::Process;
use crate::vm::fastcopy;
use crate::vm::vmo::{next_unlock_sequence, unmap_refs, Kind};
use crate::vm::{Access, UserFault, VmoObject};
use alloc::sync::Arc;
use mm::vmo::{Vmo, VmoOptions};
use zx_abi::{child_opt, rights, vmo_op, vmo_opt, Handle, ZxStatus, PAGE_SIZE};

pub fn create(p: &mut Process, size: u64, options: u32, out: u64) -> Result<(), ZxStatus> {
    if options & !(vmo_opt::RESIZABLE | vmo_opt::DISCARDABLE) != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let vmo = Vmo::create(&FRAMES, size, options)?;
    crate::heap::ensure_headroom()?;
    let mut handle_rights = rights::DEFAULT_VMO;
    if options & vmo_opt::RESIZABLE != 0 {
        handle_rights |= rights::RESIZE;
    }
    let h = p
        .handles
        .add(KernelObject::Vmo(VmoObject::new(vmo)), handle_rights)?;
    user::give_handle(p, out, h)
}

/// Checks `[offset, offset + len)` against the VMO's size, before any
/// buffer is touched.
fn check_range(size: u64, offset: u64, len: u64) -> Result<(), ZxStatus> {
    match offset.checked_add(len) {
        Some(end) if end <= size => Ok(()),
        _ => Err(ZxStatus::OutOfRange),
    }
}

/// Why a copy between a VMO and user memory stopped.
enum CopyError {
    /// The user buffer is unusable (NOT_FOUND, as Zircon's core tests want).
    User,
    /// A page could not be allocated.
    NoMemory,
}

impl From<UserFault> for CopyError {
    fn from(f: UserFault) -> Self {
        match f {
            UserFault::NoMemory => Self::NoMemory,
            _ => Self::User,
        }
    }
}

impl From<ZxStatus> for CopyError {
    fn from(s: ZxStatus) -> Self {
        match s {
            ZxStatus::NoMemory => Self::NoMemory,
            // The VMO's own range was checked first: a range error here is
            // the user side (a mapping that runs past its VMO's end).
            _ => Self::User,
        }
    }
}

impl From<CopyError> for ZxStatus {
    fn from(e: CopyError) -> Self {
        match e {
            CopyError::User => ZxStatus::NotFound,
            CopyError::NoMemory => ZxStatus::NoMemory,
        }
    }
}

/// Moves `len` bytes between `vmo` at `offset` and user memory at `buf`,
/// page to page. `to_user`: VMO to user memory (zx_vmo_read), else the other
/// way. When the user buffer lies in the same VMO, the bytes go through the
/// kernel stack instead (the VMO cannot be locked twice). A write that had to
/// copy a shared page drops the mappings' stale entries for it.
fn transfer(
    p: &Process,
    vmo: &Arc<VmoObject>,
    offset: u64,
    buf: u64,
    len: u64,
    to_user: bool,
) -> Result<(), ZxStatus> {
    let access = if to_user { Access::Write } else { Access::Read };
    p.aspace
        .for_each_piece(buf, len as usize, access, |user_vmo, user_off, range| {
            let vmo_off = offset + range.start as u64;
            let n = range.len();
            let (dst, dst_off, src, src_off) = if to_user {
                (user_vmo, user_off, vmo, vmo_off)
            } else {
                (vmo, vmo_off, user_vmo, user_off)
            };
            if Arc::ptr_eq(dst, src) {
                let mut bounce = [0u8; 4096];
                let mut v = dst.inner.lock();
                v.vmo.read(src_off, &mut bounce[..n])?;
                v.change(dst_off, n as u64, |vmo| vmo.write(dst_off, &bounce[..n]))?;
                return Ok::<(), CopyError>(());
            }
            let src = src.inner.lock();
            let mut dst = dst.inner.lock();
            dst.change(dst_off, n as u64, |vmo| {
                vmo.copy_from(dst_off, &src.vmo, src_off, n as u64)
            })?;
            Ok(())
        })?;
    Ok(())
}

/// `zx_vmo_read` (`to_user`) and `zx_vmo_write`: rights, then the range,
/// then the buffer.
fn read_or_write(
    p: &mut Process,
    h: Handle,
    buf: u64,
    offset: u64,
    len: u64,
    to_user: bool,
) -> Result<(), ZxStatus> {
    let needed = if to_user { rights::READ } else { rights::WRITE };
    let object = p.handles.vmo(h, needed)?.0.clone();
    check_range(object.size(), offset, len)?;
    if len == 0 {
        return Ok(());
    }
    let (root, root_offset) = object.root(offset);
    // The fast path first; whatever it could not do goes the slow way.
    let done = {
        let mut v = root.inner.lock();
        if to_user {
            fastcopy::vmo_to_user(&v, root_offset, buf, len)
        } else {
            fastcopy::vmo_from_user(&mut v, root_offset, buf, len)?
        }
    };
    if done == len {
        return Ok(());
    }
    transfer(
        p,
        &root,
        root_offset + done,
        buf + done,
        len - done,
        to_user,
    )
}

pub fn read(p: &mut Process, h: Handle, buf: u64, offset: u64, len: u64) -> Result<(), ZxStatus> {
    read_or_write(p, h, buf, offset, len, true)
}

pub fn write(p: &mut Process, h: Handle, buf: u64, offset: u64, len: u64) -> Result<(), ZxStatus> {
    read_or_write(p, h, buf, offset, len, false)
}

pub fn get_size(p: &mut Process, h: Handle, out: u64) -> Result<(), ZxStatus> {
    let size = p.handles.vmo(h, rights::NONE)?.0.inner.lock().vmo.size();
    user::write_u64(p, out, size).map_err(|e| e.or(ZxStatus::InvalidArgs))
}

pub fn set_size(p: &mut Process, h: Handle, size: u64) -> Result<(), ZxStatus> {
    let (vmo, handle_rights) = p.handles.vmo(h, rights::WRITE)?;
    let vmo = vmo.clone();
    let old = {
        let v = vmo.inner.lock();
        if !v.vmo.is_resizable() {
            return Err(ZxStatus::Unavailable);
        }
        v.vmo.size()
    };
    if handle_rights & rights::RESIZE == 0 {
        return Err(ZxStatus::AccessDenied);
    }
    let new = zx_abi::vmo_round_size(size).ok_or(ZxStatus::OutOfRange)?;
    if new < old {
        // Page-table entries go first: the pages are freed next.
        vmo.unmap_pages(new, old - new);
    }
    let result = vmo.inner.lock().vmo.set_size(size);
    result
}

/// `zx_vmo_lock_state_t`: 4 × u64.
const LOCK_STATE_SIZE: u64 = 32;

#[allow(clippy::too_many_arguments)]
pub fn op_range(
    p: &mut Process,
    h: Handle,
    op: u32,
    offset: u64,
    size: u64,
    buf: u64,
    buf_size: u64,
) -> Result<(), ZxStatus> {
    let (object, handle_rights) = p.handles.vmo(h, rights::NONE)?;
    let object = object.clone();
    let needed_any = match op {
        vmo_op::COMMIT | vmo_op::DECOMMIT | vmo_op::ZERO | vmo_op::CACHE_INVALIDATE => {
            rights::WRITE
        }
        vmo_op::LOCK | vmo_op::TRY_LOCK | vmo_op::UNLOCK => rights::READ | rights::WRITE,
        vmo_op::CACHE_SYNC
        | vmo_op::CACHE_CLEAN
        | vmo_op::CACHE_CLEAN_INVALIDATE
        | vmo_op::PREFETCH => rights::READ,
        vmo_op::DONT_NEED | vmo_op::ALWAYS_NEED => rights::NONE,
        _ => return Err(ZxStatus::InvalidArgs),
    };
    if needed_any != rights::NONE && handle_rights & needed_any == 0 {
        return Err(ZxStatus::AccessDenied);
    }
    let object_size = object.size();
    check_range(object_size, offset, size)?;
    let (root, root_offset) = object.root(offset);
    match op {
        vmo_op::COMMIT => commit_range(&root, root_offset, size),
        vmo_op::DECOMMIT => {
            let has_snapshot_children = object.has_cow.load(core::sync::atomic::Ordering::Acquire)
                && !object.has_zero_children();
            if matches!(object.kind, Kind::Snapshot { .. }) || has_snapshot_children {
                return Err(ZxStatus::NotSupported);
            }
            if !offset.is_multiple_of(PAGE_SIZE) || !size.is_multiple_of(PAGE_SIZE) {
                return Err(ZxStatus::InvalidArgs);
            }
            root.unmap_pages(root_offset, size);
            let result = root.inner.lock().vmo.decommit(root_offset, size);
            result
        }
        vmo_op::ZERO => {
            root.unmap_pages(root_offset, size);
            let result = root.inner.lock().vmo.zero(root_offset, size);
            result
        }
        vmo_op::LOCK | vmo_op::TRY_LOCK | vmo_op::UNLOCK => {
            lock_op(p, &object, op, offset, size, buf, buf_size)
        }
        vmo_op::CACHE_SYNC
        | vmo_op::CACHE_INVALIDATE
        | vmo_op::CACHE_CLEAN
        | vmo_op::CACHE_CLEAN_INVALIDATE => {
            // Normal memory is coherent for every observer this kernel has.
            if size == 0 {
                Err(ZxStatus::InvalidArgs)
            } else {
                Ok(())
            }
        }
        // Hints.
        _ => Ok(()),
    }
}

/// `ZX_VMO_OP_COMMIT` in chunks of one page-list node (16 pages), checking
/// the heap before each: page-list nodes live there.
fn commit_range(root: &Arc<VmoObject>, offset: u64, size: u64) -> Result<(), ZxStatus> {
    const CHUNK: u64 = 16 * PAGE_SIZE;
    let end = offset + size;
    let mut at = offset;
    while at < end {
        crate::heap::ensure_headroom()?;
        let next = ((at / CHUNK) + 1) * CHUNK;
        let chunk_end = next.min(end);
        root.inner.lock().vmo.commit(at, chunk_end - at)?;
        at = chunk_end;
    }
    Ok(())
}

/// `ZX_VMO_OP_LOCK`, `TRY_LOCK` and `UNLOCK` on a discardable VMO.
fn lock_op(
    p: &Process,
    object: &Arc<VmoObject>,
    op: u32,
    offset: u64,
    size: u64,
    buf: u64,
    buf_size: u64,
) -> Result<(), ZxStatus> {
    let mut inner = object.inner.lock();
    if !inner.vmo.options().contains(VmoOptions::DISCARDABLE) {
        return Err(ZxStatus::NotSupported);
    }
    let vmo_size = inner.vmo.size();
    if offset != 0 || size != vmo_size {
        return Err(ZxStatus::OutOfRange);
    }
    match op {
        vmo_op::UNLOCK => inner.vmo.unlock(next_unlock_sequence()),
        vmo_op::TRY_LOCK => inner.vmo.lock(true).map(drop),
        _ => {
            // The state goes out after locking; check the buffer first so a
            // bad one leaves the VMO unlocked.
            if buf_size < LOCK_STATE_SIZE || user::write_bytes(p, buf, &[0u8; 32]).is_err() {
                return Err(ZxStatus::InvalidArgs);
            }
            let discarded = inner.vmo.lock(false)?;
            let discarded_size = if discarded { vmo_size } else { 0 };
            let mut state = [0u8; 32];
            state[8..16].copy_from_slice(&vmo_size.to_le_bytes());
            state[24..32].copy_from_slice(&discarded_size.to_le_bytes());
            drop(inner);
            user::write_bytes(p, buf, &state).map_err(|e| e.or(ZxStatus::InvalidArgs))
        }
    }
}

/// The rights a child gets from its parent's handle rights.
fn child_rights(parent: u32, options: u32) -> u32 {
    let mut r = (parent & !rights::RESIZE) | rights::GET_PROPERTY | rights::SET_PROPERTY;
    if options & child_opt::RESIZABLE != 0 {
        r |= rights::RESIZE;
    }
    if options & child_opt::NO_WRITE != 0 {
        r &= !rights::WRITE;
    } else if options & child_opt::SLICE == 0 {
        r = (r | rights::WRITE) & !rights::EXECUTE;
    }
    r
}

pub fn create_child(
    p: &mut Process,
    h: Handle,
    options: u32,
    offset: u64,
    size: u64,
    out: u64,
) -> Result<(), ZxStatus> {
    use child_opt::{NO_WRITE, RESIZABLE, SLICE, SNAPSHOT, SNAPSHOT_AT_LEAST_ON_WRITE};
    let rounded = zx_abi::vmo_round_size(size).ok_or(ZxStatus::OutOfRange)?;
    if options & NO_WRITE != 0 && options & RESIZABLE != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    if options & !(SNAPSHOT | SNAPSHOT_AT_LEAST_ON_WRITE | SLICE | RESIZABLE | NO_WRITE) != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    if (options & (SNAPSHOT | SNAPSHOT_AT_LEAST_ON_WRITE | SLICE)).count_ones() != 1 {
        return Err(ZxStatus::InvalidArgs);
    }
    if options & SLICE != 0 && options & RESIZABLE != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (parent, parent_rights) = p.handles.vmo(h, rights::DUPLICATE | rights::READ)?;
    let parent = parent.clone();
    let (root, root_offset) = parent.root(0);
    let (parent_size, mut parent_resizable, parent_name) = {
        let v = parent.inner.lock();
        if v.vmo.options().contains(VmoOptions::DISCARDABLE) {
            return Err(ZxStatus::NotSupported);
        }
        (v.vmo.size(), v.vmo.is_resizable(), *v.vmo.name())
    };
    if parent.window.is_some() {
        parent_resizable |= root.inner.lock().vmo.is_resizable();
    }
    if !offset.is_multiple_of(PAGE_SIZE) {
        return Err(ZxStatus::InvalidArgs);
    }
    crate::heap::ensure_headroom()?;
    let name = if parent_rights & rights::GET_PROPERTY != 0 {
        parent_name
    } else {
        [0; 32]
    };
    let child = if options & SLICE != 0 {
        if parent_resizable {
            return Err(ZxStatus::NotSupported);
        }
        if offset
            .checked_add(rounded)
            .is_none_or(|end| end > parent_size)
        {
            return Err(ZxStatus::InvalidArgs);
        }
        let mut shape = Vmo::create(&FRAMES, size, 0)?;
        shape.set_name(&name);
        VmoObject::new_slice(shape, &parent, offset)
    } else {
        if offset.checked_add(rounded).is_none() {
            return Err(ZxStatus::OutOfRange);
        }
        let child_options = if options & RESIZABLE != 0 {
            vmo_opt::RESIZABLE
        } else {
            0
        };
        let mut v = root.inner.lock();
        // Each shared page costs an `Arc` (and page-list space) on the heap.
        crate::heap::ensure_headroom_for(v.vmo.committed_pages().saturating_mul(96))?;
        let mut vmo = v.vmo.snapshot(root_offset + offset, size, child_options)?;
        // Writable page-table entries of the now-shared pages must go.
        unmap_refs(&v.mappings, root_offset + offset, rounded);
        drop(v);
        if parent.window.is_some() && offset + rounded > parent_size {
            // The snapshot sees only the slice's window, zero beyond it
            // (all of it when the snapshot starts past the slice's end).
            let kept = parent_size.saturating_sub(offset);
            vmo.decommit(kept, rounded - kept)?;
        }
        vmo.set_name(&name);
        VmoObject::new_snapshot(vmo, &parent, options & NO_WRITE != 0)
    };
    let new = p.handles.add(
        KernelObject::Vmo(child),
        child_rights(parent_rights, options),
    )?;
    user::give_handle(p, out, new)
}

/// The handle is consumed whatever happens once it is found.
pub fn replace_as_executable(
    p: &mut Process,
    h: Handle,
    vmex: Handle,
    out: u64,
) -> Result<(), ZxStatus> {
    let e = p.handles.remove(h)?;
    let KernelObject::Vmo(_) = &e.object else {
        return Err(ZxStatus::BadHandle);
    };
    if vmex != zx_abi::ZX_HANDLE_INVALID {
        // No resource objects exist here: a valid vmex is the wrong type.
        p.handles.get(vmex)?;
        return Err(ZxStatus::WrongType);
    }
    let new = p.handles.add(e.object, e.rights | rights::EXECUTE)?;
    user::give_handle(p, out, new)
}

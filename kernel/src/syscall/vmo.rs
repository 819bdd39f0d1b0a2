//! `zx_vmo_create`, `zx_vmo_read`, `zx_vmo_write`, `zx_vmo_get_size`,
//! `zx_vmo_set_size`, `zx_vmo_get_stream_size`, `zx_vmo_set_stream_size`.

use super::{user, SysResult};
use crate::memory::FRAMES;
use crate::object::ObjectType;
use crate::task::Thread;
use crate::vm::fastcopy;
use crate::vm::mapping::lock_two;
use crate::vm::vmo::{next_unlock_sequence, Kind, VmoInner};
use crate::vm::{Access, UserFault, VmoObject};
use alloc::sync::Arc;
use mm::vmo::{Vmo, VmoOptions};
use zx_abi::{
    cache_policy, vmo_op, ChildOptions, Handle, Rights, UserIn, UserInOut, UserOut, VmoLockState,
    ZxStatus, PAGE_SIZE,
};

/// Inlined into its entry: the usual create is short enough that the
/// call between them cost more than it saved.
#[inline(always)]
pub fn vmo_create(t: &Thread, size: u64, options: u32, out: UserOut<Handle>) -> SysResult {
    use zx_abi::VmoOptions as O;
    let create_options = O::from_bits(options).ok_or(ZxStatus::InvalidArgs)?;
    if create_options.contains(O::UNBOUNDED) {
        return vmo_create_unbounded(t, size, create_options, out);
    }
    // The size's error first, as `Vmo::create` gives it, then the heap's,
    // before the VMO is built: a VMO dropped on a failure after it was
    // built would make the compiler build the record on the stack and copy
    // it (about 30 instructions more a create).
    zx_abi::vmo_round_size(size).ok_or(ZxStatus::OutOfRange)?;
    crate::heap::ensure_headroom()?;
    let vmo = Vmo::create(&FRAMES, size, options)?;
    install_new_vmo(t, vmo, create_options, out)
}

/// `zx_vmo_create` with `ZX_VMO_UNBOUNDED`, apart so that the usual create
/// builds its record in registers rather than through this path's.
#[inline(never)]
fn vmo_create_unbounded(
    t: &Thread,
    size: u64,
    create_options: zx_abi::VmoOptions,
    out: UserOut<Handle>,
) -> SysResult {
    use zx_abi::VmoOptions as O;
    if create_options.contains(O::RESIZABLE) {
        return Err(ZxStatus::InvalidArgs);
    }
    let vmo = Vmo::create_unbounded(&FRAMES, size, (create_options - O::UNBOUNDED).bits())?;
    crate::heap::ensure_headroom()?;
    install_new_vmo(t, vmo, create_options, out)
}

/// The end of `zx_vmo_create`, once the heap has room: the object, its
/// handle, the handle handed out.
#[inline(always)]
fn install_new_vmo(
    t: &Thread,
    vmo: Vmo,
    create_options: zx_abi::VmoOptions,
    out: UserOut<Handle>,
) -> SysResult {
    let mut handle_rights = Rights::DEFAULT_VMO;
    if create_options.contains(zx_abi::VmoOptions::RESIZABLE) {
        handle_rights |= Rights::RESIZE;
    }
    let h = t.process.add_handle(VmoObject::new(vmo), handle_rights)?;
    user::give_handle(t, out, h)
}

/// Checks `[offset, offset + len)` against the VMO's size, before any
/// buffer is touched.
pub(super) fn check_range(size: u64, offset: u64, len: u64) -> Result<(), ZxStatus> {
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
/// kernel stack instead (the VMO cannot be locked twice); otherwise both
/// VMOs are locked in the global order, whatever the direction.
fn transfer(
    t: &Thread,
    vmo: &Arc<VmoObject>,
    offset: u64,
    buf: u64,
    len: u64,
    to_user: bool,
) -> Result<(), ZxStatus> {
    let access = if to_user { Access::Write } else { Access::Read };
    t.process
        .aspace
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
            let (mut dst, src) = lock_two((&dst.inner, dst.koid()), (&src.inner, src.koid()));
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
    t: &Thread,
    h: Handle,
    buf: u64,
    offset: u64,
    len: u64,
    to_user: bool,
) -> SysResult {
    let needed = if to_user { Rights::READ } else { Rights::WRITE };
    let (object, _) = t.process.get::<VmoObject>(h, needed)?;
    copy_user(t, &object, buf, offset, len, to_user)
}

/// Copies `len` bytes between `object` at `offset` and user memory at
/// `buf` (`to_user`: from the VMO): the range, then the buffer (for the
/// calls and for streams). A bad buffer is `NOT_FOUND`.
pub(super) fn copy_user(
    t: &Thread,
    object: &Arc<VmoObject>,
    buf: u64,
    offset: u64,
    len: u64,
    to_user: bool,
) -> SysResult {
    if object.cache_policy() != cache_policy::CACHED {
        // The kernel's view of the pages is cached; Zircon refuses too.
        return Err(ZxStatus::BadState);
    }
    // The fast path first; whatever it could not do goes the slow way.
    let fast = |v: &mut VmoInner, at: u64| {
        if to_user {
            Ok(fastcopy::vmo_to_user(v, at, buf, len))
        } else {
            fastcopy::vmo_from_user(v, at, buf, len)
        }
    };
    if object.window().is_none() {
        // The VMO holds its own pages and size: one hold of its lock checks
        // the range and copies.
        let done = {
            let mut v = object.inner.lock();
            check_range(v.vmo.size(), offset, len)?;
            if len == 0 {
                return Ok(());
            }
            fast(&mut v, offset)?
        };
        if done == len {
            return Ok(());
        }
        return transfer(t, object, offset + done, buf + done, len - done, to_user);
    }
    check_range(object.size(), offset, len)?;
    if len == 0 {
        return Ok(());
    }
    let (root, root_offset) = object.root(offset);
    let done = fast(&mut root.inner.lock(), root_offset)?;
    if done == len {
        return Ok(());
    }
    transfer(
        t,
        &root,
        root_offset + done,
        buf + done,
        len - done,
        to_user,
    )
}

pub fn vmo_read(t: &Thread, h: Handle, buf: UserOut<u8>, offset: u64, len: usize) -> SysResult {
    read_or_write(t, h, buf.addr(), offset, len as u64, true)
}

pub fn vmo_write(t: &Thread, h: Handle, buf: UserIn<u8>, offset: u64, len: usize) -> SysResult {
    read_or_write(t, h, buf.addr(), offset, len as u64, false)
}

pub fn vmo_get_size(t: &Thread, h: Handle, out: UserOut<u64>) -> SysResult {
    let (vmo, _) = t.process.get::<VmoObject>(h, Rights::NONE)?;
    let size = vmo.size();
    Ok(user::write(t, out, &size)?)
}

pub fn vmo_set_size(t: &Thread, h: Handle, size: u64) -> SysResult {
    let (vmo, handle_rights) = t.process.get::<VmoObject>(h, Rights::WRITE)?;
    // The content size changes too: not in the middle of a stream write.
    let _stream = vmo.stream_lock().lock();
    // A reference resizes its root, which every reference of it follows;
    // the root's mappings (which include the reference's) lose the pages
    // past the new end.
    let mut v = vmo.size_holder().inner.lock();
    if !v.vmo.is_resizable() {
        return Err(ZxStatus::Unavailable);
    }
    if !handle_rights.contains(Rights::RESIZE) {
        return Err(ZxStatus::AccessDenied);
    }
    let old = v.vmo.size();
    let new = zx_abi::vmo_round_size(size).ok_or(ZxStatus::OutOfRange)?;
    // The pages past the new end lose their entries, then go.
    let cut = old.saturating_sub(new);
    v.remove_pages(new.min(old), cut, |vmo| vmo.set_size(size))
}

/// No right is needed, as for `zx_vmo_get_size` (Zircon's handler checks
/// none).
pub fn vmo_get_stream_size(t: &Thread, h: Handle, out: UserOut<u64>) -> SysResult {
    let (vmo, _) = t.process.get::<VmoObject>(h, Rights::NONE)?;
    let size = vmo.content_size();
    Ok(user::write(t, out, &size)?)
}

pub fn vmo_set_stream_size(t: &Thread, h: Handle, size: u64) -> SysResult {
    let (vmo, _) = t.process.get::<VmoObject>(h, Rights::WRITE)?;
    vmo.set_stream_size(size)
}

pub fn vmo_op_range(
    t: &Thread,
    h: Handle,
    op: u32,
    offset: u64,
    size: u64,
    buf: UserInOut<u8>,
    buf_size: usize,
) -> SysResult {
    let (object, handle_rights) = t.process.get::<VmoObject>(h, Rights::NONE)?;
    let needed_any = match op {
        vmo_op::COMMIT | vmo_op::DECOMMIT | vmo_op::ZERO | vmo_op::CACHE_INVALIDATE => {
            Rights::WRITE
        }
        vmo_op::LOCK | vmo_op::TRY_LOCK | vmo_op::UNLOCK => Rights::READ | Rights::WRITE,
        vmo_op::CACHE_SYNC
        | vmo_op::CACHE_CLEAN
        | vmo_op::CACHE_CLEAN_INVALIDATE
        | vmo_op::PREFETCH => Rights::READ,
        vmo_op::DONT_NEED | vmo_op::ALWAYS_NEED => Rights::NONE,
        _ => return Err(ZxStatus::InvalidArgs),
    };
    if !needed_any.is_empty() && !handle_rights.intersects(needed_any) {
        return Err(ZxStatus::AccessDenied);
    }
    let object_size = object.size();
    check_range(object_size, offset, size)?;
    let (root, root_offset) = object.root(offset);
    match op {
        vmo_op::COMMIT => commit_range(&root, root_offset, size),
        vmo_op::DECOMMIT => decommit(&object, offset, size),
        vmo_op::ZERO => {
            if object.cache_policy() != cache_policy::CACHED {
                return Err(ZxStatus::BadState);
            }
            let mut v = root.inner.lock();
            v.remove_pages(root_offset, size, |vmo| vmo.zero(root_offset, size))
        }
        vmo_op::LOCK | vmo_op::TRY_LOCK | vmo_op::UNLOCK => {
            lock_op(t, &object, op, offset, size, buf, buf_size)
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

/// `ZX_VMO_OP_DECOMMIT` of `[offset, offset + size)` of `object` (in
/// range): refused for snapshots and their parents, whose pages may be
/// shared. A reference is judged by its root, whose pages it decommits.
pub(super) fn decommit(object: &Arc<VmoObject>, offset: u64, size: u64) -> SysResult {
    let owner = object.reference_root().unwrap_or(object);
    let has_snapshot_children =
        owner.has_cow.load(core::sync::atomic::Ordering::Acquire) && !owner.has_zero_children();
    if matches!(owner.kind, Kind::Snapshot { .. }) || has_snapshot_children {
        return Err(ZxStatus::NotSupported);
    }
    if !offset.is_multiple_of(PAGE_SIZE) || !size.is_multiple_of(PAGE_SIZE) {
        return Err(ZxStatus::InvalidArgs);
    }
    let (root, root_offset) = object.root(offset);
    let mut v = root.inner.lock();
    v.remove_pages(root_offset, size, |vmo| vmo.decommit(root_offset, size))
}

/// `ZX_VMO_OP_COMMIT` in chunks of one page-list node (16 pages), checking
/// the heap before each: page-list nodes live there.
pub(super) fn commit_range(root: &Arc<VmoObject>, offset: u64, size: u64) -> Result<(), ZxStatus> {
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
    t: &Thread,
    object: &Arc<VmoObject>,
    op: u32,
    offset: u64,
    size: u64,
    buf: UserInOut<u8>,
    buf_size: usize,
) -> SysResult {
    // Probe the state buffer before the VMO is locked (no user copy may run
    // under a VMO lock), so that a bad one leaves the VMO unlocked.
    let state_size = core::mem::size_of::<VmoLockState>();
    let probe_buffer = || {
        if buf_size < state_size
            || user::write_bytes_inout(t, buf, &[0u8; core::mem::size_of::<VmoLockState>()])
                .is_err()
        {
            return Err(ZxStatus::InvalidArgs);
        }
        Ok(())
    };
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
            drop(inner);
            probe_buffer()?;
            let discarded = object.inner.lock().vmo.lock(false)?;
            let state = VmoLockState {
                offset: 0,
                size: vmo_size,
                discarded_offset: 0,
                discarded_size: if discarded { vmo_size } else { 0 },
            };
            let bytes = fastcopy::record_as_bytes(&state);
            Ok(user::write_bytes_inout(t, buf, bytes)?)
        }
    }
}

/// The rights a child gets from its parent's handle rights.
fn child_rights(parent: Rights, options: ChildOptions) -> Rights {
    let mut r = (parent - Rights::RESIZE) | Rights::GET_PROPERTY | Rights::SET_PROPERTY;
    if options.contains(ChildOptions::RESIZABLE) {
        r |= Rights::RESIZE;
    }
    if options.contains(ChildOptions::NO_WRITE) {
        r -= Rights::WRITE;
    } else if !options.intersects(ChildOptions::SLICE | ChildOptions::REFERENCE) {
        // Only a copy-on-write child may be written whatever the parent
        // handle allowed (at the cost of EXECUTE).
        r = (r | Rights::WRITE) - Rights::EXECUTE;
    }
    r
}

pub fn vmo_create_child(
    t: &Thread,
    h: Handle,
    options: u32,
    offset: u64,
    size: u64,
    out: UserOut<Handle>,
) -> SysResult {
    use ChildOptions as C;
    let rounded = zx_abi::vmo_round_size(size).ok_or(ZxStatus::OutOfRange)?;
    let raw_options = options;
    let options = C::from_bits(raw_options).ok_or(ZxStatus::InvalidArgs)?;
    if options.contains(C::NO_WRITE | C::RESIZABLE) {
        return Err(ZxStatus::InvalidArgs);
    }
    let kinds = C::SNAPSHOT | C::SNAPSHOT_AT_LEAST_ON_WRITE | C::SNAPSHOT_MODIFIED | C::SLICE;
    if (options & (kinds | C::REFERENCE)).bits().count_ones() != 1 {
        return Err(ZxStatus::InvalidArgs);
    }
    if options.contains(C::SLICE | C::RESIZABLE) {
        return Err(ZxStatus::InvalidArgs);
    }
    let (parent, parent_rights) = t
        .process
        .get::<VmoObject>(h, Rights::DUPLICATE | Rights::READ)?;
    if options.contains(C::REFERENCE) {
        let child = create_reference(&parent, parent_rights, options, offset, size)?;
        let new = t
            .process
            .add_handle(child, child_rights(parent_rights, options))?;
        return user::give_handle(t, out, new);
    }
    let (root, root_offset) = parent.root(0);
    if parent.cache_policy() != cache_policy::CACHED {
        return Err(ZxStatus::BadState);
    }
    let (mut parent_resizable, parent_name) = {
        let v = parent.inner.lock();
        if v.vmo.options().contains(VmoOptions::DISCARDABLE) {
            return Err(ZxStatus::NotSupported);
        }
        (v.vmo.is_resizable(), *v.vmo.name())
    };
    let parent_size = parent.size();
    if parent.window().is_some() {
        parent_resizable |= root.inner.lock().vmo.is_resizable();
    }
    if !offset.is_multiple_of(PAGE_SIZE) {
        return Err(ZxStatus::InvalidArgs);
    }
    crate::heap::ensure_headroom()?;
    let name = if parent_rights.contains(Rights::GET_PROPERTY) {
        parent_name
    } else {
        [0; 32]
    };
    let child = if options.contains(C::SLICE) {
        // Zircon checks the range before the parent's resizability.
        if offset
            .checked_add(rounded)
            .is_none_or(|end| end > parent_size)
        {
            return Err(ZxStatus::InvalidArgs);
        }
        if parent_resizable {
            return Err(ZxStatus::NotSupported);
        }
        let mut shape = Vmo::create(&FRAMES, size, 0)?;
        shape.set_name(&name);
        VmoObject::new_slice(shape, &parent, offset)
    } else {
        if offset.checked_add(rounded).is_none() {
            return Err(ZxStatus::OutOfRange);
        }
        let child_options = if options.contains(C::RESIZABLE) {
            zx_abi::vmo_opt::RESIZABLE
        } else {
            0
        };
        let mut v = root.inner.lock();
        // Each shared page costs an `Arc` (and page-list space) on the heap.
        crate::heap::ensure_headroom_for(v.vmo.committed_pages().saturating_mul(96))?;
        // Writable page-table entries of the pages about to be shared go
        // first, so that no write through them can land after the snapshot.
        // The child sees the parent's window of the root (all of it for a
        // plain VMO), zero past the window's end; offsets that would pass
        // 2^64 in the root are INVALID_ARGS (mm checks every sum).
        let window_size = if parent.kind == Kind::Slice {
            parent_size
        } else {
            // A plain VMO or a reference: all of the root, as big as it is
            // now (a reference's root may be resizable).
            v.vmo.size()
        };
        let mut vmo = v.remove_pages(root_offset.saturating_add(offset), rounded, |vmo| {
            vmo.snapshot_window(root_offset, window_size, offset, size, child_options)
        })?;
        drop(v);
        vmo.set_name(&name);
        // Only an explicit SNAPSHOT is promised to stay a snapshot, so only
        // it is marked immutable (Zircon's rule).
        let immutable = options.contains(C::SNAPSHOT | C::NO_WRITE);
        VmoObject::new_snapshot(vmo, &parent, immutable)
    };
    let new = t
        .process
        .add_handle(child, child_rights(parent_rights, options))?;
    user::give_handle(t, out, new)
}

/// `ZX_VMO_CHILD_REFERENCE` after the options (only `RESIZABLE` and
/// `NO_WRITE` may come with it), the handle and its rights: Zircon's checks
/// in its order (a discardable parent, a range, a slice parent, `RESIZABLE`
/// of a parent that is not, the cache policy),
/// then a reference to all of `parent`'s root, named as the parent when the
/// handle may read its name.
fn create_reference(
    parent: &Arc<VmoObject>,
    parent_rights: Rights,
    options: ChildOptions,
    offset: u64,
    size: u64,
) -> Result<Arc<VmoObject>, ZxStatus> {
    use ChildOptions as C;
    // One lock at a time: a reference parent's record and its root's.
    let root_options = parent.size_holder().inner.lock().vmo.options();
    let parent_name = *parent.inner.lock().vmo.name();
    if root_options.contains(VmoOptions::DISCARDABLE) {
        return Err(ZxStatus::NotSupported);
    }
    if offset != 0 || size != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    if parent.kind == Kind::Slice {
        return Err(ZxStatus::NotSupported);
    }
    let resizable = root_options.contains(VmoOptions::RESIZABLE);
    if options.contains(C::RESIZABLE) && !resizable {
        return Err(ZxStatus::NotSupported);
    }
    if parent.cache_policy() != cache_policy::CACHED {
        return Err(ZxStatus::BadState);
    }
    crate::heap::ensure_headroom()?;
    // The reference is resizable exactly when its root is (whether its
    // handle may resize is the RESIZE right's business).
    let own = if resizable {
        zx_abi::vmo_opt::RESIZABLE
    } else {
        0
    };
    let mut shape = Vmo::create(&FRAMES, 0, own)?;
    if parent_rights.contains(Rights::GET_PROPERTY) {
        shape.set_name(&parent_name);
    }
    Ok(VmoObject::new_reference(shape, parent))
}

/// The handle is consumed whatever happens once it is found.
pub fn vmo_replace_as_executable(
    t: &Thread,
    h: Handle,
    vmex: Handle,
    out: UserOut<Handle>,
) -> SysResult {
    let e = t.process.remove_handle(h)?;
    if !e.is::<VmoObject>() {
        return Err(ZxStatus::BadHandle);
    }
    if vmex != zx_abi::ZX_HANDLE_INVALID {
        // No resource objects exist here: a valid vmex is the wrong type.
        t.process.get_any(vmex, Rights::NONE)?;
        return Err(ZxStatus::WrongType);
    }
    let rights = e.rights | Rights::EXECUTE;
    let new = t.process.add_entry(e.with_rights(rights))?;
    user::give_handle(t, out, new)
}

/// Copies one page from `src` at `src_off` to `dst` at `dst_off` (offsets
/// in the VMOs that hold the pages), through the kernel stack when both are
/// the same VMO.
fn copy_page(
    dst: &Arc<VmoObject>,
    dst_off: u64,
    src: &Arc<VmoObject>,
    src_off: u64,
) -> Result<(), ZxStatus> {
    crate::heap::ensure_headroom()?;
    if Arc::ptr_eq(dst, src) {
        let mut bounce = [0u8; PAGE_SIZE as usize];
        let mut v = dst.inner.lock();
        v.vmo.read(src_off, &mut bounce)?;
        return v.change(dst_off, PAGE_SIZE, |vmo| vmo.write(dst_off, &bounce));
    }
    let (mut d, s) = lock_two((&dst.inner, dst.koid()), (&src.inner, src.koid()));
    d.change(dst_off, PAGE_SIZE, |vmo| {
        vmo.copy_from(dst_off, &s.vmo, src_off, PAGE_SIZE)
    })
}

/// Zeroes `[offset, offset + len)` of `object` (through its root).
fn zero_range(object: &Arc<VmoObject>, offset: u64, len: u64) -> Result<(), ZxStatus> {
    if len == 0 {
        return Ok(());
    }
    let (root, root_offset) = object.root(offset);
    let mut v = root.inner.lock();
    v.remove_pages(root_offset, len, |vmo| vmo.zero(root_offset, len))
}

/// `zx_vmo_transfer_data`: the source range's contents move to the
/// destination range and the source range reads as zero afterwards (where
/// it is not itself the destination). Zircon moves the pages; this kernel
/// copies them page by page (in the direction that is safe when the ranges
/// overlap in one VMO) and then zeroes what is left of the source range, so
/// a failure part-way (out of memory) leaves a partial copy.
pub fn vmo_transfer_data(
    t: &Thread,
    dst_h: Handle,
    options: u32,
    offset: u64,
    length: u64,
    src_h: Handle,
    src_offset: u64,
) -> SysResult {
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    if [offset, length, src_offset]
        .iter()
        .any(|v| !v.is_multiple_of(PAGE_SIZE))
    {
        return Err(ZxStatus::InvalidArgs);
    }
    let (dst, _) = t.process.get::<VmoObject>(dst_h, Rights::WRITE)?;
    let (src, _) = t
        .process
        .get::<VmoObject>(src_h, Rights::READ | Rights::WRITE)?;
    if dst.koid() == src.koid() && src_offset == offset {
        return Ok(());
    }
    if dst.cache_policy() != cache_policy::CACHED || src.cache_policy() != cache_policy::CACHED {
        return Err(ZxStatus::BadState);
    }
    check_range(src.size(), src_offset, length)?;
    check_range(dst.size(), offset, length)?;
    let pages = length / PAGE_SIZE;
    // Backwards when the destination lies above the source in one VMO, so
    // that no source page is overwritten before it is copied. A reference
    // and its root (or two references of it) are one VMO here: the same
    // pages at the same offsets.
    let same = core::ptr::eq(dst.size_holder(), src.size_holder());
    let backwards = same && offset > src_offset;
    for k in 0..pages {
        let i = if backwards { pages - 1 - k } else { k };
        let (s, s_off) = src.root(src_offset + i * PAGE_SIZE);
        let (d, d_off) = dst.root(offset + i * PAGE_SIZE);
        copy_page(&d, d_off, &s, s_off)?;
    }
    // What of the source range the destination did not overwrite.
    let (src_end, dst_end) = (src_offset + length, offset + length);
    if same && offset < src_end && src_offset < dst_end {
        zero_range(&src, src_offset, offset.saturating_sub(src_offset))?;
        zero_range(&src, dst_end.min(src_end), src_end.saturating_sub(dst_end))
    } else {
        zero_range(&src, src_offset, length)
    }
}

/// `zx_vmo_set_cache_policy`: the policy first (`INVALID_ARGS`), then the
/// handle's MAP right, then the VMO's state (`BAD_STATE` once it is mapped,
/// has or is a child, or holds a page).
pub fn vmo_set_cache_policy(t: &Thread, h: Handle, policy: u32) -> SysResult {
    if policy & !cache_policy::MASK != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (vmo, _) = t.process.get::<VmoObject>(h, Rights::MAP)?;
    vmo.set_cache_policy(policy)
}

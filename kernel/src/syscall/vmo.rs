//! `zx_vmo_create`, `zx_vmo_read`, `zx_vmo_write`, `zx_vmo_get_size`,
//! `zx_vmo_set_size`.

use super::user;
use crate::memory::FRAMES;
use crate::object::KernelObject;
use crate::process::Process;
use crate::vm::{Access, UserFault, VmoObject};
use alloc::sync::Arc;
use mm::vmo::Vmo;
use zx_abi::{rights, vmo_opt, Handle, ZxStatus};

pub fn create(p: &mut Process, size: u64, options: u32, out: u64) -> Result<(), ZxStatus> {
    if options & !(vmo_opt::RESIZABLE | vmo_opt::DISCARDABLE) != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let vmo = Vmo::create(&FRAMES, size, options)?;
    let mut handle_rights = rights::DEFAULT_VMO;
    if options & vmo_opt::RESIZABLE != 0 {
        handle_rights |= rights::RESIZE;
    }
    let h = p
        .handles
        .add(KernelObject::Vmo(VmoObject::new(vmo)), handle_rights)?;
    if user::write_u32(p, out, h).is_err() {
        // Closing the only handle frees the VMO: nothing is left behind.
        p.handles.remove(h)?;
        return Err(ZxStatus::InvalidArgs);
    }
    Ok(())
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
/// kernel stack instead (the VMO cannot be locked twice).
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
            if Arc::ptr_eq(user_vmo, vmo) {
                let mut bounce = [0u8; 4096];
                let mut v = vmo.inner.lock();
                if to_user {
                    v.vmo.read(vmo_off, &mut bounce[..n])?;
                    v.vmo.write(user_off, &bounce[..n])?;
                } else {
                    v.vmo.read(user_off, &mut bounce[..n])?;
                    v.vmo.write(vmo_off, &bounce[..n])?;
                }
                return Ok::<(), CopyError>(());
            }
            if to_user {
                let src = vmo.inner.lock();
                user_vmo
                    .inner
                    .lock()
                    .vmo
                    .copy_from(user_off, &src.vmo, vmo_off, n as u64)?;
            } else {
                let src = user_vmo.inner.lock();
                vmo.inner
                    .lock()
                    .vmo
                    .copy_from(vmo_off, &src.vmo, user_off, n as u64)?;
            }
            Ok(())
        })?;
    Ok(())
}

pub fn read(p: &mut Process, h: Handle, buf: u64, offset: u64, len: u64) -> Result<(), ZxStatus> {
    let vmo = p.handles.vmo(h, rights::READ)?.0.clone();
    check_range(vmo.inner.lock().vmo.size(), offset, len)?;
    if len == 0 {
        return Ok(());
    }
    transfer(p, &vmo, offset, buf, len, true)
}

pub fn write(p: &mut Process, h: Handle, buf: u64, offset: u64, len: u64) -> Result<(), ZxStatus> {
    let vmo = p.handles.vmo(h, rights::WRITE)?.0.clone();
    check_range(vmo.inner.lock().vmo.size(), offset, len)?;
    if len == 0 {
        return Ok(());
    }
    transfer(p, &vmo, offset, buf, len, false)
}

pub fn get_size(p: &mut Process, h: Handle, out: u64) -> Result<(), ZxStatus> {
    let size = p.handles.vmo(h, rights::NONE)?.0.inner.lock().vmo.size();
    user::write_u64(p, out, size).map_err(|_| ZxStatus::InvalidArgs)
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

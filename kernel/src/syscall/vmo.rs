//! `zx_vmo_create`, `zx_vmo_read`, `zx_vmo_write`, `zx_vmo_get_size`,
//! `zx_vmo_set_size`.

use super::user;
use crate::memory::FRAMES;
use crate::object::KernelObject;
use crate::process::Process;
use crate::vm::VmoObject;
use mm::vmo::Vmo;
use zx_abi::{rights, vmo_opt, Handle, ZxStatus};

/// Bytes moved between user memory and a VMO per step: one page on the
/// kernel stack.
const CHUNK: usize = 4096;

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

pub fn read(p: &mut Process, h: Handle, buf: u64, offset: u64, len: u64) -> Result<(), ZxStatus> {
    let vmo = p.handles.vmo(h, rights::READ)?.0.clone();
    check_range(vmo.inner.lock().vmo.size(), offset, len)?;
    let mut chunk = [0u8; CHUNK];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(CHUNK as u64) as usize;
        vmo.inner.lock().vmo.read(offset + done, &mut chunk[..n])?;
        // Zircon's core tests expect NOT_FOUND for a buffer it cannot write.
        user::write_bytes(p, buf + done, &chunk[..n]).map_err(|_| ZxStatus::NotFound)?;
        done += n as u64;
    }
    Ok(())
}

pub fn write(p: &mut Process, h: Handle, buf: u64, offset: u64, len: u64) -> Result<(), ZxStatus> {
    let vmo = p.handles.vmo(h, rights::WRITE)?.0.clone();
    check_range(vmo.inner.lock().vmo.size(), offset, len)?;
    let mut chunk = [0u8; CHUNK];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(CHUNK as u64) as usize;
        user::read_bytes(p, buf + done, &mut chunk[..n]).map_err(|_| ZxStatus::NotFound)?;
        vmo.inner.lock().vmo.write(offset + done, &chunk[..n])?;
        done += n as u64;
    }
    Ok(())
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

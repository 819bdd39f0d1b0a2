//! `zx_handle_close`, `zx_handle_duplicate`, `zx_handle_replace`.

use super::user;
use crate::process::Process;
use zx_abi::{rights, Handle, ZxStatus, ZX_HANDLE_INVALID};

/// The rights a new handle gets: `requested`, or all of `current` for
/// `ZX_RIGHT_SAME_RIGHTS`; `InvalidArgs` if that would add a right.
fn derived_rights(current: u32, requested: u32) -> Result<u32, ZxStatus> {
    if requested == rights::SAME_RIGHTS {
        Ok(current)
    } else if requested & !current != 0 {
        Err(ZxStatus::InvalidArgs)
    } else {
        Ok(requested)
    }
}

pub fn close(p: &mut Process, h: Handle) -> Result<(), ZxStatus> {
    if h == ZX_HANDLE_INVALID {
        return Ok(());
    }
    p.handles.remove(h).map(drop)
}

pub fn duplicate(p: &mut Process, h: Handle, requested: u32, out: u64) -> Result<(), ZxStatus> {
    let e = p.handles.get(h)?;
    if e.rights & rights::DUPLICATE == 0 {
        return Err(ZxStatus::AccessDenied);
    }
    let new_rights = derived_rights(e.rights, requested)?;
    crate::heap::ensure_headroom()?;
    let object = e.object.clone();
    let new = p.handles.add(object, new_rights)?;
    user::give_handle(p, out, new)
}

/// The old handle is gone whatever happens after it is found valid.
pub fn replace(p: &mut Process, h: Handle, requested: u32, out: u64) -> Result<(), ZxStatus> {
    let e = p.handles.remove(h)?;
    let new_rights = derived_rights(e.rights, requested)?;
    let new = p.handles.add(e.object, new_rights)?;
    user::give_handle(p, out, new)
}

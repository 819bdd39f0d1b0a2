//! `zx_handle_close`, `zx_handle_close_many`, `zx_handle_duplicate`,
//! `zx_handle_replace`.

use super::{user, IntoX0, SysResult, X0};
use crate::task::Thread;
use zx_abi::{Handle, Rights, UserIn, UserOut, ZxStatus, ZX_HANDLE_INVALID};

#[inline]
pub fn handle_close(t: &Thread, h: Handle) -> X0 {
    if h == ZX_HANDLE_INVALID {
        return X0(0);
    }
    close_valid(t, h)
}

/// The part of `handle_close` that has a handle to close: apart, so that
/// closing `ZX_HANDLE_INVALID` builds no stack frame; it returns x0 itself,
/// so that the entry reaches it with a tail call.
#[inline(never)]
fn close_valid(t: &Thread, h: Handle) -> X0 {
    X0(close_one(t, h).into_x0())
}

#[inline(always)]
fn close_one(t: &Thread, h: Handle) -> SysResult {
    t.process.close_handle(h)?;
    // Messages stranded in a channel endpoint it closed are gone (and
    // their handles closed) before the call returns.
    crate::object::channel::reap();
    Ok(())
}

/// Closes every handle of the array, even when some are invalid or appear
/// twice (then `BAD_HANDLE`). The array is read in chunks; an unreadable
/// chunk stops the call with `INVALID_ARGS`, the chunks before it closed.
pub fn handle_close_many(t: &Thread, handles: UserIn<Handle>, count: usize) -> SysResult {
    const CHUNK: usize = 64;
    let mut chunk = [0 as Handle; CHUNK];
    let mut bad = false;
    let mut done = 0;
    while done < count {
        let n = (count - done).min(CHUNK);
        user::read_array(t, handles.add(done), &mut chunk[..n])?;
        for &h in &chunk[..n] {
            if handle_close(t, h).0 != 0 {
                bad = true;
            }
        }
        done += n;
    }
    if bad {
        Err(ZxStatus::BadHandle)
    } else {
        Ok(())
    }
}

pub fn handle_duplicate(t: &Thread, h: Handle, rights: u32, out: UserOut<Handle>) -> SysResult {
    let new = t.process.with_handles(|table| {
        let derived = table.derive(h, rights)?;
        // After the checks, so that NO_MEMORY never hides their statuses.
        crate::heap::ensure_headroom()?;
        table.add_entry(derived)
    })?;
    user::give_handle(t, out, new)
}

/// The old handle is gone whatever happens after it is found valid.
pub fn handle_replace(t: &Thread, h: Handle, rights: u32, out: UserOut<Handle>) -> SysResult {
    let new = t.process.with_handles(|table| table.replace(h, rights));
    match new {
        Ok(new) => {
            if let Ok((object, _)) = t.process.get_any(new, Rights::NONE) {
                t.process.handle_gone(h, &object);
            }
            user::give_handle(t, out, new)
        }
        Err((status, old)) => {
            drop(old);
            crate::object::channel::reap();
            Err(status)
        }
    }
}

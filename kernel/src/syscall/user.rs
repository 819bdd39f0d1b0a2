//! Typed access to EL0 pointers for the system calls: `UserIn<T>` is read,
//! `UserOut<T>` written, each only through these functions. Alignment is
//! checked here (an unaligned pointer to a record is an error, not a
//! fixup). A copy first tries the fast path through the program's
//! translation table, then the walk through its mappings, which commits
//! pages and rejects bad pointers.
//!
//! No VMO lock may be held across these calls (the slow path takes the
//! lock of the VMO behind the buffer).

use crate::task::Thread;
use crate::vm::fastcopy::{self, record_as_bytes, record_as_bytes_mut};
use crate::vm::UserFault;
use zx_abi::{Handle, Record, UserIn, UserInOut, UserOut, ZxStatus};

/// Why a copy to or from user memory failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserCopyError {
    /// The pointer cannot be used: unaligned, unmapped, in the kernel half,
    /// or without the needed access.
    Bad,
    /// The copy needed to commit a page and memory ran out.
    NoMemory,
}

impl UserCopyError {
    /// The status a call reports: `bad` for an unusable pointer (each call
    /// documents which), `ZX_ERR_NO_MEMORY` when memory ran out.
    pub fn or(self, bad: ZxStatus) -> ZxStatus {
        match self {
            Self::Bad => bad,
            Self::NoMemory => ZxStatus::NoMemory,
        }
    }
}

impl From<UserFault> for UserCopyError {
    fn from(f: UserFault) -> Self {
        match f {
            UserFault::NoMemory => Self::NoMemory,
            _ => Self::Bad,
        }
    }
}

/// Most calls report an unusable pointer as `INVALID_ARGS`.
impl From<UserCopyError> for ZxStatus {
    fn from(e: UserCopyError) -> Self {
        e.or(ZxStatus::InvalidArgs)
    }
}

fn copy_in(t: &Thread, addr: u64, buf: &mut [u8]) -> Result<(), UserCopyError> {
    if buf.is_empty() || fastcopy::bytes_from_user(addr, buf) {
        return Ok(());
    }
    Ok(t.process.aspace.copy_from_user(addr, buf)?)
}

fn copy_out(t: &Thread, addr: u64, data: &[u8]) -> Result<(), UserCopyError> {
    if data.is_empty() || fastcopy::bytes_to_user(addr, data) {
        return Ok(());
    }
    Ok(t.process.aspace.copy_to_user(addr, data)?)
}

/// Reads `buf.len()` bytes at `ptr`.
pub fn read_bytes(t: &Thread, ptr: UserIn<u8>, buf: &mut [u8]) -> Result<(), UserCopyError> {
    copy_in(t, ptr.addr(), buf)
}

/// Writes `data` at `ptr`.
pub fn write_bytes(t: &Thread, ptr: UserOut<u8>, data: &[u8]) -> Result<(), UserCopyError> {
    copy_out(t, ptr.addr(), data)
}

/// Writes `data` through a read-write pointer.
pub fn write_bytes_inout(t: &Thread, ptr: UserInOut<u8>, data: &[u8]) -> Result<(), UserCopyError> {
    copy_out(t, ptr.addr(), data)
}

/// Reads `out.len()` records at `ptr` (aligned for `T`).
pub fn read_array<T: Record>(
    t: &Thread,
    ptr: UserIn<T>,
    out: &mut [T],
) -> Result<(), UserCopyError> {
    if !ptr.is_aligned() {
        return Err(UserCopyError::Bad);
    }
    for (i, slot) in out.iter_mut().enumerate() {
        copy_in(t, ptr.add(i).addr(), record_as_bytes_mut(slot))?;
    }
    Ok(())
}

/// Writes one record at `ptr` (aligned for `T`).
pub fn write<T: Record>(t: &Thread, ptr: UserOut<T>, value: &T) -> Result<(), UserCopyError> {
    if !ptr.is_aligned() {
        return Err(UserCopyError::Bad);
    }
    copy_out(t, ptr.addr(), record_as_bytes(value))
}

/// Hands a new handle to the program through `out`; if the pointer is
/// unusable the handle is closed again (whatever it held goes with it), so
/// a failed call creates nothing.
#[inline]
pub fn give_handle(t: &Thread, out: UserOut<Handle>, h: Handle) -> Result<(), ZxStatus> {
    // The usual case, a mapped and aligned slot, in one store.
    if fastcopy::u32_to_user(out.addr(), h) {
        return Ok(());
    }
    give_handle_slow(t, out, h)
}

/// [`give_handle`] through the general copy, which commits the page or
/// rejects the pointer.
#[inline(never)]
fn give_handle_slow(t: &Thread, out: UserOut<Handle>, h: Handle) -> Result<(), ZxStatus> {
    if let Err(e) = write(t, out, &h) {
        t.process.close_handle(h)?;
        return Err(e.into());
    }
    Ok(())
}

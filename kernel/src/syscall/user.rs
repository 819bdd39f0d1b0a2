//! Typed access to EL0 pointers for the system calls: alignment is checked
//! here (an unaligned out-pointer is an error, not a fixup). A copy first
//! tries the fast path through the program's translation table, then the
//! walk through its mappings, which commits pages and rejects bad pointers.

use crate::process::Process;
use crate::vm::UserFault;
use zx_abi::ZxStatus;

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

pub fn read_bytes(p: &Process, addr: u64, buf: &mut [u8]) -> Result<(), UserCopyError> {
    if buf.is_empty() || crate::vm::fastcopy::bytes_from_user(addr, buf) {
        return Ok(());
    }
    Ok(p.aspace.copy_from_user(addr, buf)?)
}

pub fn write_bytes(p: &Process, addr: u64, data: &[u8]) -> Result<(), UserCopyError> {
    if data.is_empty() || crate::vm::fastcopy::bytes_to_user(addr, data) {
        return Ok(());
    }
    Ok(p.aspace.copy_to_user(addr, data)?)
}

pub fn write_u32(p: &Process, addr: u64, value: u32) -> Result<(), UserCopyError> {
    if !addr.is_multiple_of(4) {
        return Err(UserCopyError::Bad);
    }
    write_bytes(p, addr, &value.to_le_bytes())
}

pub fn write_u64(p: &Process, addr: u64, value: u64) -> Result<(), UserCopyError> {
    if !addr.is_multiple_of(8) {
        return Err(UserCopyError::Bad);
    }
    write_bytes(p, addr, &value.to_le_bytes())
}

/// Hands a new handle to the program through its out-pointer `out`; if the
/// pointer is unusable the handle is closed again (whatever it held goes
/// with it), so a failed call creates nothing.
pub fn give_handle(p: &mut Process, out: u64, h: zx_abi::Handle) -> Result<(), ZxStatus> {
    if let Err(e) = write_u32(p, out, h) {
        p.handles.remove(h)?;
        return Err(e.or(ZxStatus::InvalidArgs));
    }
    Ok(())
}

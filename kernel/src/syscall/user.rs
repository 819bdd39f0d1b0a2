//! Typed access to EL0 pointers for the system calls: alignment is checked
//! here (an unaligned out-pointer is an error, not a fixup), the copy itself
//! goes through the address space's mappings.

use crate::process::Process;
use crate::vm::UserFault;

/// A user pointer that cannot be used: unaligned, unmapped, in the kernel
/// half, or without the needed access.
#[derive(Debug)]
pub struct BadUserPointer;

impl From<UserFault> for BadUserPointer {
    fn from(_: UserFault) -> Self {
        BadUserPointer
    }
}

pub fn read_bytes(p: &Process, addr: u64, buf: &mut [u8]) -> Result<(), BadUserPointer> {
    if buf.is_empty() {
        return Ok(());
    }
    Ok(p.aspace.copy_from_user(addr, buf)?)
}

pub fn write_bytes(p: &Process, addr: u64, data: &[u8]) -> Result<(), BadUserPointer> {
    if data.is_empty() {
        return Ok(());
    }
    Ok(p.aspace.copy_to_user(addr, data)?)
}

pub fn write_u32(p: &Process, addr: u64, value: u32) -> Result<(), BadUserPointer> {
    if !addr.is_multiple_of(4) {
        return Err(BadUserPointer);
    }
    write_bytes(p, addr, &value.to_le_bytes())
}

pub fn write_u64(p: &Process, addr: u64, value: u64) -> Result<(), BadUserPointer> {
    if !addr.is_multiple_of(8) {
        return Err(BadUserPointer);
    }
    write_bytes(p, addr, &value.to_le_bytes())
}

//! Channels from EL0: create, write (plain and `_etc`), read (plain and
//! `_etc`), and `channel_call`, built as Zircon's vDSO builds it: the
//! kernel's `zx_channel_call_noretry`, then `zx_channel_call_finish` for as
//! long as the kernel answers `ZX_ERR_INTERNAL_INTR_RETRY`.

use crate::{raw, to_result, Status};
/// The ABI's channel constants (limits, options, handle operations), here
/// too: this module's name hides the ABI's `channel` module.
pub use zx_abi::channel::*;
use zx_abi::{ChannelCallArgs, Handle, HandleDisposition, HandleInfo, ZxStatus};

/// `ZX_ERR_INTERNAL_INTR_RETRY`: vDSO-private, never seen by callers of
/// [`channel_call`].
pub const ERR_INTERNAL_INTR_RETRY: i64 = -6;

/// `zx_channel_create`: both endpoints.
pub fn channel_create() -> Result<(Handle, Handle), ZxStatus> {
    let (mut a, mut b) = (0, 0);
    // SAFETY: both out-pointers name live locals.
    to_result(unsafe { raw::channel_create(0, &mut a, &mut b) })?;
    Ok((a, b))
}

/// `zx_channel_write` of `bytes` and `handles` (consumed either way).
pub fn channel_write(h: Handle, bytes: &[u8], handles: &[Handle]) -> Status {
    // SAFETY: both pointers and lengths describe live slices.
    to_result(unsafe {
        raw::channel_write(
            h,
            0,
            bytes.as_ptr(),
            bytes.len() as u32,
            handles.as_ptr(),
            handles.len() as u32,
        )
    })
}

/// `zx_channel_write_etc`; failed entries get their status in `result`.
pub fn channel_write_etc(h: Handle, bytes: &[u8], handles: &mut [HandleDisposition]) -> Status {
    // SAFETY: both pointers and lengths describe live slices (the
    // dispositions writable).
    to_result(unsafe {
        raw::channel_write_etc(
            h,
            0,
            bytes.as_ptr(),
            bytes.len() as u32,
            handles.as_mut_ptr(),
            handles.len() as u32,
        )
    })
}

/// What a read got (or, with `BUFFER_TOO_SMALL`, what it needed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actual {
    pub bytes: u32,
    pub handles: u32,
}

/// `zx_channel_read` into `bytes` and `handles` with `options`; the sizes
/// come back on success and on `BUFFER_TOO_SMALL`.
pub fn channel_read(
    h: Handle,
    options: u32,
    bytes: &mut [u8],
    handles: &mut [Handle],
) -> (Status, Actual) {
    let mut a = Actual::default();
    // SAFETY: both pointers and lengths describe live, writable slices;
    // the counts are live locals.
    let s = to_result(unsafe {
        raw::channel_read(
            h,
            options,
            bytes.as_mut_ptr(),
            handles.as_mut_ptr(),
            bytes.len() as u32,
            handles.len() as u32,
            &mut a.bytes,
            &mut a.handles,
        )
    });
    (s, a)
}

/// `zx_channel_read_etc`: as [`channel_read`], with each handle's type and
/// rights.
pub fn channel_read_etc(
    h: Handle,
    options: u32,
    bytes: &mut [u8],
    handles: &mut [HandleInfo],
) -> (Status, Actual) {
    let mut a = Actual::default();
    // SAFETY: as in `channel_read`.
    let s = to_result(unsafe {
        raw::channel_read_etc(
            h,
            options,
            bytes.as_mut_ptr(),
            handles.as_mut_ptr(),
            bytes.len() as u32,
            handles.len() as u32,
            &mut a.bytes,
            &mut a.handles,
        )
    });
    (s, a)
}

/// `zx_channel_call` as the vDSO does it, on raw arguments (the pointers
/// inside `args` and the out-pointers may be anything).
///
/// # Safety
/// The kernel writes through `args`' read pointers and the out-pointers;
/// they must be writable for the sizes `args` gives, or invalid on
/// purpose.
pub unsafe fn channel_call_raw(
    h: Handle,
    options: u32,
    deadline: i64,
    args: *const ChannelCallArgs,
    actual_bytes: *mut u32,
    actual_handles: *mut u32,
) -> i64 {
    // SAFETY: the caller vouches for the pointers.
    let mut s = unsafe {
        raw::channel_call_noretry(h, options, deadline, args, actual_bytes, actual_handles)
    };
    while s == ERR_INTERNAL_INTR_RETRY {
        // SAFETY: as above.
        s = unsafe { raw::channel_call_finish(deadline, args, actual_bytes, actual_handles) };
    }
    s
}

/// `zx_channel_call`: writes `request` (its first four bytes are replaced
/// by the kernel's txid) with `handles` (consumed), waits until
/// `deadline` for the reply with the same txid, and reads it into `reply`
/// and `reply_handles`.
pub fn channel_call(
    h: Handle,
    deadline: i64,
    request: &[u8],
    handles: &[Handle],
    reply: &mut [u8],
    reply_handles: &mut [Handle],
) -> (Status, Actual) {
    let args = ChannelCallArgs {
        wr_bytes: request.as_ptr() as u64,
        wr_handles: handles.as_ptr() as u64,
        rd_bytes: reply.as_mut_ptr() as u64,
        rd_handles: reply_handles.as_mut_ptr() as u64,
        wr_num_bytes: request.len() as u32,
        wr_num_handles: handles.len() as u32,
        rd_num_bytes: reply.len() as u32,
        rd_num_handles: reply_handles.len() as u32,
    };
    let mut a = Actual::default();
    // SAFETY: the arguments describe live slices (the reply ones
    // writable) and the counts are live locals.
    let s = unsafe { channel_call_raw(h, 0, deadline, &args, &mut a.bytes, &mut a.handles) };
    (to_result(s), a)
}

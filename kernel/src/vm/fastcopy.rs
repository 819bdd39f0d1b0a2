//! The fast path of `zx_vmo_read`/`zx_vmo_write`: bytes move between a
//! VMO's pages (through the linear map) and the program's buffer (through its
//! own translation table) in one copy per page. It stops at the first piece
//! the program's table does not map with the needed access; the caller then
//! takes the slow path (the walk through the program's mappings), which
//! commits, copies shared pages and reports bad pointers. So this changes
//! speed, never results.

use super::vmo::VmoInner;
use mm::phys::page_ptr;
use platform::arch::usercopy;
use zx_abi::{ZxStatus, PAGE_SIZE};

/// What an uncommitted VMO page reads as.
static ZERO_PAGE: [u8; PAGE_SIZE as usize] = [0; PAGE_SIZE as usize];

/// Splits `[offset, offset + len)` at VMO page boundaries.
fn chunks(offset: u64, len: u64) -> impl Iterator<Item = (u64, u64, u64)> {
    let mut done = 0;
    core::iter::from_fn(move || {
        (done < len).then(|| {
            let at = offset + done;
            let n = (PAGE_SIZE - at % PAGE_SIZE).min(len - done);
            let chunk = (done, at, n);
            done += n;
            chunk
        })
    })
}

/// Copies from the program's buffer at `user` into the VMO at `offset`, as
/// far as it can; returns the bytes done. The caller holds the VMO's lock
/// and has checked the range against the VMO's size.
pub fn vmo_from_user(v: &mut VmoInner, offset: u64, user: u64, len: u64) -> Result<u64, ZxStatus> {
    for (done, at, n) in chunks(offset, len) {
        let index = at / PAGE_SIZE;
        // A page already this VMO's own needs nothing done (the usual case
        // of a write to a committed page); any other is committed or copied.
        let pa = match v.vmo.owned_page(index) {
            Some(pa) => pa,
            None => v.change(index * PAGE_SIZE, PAGE_SIZE, |vmo| {
                vmo.commit_page_for_write(index)
            })?,
        };
        let dst = page_ptr(pa).wrapping_add((at % PAGE_SIZE) as usize);
        // SAFETY: `dst..dst + n` lies in a page this VMO owns (just made
        // writable for it) and the caller holds the VMO's lock; the current
        // TTBR0 is the calling program's.
        if !unsafe { usercopy::from_user(dst, user + done, n as usize) } {
            return Ok(done);
        }
    }
    Ok(len)
}

/// Copies from the VMO at `offset` into the program's buffer at `user`, as
/// far as it can; returns the bytes done. The caller holds the VMO's lock
/// and has checked the range against the VMO's size.
pub fn vmo_to_user(v: &VmoInner, offset: u64, user: u64, len: u64) -> u64 {
    for (done, at, n) in chunks(offset, len) {
        let in_page = (at % PAGE_SIZE) as usize;
        let src = match v.vmo.lookup_page(at / PAGE_SIZE) {
            Some(pa) => page_ptr(pa).wrapping_add(in_page) as *const u8,
            None => ZERO_PAGE[in_page..].as_ptr(),
        };
        // SAFETY: `src..src + n` lies in a page the locked VMO holds, or in
        // the static zero page; the current TTBR0 is the calling program's.
        if !unsafe { usercopy::to_user(user + done, src, n as usize) } {
            return done;
        }
    }
    len
}

/// Copies `data` to the program's memory at `user` if its table already maps
/// the range writable; false otherwise (take the slow path).
pub fn bytes_to_user(user: u64, data: &[u8]) -> bool {
    // SAFETY: `data` is a live kernel slice; the current TTBR0 is the
    // calling program's (system calls run on its table).
    unsafe { usercopy::to_user(user, data.as_ptr(), data.len()) }
}

/// Stores `value` at `user` (4-aligned) if the program's table already maps
/// it writable; false otherwise (take the slow path).
#[inline]
pub fn u32_to_user(user: u64, value: u32) -> bool {
    // SAFETY: the current TTBR0 is the calling program's (system calls run
    // on its table).
    unsafe { usercopy::put_u32(user, value) }
}

/// Fills `buf` from the program's memory at `user` if its table already maps
/// the range readable; false otherwise (take the slow path).
pub fn bytes_from_user(user: u64, buf: &mut [u8]) -> bool {
    // SAFETY: `buf` is a live, exclusively borrowed kernel slice; the current
    // TTBR0 is the calling program's.
    unsafe { usercopy::from_user(buf.as_mut_ptr(), user, buf.len()) }
}

/// The bytes of an ABI record, for copying it out whole.
pub fn record_as_bytes<T: zx_abi::Record>(record: &T) -> &[u8] {
    // SAFETY: `Record` types are `#[repr(C)]` with every padding byte an
    // explicit field (their sizes are pinned in zx-abi), so every byte of
    // the value is initialised; the slice borrows `record`.
    unsafe {
        core::slice::from_raw_parts(record as *const T as *const u8, core::mem::size_of::<T>())
    }
}

/// The bytes of an ABI record, for filling it from user memory.
pub fn record_as_bytes_mut<T: zx_abi::Record>(record: &mut T) -> &mut [u8] {
    // SAFETY: as above, and every bit pattern is a valid `Record`; the slice
    // borrows `record` exclusively.
    unsafe {
        core::slice::from_raw_parts_mut(record as *mut T as *mut u8, core::mem::size_of::<T>())
    }
}

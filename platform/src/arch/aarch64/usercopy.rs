//! The fast path for copying between the kernel and EL0 memory: plain loads
//! and stores through the program's translation table, which is installed
//! in TTBR0 only for the copy (software PAN), with a fault turning into a
//! failed copy (see `usercopy.S`). The kernel falls back to walking
//! the program's mappings whenever this fails, so it only ever speeds up the
//! common case (a buffer already mapped with the needed access).

core::arch::global_asm!(
    include_str!("usercopy.S"),
    PERCPU_USER_TTBR0 = const core::mem::offset_of!(super::percpu::CpuLocal, user_ttbr0),
);

// `user_copy` loads both TTBR0 values with one `ldp`.
const _: () = assert!(
    core::mem::offset_of!(super::percpu::CpuLocal, kernel_ttbr0)
        == core::mem::offset_of!(super::percpu::CpuLocal, user_ttbr0) + 8
);

/// Addresses EL0 can use: `[0, USER_END)` (TTBR0's 48-bit range).
const USER_END: u64 = 1 << 48;

unsafe extern "C" {
    fn user_copy(dst: *mut u8, src: *const u8, n: usize) -> u64;
    fn user_put_u32(dst: *mut u32, value: u32) -> u64;
    static __user_copy_start: u8;
    static __user_copy_end: u8;
    static __user_copy_fault: u8;
}

#[inline]
fn in_user_range(va: u64, len: usize) -> bool {
    va.checked_add(len as u64)
        .is_some_and(|end| end <= USER_END)
}

/// Copies `len` bytes from EL0 address `user` to `dst`; false if the range
/// is not below the user half or is not mapped readable right now.
///
/// # Safety
/// `dst` must be valid for `len` bytes of writes, and the current TTBR0
/// must be the calling program's table.
#[inline]
pub unsafe fn from_user(dst: *mut u8, user: u64, len: usize) -> bool {
    // SAFETY: the source is checked to be an EL0 address (a fault there is
    // recovered by the fixup); the caller vouches for `dst`.
    in_user_range(user, len) && unsafe { user_copy(dst, user as *const u8, len) } == 0
}

/// Copies `len` bytes from `src` to EL0 address `user`; false if the range
/// is not below the user half or is not mapped writable right now.
///
/// # Safety
/// `src` must be valid for `len` bytes of reads, and the current TTBR0 must
/// be the calling program's table.
#[inline]
pub unsafe fn to_user(user: u64, src: *const u8, len: usize) -> bool {
    // SAFETY: as in `from_user`, with the roles swapped.
    in_user_range(user, len) && unsafe { user_copy(user as *mut u8, src, len) } == 0
}

/// Stores `value` at EL0 address `user`; false if `user` is unaligned, not
/// below the user half or not mapped writable right now.
///
/// # Safety
/// The current TTBR0 must be the calling program's table.
#[inline]
pub unsafe fn put_u32(user: u64, value: u32) -> bool {
    // SAFETY: as in `to_user`: the destination is checked to be an aligned
    // EL0 address, and a fault there is recovered by the fixup.
    user.is_multiple_of(4)
        && in_user_range(user, 4)
        && unsafe { user_put_u32(user as *mut u32, value) } == 0
}

/// Whether a kernel data abort at `pc` came from inside `user_copy`.
pub fn is_fixable(pc: u64) -> bool {
    // SAFETY: only the addresses of linker symbols are taken.
    let (start, end) = unsafe {
        (
            &__user_copy_start as *const u8 as u64,
            &__user_copy_end as *const u8 as u64,
        )
    };
    (start..end).contains(&pc)
}

/// Where a faulting `user_copy` resumes: it returns failure from there.
pub fn fault_resume_address() -> u64 {
    // SAFETY: only the address of a linker symbol is taken.
    unsafe { &__user_copy_fault as *const u8 as u64 }
}

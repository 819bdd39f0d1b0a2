//! Tests that system-call numbers the kernel does not implement return
//! ZX_ERR_BAD_SYSCALL (x16 is read as a full 64-bit number) and that the
//! program carries on normally afterwards.
#![no_std]
#![no_main]

use core::arch::asm;
use el0_tests::{close, size_of, st, vmo, zx};
use zx::{sys, Handle, ZxStatus};

/// System call `n` with every argument register zero: a kernel that
/// misread the number as a real call would see ZX_HANDLE_INVALID and NULL
/// pointers and fail cleanly instead of touching this process's state.
fn syscall_zero_args(n: u64) -> i64 {
    let ret: i64;
    // SAFETY: with zero arguments no call can name memory or a live handle;
    // the kernel preserves every register but x0.
    unsafe {
        asm!(
            "svc #0",
            in("x16") n,
            inout("x0") 0u64 => ret,
            in("x1") 0u64,
            in("x2") 0u64,
            in("x3") 0u64,
            in("x4") 0u64,
            in("x5") 0u64,
            in("x6") 0u64,
            in("x7") 0u64,
            options(nostack),
        )
    };
    ret
}

fn unknown_numbers() {
    let numbers: [u64; 12] = [
        0,
        1,
        150,
        166,
        169,
        9999,
        sys::KERNEL_STATS - 1,
        sys::KERNEL_STATS + 1,
        1 << 32 | sys::VMO_GET_SIZE,
        1 << 63 | sys::HANDLE_CLOSE,
        u32::MAX as u64,
        u64::MAX,
    ];
    for n in numbers {
        let r = st(syscall_zero_args(n));
        assert_eq!(r, Err(ZxStatus::BadSyscall), "syscall number {:#x}", n);
        // SAFETY: as above, with whatever the argument registers hold: no
        // implemented call has this number, so the kernel reads none of them.
        let r = st(unsafe { zx::raw::syscall0(n) });
        assert_eq!(r, Err(ZxStatus::BadSyscall), "syscall0({:#x})", n);
    }
    zx::println!("bad_syscall: unknown numbers are BAD_SYSCALL");
}

fn still_alive() {
    let h = vmo(4096, 0);
    assert_eq!(size_of(h), 4096, "a real call after bad ones");
    close(h);
    zx::println!("bad_syscall: real calls still work afterwards");
}

fn main(_root: Handle) -> i64 {
    unknown_numbers();
    still_alive();
    0
}

zx::entry!(main);

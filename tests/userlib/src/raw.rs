//! Raw system calls: `svc #0` with the number in x16 and Zircon's C
//! signatures. They take any pointer, valid or not, which is the point: the
//! tests hand the kernel bad ones on purpose.
#![allow(clippy::missing_safety_doc, clippy::too_many_arguments)]

use core::arch::asm;
use zx_abi::{sys, Handle};

macro_rules! syscall {
    ($n:expr $(, $reg:tt = $val:expr)*) => {{
        let ret: i64;
        // SAFETY: the kernel preserves every register but x0 and touches
        // only memory the arguments name; the caller vouches for those.
        unsafe {
            asm!("svc #0", in("x16") $n, $(in($reg) $val,)* lateout("x0") ret, options(nostack));
        }
        ret
    }};
}

pub unsafe fn debug_write(buf: *const u8, len: usize) -> i64 {
    syscall!(sys::DEBUG_WRITE, "x0" = buf, "x1" = len)
}

pub unsafe fn handle_close(h: Handle) -> i64 {
    syscall!(sys::HANDLE_CLOSE, "x0" = h as u64)
}

pub unsafe fn handle_duplicate(h: Handle, rights: u32, out: *mut Handle) -> i64 {
    syscall!(
        sys::HANDLE_DUPLICATE,
        "x0" = h as u64,
        "x1" = rights as u64,
        "x2" = out
    )
}

pub unsafe fn handle_replace(h: Handle, rights: u32, out: *mut Handle) -> i64 {
    syscall!(
        sys::HANDLE_REPLACE,
        "x0" = h as u64,
        "x1" = rights as u64,
        "x2" = out
    )
}

pub unsafe fn object_wait_one(h: Handle, signals: u32, deadline: i64, observed: *mut u32) -> i64 {
    syscall!(
        sys::OBJECT_WAIT_ONE,
        "x0" = h as u64,
        "x1" = signals as u64,
        "x2" = deadline,
        "x3" = observed
    )
}

pub unsafe fn object_get_property(h: Handle, property: u32, value: *mut u8, size: usize) -> i64 {
    syscall!(
        sys::OBJECT_GET_PROPERTY,
        "x0" = h as u64,
        "x1" = property as u64,
        "x2" = value,
        "x3" = size
    )
}

pub unsafe fn object_set_property(h: Handle, property: u32, value: *const u8, size: usize) -> i64 {
    syscall!(
        sys::OBJECT_SET_PROPERTY,
        "x0" = h as u64,
        "x1" = property as u64,
        "x2" = value,
        "x3" = size
    )
}

pub unsafe fn object_get_info(
    h: Handle,
    topic: u32,
    buf: *mut u8,
    size: usize,
    actual: *mut usize,
    avail: *mut usize,
) -> i64 {
    syscall!(
        sys::OBJECT_GET_INFO,
        "x0" = h as u64,
        "x1" = topic as u64,
        "x2" = buf,
        "x3" = size,
        "x4" = actual,
        "x5" = avail
    )
}

pub unsafe fn process_exit(code: i64) -> ! {
    // SAFETY: the call does not return.
    unsafe {
        asm!("svc #0", in("x16") sys::PROCESS_EXIT, in("x0") code, options(noreturn, nostack))
    }
}

pub unsafe fn vmar_map(
    vmar: Handle,
    options: u32,
    vmar_offset: usize,
    vmo: Handle,
    vmo_offset: u64,
    len: usize,
    mapped_addr: *mut usize,
) -> i64 {
    syscall!(
        sys::VMAR_MAP,
        "x0" = vmar as u64,
        "x1" = options as u64,
        "x2" = vmar_offset,
        "x3" = vmo as u64,
        "x4" = vmo_offset,
        "x5" = len,
        "x6" = mapped_addr
    )
}

pub unsafe fn vmar_unmap(vmar: Handle, addr: usize, len: usize) -> i64 {
    syscall!(sys::VMAR_UNMAP, "x0" = vmar as u64, "x1" = addr, "x2" = len)
}

pub unsafe fn vmo_create(size: u64, options: u32, out: *mut Handle) -> i64 {
    syscall!(
        sys::VMO_CREATE,
        "x0" = size,
        "x1" = options as u64,
        "x2" = out
    )
}

pub unsafe fn vmo_read(h: Handle, buf: *mut u8, offset: u64, len: usize) -> i64 {
    syscall!(
        sys::VMO_READ,
        "x0" = h as u64,
        "x1" = buf,
        "x2" = offset,
        "x3" = len
    )
}

pub unsafe fn vmo_write(h: Handle, buf: *const u8, offset: u64, len: usize) -> i64 {
    syscall!(
        sys::VMO_WRITE,
        "x0" = h as u64,
        "x1" = buf,
        "x2" = offset,
        "x3" = len
    )
}

pub unsafe fn vmo_get_size(h: Handle, size: *mut u64) -> i64 {
    syscall!(sys::VMO_GET_SIZE, "x0" = h as u64, "x1" = size)
}

pub unsafe fn vmo_set_size(h: Handle, size: u64) -> i64 {
    syscall!(sys::VMO_SET_SIZE, "x0" = h as u64, "x1" = size)
}

pub unsafe fn vmo_op_range(
    h: Handle,
    op: u32,
    offset: u64,
    size: u64,
    buf: *mut u8,
    buf_size: usize,
) -> i64 {
    syscall!(
        sys::VMO_OP_RANGE,
        "x0" = h as u64,
        "x1" = op as u64,
        "x2" = offset,
        "x3" = size,
        "x4" = buf,
        "x5" = buf_size
    )
}

pub unsafe fn vmo_create_child(
    h: Handle,
    options: u32,
    offset: u64,
    size: u64,
    out: *mut Handle,
) -> i64 {
    syscall!(
        sys::VMO_CREATE_CHILD,
        "x0" = h as u64,
        "x1" = options as u64,
        "x2" = offset,
        "x3" = size,
        "x4" = out
    )
}

pub unsafe fn vmo_replace_as_executable(h: Handle, vmex: Handle, out: *mut Handle) -> i64 {
    syscall!(
        sys::VMO_REPLACE_AS_EXECUTABLE,
        "x0" = h as u64,
        "x1" = vmex as u64,
        "x2" = out
    )
}

pub unsafe fn kernel_stats(out: *mut u64, count: usize) -> i64 {
    syscall!(sys::KERNEL_STATS, "x0" = out, "x1" = count)
}

/// Any system call by number, for testing unknown numbers.
pub unsafe fn syscall0(n: u64) -> i64 {
    syscall!(n)
}

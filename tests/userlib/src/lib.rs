//! The EL0 side of the system-call ABI: raw `svc` wrappers with Zircon's C
//! signatures (so tests can pass any pointer), typed wrappers returning
//! `Result`, the program entry point and a panic handler that reports through
//! `zx_debug_write` and exits with status 101.
//!
//! ABI (docs/syscall-abi.md): `svc #0`, number in x16, arguments in x0-x7,
//! result in x0; every other register is preserved by the kernel.
#![no_std]

pub use zx_abi::*;

pub mod elf;
pub mod ports;
pub mod process;
pub mod raw;
pub mod rt;
pub mod stream;
pub mod sync;
pub mod thread;
// Sockets and event pairs.
pub mod peer;
// Channels.
pub mod channel;
// Exceptions.
pub mod exception;

pub use rt::{default_job, first_thread, process_self, root_vmar};

use core::fmt::{self, Write};
use core::sync::atomic::AtomicU32;

/// Result of a call that returns only a status.
pub type Status = Result<(), ZxStatus>;

fn status(raw: i64) -> Status {
    let s = raw as i32;
    if s == 0 {
        Ok(())
    } else {
        Err(ZxStatus::from_raw(s).unwrap_or(ZxStatus::Internal))
    }
}

/// The status a raw call returned, as the `Result` the typed wrappers use.
/// Unknown negative values map to `Internal`; use `raw::*` to see them.
pub fn to_result(raw: i64) -> Status {
    status(raw)
}

pub fn debug_write(bytes: &[u8]) -> Status {
    // SAFETY: the pointer and length describe a live slice.
    status(unsafe { raw::debug_write(bytes.as_ptr(), bytes.len()) })
}

pub fn handle_close(h: Handle) -> Status {
    // SAFETY: no memory is passed.
    status(unsafe { raw::handle_close(h) })
}

/// `zx_handle_close_many`: closes every handle of `handles`.
pub fn handle_close_many(handles: &[Handle]) -> Status {
    // SAFETY: the pointer and length describe a live slice.
    status(unsafe { raw::handle_close_many(handles.as_ptr(), handles.len()) })
}

/// `zx_object_signal`: clears `clear`, then sets `set` (user signals).
pub fn object_signal(h: Handle, clear: u32, set: u32) -> Status {
    // SAFETY: no memory is passed.
    status(unsafe { raw::object_signal(h, clear, set) })
}

pub fn handle_duplicate(h: Handle, rights: u32) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    status(unsafe { raw::handle_duplicate(h, rights, &mut out) })?;
    Ok(out)
}

pub fn handle_replace(h: Handle, rights: u32) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    status(unsafe { raw::handle_replace(h, rights, &mut out) })?;
    Ok(out)
}

/// `zx_object_wait_one`; returns the observed signals with the status.
pub fn object_wait_one(h: Handle, signals: u32, deadline: i64) -> (Status, u32) {
    let mut observed = 0;
    // SAFETY: `observed` is a live local.
    let s = status(unsafe { raw::object_wait_one(h, signals, deadline, &mut observed) });
    (s, observed)
}

pub fn object_get_property(h: Handle, property: u32, value: &mut [u8]) -> Status {
    // SAFETY: the pointer and length describe a live slice.
    status(unsafe { raw::object_get_property(h, property, value.as_mut_ptr(), value.len()) })
}

pub fn object_set_property(h: Handle, property: u32, value: &[u8]) -> Status {
    // SAFETY: the pointer and length describe a live slice.
    status(unsafe { raw::object_set_property(h, property, value.as_ptr(), value.len()) })
}

/// `zx_object_get_info` into `buf`; returns `(actual, avail)`.
pub fn object_get_info(h: Handle, topic: u32, buf: &mut [u8]) -> Result<(usize, usize), ZxStatus> {
    let (mut actual, mut avail) = (0usize, 0usize);
    // SAFETY: the pointers describe live memory.
    status(unsafe {
        raw::object_get_info(
            h,
            topic,
            buf.as_mut_ptr(),
            buf.len(),
            &mut actual,
            &mut avail,
        )
    })?;
    Ok((actual, avail))
}

/// `zx_object_wait_many`: each item's `pending` is filled in.
pub fn object_wait_many(items: &mut [WaitItem], deadline: i64) -> Status {
    // SAFETY: the pointer and length describe a live, writable slice.
    status(unsafe { raw::object_wait_many(items.as_mut_ptr(), items.len(), deadline) })
}

/// `zx_event_create`.
pub fn event_create() -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    status(unsafe { raw::event_create(0, &mut out) })?;
    Ok(out)
}

/// `zx_nanosleep` until the monotonic `deadline`.
pub fn nanosleep(deadline: i64) {
    // SAFETY: no memory is passed.
    let _ = unsafe { raw::nanosleep(deadline) };
}

/// The monotonic clock from the kernel (`zx_clock_get_monotonic_via_kernel`).
pub fn clock_get_monotonic_via_kernel() -> i64 {
    // SAFETY: no memory is passed; the call returns the time.
    unsafe { raw::clock_get_monotonic_via_kernel() }
}

/// The monotonic clock in nanoseconds, read from the counter directly
/// (`zx_clock_get_monotonic`, which Zircon's vDSO also answers so).
pub fn clock_get_monotonic() -> i64 {
    let ticks = u128::from(counter());
    (ticks * 1_000_000_000 / u128::from(counter_frequency())) as i64
}

/// A deadline `ns` nanoseconds from now (`zx_deadline_after`).
pub fn deadline_after(ns: i64) -> i64 {
    clock_get_monotonic().saturating_add(ns)
}

/// `zx_futex_wait`: sleeps while `*futex == current` (`BAD_STATE` if it
/// differs), until woken or `deadline`.
pub fn futex_wait(futex: &AtomicU32, current: u32, owner: Handle, deadline: i64) -> Status {
    // SAFETY: the pointer names a live atomic; the kernel only reads it.
    status(unsafe { raw::futex_wait(futex.as_ptr(), current, owner, deadline) })
}

/// `zx_futex_wake`: wakes up to `count` waiters.
pub fn futex_wake(futex: &AtomicU32, count: u32) -> Status {
    // SAFETY: the kernel only uses the address as a key.
    status(unsafe { raw::futex_wake(futex.as_ptr(), count) })
}

/// `zx_futex_requeue`.
pub fn futex_requeue(
    futex: &AtomicU32,
    wake_count: u32,
    current: u32,
    requeue: &AtomicU32,
    requeue_count: u32,
    owner: Handle,
) -> Status {
    // SAFETY: both pointers name live atomics; the kernel reads the first.
    status(unsafe {
        raw::futex_requeue(
            futex.as_ptr(),
            wake_count,
            current,
            requeue.as_ptr(),
            requeue_count,
            owner,
        )
    })
}

/// `zx_thread_create` in `process`.
pub fn thread_create(process: Handle, name: &str) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: the name is a live slice, `out` a live local.
    status(unsafe { raw::thread_create(process, name.as_ptr(), name.len(), 0, &mut out) })?;
    Ok(out)
}

/// `zx_thread_start`: x0 = `arg1`, x1 = `arg2` at `entry` with `stack`.
pub fn thread_start(
    thread: Handle,
    entry: usize,
    stack: usize,
    arg1: usize,
    arg2: usize,
) -> Status {
    // SAFETY: starting a thread touches only memory the caller chose to
    // hand it (its stack and whatever `arg1`/`arg2` name).
    status(unsafe { raw::thread_start(thread, entry, stack, arg1, arg2) })
}

/// `zx_thread_exit`.
pub fn thread_exit() -> ! {
    // SAFETY: ends the calling thread; no memory is passed.
    unsafe { raw::thread_exit() };
    unreachable!("zx_thread_exit returned")
}

/// `zx_task_kill`.
pub fn task_kill(task: Handle) -> Status {
    // SAFETY: no memory is passed.
    status(unsafe { raw::task_kill(task) })
}

pub fn process_exit(code: i64) -> ! {
    // SAFETY: ends the process; no memory is passed.
    unsafe { raw::process_exit(code) }
}

pub fn vmar_map(
    vmar: Handle,
    options: u32,
    vmar_offset: usize,
    vmo: Handle,
    vmo_offset: u64,
    len: usize,
) -> Result<usize, ZxStatus> {
    let mut addr = 0usize;
    // SAFETY: `addr` is a live local.
    status(unsafe { raw::vmar_map(vmar, options, vmar_offset, vmo, vmo_offset, len, &mut addr) })?;
    Ok(addr)
}

pub fn vmar_unmap(vmar: Handle, addr: usize, len: usize) -> Status {
    // SAFETY: unmapping only affects this process's own mappings; callers
    // must not unmap memory they still use (the kernel cannot stop them).
    status(unsafe { raw::vmar_unmap(vmar, addr, len) })
}

/// `zx_vmar_allocate`: the new region's handle and base address.
pub fn vmar_allocate(
    parent: Handle,
    options: u32,
    offset: usize,
    size: usize,
) -> Result<(Handle, usize), ZxStatus> {
    let (mut child, mut addr) = (0, 0usize);
    // SAFETY: both outputs are live locals.
    status(unsafe { raw::vmar_allocate(parent, options, offset, size, &mut child, &mut addr) })?;
    Ok((child, addr))
}

pub fn vmar_destroy(vmar: Handle) -> Status {
    // SAFETY: destroying a region only unmaps this process's own memory;
    // callers must not destroy memory they still use.
    status(unsafe { raw::vmar_destroy(vmar) })
}

pub fn vmar_protect(vmar: Handle, options: u32, addr: usize, len: usize) -> Status {
    // SAFETY: a protect changes only this process's own mappings; callers
    // must not take away access they still rely on.
    status(unsafe { raw::vmar_protect(vmar, options, addr, len) })
}

/// `zx_vmar_op_range` without a buffer (no operation takes one).
pub fn vmar_op_range(vmar: Handle, op: u32, addr: usize, len: usize) -> Status {
    // SAFETY: a null buffer of size 0; a decommit only zeroes this
    // process's own memory.
    status(unsafe { raw::vmar_op_range(vmar, op, addr, len, core::ptr::null_mut(), 0) })
}

pub fn vmo_set_cache_policy(h: Handle, policy: u32) -> Status {
    // SAFETY: no pointers.
    status(unsafe { raw::vmo_set_cache_policy(h, policy) })
}

pub fn vmo_transfer_data(
    dst: Handle,
    options: u32,
    offset: u64,
    length: u64,
    src: Handle,
    src_offset: u64,
) -> Status {
    // SAFETY: no pointers; the call only moves VMO contents.
    status(unsafe { raw::vmo_transfer_data(dst, options, offset, length, src, src_offset) })
}

pub fn vmo_create(size: u64, options: u32) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    status(unsafe { raw::vmo_create(size, options, &mut out) })?;
    Ok(out)
}

pub fn vmo_read(h: Handle, buf: &mut [u8], offset: u64) -> Status {
    // SAFETY: the pointer and length describe a live slice.
    status(unsafe { raw::vmo_read(h, buf.as_mut_ptr(), offset, buf.len()) })
}

pub fn vmo_write(h: Handle, buf: &[u8], offset: u64) -> Status {
    // SAFETY: the pointer and length describe a live slice.
    status(unsafe { raw::vmo_write(h, buf.as_ptr(), offset, buf.len()) })
}

pub fn vmo_get_size(h: Handle) -> Result<u64, ZxStatus> {
    let mut size = 0;
    // SAFETY: `size` is a live local.
    status(unsafe { raw::vmo_get_size(h, &mut size) })?;
    Ok(size)
}

pub fn vmo_set_size(h: Handle, size: u64) -> Status {
    // SAFETY: no memory is passed.
    status(unsafe { raw::vmo_set_size(h, size) })
}

pub fn vmo_op_range(h: Handle, op: u32, offset: u64, size: u64, buf: &mut [u8]) -> Status {
    // SAFETY: the pointer and length describe a live slice.
    status(unsafe { raw::vmo_op_range(h, op, offset, size, buf.as_mut_ptr(), buf.len()) })
}

pub fn vmo_create_child(
    h: Handle,
    options: u32,
    offset: u64,
    size: u64,
) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    status(unsafe { raw::vmo_create_child(h, options, offset, size, &mut out) })?;
    Ok(out)
}

pub fn vmo_replace_as_executable(h: Handle, vmex: Handle) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    status(unsafe { raw::vmo_replace_as_executable(h, vmex, &mut out) })?;
    Ok(out)
}

/// Kernel statistics (not a Zircon call): see `zx_abi::stats`.
pub fn kernel_stats() -> [u64; stats::COUNT] {
    let mut out = [0u64; stats::COUNT];
    // SAFETY: `out` is a live local array of `COUNT` words.
    let s = unsafe { raw::kernel_stats(out.as_mut_ptr(), out.len()) };
    assert_eq!(s, 0, "kernel_stats failed");
    out
}

/// Free pages in the kernel's page allocator.
pub fn free_pages() -> u64 {
    kernel_stats()[stats::FREE_PAGES]
}

/// The virtual counter (EL0 may read it) and its frequency.
pub fn counter() -> u64 {
    let v: u64;
    // SAFETY: reading CNTVCT_EL0 has no side effects; the kernel enables EL0
    // access (CNTKCTL_EL1.EL0VCTEN).
    unsafe { core::arch::asm!("isb", "mrs {0}, cntvct_el0", out(reg) v, options(nostack)) };
    v
}

pub fn counter_frequency() -> u64 {
    let v: u64;
    // SAFETY: reading CNTFRQ_EL0 has no side effects.
    unsafe { core::arch::asm!("mrs {0}, cntfrq_el0", out(reg) v, options(nomem, nostack)) };
    v
}

/// A `fmt::Write` that sends to the debug log in 256-byte pieces.
pub struct DebugWriter {
    buf: [u8; 256],
    len: usize,
}

impl DebugWriter {
    pub const fn new() -> Self {
        Self {
            buf: [0; 256],
            len: 0,
        }
    }

    pub fn flush(&mut self) {
        if self.len > 0 {
            let _ = debug_write(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl Default for DebugWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for DebugWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

impl Drop for DebugWriter {
    fn drop(&mut self) {
        self.flush();
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments<'_>) {
    let mut w = DebugWriter::new();
    let _ = w.write_fmt(args);
}

/// Prints to the kernel console through `zx_debug_write`.
#[macro_export]
macro_rules! println {
    () => ($crate::_print(format_args!("\n")));
    ($($arg:tt)*) => ($crate::_print(format_args!("{}\n", format_args!($($arg)*))));
}

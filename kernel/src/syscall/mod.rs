//! The system-call layer: `svc #0` with the number in x16 and arguments in
//! x0-x7 (see docs/syscall-abi.md). Each call validates its arguments in
//! Zircon's documented order and returns `Result<_, ZxStatus>`; only here is
//! that folded into the wire value placed in x0.
#![deny(unsafe_code)]

mod handle;
mod object;
mod user;
mod vmar;
mod vmo;

use crate::process::Process;
use zx_abi::{stats, sys, ZxStatus};

/// What the caller does after a system call.
pub enum Outcome {
    /// Resume the program with this value in x0.
    Return(i64),
    /// The program asked to exit with this code.
    Exit(i64),
    /// The program must be killed (the call could never complete).
    Kill(alloc::string::String),
}

/// Runs the system call the program's registers describe.
pub fn dispatch(p: &mut Process) -> Outcome {
    let number = p.ctx.x[16];
    let mut a = [0u64; 8];
    a.copy_from_slice(&p.ctx.x[..8]);
    let result = match number {
        sys::PROCESS_EXIT => return Outcome::Exit(a[0] as i64),
        sys::DEBUG_WRITE => debug_write(p, a[0], a[1]),
        sys::HANDLE_CLOSE => handle::close(p, a[0] as u32),
        sys::HANDLE_DUPLICATE => handle::duplicate(p, a[0] as u32, a[1] as u32, a[2]),
        sys::HANDLE_REPLACE => handle::replace(p, a[0] as u32, a[1] as u32, a[2]),
        sys::VMO_CREATE => vmo::create(p, a[0], a[1] as u32, a[2]),
        sys::VMO_READ => vmo::read(p, a[0] as u32, a[1], a[2], a[3]),
        sys::VMO_WRITE => vmo::write(p, a[0] as u32, a[1], a[2], a[3]),
        sys::VMO_GET_SIZE => vmo::get_size(p, a[0] as u32, a[1]),
        sys::VMO_SET_SIZE => vmo::set_size(p, a[0] as u32, a[1]),
        sys::VMAR_MAP => vmar::map(
            p,
            a[0] as u32,
            a[1] as u32,
            a[2],
            a[3] as u32,
            a[4],
            a[5],
            a[6],
        ),
        sys::VMAR_UNMAP => vmar::unmap(p, a[0] as u32, a[1], a[2]),
        sys::VMO_OP_RANGE => vmo::op_range(p, a[0] as u32, a[1] as u32, a[2], a[3], a[4], a[5]),
        sys::VMO_CREATE_CHILD => vmo::create_child(p, a[0] as u32, a[1] as u32, a[2], a[3], a[4]),
        sys::VMO_REPLACE_AS_EXECUTABLE => {
            vmo::replace_as_executable(p, a[0] as u32, a[1] as u32, a[2])
        }
        sys::OBJECT_GET_PROPERTY => object::get_property(p, a[0] as u32, a[1] as u32, a[2], a[3]),
        sys::OBJECT_SET_PROPERTY => object::set_property(p, a[0] as u32, a[1] as u32, a[2], a[3]),
        sys::OBJECT_GET_INFO => {
            object::get_info(p, a[0] as u32, a[1] as u32, a[2], a[3], a[4], a[5])
        }
        sys::OBJECT_WAIT_ONE => {
            return match object::wait_one(p, a[0] as u32, a[1] as u32, a[2] as i64, a[3]) {
                Ok(()) => Outcome::Return(0),
                Err(outcome) => outcome,
            }
        }
        sys::KERNEL_STATS => kernel_stats(p, a[0], a[1]),
        _ => Err(ZxStatus::BadSyscall),
    };
    Outcome::Return(match result {
        Ok(()) => 0,
        Err(e) => i64::from(e.raw()),
    })
}

/// `zx_debug_write`: at most `DEBUG_WRITE_MAX` bytes go to the console.
fn debug_write(p: &Process, buf: u64, len: u64) -> Result<(), ZxStatus> {
    let len = (len as usize).min(zx_abi::DEBUG_WRITE_MAX);
    let mut bytes = [0u8; zx_abi::DEBUG_WRITE_MAX];
    user::read_bytes(p, buf, &mut bytes[..len]).map_err(|e| e.or(ZxStatus::InvalidArgs))?;
    platform::console::write_bytes(&bytes[..len]);
    Ok(())
}

/// Kernel statistics for tests (not a Zircon call; see `zx_abi::stats`).
fn kernel_stats(p: &Process, out: u64, count: u64) -> Result<(), ZxStatus> {
    let mut values = [0u64; stats::COUNT];
    values[stats::FREE_PAGES] = crate::memory::FRAMES.free_pages() as u64;
    values[stats::TOTAL_PAGES] = crate::memory::FRAMES.total_pages() as u64;
    values[stats::LIVE_VMOS] = crate::vm::vmo::live_count() as u64;
    values[stats::HEAP_USED_BYTES] = crate::heap::used_bytes() as u64;
    values[stats::RECLAIMED_PAGES] =
        crate::vm::vmo::RECLAIMED_PAGES.load(core::sync::atomic::Ordering::Relaxed);
    let n = (count as usize).min(stats::COUNT);
    for (i, v) in values[..n].iter().enumerate() {
        user::write_u64(p, out + 8 * i as u64, *v).map_err(|e| e.or(ZxStatus::InvalidArgs))?;
    }
    Ok(())
}

//! The system-call layer: `svc #0` with the number in x16 and arguments in
//! x0-x7 (see docs/syscall-abi.md). The dispatch is generated from the ABI's
//! one list of calls (`zx_abi::zx_syscalls!`): each entry's arguments are
//! decoded from their registers into their declared types (typed user
//! pointers included) and passed to the handler of the same name, so a call
//! in the list without a handler does not build. Handlers validate in
//! Zircon's documented order and return `Result<(), ZxStatus>`; only here is
//! that folded into the wire value placed in x0.
#![deny(unsafe_code)]

mod channel;
mod exception;
mod handle;
mod object;
mod peer;
mod port;
mod process_info;
mod stream;
mod sync;
mod task;
mod user;
mod vmar;
mod vmo;
mod vmo_info;

use crate::task::Thread;
use channel::*;
use exception::*;
use handle::*;
use object::*;
use peer::*;
use platform::arch::trap::SyscallFn;
use port::*;
use stream::*;
use sync::*;
use task::*;
use vmar::*;
use vmo::*;
use zx_abi::{stats, SyscallArg, UserIn, UserOut, ZxStatus};

/// A handler's result.
pub type SysResult = Result<(), ZxStatus>;

/// A value a call returns in x0 in place of a status
/// (`zx_clock_get_monotonic_via_kernel`).
pub struct Value(pub i64);

/// What a handler's result puts in x0.
pub trait IntoX0 {
    fn into_x0(self) -> u64;
}

impl IntoX0 for SysResult {
    #[inline(always)]
    fn into_x0(self) -> u64 {
        match self {
            Ok(()) => 0,
            Err(e) => i64::from(e.raw()) as u64,
        }
    }
}

impl IntoX0 for Value {
    #[inline(always)]
    fn into_x0(self) -> u64 {
        self.0 as u64
    }
}

/// A result already in x0's form: what a call returns when an out-of-line
/// part of it makes the result, so that the entry ends in a tail call to
/// that part rather than in a call and a conversion.
pub struct X0(pub u64);

impl IntoX0 for X0 {
    #[inline(always)]
    fn into_x0(self) -> u64 {
        self.0
    }
}

macro_rules! dispatch_table {
    ($( $num:path => $name:ident ( $($arg:ident : $ty:ty),* $(,)? )
        errors [$($err:ident),* $(,)?] ; )*) => {
        // Each call gets a small module of the same name (modules and
        // functions live in different namespaces) holding its entry: the
        // arguments decoded from the registers into their declared types.
        $( #[allow(non_snake_case)] mod $name {
            use super::*;
            pub extern "C" fn entry(regs: &[u64; 31], t: &Thread) -> u64 {
                let mut _regs = regs.iter().copied();
                super::$name(t, $( <$ty as SyscallArg>::from_reg(_regs.next().unwrap_or(0)) ),*)
                    .into_x0()
            }
        } )*

        /// One past the highest call number.
        const COUNT: usize = {
            let mut n = 0;
            $( if $num as usize >= n { n = $num as usize + 1; } )*
            n
        };

        /// The calls by number, which the vectors index with x16
        /// (`UserEntry::syscalls`); a number without a call answers
        /// `ZX_ERR_BAD_SYSCALL`.
        pub static TABLE: [SyscallFn<Thread>; COUNT] = {
            let mut table: [SyscallFn<Thread>; COUNT] = [bad_syscall; COUNT];
            $( table[$num as usize] = $name::entry; )*
            table
        };
    };
}

extern "C" fn bad_syscall(_: &[u64; 31], _: &Thread) -> u64 {
    Err(ZxStatus::BadSyscall).into_x0()
}

/// Runs the system call the registers name (x16) and returns its x0: the
/// path for a number past `TABLE`, which the vectors do not run.
pub fn dispatch(t: &Thread, regs: &[u64; 31]) -> u64 {
    let call = TABLE.get(regs[16] as usize).copied().unwrap_or(bad_syscall);
    call(regs, t)
}

zx_abi::zx_syscalls!(dispatch_table);

/// `zx_debug_write`: at most `DEBUG_WRITE_MAX` bytes go to the console.
fn debug_write(t: &Thread, buffer: UserIn<u8>, len: usize) -> SysResult {
    let len = len.min(zx_abi::DEBUG_WRITE_MAX);
    let mut bytes = [0u8; zx_abi::DEBUG_WRITE_MAX];
    user::read_bytes(t, buffer, &mut bytes[..len])?;
    platform::console::write_bytes(&bytes[..len]);
    Ok(())
}

/// Kernel statistics for tests (not a Zircon call; see `zx_abi::stats`).
fn kernel_stats(t: &Thread, out: UserOut<u64>, count: usize) -> SysResult {
    let mut values = [0u64; stats::COUNT];
    values[stats::FREE_PAGES] = crate::vm::spare::free_pages() as u64;
    values[stats::TOTAL_PAGES] = crate::memory::FRAMES.total_pages() as u64;
    values[stats::LIVE_VMOS] = crate::vm::vmo::live_count() as u64;
    values[stats::HEAP_USED_BYTES] = crate::heap::used_bytes() as u64;
    values[stats::RECLAIMED_PAGES] =
        crate::vm::vmo::RECLAIMED_PAGES.load(core::sync::atomic::Ordering::Relaxed);
    values[stats::LIVE_PROCESSES] = crate::task::process::live_count() as u64;
    values[stats::CORES_ONLINE] = crate::sched::cores_online() as u64;
    values[stats::PROGRAMS_LOADED] = crate::task::process::loaded_count() as u64;
    let n = count.min(stats::COUNT);
    for (i, v) in values[..n].iter().enumerate() {
        user::write(t, out.add(i), v)?;
    }
    Ok(())
}

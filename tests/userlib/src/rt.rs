//! Program start and panics. The kernel starts a program at `_start` with
//! the root VMAR handle in x0, the process's own handle in x1, its first
//! thread's in x2, its default job's in x3, and a 16-byte aligned stack;
//! `_start` records the four (see [`root_vmar`], [`process_self`],
//! [`first_thread`], [`default_job`]) and calls the
//! program's `main` (declared with `zx::entry!`), then exits with its result.

use crate::Handle;
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};

static ROOT_VMAR: AtomicU32 = AtomicU32::new(0);
static PROCESS_SELF: AtomicU32 = AtomicU32::new(0);
static FIRST_THREAD: AtomicU32 = AtomicU32::new(0);
static DEFAULT_JOB: AtomicU32 = AtomicU32::new(0);

/// Records the start handles (called by `entry!` before `main`).
#[doc(hidden)]
pub fn set_start_handles(root_vmar: Handle, process: Handle, thread: Handle, job: Handle) {
    DEFAULT_JOB.store(job, Ordering::Relaxed);
    ROOT_VMAR.store(root_vmar, Ordering::Relaxed);
    PROCESS_SELF.store(process, Ordering::Relaxed);
    FIRST_THREAD.store(thread, Ordering::Relaxed);
}

/// The process's root VMAR (x0 at start).
pub fn root_vmar() -> Handle {
    ROOT_VMAR.load(Ordering::Relaxed)
}

/// A handle to this process (x1 at start; `ZX_DEFAULT_PROCESS_RIGHTS`).
pub fn process_self() -> Handle {
    PROCESS_SELF.load(Ordering::Relaxed)
}

/// A handle to the first thread (x2 at start; `ZX_DEFAULT_THREAD_RIGHTS`).
pub fn first_thread() -> Handle {
    FIRST_THREAD.load(Ordering::Relaxed)
}

/// A handle to the program's default job (x3 at start;
/// `ZX_DEFAULT_JOB_RIGHTS`). A process started with `zx_process_start` gets
/// no job handle: whatever x3 held.
pub fn default_job() -> Handle {
    DEFAULT_JOB.load(Ordering::Relaxed)
}

core::arch::global_asm!(
    ".section .text._start, \"ax\"",
    ".global _start",
    "_start:",
    "    mov x29, #0",
    "    mov x30, #0",
    "    bl zx_program_main",
    "    mov x16, #100", // process_exit(x0)
    "    svc #0",
    "    brk #0",
);

/// Declares the program's `main(root_vmar: Handle) -> i64`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        extern "C" fn zx_program_main(
            root_vmar: $crate::Handle,
            process: $crate::Handle,
            thread: $crate::Handle,
            job: $crate::Handle,
        ) -> i64 {
            $crate::rt::set_start_handles(root_vmar, process, thread, job);
            let f: fn($crate::Handle) -> i64 = $main;
            f(root_vmar)
        }
    };
}

/// Exit status of a program that panicked (an `assert!` failed).
pub const PANIC_EXIT: i64 = 101;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut w = crate::DebugWriter::new();
    let _ = writeln!(w, "panic: {info}");
    w.flush();
    crate::process_exit(PANIC_EXIT)
}

/// Keeps `Handle` in the public signature of `entry!` documented.
pub type RootVmar = Handle;

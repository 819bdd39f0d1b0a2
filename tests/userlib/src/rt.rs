//! Program start and panics. The kernel starts a program at `_start` with
//! the root VMAR handle in x0 and a 16-byte aligned stack; `_start` calls the
//! program's `main` (declared with `zx::entry!`) and exits with its result.

use crate::Handle;
use core::fmt::Write;

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
        extern "C" fn zx_program_main(root_vmar: $crate::Handle) -> i64 {
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

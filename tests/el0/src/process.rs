//! Child processes for the process and job tests: small position-
//! independent pieces of code (in this image's read-only data) that a test
//! copies into a new process, with a stack, and starts there.

use crate::{close, vmo, PAGE, RW};
use zx::{sys, vm_opt, Handle};

// The children's code. CHILD_EXIT: at entry x0 is the bootstrap handle and
// x1 the second argument; it signals nothing on the handle (an event's)
// and exits with x1 plus that call's status (0: it holds the handle).
// CHILD_SPIN: runs until killed.
core::arch::global_asm!(
    ".section .rodata.child_code, \"a\"",
    ".balign 4",
    ".global CHILD_EXIT",
    "CHILD_EXIT:",
    "    mov x19, x1",
    "    mov x1, #0",
    "    mov x2, #0",
    "    mov x16, #{signal}",
    "    svc #0",
    "    add x0, x0, x19",
    "    mov x16, #{exit}",
    "    svc #0",
    "    brk #0",
    ".global CHILD_EXIT_END",
    "CHILD_EXIT_END:",
    ".global CHILD_SPIN",
    "CHILD_SPIN:",
    "    b CHILD_SPIN",
    ".global CHILD_SPIN_END",
    "CHILD_SPIN_END:",
    signal = const sys::OBJECT_SIGNAL,
    exit = const sys::PROCESS_EXIT,
);

unsafe extern "C" {
    static CHILD_EXIT: u8;
    static CHILD_EXIT_END: u8;
    static CHILD_SPIN: u8;
    static CHILD_SPIN_END: u8;
}

/// The bytes between two symbols of this image.
///
/// # Safety
/// `start` and `end` must mark one read-only block, `end` after `start`.
unsafe fn between(start: *const u8, end: *const u8) -> &'static [u8] {
    // SAFETY: the caller's guarantee.
    unsafe { core::slice::from_raw_parts(start, end as usize - start as usize) }
}

/// The code of a child that checks x0 and exits with x1 (see above).
pub fn child_exit_code() -> &'static [u8] {
    // SAFETY: the two symbols delimit CHILD_EXIT's code above.
    unsafe { between(&raw const CHILD_EXIT, &raw const CHILD_EXIT_END) }
}

/// The code of a child that runs until killed.
pub fn child_spin_code() -> &'static [u8] {
    // SAFETY: the two symbols delimit CHILD_SPIN's code above.
    unsafe { between(&raw const CHILD_SPIN, &raw const CHILD_SPIN_END) }
}

/// Where a child's code and stack go in its root VMAR (offsets).
pub const CODE_OFFSET: usize = 0x10_0000;
pub const STACK_OFFSET: usize = 0x20_0000;

/// A deadline far enough for a child to run, not forever (a wait with no
/// deadline for another process would count as blocked forever).
pub fn soon() -> i64 {
    zx::deadline_after(10_000_000_000)
}

/// A new process of `job` with `code` and a one-page stack mapped, and a
/// thread of it: (process, thread, entry, stack top).
pub fn prepared_child(job: Handle, name: &str, code: &[u8]) -> (Handle, Handle, usize, usize) {
    let (p, vmar) = zx::process::process_create(job, name).expect("process_create");
    let text = vmo(PAGE as u64, 0);
    crate::write(text, code, 0);
    let text = zx::vmo_replace_as_executable(text, 0).expect("replace_as_executable");
    let entry = zx::vmar_map(
        vmar,
        vm_opt::PERM_READ | vm_opt::PERM_EXECUTE | vm_opt::SPECIFIC,
        CODE_OFFSET,
        text,
        0,
        PAGE,
    )
    .expect("map the child's code");
    let stack = vmo(PAGE as u64, 0);
    let stack_base = zx::vmar_map(vmar, RW | vm_opt::SPECIFIC, STACK_OFFSET, stack, 0, PAGE)
        .expect("map the child's stack");
    let t = zx::thread_create(p, "child-main").expect("thread_create");
    for h in [text, stack, vmar] {
        close(h);
    }
    (p, t, entry, stack_base + PAGE)
}

/// What `process_launch` passes `process_child` in x1.
pub const LAUNCH_MAGIC: u32 = 0x600d_f00d;

/// `user_story`'s child: the bytes it upper-cases, and its exit code.
pub const STORY_LEN: usize = 5;
pub const STORY_EXIT: i64 = 0x55;

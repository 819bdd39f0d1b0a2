//! Helpers shared by the EL0 test programs: page-count leak checks and
//! mapping helpers. Each program in `src/bin` is one test; it passes by
//! returning 0 from `main`, and fails by returning non-zero or panicking
//! (status 101, with the failed assertion printed).
#![no_std]

pub use zx;

/// Runs `f` and asserts that the kernel's free-page count is the same
/// afterwards: everything `f` allocated was returned.
pub fn assert_no_leak<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let before = zx::free_pages();
    let r = f();
    let after = zx::free_pages();
    assert_eq!(before, after, "{}: free pages before vs after", what);
    r
}

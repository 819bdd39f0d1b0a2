//! The leak check of the peered-object tests (eventpair, socket_*), which
//! they include with `#[path]`: pages and VMOs exactly (`assert_no_leak`),
//! and the kernel heap, where sockets keep their buffered bytes.
//!
//! The heap is not exact from EL0: a thread's kernel memory is freed when
//! the scheduler reaps it, which may come after its join (also that of the
//! program that ran before), and the observer registry grows with the most
//! waits that ever overlapped. So the body runs once to grow what never
//! shrinks, then several times between two readings, each taken after a
//! short sleep for the reaping: a leaked object leaks once per run, well
//! past the allowed slack.

use el0_tests::{assert_no_leak, zx};
use zx::stats;

/// Runs of the body between the two heap readings.
pub const REPEATS: usize = 8;

/// Runs of a body that starts threads: its slack is wide, so one run more
/// than the first already shows a leaked socket's buffer (and the bodies
/// that stream megabytes stay short).
pub const THREAD_REPEATS: usize = 2;

/// Heap bytes the readings may differ by in a body without threads (a few
/// hundred bytes of other programs' reaping were seen; a leaked event pair
/// is about 300 bytes, eight of them well past this).
pub const SLACK: u64 = 1024;

/// Heap bytes the readings may differ by in a body that starts threads
/// (their reaping moves a few KiB either way); a leaked socket keeps the
/// receive buffer the body filled, far more than this.
pub const THREAD_SLACK: u64 = 16 * 1024;

/// Kernel heap bytes in use, programs running, programs loaded so far.
fn heap_used() -> (u64, u64, u64) {
    zx::nanosleep(zx::deadline_after(2_000_000));
    let s = zx::kernel_stats();
    (
        s[stats::HEAP_USED_BYTES],
        s[stats::LIVE_PROCESSES],
        s[stats::PROGRAMS_LOADED],
    )
}

/// Runs `f` once, then `REPEATS` times checking that pages, VMOs and (to
/// within `SLACK`) kernel heap bytes all came back.
pub fn check(what: &str, f: impl Fn()) {
    check_runs(what, REPEATS, SLACK, f)
}

/// [`check`] for a body that starts threads: `THREAD_REPEATS` runs, to
/// within `THREAD_SLACK`.
pub fn check_threads(what: &str, f: impl Fn()) {
    check_runs(what, THREAD_REPEATS, THREAD_SLACK, f)
}

fn check_runs(what: &str, repeats: usize, slack: u64, f: impl Fn()) {
    f();
    let (before, others_before, loaded_before) = heap_used();
    assert_no_leak(what, || {
        for _ in 0..repeats {
            f();
        }
    });
    let (after, others_after, loaded_after) = heap_used();
    if others_before.max(others_after) > 1 || loaded_before != loaded_after {
        // Other programs run, or ran meanwhile (el0.parallel): their heap
        // use mixes in.
        return;
    }
    assert!(
        after.abs_diff(before) <= slack,
        "{}: kernel heap bytes {} before vs {} after {} runs",
        what,
        before,
        after,
        repeats
    );
}

//! The EL0 test runner: runs every program of the initrd in its own process,
//! in archive order, one line per program, then a summary. A program passes
//! by exiting with status 0; one whose name contains `expect_fault_` passes
//! by being killed. A program that ends with pages still missing from the allocator
//! fails with a leak report, whatever its status.

use crate::cpio::Archive;
use crate::memory::FRAMES;
use crate::task::{Process, StartState, Stop, Thread, TimeLimit};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use platform::arch::cpu;
use platform::println;

/// How one program ended.
enum End {
    Exited(i64),
    Killed(String),
    NotLoaded(String),
}

/// Totals for the summary line.
#[derive(Default)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
}

/// Seconds an EL0 program may run before it is killed, from the boot
/// argument `el0.time_limit=SECS` (default 60).
pub fn time_limit_from(bootargs: Option<&str>) -> u64 {
    bootargs
        .into_iter()
        .flat_map(str::split_ascii_whitespace)
        .find_map(|a| a.strip_prefix("el0.time_limit=")?.parse().ok())
        .unwrap_or(60)
}

/// Runs the programs of a cpio archive, each for at most `limit_s`
/// seconds when the timer interrupt works.
pub fn run_all(initrd: &[u8], limit_s: Option<u64>) -> Summary {
    let mut summary = Summary::default();
    for entry in Archive::new(initrd) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                println!("initrd: unreadable archive: {e:?}");
                summary.failed += 1;
                break;
            }
        };
        if run_one(entry.name, entry.data, limit_s) {
            summary.passed += 1;
        } else {
            summary.failed += 1;
        }
    }
    println!("el0: {} passed, {} failed", summary.passed, summary.failed);
    summary
}

/// Runs one program; true if it passed.
fn run_one(name: &str, image: &[u8], limit_s: Option<u64>) -> bool {
    let free_before = FRAMES.free_pages();
    let end = match Process::load(name, image) {
        Ok((process, start)) => run(process, &start, limit_s),
        Err(e) => End::NotLoaded(format!("{e}")),
    };
    let leaked = free_before as i64 - FRAMES.free_pages() as i64;
    let expect_fault = name.contains("expect_fault_");
    let verdict = match (&end, expect_fault) {
        (_, _) if leaked != 0 => format!("FAILED (leaked {leaked} pages)"),
        (End::Exited(0), false) => String::from("ok"),
        (End::Killed(reason), true) => format!("ok (killed: {reason})"),
        (End::Exited(code), true) => format!("FAILED (exit code {code}, expected a fault)"),
        (End::Exited(code), false) => format!("FAILED (exit code {code})"),
        (End::Killed(reason), false) => format!("FAILED (killed: {reason})"),
        (End::NotLoaded(why), _) => format!("FAILED (not loaded: {why})"),
    };
    println!("test {name} ... {verdict}");
    verdict.starts_with("ok")
}

/// Runs the process's first thread until the process exits, is killed, or
/// overruns `limit_s`; then tears the process down.
fn run(process: Arc<Process>, start: &StartState, limit_s: Option<u64>) -> End {
    let limit = limit_s.map(|seconds| TimeLimit {
        deadline: cpu::counter().saturating_add(seconds.saturating_mul(cpu::counter_frequency())),
        seconds,
    });
    let end = match Thread::new(process.clone(), start, limit) {
        Ok(thread) => match thread.run() {
            Stop::Exit(code) => End::Exited(code),
            Stop::Kill(reason) => End::Killed(reason),
        },
        Err(e) => End::NotLoaded(format!("no thread: {}", e.name())),
    };
    process.terminate();
    end
}

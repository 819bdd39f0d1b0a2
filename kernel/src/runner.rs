//! The EL0 test runner: runs every program of the initrd in its own process,
//! in archive order, one line per program, then a summary. The initrd's
//! first file is the manifest (`crate::manifest`), which says what each
//! program must do: exit with status 0, or be killed with a given fault
//! kind. A program the manifest does not list fails, and so does one that
//! ends with pages still missing from the allocator, whatever its status.

use crate::cpio::{Archive, Entry};
use crate::manifest::{self, Ending, FaultKind, Manifest};
use crate::memory::FRAMES;
use crate::task::{Process, StartState, Stop};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use platform::arch::cpu;
use platform::println;

/// How one program ended.
enum End {
    Exited(i64),
    Killed(Option<FaultKind>, String),
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
    let mut archive = Archive::new(initrd);
    let manifest = match read_manifest(archive.next()) {
        Ok(m) => m,
        Err(why) => {
            println!("initrd: {why}");
            summary.failed += 1;
            println!("el0: {} passed, {} failed", summary.passed, summary.failed);
            return summary;
        }
    };
    for entry in archive {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                println!("initrd: unreadable archive: {e:?}");
                summary.failed += 1;
                break;
            }
        };
        if run_one(entry.name, entry.data, limit_s, &manifest) {
            summary.passed += 1;
        } else {
            summary.failed += 1;
        }
    }
    println!("el0: {} passed, {} failed", summary.passed, summary.failed);
    summary
}

/// The manifest from the initrd's first file, or why there is none.
fn read_manifest<'a>(
    first: Option<Result<Entry<'a>, crate::cpio::CpioError>>,
) -> Result<Manifest<'a>, String> {
    match first {
        Some(Ok(e)) if e.name == manifest::FILE_NAME => {
            Manifest::from_bytes(e.data).map_err(|e| format!("{e}"))
        }
        Some(Ok(e)) => Err(format!(
            "the first file is {}, not {}: no expectations to judge the programs by",
            e.name,
            manifest::FILE_NAME
        )),
        Some(Err(e)) => Err(format!("unreadable archive: {e:?}")),
        None => Err(format!("empty archive: no {}", manifest::FILE_NAME)),
    }
}

/// Runs one program; true if it passed.
fn run_one(name: &str, image: &[u8], limit_s: Option<u64>, manifest: &Manifest<'_>) -> bool {
    let free_before = FRAMES.free_pages();
    let end = match Process::load(name, image) {
        Ok((process, start)) => run(process, &start, limit_s),
        Err(e) => End::NotLoaded(format!("{e}")),
    };
    let leaked = free_before as i64 - FRAMES.free_pages() as i64;
    let (passed, verdict) = verdict(name, &end, leaked, manifest);
    println!("test {name} ... {verdict}");
    passed
}

/// Whether the program passed, and the verdict line's text: a leak fails
/// it, otherwise the manifest's expectation decides.
fn verdict(name: &str, end: &End, leaked: i64, manifest: &Manifest<'_>) -> (bool, String) {
    let Some(program) = manifest.program(name) else {
        return (
            false,
            format!("FAILED (not in {}: no expectation)", manifest::FILE_NAME),
        );
    };
    let ending = match end {
        _ if leaked != 0 => return (false, format!("FAILED (leaked {leaked} pages)")),
        End::NotLoaded(why) => return (false, format!("FAILED (not loaded: {why})")),
        End::Exited(code) => Ending::Exited(*code),
        End::Killed(kind, reason) => Ending::Killed(*kind, reason),
    };
    let v = manifest::judge(program.expect, ending);
    (v.passed(), format!("{v}"))
}

/// Starts the process's first thread and runs this core's scheduler until
/// the process has ended (exited, been killed, or overrun `limit_s`, which
/// this core checks too, in case no thread of the process is running to
/// take the timer interrupt).
fn run(process: Arc<Process>, start: &StartState, limit_s: Option<u64>) -> End {
    if let Some(seconds) = limit_s {
        let deadline =
            cpu::counter().saturating_add(seconds.saturating_mul(cpu::counter_frequency()));
        process.set_time_limit(deadline, seconds);
    }
    if let Err(e) = process.start(start) {
        process.terminate();
        return End::NotLoaded(format!("no thread: {}", e.name()));
    }
    let done = || {
        if cpu::counter() >= process.deadline() && !process.is_dead() {
            process.time_limit_reached();
        }
        process.is_dead()
    };
    crate::sched::run_cpu(&done, &|| process.deadline());
    match process.end() {
        Some(Stop::Exit(code)) => End::Exited(code),
        Some(Stop::Kill(kind, reason)) => End::Killed(kind, reason),
        None => End::Killed(None, String::from("ended without a reason")),
    }
}

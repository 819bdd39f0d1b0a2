//! The EL0 test runner: runs every program of the initrd in its own process,
//! in archive order, one line per program, then a summary. The initrd's
//! first file is the manifest (`crate::manifest`), which says what each
//! program must do: exit with status 0, or be killed with a given fault
//! kind. A program the manifest does not list fails, and so does one that
//! ends with pages still missing from the allocator, whatever its status.
//!
//! With `el0.parallel=N` (N > 1) up to N programs run at once, each started
//! as soon as a slot is free, and lines come in the order they end. A
//! program's own page count cannot be told apart from its neighbours' then,
//! so only the boot's check at the end (every page back) judges leaks.
//!
//! The runner owns the root job. Each program runs in a default job of its
//! own under it (x3 at start); when the program ends that job is killed and
//! the runner waits until everything in it has ended, so that the
//! processes a program started never outlive it (nor its leak check).

use crate::cpio::{Archive, Entry};
use crate::manifest::{self, Ending, FaultKind, Manifest};
use crate::task::{Job, Process, StartState, Stop};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
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

/// How many programs run at once, from the boot argument
/// `el0.parallel=N` (default 1).
pub fn parallel_from(bootargs: Option<&str>) -> usize {
    bootargs
        .into_iter()
        .flat_map(str::split_ascii_whitespace)
        .find_map(|a| a.strip_prefix("el0.parallel=")?.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Runs the programs of a cpio archive, each for at most `limit_s`
/// seconds when the timer interrupt works, `parallel` at a time.
pub fn run_all(initrd: &'static [u8], limit_s: Option<u64>, parallel: usize) -> Summary {
    crate::initrd::set(initrd);
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
    let unreadable = core::cell::Cell::new(false);
    let mut entries = archive.map_while(|entry| match entry {
        Ok(e) => Some(e),
        Err(e) => {
            println!("initrd: unreadable archive: {e:?}");
            unreadable.set(true);
            None
        }
    });
    let root = Job::new_root();
    if parallel > 1 {
        println!("el0: up to {parallel} programs at once (leaks judged at the end only)");
        run_parallel(
            &mut entries,
            &root,
            limit_s,
            parallel,
            &manifest,
            &mut summary,
        );
    } else {
        for entry in entries {
            if run_one(entry.name, entry.data, &root, limit_s, &manifest) {
                summary.passed += 1;
            } else {
                summary.failed += 1;
            }
        }
    }
    if unreadable.get() {
        summary.failed += 1;
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

/// Loads a program into a new default job under `root`.
fn load(name: &str, image: &[u8], root: &Arc<Job>) -> Result<(Arc<Process>, StartState), String> {
    let job = root
        .create_child()
        .map_err(|e| format!("no job: {}", e.name()))?;
    Process::load(name, image, &job, crate::el0::run).map_err(|e| format!("{e}"))
}

/// The program has ended: its default job is killed, and this core runs
/// threads until everything in it has ended too.
fn end_job(process: &Process) {
    process.job.kill();
    let job = &process.job;
    crate::sched::run_cpu(&|| job.all_dead(), &|| u64::MAX);
}

/// Runs one program; true if it passed.
fn run_one(
    name: &str,
    image: &[u8],
    root: &Arc<Job>,
    limit_s: Option<u64>,
    manifest: &Manifest<'_>,
) -> bool {
    let free_before = crate::vm::spare::free_pages();
    let end = match load(name, image, root) {
        Ok((process, start)) => run(process, &start, limit_s),
        Err(why) => End::NotLoaded(why),
    };
    let leaked = free_before as i64 - crate::vm::spare::free_pages() as i64;
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

/// Counts a verdict.
fn tally(summary: &mut Summary, passed: bool) {
    if passed {
        summary.passed += 1;
    } else {
        summary.failed += 1;
    }
}

/// Runs the programs `parallel` at a time (see the module's description).
fn run_parallel<'a>(
    entries: &mut dyn Iterator<Item = Entry<'a>>,
    root: &Arc<Job>,
    limit_s: Option<u64>,
    parallel: usize,
    manifest: &Manifest<'_>,
    summary: &mut Summary,
) {
    let mut running: Vec<(&'a str, Arc<Process>)> = Vec::new();
    loop {
        while running.len() < parallel {
            let Some(entry) = entries.next() else { break };
            let started = load(entry.name, entry.data, root).and_then(|(process, start)| {
                set_limit(&process, limit_s);
                match process.start(&start) {
                    Ok(()) => Ok(process),
                    Err(e) => {
                        process.terminate();
                        Err(format!("no thread: {}", e.name()))
                    }
                }
            });
            match started {
                Ok(process) => running.push((entry.name, process)),
                Err(why) => {
                    let (passed, verdict) = verdict(entry.name, &End::NotLoaded(why), 0, manifest);
                    println!("test {} ... {verdict}", entry.name);
                    tally(summary, passed);
                }
            }
        }
        if running.is_empty() {
            return;
        }
        let done = || running.iter().any(|(_, p)| has_ended(p));
        let wake_at = || {
            running
                .iter()
                .map(|(_, p)| p.deadline())
                .min()
                .unwrap_or(u64::MAX)
        };
        crate::sched::run_cpu(&done, &wake_at);
        running.retain(|(name, p)| {
            let Some(end) = p.end() else { return true };
            end_job(p);
            let (passed, verdict) = verdict(name, &ending(end), 0, manifest);
            println!("test {name} ... {verdict}");
            tally(summary, passed);
            false
        });
    }
}

/// Whether `process` has ended; one past its time limit is killed first
/// (this core checks too, in case no thread of it runs to take the timer
/// interrupt).
fn has_ended(process: &Process) -> bool {
    if cpu::counter() >= process.deadline() && !process.is_dead() {
        process.time_limit_reached();
    }
    if !process.is_dead() {
        process.check_blocked_forever();
    }
    process.is_dead()
}

fn set_limit(process: &Process, limit_s: Option<u64>) {
    if let Some(seconds) = limit_s {
        let deadline =
            cpu::counter().saturating_add(seconds.saturating_mul(cpu::counter_frequency()));
        process.set_time_limit(deadline, seconds);
    }
}

fn ending(stop: Stop) -> End {
    match stop {
        Stop::Exit(code) => End::Exited(code),
        Stop::Kill(kind, reason) => End::Killed(kind, reason),
    }
}

/// Starts the process's first thread and runs this core's scheduler until
/// the process has ended (exited, been killed, or overrun `limit_s`, which
/// this core checks too, in case no thread of the process is running to
/// take the timer interrupt).
fn run(process: Arc<Process>, start: &StartState, limit_s: Option<u64>) -> End {
    set_limit(&process, limit_s);
    if let Err(e) = process.start(start) {
        process.terminate();
        return End::NotLoaded(format!("no thread: {}", e.name()));
    }
    crate::sched::run_cpu(&|| has_ended(&process), &|| process.deadline());
    end_job(&process);
    match process.end() {
        Some(stop) => ending(stop),
        None => End::Killed(None, String::from("ended without a reason")),
    }
}

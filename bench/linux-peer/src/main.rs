//! The Linux peer of the EL0 benchmarks (`tests/el0/src/bin/bench_*.rs`):
//! run by Linux as the initramfs `/init`, it times Linux's closest
//! equivalents of the same operations, the same way, and powers off.
//!
//! Same method as the EL0 side (`el0_tests::bench`): read the virtual counter
//! (`isb; mrs cntvct_el0`) around N iterations, take the median of several
//! batches, convert ticks to ns with CNTFRQ. Under QEMU `-icount
//! shift=0,sleep=off` a nanosecond is one instruction. Batch counts,
//! iteration counts and sizes match the EL0 programs.
//!
//! Output: one `benchrow: KEY NS` line per figure (scripts/bench.sh joins
//! them with the EL0 side's by KEY), `benchinfo:` lines for context, and
//! `benchdone` at the end. The arguments pick the sets, run in order:
//! `main` (the default; `vmo_costs`' rows), `scaling` (`scaling_costs`'),
//! `threads` (`thread_costs`': thread create + join, futex ping-pong) or
//! `fault-scaling` (`thread_scaling`': 1, 2 and 4 threads faulting one
//! mapping, wall-clock). Linux passes the words after `--` on its command
//! line to init as arguments.

mod sys;
mod threads;

use std::io::Write;
use sys::AnonMap;

const BATCHES: usize = 7;
const PAGE: usize = 4096;

fn ticks_to_ns(ticks: u64) -> u64 {
    ticks * 1_000_000_000 / sys::counter_frequency()
}

/// `op` `iters` times per batch, `BATCHES` batches: the median batch's
/// nanoseconds per unit, with `units` units of work per call of `op`.
fn median_ns_per_unit(iters: u64, units: u64, mut op: impl FnMut(u64)) -> u64 {
    let mut samples = [0u64; BATCHES];
    for s in samples.iter_mut() {
        let t0 = sys::counter();
        for i in 0..iters {
            op(i);
        }
        *s = ticks_to_ns(sys::counter() - t0) / (iters * units);
    }
    median(&mut samples)
}

fn median(samples: &mut [u64]) -> u64 {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn row(key: &str, ns: u64) {
    println!("benchrow: {key} {ns}");
}

// ---- the main set: bench_vmo's rows ----------------------------------

/// `zx_handle_close(INVALID)` on the EL0 side: a call that enters the kernel
/// and returns at once.
fn null_syscall() -> u64 {
    median_ns_per_unit(2000, 1, |_| {
        std::hint::black_box(sys::getppid());
    })
}

/// `zx_vmo_create(size) + zx_handle_close`: a memory object of `size` bytes
/// with no pages yet, then destroyed.
fn create_close(size: u64) -> u64 {
    median_ns_per_unit(500, 1, |_| {
        let fd = sys::memfd_create(c"bench").expect("memfd_create");
        sys::ftruncate(fd, size).expect("ftruncate");
        sys::close(fd).expect("close");
    })
}

/// First touch of each page of a fresh 64 MiB anonymous mapping, per page
/// (median of 3 mappings).
fn first_touch() -> u64 {
    const SIZE: usize = 64 << 20;
    const PAGES: usize = SIZE / PAGE;
    let mut samples = [0u64; 3];
    for s in samples.iter_mut() {
        let map = AnonMap::new(SIZE, true).expect("mmap");
        let t0 = sys::counter();
        for page in 0..PAGES {
            map.touch(page);
        }
        *s = ticks_to_ns(sys::counter() - t0) / PAGES as u64;
    }
    median(&mut samples)
}

fn memfd_4k() -> usize {
    let fd = sys::memfd_create(c"bench").expect("memfd_create");
    sys::ftruncate(fd, PAGE as u64).expect("ftruncate");
    fd
}

fn write_4k() -> u64 {
    let fd = memfd_4k();
    let buf = [0x5au8; PAGE];
    let ns = median_ns_per_unit(300, 1, |_| {
        assert_eq!(sys::pwrite(fd, &buf, 0), Ok(PAGE));
    });
    sys::close(fd).expect("close");
    ns
}

fn read_4k() -> u64 {
    let fd = memfd_4k();
    assert_eq!(sys::pwrite(fd, &[1u8; PAGE], 0), Ok(PAGE));
    let mut buf = [0u8; PAGE];
    let ns = median_ns_per_unit(300, 1, |_| {
        assert_eq!(sys::pread(fd, &mut buf, 0), Ok(PAGE));
    });
    sys::close(fd).expect("close");
    ns
}

/// The work closest to `map_cycle` here: an anonymous 4 KiB mapping made
/// and unmapped, no page touched (one `mmap` and one `munmap`).
fn map_cycle_4k() -> u64 {
    median_ns_per_unit(500, 1, |_| {
        drop(AnonMap::new(PAGE, false).expect("mmap"));
    })
}

fn main_set() {
    row("null_syscall", null_syscall());
    row("create_4k", create_close(4096));
    row("map_cycle_4k", map_cycle_4k());
    row("create_1t", create_close(1 << 40));
    row("fault_64m", first_touch());
    row("write_4k", write_4k());
    row("read_4k", read_4k());
}

// ---- the scaling set: bench_scaling's rows ---------------------------

/// Pages faulted in per batch when measuring fault cost after N.
const FAULT_BATCH_PAGES: usize = 256;
/// Free memory left when memory counts as "nearly full".
const HEADROOM: u64 = 32 << 20;
/// The small mapping of the alloc/free rows: 16 pages.
const SMALL_PAGES: usize = 16;

/// With pages `0..n` of `map` already touched, the cost of touching the
/// next pages, per page. Returns the figure and the first untouched page.
fn fault_after(map: &AnonMap, n: usize) -> (u64, usize) {
    for page in 0..n {
        map.touch(page);
    }
    let mut next = n;
    let ns = median_ns_per_unit(1, FAULT_BATCH_PAGES as u64, |_| {
        for page in next..next + FAULT_BATCH_PAGES {
            map.touch(page);
        }
        next += FAULT_BATCH_PAGES;
    });
    (ns, next)
}

fn fault_span(n: usize) -> usize {
    (n + BATCHES * FAULT_BATCH_PAGES) * PAGE
}

/// Page allocation and free through a small mapping: map 64 KiB, fault in
/// its 16 pages, unmap; per page.
fn alloc_free() -> u64 {
    median_ns_per_unit(64, SMALL_PAGES as u64, |_| {
        let map = AnonMap::new(SMALL_PAGES * PAGE, false).expect("mmap");
        for page in 0..SMALL_PAGES {
            map.touch(page);
        }
    })
}

fn scaling_set() {
    row("allocfree_empty", alloc_free());
    {
        let small = AnonMap::new(fault_span(1024), true).expect("mmap");
        row("fault_after_1k", fault_after(&small, 1024).0);
    }
    let mem = sys::sysinfo();
    let big = AnonMap::new(mem.total as usize, true).expect("mmap");
    const N: usize = 256 * 1024;
    assert!(fault_span(N) < big.len, "needs more than 1 GiB of RAM");
    let (ns, mut next) = fault_after(&big, N);
    row("fault_after_256k", ns);
    // Fill memory until only HEADROOM is left.
    while usable_free() > HEADROOM {
        for page in next..next + 256 {
            map_touch_checked(&big, page);
        }
        next += 256;
    }
    println!(
        "benchinfo: linux nearly full: {} MiB touched, {} MiB free outside CMA",
        (next * PAGE) >> 20,
        usable_free() >> 20
    );
    row("allocfree_full", alloc_free());
    drop(big);
}

/// Free memory that any allocation may use, in bytes: `MemFree` less
/// `CmaFree` from /proc/meminfo. Debian's kernel reserves a 64 MiB CMA area
/// that only movable allocations (user pages) may use; page tables may not,
/// so filling memory by `sysinfo`'s free count alone ends in "System is
/// deadlocked on memory" (the OOM killer may not kill init).
fn usable_free() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").expect("/proc/meminfo");
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    field("MemFree:").saturating_sub(field("CmaFree:"))
}

fn map_touch_checked(map: &AnonMap, page: usize) {
    assert!(
        (page + 1) * PAGE <= map.len,
        "filled the whole mapping and memory is still not full"
    );
    map.touch(page);
}

/// CPU time in /proc/stat's `cpu` line: (idle + iowait, total), in ticks.
fn cpu_times() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    let fields: Vec<u64> = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("cpu "))
        .expect("/proc/stat starts with the cpu line")
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (idle, fields.iter().sum())
}

/// Lets the boot's deferred work finish before anything is timed: Linux
/// still probes devices, runs initcalls queued to workqueues and settles RCU
/// for a while after it starts init. Sleeps at least 1 s, then in 250 ms
/// steps until a whole step was at least 99% idle (at most 10 s more).
/// Sleeping costs little wall time under -icount with sleep=off: the idle
/// clock jumps to the next timer. Returns the milliseconds slept and the
/// last step's idle share in percent.
fn settle() -> (u64, u64) {
    const STEP_MS: u64 = 250;
    sys::nanosleep(1_000_000_000);
    let mut slept = 1000;
    loop {
        let (idle0, total0) = cpu_times();
        sys::nanosleep(STEP_MS * 1_000_000);
        slept += STEP_MS;
        let (idle1, total1) = cpu_times();
        let idle_pct = (idle1 - idle0) * 100 / (total1 - total0).max(1);
        if idle_pct >= 99 || slept >= 11_000 {
            return (slept, idle_pct);
        }
    }
}

fn main() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("linux-peer: {info}");
        let _ = std::io::stderr().flush();
        sys::power_off();
    }));
    sys::ensure_console();
    sys::mount(c"proc", c"/proc");
    let mut modes: Vec<String> = std::env::args().skip(1).collect();
    if modes.is_empty() {
        modes.push("main".into());
    }
    let mode = modes.join(" ");
    let (slept_ms, idle_pct) = settle();
    let mem = sys::sysinfo();
    println!(
        "benchinfo: linux set {mode}: {} MiB RAM, {} MiB free; settled after {slept_ms} ms \
         ({idle_pct}% idle), up {} s; counter {} Hz",
        mem.total >> 20,
        mem.free >> 20,
        mem.uptime_s,
        sys::counter_frequency()
    );
    for mode in &modes {
        match mode.as_str() {
            "main" => main_set(),
            "scaling" => scaling_set(),
            "threads" => threads::threads_set(),
            "fault-scaling" => threads::fault_scaling_set(),
            other => panic!("unknown set {other:?} (main, scaling, threads, fault-scaling)"),
        }
    }
    println!("benchdone");
    let _ = std::io::stdout().flush();
    sys::power_off();
}

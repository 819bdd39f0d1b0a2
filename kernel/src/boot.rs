//! From the entry assembly to the first EL0 program: platform bring-up, the
//! boot log (mode, board, memory map), memory management, then the runner.

use crate::memory::{self, FRAMES};
use platform::{power, println};

const MIB: u64 = 1 << 20;

/// The boot argument that gives the allocator at most SIZE bytes of RAM
/// (`mem.limit=128M`; K, M or G): memory pressure on a board whose RAM is
/// fixed (the Pi), as QEMU's `-m` gives it on `virt`.
const MEM_LIMIT_ARG: &str = "mem.limit";

fn memory_limit(bootargs: Option<&str>) -> Option<u64> {
    let arg = bootargs?
        .split_ascii_whitespace()
        .find_map(|a| a.strip_prefix(MEM_LIMIT_ARG)?.strip_prefix('='))?;
    let (digits, unit) = arg.split_at(arg.find(|c: char| !c.is_ascii_digit())?.min(arg.len()));
    let shift = match unit {
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Shortens `ranges` (in order) so that they hold at most `limit` bytes.
fn limit_ranges(ranges: &mut [platform::dt::Range], limit: u64) {
    let mut left = limit;
    for r in ranges {
        r.size = r.size.min(left) & !(zx_abi::PAGE_SIZE - 1);
        left -= r.size;
    }
}

/// Called by `entry.S` on the boot core, in the upper half, on the boot stack.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_entry(dtb_pa: u64, kimage_offset: u64, entry_el: u64) -> ! {
    // SAFETY: the values are exactly what entry.S computed, and this is the
    // first and only call.
    let p = unsafe { platform::boot::init(dtb_pa, kimage_offset, entry_el) };
    let info = &p.info;

    println!();
    println!("zkernel {} (aarch64)", env!("CARGO_PKG_VERSION"));
    println!(
        "board: {:?}{}{}",
        info.board,
        info.model.map(|_| ", ").unwrap_or(""),
        info.model.unwrap_or("")
    );
    match (p.entry_el, p.hyp) {
        (2, Some(h)) => println!(
            "mode: EL2 layer + EL1 guest (hypervisor-lite v{} resident at EL2, stage 2 on; \
             its region {:#x}..{:#x} is not mapped for the guest)",
            h.version,
            h.region.base,
            h.region.end()
        ),
        (2, None) => println!("mode: entered at EL2, kernel at EL1 without the EL2 layer"),
        _ => println!("mode: EL1 direct (entered at EL1; a guest of whatever runs below)"),
    }
    println!(
        "cpu: counter {} Hz, {} core(s) in the tree",
        platform::arch::cpu::counter_frequency(),
        info.cpus.len()
    );
    platform::boot::print_devices(&p);
    if let Some(v) = platform::power::psci_version() {
        println!(
            "psci:   version {}.{} ({:?}{})",
            v >> 16,
            v & 0xffff,
            platform::power::psci_conduit().expect("psci"),
            if p.hyp.is_some() {
                ", trapped and forwarded by the EL2 layer"
            } else {
                ""
            }
        );
    }
    let mut ram = 0;
    for m in info.memory.iter() {
        println!(
            "memory: {:#012x}..{:#012x} ({} MiB)",
            m.base,
            m.base + m.size,
            m.size / MIB
        );
        ram += m.size;
    }
    for t in p.taken.iter() {
        println!(
            "taken:  {:#012x}..{:#012x} ({} KiB) {}",
            t.range.base,
            t.range.end(),
            t.range.size.div_ceil(1024),
            t.what
        );
    }

    let mut usable_ranges = p.usable;
    if let Some(limit) = memory_limit(info.bootargs) {
        limit_ranges(usable_ranges.as_mut_slice(), limit);
        println!(
            "memory: the page allocator limited to {} MiB ({MEM_LIMIT_ARG})",
            limit / MIB
        );
    }
    // SAFETY: once, after the kernel tables map all RAM; the usable ranges
    // (shortened or not) exclude everything in use.
    let report = unsafe { memory::init(usable_ranges.as_slice(), ram) };
    let usable: u64 = usable_ranges.iter().map(|r| r.size).sum();
    let free = crate::vm::spare::free_pages() as u64 * 4096;
    println!(
        "heap:   {:#012x}..{:#012x} ({} MiB)",
        report.heap.base,
        report.heap.end(),
        report.heap.size / MIB
    );
    println!(
        "ram {} KiB = taken {} KiB + heap {} KiB + free {} KiB",
        ram / 1024,
        (ram - usable) / 1024,
        report.heap.size / 1024,
        free / 1024
    );
    println!(
        "free pages: {} ({} MiB)",
        crate::vm::spare::free_pages(),
        free / MIB
    );
    FRAMES.set_reclaim(crate::vm::vmo::reclaim);
    match p.interrupts {
        Ok(a) => println!(
            "interrupts: GICv{}, virtual timer INTID {} (EL0 time limit on)",
            a.version, a.timer_intid
        ),
        Err(why) if info.initrd.is_some() => println!(
            "interrupts: none usable ({why}): EL0 programs not started, they could not be preempted"
        ),
        Err(why) => println!("interrupts: none usable ({why})"),
    }
    assert_eq!(
        ram - usable + report.heap.size + free,
        ram,
        "memory accounting"
    );

    println!("boot: ok");
    crate::selftest::run(info.bootargs, &p);
    // Under the EL2 layer PSCI goes through its allow-list even where the
    // tree has no /psci (the Pi: the layer holds the spin-table cores).
    let conduit = platform::power::psci_conduit().or(p.hyp.map(|_| platform::dt::PsciConduit::Smc));
    let online = crate::task::cpus::bring_up(&info.cpus, conduit);
    println!("cpu: {online} of {} core(s) online", info.cpus.len());
    crate::selftest::run_after_cores(info.bootargs, online);

    let Some(initrd) = info.initrd else {
        println!("no initrd: nothing to run");
        power::power_off(0)
    };
    // SAFETY: the initrd lies in RAM (reserved from the allocator above) and
    // the linear map covers it; nothing writes to it.
    let bytes = unsafe {
        core::slice::from_raw_parts(
            platform::layout::phys_to_virt(initrd.base) as *const u8,
            initrd.size as usize,
        )
    };
    if p.interrupts.is_err() {
        // Said on the interrupts line above: nothing could stop a program
        // that never gives the core back.
        power::power_off(1)
    }
    crate::task::cpus::start_scheduling();
    crate::task::kstack::fill_cache();
    let free_at_start = crate::vm::spare::free_pages();
    let limit = crate::runner::time_limit_from(info.bootargs);
    let parallel = crate::runner::parallel_from(info.bootargs);
    let summary = crate::runner::run_all(bytes, Some(limit), parallel);
    let free_at_end = crate::vm::spare::free_pages();
    println!("free pages: {free_at_start} before the programs, {free_at_end} after");
    let leak_ok = free_at_start == free_at_end;
    if !leak_ok {
        println!(
            "LEAK: {} pages not returned",
            free_at_start as i64 - free_at_end as i64
        );
    }
    power::power_off(u32::from(summary.failed != 0 || !leak_ok))
}

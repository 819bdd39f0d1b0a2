//! Platform bring-up, called once from `kernel_entry`: read the device tree
//! through the boot window, build and switch to the kernel's own tables, start
//! the console and the power-off path, and work out which RAM is free.

use crate::arch::{cpu, mmu};
use crate::dt::{self, BoardInfo, EnableMethod, FixedVec, Range, UartKind};
use crate::layout::phys_to_virt;
pub use crate::memmap::Taken;
use crate::memmap::{
    device_ranges, overlaps_any, ranges_of, taken_ranges, usable_ranges, MAX_TAKEN, MAX_USABLE,
};

/// What the kernel learns from the platform at boot.
pub struct Platform {
    pub info: BoardInfo<'static>,
    /// Exception level the firmware entered the kernel at (1 or 2).
    pub entry_el: u8,
    /// Where the kernel image sits in physical memory (with .bss and stacks).
    pub kimage: Range,
    /// RAM in use before the page allocator exists.
    pub taken: FixedVec<Taken, MAX_TAKEN>,
    /// RAM free for the page allocator: `info.memory` minus `taken`.
    pub usable: FixedVec<Range, MAX_USABLE>,
    /// Boot arguments asked for the exit status through semihosting.
    pub semihosting_exit: bool,
    /// The timer interrupt reaches the kernel (a usable GIC and a timer in
    /// the tree): `interrupts.is_ok()`.
    pub timer_interrupt: bool,
    /// The interrupt controller delivering the timer's interrupt, or why
    /// there is none.
    pub interrupts: Result<crate::irq::Active, crate::irq::Unusable>,
    /// The resident EL2 layer, when the kernel runs as its guest.
    pub hyp: Option<crate::hyp::HypInfo>,
}

/// Brings the platform up.
///
/// # Safety
/// Call once, first thing, from `kernel_entry` with the values `entry.S`
/// passes: the DTB's physical address, the image's VA - PA offset and the
/// exception level at entry.
pub unsafe fn init(dtb_pa: u64, kimage_offset: u64, entry_el: u64) -> Platform {
    // First: the exception vectors find the current stack's limit here.
    let image = mmu::image_layout();
    crate::arch::percpu::init_this_cpu(
        0,
        image.stack_bottom + crate::arch::trap::EXCEPTION_FRAME_SIZE,
        image.emergency_stack_top,
    );
    // SAFETY: entry.S maps the 2 GiB from the DTB's gigabyte in the boot
    // linear map, and the firmware put a DTB at `dtb_pa`.
    let blob = match unsafe { dt::from_raw(phys_to_virt(dtb_pa) as *const u8) } {
        Ok(b) => b,
        // No console without a tree: nothing to say it with.
        Err(_) => cpu::halt(),
    };
    // A list longer than the kernel keeps is reported once the console is
    // up (below), and the boot stops there.
    let (info, overflow) = match dt::parse_for_boot(blob, dtb_pa) {
        Ok(parsed) => parsed,
        Err(_) => cpu::halt(),
    };

    let devices = device_ranges(&info, true);

    // SAFETY: called once at boot on the boot tables; the ranges come from
    // the device tree.
    if unsafe { mmu::switch_to_kernel_tables(kimage_offset, &info.memory, &devices) }.is_err() {
        cpu::halt();
    }
    // SAFETY: the UARTs are now mapped as device memory, and only the
    // console drives them.
    unsafe { crate::console::init(info.console, &info.uarts) };

    let has_arg = |arg: &str| {
        info.bootargs
            .is_some_and(|args| args.split_ascii_whitespace().any(|a| a == arg))
    };
    let semihosting_exit = has_arg("exit=semihosting");
    crate::power::init(info.psci, info.watchdog.map(|w| w.base), semihosting_exit);
    // SAFETY: the GIC's registers were mapped above from the tree, and only
    // the kernel drives them.
    let interrupts =
        unsafe { crate::irq::init(info.gic, info.timer, has_arg(crate::irq::DISABLE_ARG)) };
    // Nothing is handed out yet: stop before a dropped reservation could be.
    let stop = |why: &dyn core::fmt::Display| -> ! {
        crate::println!("boot: {why}; stopping before any memory is handed out");
        crate::power::fail()
    };
    if let Some(o) = overflow {
        stop(&o);
    }

    let l = mmu::image_layout();
    let kimage = Range {
        base: l.start - kimage_offset,
        size: l.end - l.start,
    };
    let mut taken = taken_ranges(&info, kimage).unwrap_or_else(|o| stop(&o));
    // A boot loader that put the tree or the initrd inside the image's .bss
    // (a loader that ignores the header's image_size) had them cleared by
    // entry.S: say so instead of running from a damaged initrd.
    for (what, range) in [("device tree", Some(info.dtb)), ("initrd", info.initrd)] {
        let Some(r) = range else { continue };
        if overlaps_any(&r, &[kimage]) {
            crate::println!(
                "boot: the {what} at {:#x}..{:#x} overlaps the kernel image at {:#x}..{:#x} \
                 (the header's image_size covers .bss and the stacks); load it elsewhere",
                r.base,
                r.end(),
                kimage.base,
                kimage.end()
            );
            crate::power::fail();
        }
    }
    let mut taken_ranges = ranges_of(&taken).unwrap_or_else(|o| stop(&o));
    let mut usable = usable_ranges(&info.memory, &taken_ranges).unwrap_or_else(|o| stop(&o));

    // Entered at EL2: the resident layer takes a region of RAM for itself and
    // the kernel continues as its guest.
    let mut hyp = None;
    if entry_el == 2 {
        match crate::hyp::pick_region(&usable) {
            // SAFETY: entered at EL2 (the boot stub is in VBAR_EL2), once,
            // with all RAM mapped; the region is free RAM from `usable`.
            Some(region) => match unsafe { crate::hyp::launch(region, &info, semihosting_exit) } {
                Ok(h) => {
                    let layer = Taken {
                        range: region,
                        what: "EL2 layer (not mapped for the guest)",
                    };
                    if taken.push(layer).is_err() || taken_ranges.push(region).is_err() {
                        stop(&"too many taken ranges for the EL2 layer's region");
                    }
                    usable =
                        usable_ranges(&info.memory, &taken_ranges).unwrap_or_else(|o| stop(&o));
                    hyp = Some(h);
                }
                Err(why) => crate::println!("hyp: the EL2 layer was not launched: {why}"),
            },
            None => crate::println!("hyp: no room for the EL2 layer; running without it"),
        }
    }

    Platform {
        info,
        entry_el: entry_el as u8,
        kimage,
        taken,
        usable,
        semihosting_exit,
        timer_interrupt: interrupts.is_ok(),
        interrupts,
        hyp,
    }
}

/// Prints what the kernel drives and how the secondaries are held, for the
/// boot log: every address is the one the tree gave, translated.
pub fn print_devices(p: &Platform) {
    let info = &p.info;
    let mut slots: FixedVec<u64, 8> = FixedVec::new();
    for c in info.cpus.iter().skip(1) {
        if let EnableMethod::SpinTable { release_addr } = c.enable_method {
            let _ = slots.push(release_addr);
        }
    }
    if !slots.is_empty() {
        // Under the EL2 layer its loader released them into the layer.
        let (verb, end) = if p.hyp.is_some() {
            (
                "were released from the firmware's spin table",
                " (into the EL2 layer, which holds them)",
            )
        } else {
            ("wait in the firmware's spin table", " (never written)")
        };
        crate::print!("cpu:    {} secondaries {verb}, release slots", slots.len());
        for (n, slot) in slots.iter().enumerate() {
            crate::print!("{} {:#x}", if n == 0 { "" } else { "," }, slot);
        }
        crate::println!("{end}");
    }
    let kind = |k: UartKind| match k {
        UartKind::Pl011 => "PL011",
        UartKind::MiniUart => "mini UART",
    };
    crate::print!("console:");
    let mut first = true;
    for u in info.uarts.iter() {
        let primary = info.console == Some(*u);
        crate::print!(
            "{} {} {:#x}{}",
            if first { "" } else { "," },
            kind(u.kind),
            u.regs.base,
            if primary { " (stdout-path)" } else { "" }
        );
        first = false;
    }
    crate::println!();
    if let Some(g) = info.gic {
        crate::print!(
            "gic:    GICv{}, distributor {:#x}",
            g.version,
            g.distributor.base
        );
        if let Some(c) = g.cpu_interface {
            crate::print!(", cpu interface {:#x}", c.base);
        }
        for (n, r) in g.redistributors.iter().enumerate() {
            crate::print!(
                "{} {:#x}..{:#x}",
                if n == 0 { ", redistributors" } else { "," },
                r.base,
                r.end()
            );
        }
        crate::println!();
    }
    crate::println!("power:  {}", crate::power::describe());
    // What the page allocator gets (the kernel heap is then cut from the
    // largest): one line per range, so every /memory range can be seen in use.
    for u in p.usable.iter() {
        crate::println!(
            "usable: {:#012x}..{:#012x} ({} KiB)",
            u.base,
            u.end(),
            u.size / 1024
        );
    }
}

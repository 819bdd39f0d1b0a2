//! Boot-time self-tests chosen on the kernel command line
//! (`selftest=NAME`), for tests that must see the kernel fail correctly, and
//! ones that need every core online (`selftest=ipi`, [`run_after_cores`]).

/// Runs the self-test `bootargs` names, if any.
pub fn run(bootargs: Option<&str>, p: &platform::boot::Platform) {
    let Some(args) = bootargs else { return };
    for arg in args.split_ascii_whitespace() {
        match arg {
            "selftest=kernel-fault" => kernel_fault(),
            "selftest=kernel-stack-overflow" => {
                platform::println!("selftest: recursing in the kernel until the stack runs out");
                recurse(0);
            }
            "selftest=hyp-isolation" => hyp_isolation(p, platform::hyp::abi::region::CONFIG),
            "selftest=hyp-isolation-tables" => hyp_isolation(p, platform::hyp::abi::region::TABLES),
            "selftest=hyp-isolation-stack" => {
                // The top of the boot core's EL2 stack (slot 0).
                let r = platform::hyp::abi::region::STACKS;
                hyp_isolation(p, r + platform::hyp::abi::region::STACK_STRIDE - 8)
            }
            "selftest=hyp-hostile" => hyp_hostile::run(p),
            "selftest=cpu-on" => cpu_on(p),
            "selftest=user-access" => user_access(),
            "selftest=thread-stack-overflow" => thread_stack_overflow(),
            _ => {}
        }
    }
}

/// Runs the self-test `bootargs` names that needs the secondary cores
/// online (`online` cores, the boot core included), if any.
pub fn run_after_cores(bootargs: Option<&str>, online: usize) {
    let Some(args) = bootargs else { return };
    if args.split_ascii_whitespace().any(|a| a == "selftest=ipi") {
        ipi::run(online);
    }
}

/// What an idle secondary core does with the interrupt that woke it: a
/// reschedule IPI is counted for [`ipi`] (and, in its ring phase, passed on).
pub fn ipi_ack(what: platform::irq::Interrupt) {
    if what == platform::irq::Interrupt::Reschedule {
        ipi::answer();
    }
}

/// `selftest=ipi`: the boot core sends reschedule IPIs and every online
/// secondary must take them. Each secondary counts the ones it took (in its
/// idle loop: `wfi` with IRQs masked, then `irq::take`); the boot core
/// waits, bounded by the counter, for each count to move. Three phases,
/// [`ROUNDS`](ipi) times each: the boot core to each secondary; the boot
/// core to itself; and a ring 0 -> 1 -> .. -> 0 in which each secondary
/// passes the IPI on, so that SGIs also come from other cores (on a GICv2 the
/// sender's id is then in `GICC_IAR` and must go back to `GICC_EOIR`, or the
/// next SGI from that core never arrives). Every count must come out exact.
mod ipi {
    use alloc::vec::Vec;
    use core::fmt;
    use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use platform::arch::cpu::{counter, counter_frequency};
    use platform::arch::percpu::{this_cpu, MAX_CPUS};
    use platform::irq::{self, Interrupt};
    use platform::println;

    /// IPIs per core and phase.
    const ROUNDS: u32 = 3;

    /// The ring's path: "0 -> 1 -> .. -> 0".
    struct Ring<'a>(&'a [usize]);

    impl fmt::Display for Ring<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("0")?;
            for i in self.0 {
                write!(f, " -> {i}")?;
            }
            f.write_str(" -> 0")
        }
    }
    /// Reschedule IPIs each secondary took, by per-CPU index.
    static ANSWERED: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];
    /// The ring phase: a secondary passes each IPI on to the next core.
    static RING: AtomicBool = AtomicBool::new(false);

    /// The next core after `index` that IPIs reach, the boot core after the
    /// last.
    fn next(index: usize) -> usize {
        (index + 1..MAX_CPUS)
            .find(|&i| irq::reachable(i))
            .unwrap_or(0)
    }

    /// On a secondary, after `take` returned `Reschedule`.
    pub fn answer() {
        let me = this_cpu().index();
        ANSWERED[me].fetch_add(1, Ordering::AcqRel);
        if RING.load(Ordering::Acquire) {
            irq::send_reschedule(next(me));
        }
    }

    /// Waits until `done` or a second of counter time has passed; returns
    /// the counter ticks it took, or `None` at the deadline.
    fn wait(mut done: impl FnMut() -> bool) -> Option<u64> {
        let start = counter();
        let deadline = start + counter_frequency();
        loop {
            if done() {
                return Some(counter() - start);
            }
            if counter() >= deadline {
                return None;
            }
            core::hint::spin_loop();
        }
    }

    /// On the boot core: polls its own interface (IRQs stay masked) until a
    /// reschedule IPI is taken.
    fn boot_core_takes() -> Option<u64> {
        wait(|| irq::take() == Interrupt::Reschedule)
    }

    fn micros(ticks: u64) -> u64 {
        ticks * 1_000_000 / counter_frequency()
    }

    pub fn run(online: usize) {
        let secondaries: Vec<usize> = (1..MAX_CPUS).filter(|&i| irq::reachable(i)).collect();
        let mut ok = true;
        println!(
            "selftest: ipi: {} of {} online secondaries reachable by the reschedule SGI",
            secondaries.len(),
            online - 1
        );
        if secondaries.len() != online - 1 || secondaries.is_empty() {
            ok = false;
        }
        // Boot core to each secondary.
        for &i in secondaries.iter() {
            let mut took = 0;
            let mut slowest = 0;
            for _ in 0..ROUNDS {
                let before = ANSWERED[i].load(Ordering::Acquire);
                irq::send_reschedule(i);
                match wait(|| ANSWERED[i].load(Ordering::Acquire) != before) {
                    Some(t) => {
                        took += 1;
                        slowest = slowest.max(t);
                    }
                    None => break,
                }
            }
            println!(
                "selftest: ipi: core {i} answered {took} of {ROUNDS} (slowest {} us)",
                micros(slowest)
            );
            ok &= took == ROUNDS;
        }
        // Boot core to itself.
        let mut took = 0;
        for _ in 0..ROUNDS {
            irq::send_reschedule(0);
            if boot_core_takes().is_none() {
                break;
            }
            took += 1;
        }
        println!("selftest: ipi: the boot core took {took} of {ROUNDS} of its own");
        ok &= took == ROUNDS;
        // The ring: SGIs from every core.
        if let Some(&first) = secondaries.first() {
            RING.store(true, Ordering::Release);
            let mut rounds = 0;
            let mut slowest = 0;
            for _ in 0..ROUNDS {
                irq::send_reschedule(first);
                match boot_core_takes() {
                    Some(t) => {
                        rounds += 1;
                        slowest = slowest.max(t);
                    }
                    None => break,
                }
            }
            RING.store(false, Ordering::Release);
            println!(
                "selftest: ipi: ring {} went round {rounds} of {ROUNDS} times (slowest {} us)",
                Ring(&secondaries),
                micros(slowest)
            );
            ok &= rounds == ROUNDS;
        }
        // Nothing else arrived: each count is exactly two phases' worth.
        for &i in secondaries.iter() {
            let n = ANSWERED[i].load(Ordering::Acquire);
            if n != 2 * ROUNDS {
                println!(
                    "selftest: ipi: core {i} took {n} IPIs, expected {}",
                    2 * ROUNDS
                );
                ok = false;
            }
        }
        if !ok {
            println!("selftest: ipi: FAILED");
            platform::power::fail();
        }
        println!(
            "selftest: ipi: ok: {} of {} secondaries answered every reschedule IPI",
            secondaries.len(),
            online - 1
        );
    }
}

/// The guest reads the EL2 layer's memory (at `offset` in its region:
/// configuration, tables or the boot core's EL2 stack) through its own linear map: the
/// stage-2 view leaves it out, so the layer must report the fault and stop
/// the machine with a failure status. Without the layer there is nothing to
/// test: say so and fail.
fn hyp_isolation(p: &platform::boot::Platform, offset: u64) {
    let Some(h) = p.hyp else {
        platform::println!("selftest: no EL2 layer in this mode; nothing protects anything");
        platform::power::fail();
    };
    let pa = h.region.base + offset;
    let va = platform::layout::phys_to_virt(pa);
    platform::println!(
        "selftest: the guest reads the EL2 layer's memory at PA {pa:#x} (VA {va:#x})"
    );
    // SAFETY: deliberately forbidden: the read must trap to EL2, which stops
    // the machine; the value is never used.
    let v = unsafe { (va as *const u64).read_volatile() };
    platform::println!("selftest: FAILED: read {v:#x} from the EL2 layer's memory");
    platform::power::fail();
}

/// `selftest=hyp-hostile`: the kernel plays a hostile guest of its EL2
/// layer. Thousands of random and targeted SMC/HVC function ids and
/// arguments (the upper half of x0 filled with junk: only w0 names the
/// function); every core start/resume function with entry points inside
/// the layer's region, outside RAM and misaligned, and targets named by
/// each affinity level; then real starts under every `CPU_ON` id into a
/// probe that reports its CurrentEL, suspends itself in a power-down state
/// and reports CurrentEL again from its resume entry. The layer's state
/// query must show the same digest afterwards and exactly the refusals the
/// test expects, with nothing passed to the firmware for them.
///
/// The expectations come from this file's own table of what the layer
/// offers ([`allowed`]), not from the layer's decoder.
mod hyp_hostile {
    use platform::hyp::abi::status;
    use platform::hyp::probe::{self, Report};
    use platform::println;

    /// Calls in the refused-only phase and in the mixed phase.
    const REFUSED_CALLS: u32 = 3000;
    const MIXED_CALLS: u32 = 1000;

    const PSCI_VERSION: u32 = 0x8400_0000;
    const CPU_SUSPEND32: u32 = 0x8400_0001;
    const CPU_SUSPEND64: u32 = 0xc400_0001;
    const CPU_OFF: u32 = 0x8400_0002;
    const CPU_ON32: u32 = 0x8400_0003;
    const CPU_ON64: u32 = 0xc400_0003;
    const AFFINITY_INFO64: u32 = 0xc400_0004;
    const PSCI_FEATURES: u32 = 0x8400_000a;
    const SYSTEM_SUSPEND32: u32 = 0x8400_000e;
    const SYSTEM_SUSPEND64: u32 = 0xc400_000e;

    /// What the layer does with a function id, by this test's reckoning.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Expect {
        /// Must come back NOT_SUPPORTED and count as refused.
        Refused,
        /// Allowed and harmless with any arguments.
        Harmless,
        /// Allowed, and changes the machine (start, stop, suspend, reset).
        Effectful,
    }

    /// The allow-list as the issue states it (PSCI 0.1 ids from the tree).
    fn allowed(fid: u32, hvc: bool, v01: &[u32]) -> Expect {
        if v01.contains(&fid) {
            return Expect::Effectful;
        }
        match fid {
            0x8000_0000 | 0x8000_0001 => Expect::Harmless,
            PSCI_VERSION | 0x8400_0004 | AFFINITY_INFO64 | 0x8400_0006 | PSCI_FEATURES => {
                Expect::Harmless
            }
            CPU_SUSPEND32 | CPU_SUSPEND64 | CPU_OFF | CPU_ON32 | CPU_ON64 | 0x8400_0008
            | 0x8400_0009 | SYSTEM_SUSPEND32 | SYSTEM_SUSPEND64 => Expect::Effectful,
            0xc600_0000 | 0xc600_0001 if hvc => Expect::Harmless,
            _ => Expect::Refused,
        }
    }

    /// xorshift64*: reproducible from the printed seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// A function id worth trying: random, near the service ranges, or a known
    /// id with bits flipped.
    fn random_fid(rng: &mut Rng) -> u64 {
        let junk = rng.next() & 0xffff_ffff_0000_0000;
        let low = match rng.below(4) {
            0 => rng.next() as u32,
            1 => {
                let owner = rng.below(64) as u32;
                let conv = (rng.below(2) as u32) << 30;
                (1 << 31) | conv | (owner << 24) | (rng.below(0x40) as u32)
            }
            2 => {
                let known = [
                    PSCI_VERSION,
                    CPU_ON64,
                    CPU_SUSPEND64,
                    SYSTEM_SUSPEND64,
                    0xc600_0000,
                    0xc600_0010,
                    0x8000_0000,
                ];
                known[rng.below(known.len() as u64) as usize] ^ (1 << rng.below(32))
            }
            _ => {
                let base = [
                    0x8400_0000u32,
                    0xc400_0000,
                    0xc600_0000,
                    0x8600_0000,
                    0x8000_0000,
                ];
                base[rng.below(base.len() as u64) as usize] + rng.below(0x40) as u32
            }
        };
        junk | u64::from(low)
    }

    fn state() -> Result<platform::hyp::HypState, &'static str> {
        platform::hyp::state().ok_or("the layer does not answer its state query")
    }

    /// What a call returned, as the 32-bit SMCCC status it is.
    fn status32(r: u64) -> i64 {
        i64::from(r as u32 as i32)
    }

    pub fn run(p: &platform::boot::Platform) {
        match check(p) {
            Ok(()) => println!("selftest: hyp-hostile: passed"),
            Err(why) => {
                println!("selftest: hyp-hostile: FAILED: {why}");
                platform::power::fail();
            }
        }
    }

    struct Counts {
        refused: u64,
        rejected: u64,
    }

    fn check(p: &platform::boot::Platform) -> Result<(), &'static str> {
        let h = p.hyp.ok_or("no EL2 layer in this mode")?;
        let info = &p.info;
        let ids = info.psci_ids;
        let v01: [u32; 3] = [
            ids.cpu_on.unwrap_or(0),
            ids.cpu_off.unwrap_or(0),
            ids.cpu_suspend.unwrap_or(0),
        ];
        let v01: &[u32] = if info.psci.is_some() { &v01 } else { &[] };
        let before = state()?;
        println!(
            "selftest: hyp-hostile: layer state digest {:#018x}, {} refused, {} rejected, {} forwarded so far",
            before.digest, before.refused, before.rejected, before.forwarded
        );
        // The cost of one trapping call: a Query HVC round trip, in counter
        // ticks (instructions under -icount shift=0).
        const ROUND_TRIPS: u64 = 1000;
        let t0 = platform::arch::cpu::counter();
        for _ in 0..ROUND_TRIPS {
            platform::hyp::query().ok_or("the layer stopped answering its query")?;
        }
        let ticks = platform::arch::cpu::counter() - t0;
        let freq = platform::arch::cpu::counter_frequency().max(1);
        println!(
            "selftest: hyp-hostile: {ROUND_TRIPS} Query HVC round trips: {} ns each",
            ticks * 1_000_000_000 / freq / ROUND_TRIPS
        );
        let seed = platform::arch::cpu::counter() | 1;
        let mut rng = Rng(seed);

        // 1. Only calls the layer must refuse: none may reach the firmware.
        let mut sent = 0u64;
        while sent < u64::from(REFUSED_CALLS) {
            let x0 = random_fid(&mut rng);
            let hvc = rng.below(2) == 0;
            if allowed(x0 as u32, hvc, v01) != Expect::Refused {
                continue;
            }
            let x = [x0, rng.next(), rng.next(), rng.next()];
            let r = platform::hyp::raw_call(!hvc, x);
            if status32(r) != status::NOT_SUPPORTED {
                println!(
                    "selftest: hyp-hostile: {} {:#018x} ({:#x}, {:#x}, {:#x}) returned {r:#x}",
                    if hvc { "HVC" } else { "SMC" },
                    x[0],
                    x[1],
                    x[2],
                    x[3]
                );
                return Err("a call off the allow-list was not refused");
            }
            sent += 1;
        }
        // A non-zero immediate is not SMCCC, whatever w0 says.
        for smc in [true, false] {
            for fid in [u64::from(PSCI_VERSION), 0xc600_0000] {
                if status32(probe::call_imm1(smc, fid)) != status::NOT_SUPPORTED {
                    return Err("an SMC/HVC with a non-zero immediate was not refused");
                }
                sent += 1;
            }
        }
        let mid = state()?;
        println!(
            "selftest: hyp-hostile: {sent} calls off the allow-list (seed {seed:#x}): {} refused, {} forwarded",
            mid.refused - before.refused,
            mid.forwarded - before.forwarded
        );
        if mid.refused - before.refused != sent {
            return Err("the layer's refusal count does not match the calls refused");
        }
        if mid.forwarded != before.forwarded {
            return Err("a refused call reached the firmware");
        }

        // 2. Mixed: harmless allowed calls with random arguments in between.
        let mut counts = Counts {
            refused: mid.refused,
            rejected: mid.rejected,
        };
        let mut n = 0;
        while n < MIXED_CALLS {
            let x0 = random_fid(&mut rng);
            let hvc = rng.below(2) == 0;
            let e = allowed(x0 as u32, hvc, v01);
            if e == Expect::Effectful {
                continue;
            }
            let r = platform::hyp::raw_call(!hvc, [x0, rng.next(), rng.next(), rng.next()]);
            if e == Expect::Refused {
                counts.refused += 1;
                if status32(r) != status::NOT_SUPPORTED {
                    return Err("a call off the allow-list was not refused (mixed phase)");
                }
            }
            n += 1;
        }

        // 3. Every start/resume function with entries the guest may not give.
        targeted(p, h, v01, &mut counts)?;

        // 4. Real starts and resumes under every CPU_ON id.
        starts(p, &ids)?;

        let after = state()?;
        println!(
            "selftest: hyp-hostile: layer state digest {:#018x}, {} refused, {} rejected, {} forwarded",
            after.digest, after.refused, after.rejected, after.forwarded
        );
        if after.digest != before.digest {
            return Err("the layer's state digest changed");
        }
        if after.refused != counts.refused || after.rejected != counts.rejected {
            return Err("the layer's refused/rejected counts differ from the calls made");
        }
        Ok(())
    }

    /// Power state for a power-down CPU_SUSPEND, in the format PSCI_FEATURES
    /// reports.
    fn power_down_state() -> u64 {
        let f = status32(platform::hyp::raw_call(
            true,
            [u64::from(PSCI_FEATURES), u64::from(CPU_SUSPEND32), 0, 0],
        ));
        if f >= 0 && f & 0b10 != 0 {
            1 << 30
        } else {
            1 << 16
        }
    }

    fn targeted(
        p: &platform::boot::Platform,
        h: platform::hyp::HypInfo,
        v01: &[u32],
        counts: &mut Counts,
    ) -> Result<(), &'static str> {
        let info = &p.info;
        // Without firmware the layer starts and stops only the cores it
        // holds: no suspend of any kind.
        let fw = info.psci.is_some();
        let ram_end = info.memory.iter().map(|m| m.end()).max().unwrap_or(0);
        let good = probe::start_entry_pa();
        let region = h.region;
        let uart = info.uarts.first().map_or(0x0900_0000, |u| u.regs.base);
        let bad_entries = [
            region.base,
            region.base + platform::hyp::abi::region::CONFIG,
            region.base + platform::hyp::abi::region::TABLES,
            region.end() - 4,
            0,
            4,
            uart,
            ram_end,
            ram_end + 0x4000_0000,
            u64::MAX - 3,
            good + 1,
            good + 2,
            good + 3,
        ];
        let Some(target) = info.cpus.get(1).map(|c| c.mpidr) else {
            return Err("boot with --smp 4: the test needs secondaries");
        };
        let pd = power_down_state();
        let mut cpu_on: heapless_ids::Ids = heapless_ids::Ids::default();
        for f in [v01.first().copied().unwrap_or(0), CPU_ON32, CPU_ON64] {
            cpu_on.push(f);
        }
        let mut suspend = heapless_ids::Ids::default();
        if fw {
            for f in [
                v01.get(2).copied().unwrap_or(0),
                CPU_SUSPEND32,
                CPU_SUSPEND64,
            ] {
                suspend.push(f);
            }
        } else {
            for x in [
                [u64::from(CPU_SUSPEND64), pd, good, 0],
                [u64::from(SYSTEM_SUSPEND64), good, 0, 0],
            ] {
                if status32(platform::hyp::raw_call(true, x)) != status::NOT_SUPPORTED {
                    return Err("a suspend was accepted on a board without PSCI firmware");
                }
            }
        }
        let mut tried = 0u64;
        let mut expect = |x: [u64; 4], want: i64, what: &'static str| -> Result<(), &'static str> {
            for smc in [true, false] {
                let r = status32(platform::hyp::raw_call(smc, x));
                if r != want {
                    println!(
                        "selftest: hyp-hostile: {} {:#x}({:#x}, {:#x}, {:#x}) returned {r}, expected {want}",
                        if smc { "SMC" } else { "HVC" },
                        x[0],
                        x[1],
                        x[2],
                        x[3]
                    );
                    return Err(what);
                }
                tried += 1;
            }
            Ok(())
        };
        let w32 = |fid: u32| fid & (1 << 30) == 0 && !v01.contains(&fid);
        for &fid in cpu_on.iter() {
            for &e in &bad_entries {
                // A 32-bit call sees only w2: a junk upper half must not matter.
                let e = if w32(fid) {
                    (e as u32 as u64) | 0xdead_0000_0000_0000
                } else {
                    e
                };
                expect(
                    [u64::from(fid), target, e, 0],
                    status::INVALID_ADDRESS,
                    "CPU_ON accepted an entry point outside the guest's RAM or misaligned",
                )?;
            }
            expect(
                [u64::from(fid), target, good, region.base],
                status::INVALID_ADDRESS,
                "CPU_ON accepted a context id inside the layer's region",
            )?;
            // Targets: one bit in each affinity level beyond the existing cores,
            // and bits outside the affinity fields.
            let mut targets = [0x100u64, 0x1_0000, 0x8000_0001, 0x7f];
            if !w32(fid) {
                targets[3] = 0x1_0000_0001; // Aff3: not core 1
            }
            for t in targets {
                expect(
                    [u64::from(fid), t, good, 0],
                    status::INVALID_PARAMETERS,
                    "CPU_ON accepted a target the layer does not know",
                )?;
            }
            expect(
                [
                    u64::from(fid),
                    info.cpus.first().map_or(0, |c| c.mpidr),
                    good,
                    0,
                ],
                status::ALREADY_ON,
                "CPU_ON of the running boot core was not refused",
            )?;
        }
        for &fid in suspend.iter() {
            for &e in &bad_entries {
                let e = if w32(fid) { e as u32 as u64 } else { e };
                expect(
                    [u64::from(fid), pd, e, 0],
                    status::INVALID_ADDRESS,
                    "a power-down CPU_SUSPEND accepted a bad resume entry",
                )?;
            }
            expect(
                [u64::from(fid), pd, good, region.base + 8],
                status::INVALID_ADDRESS,
                "a power-down CPU_SUSPEND accepted a context id inside the layer",
            )?;
        }
        for fid in [SYSTEM_SUSPEND32, SYSTEM_SUSPEND64]
            .into_iter()
            .filter(|_| fw)
        {
            for &e in &bad_entries {
                let e = if w32(fid) { e as u32 as u64 } else { e };
                expect(
                    [u64::from(fid), e, 0, 0],
                    status::INVALID_ADDRESS,
                    "SYSTEM_SUSPEND accepted a bad resume entry",
                )?;
            }
        }
        // Rejections (bad address or target) are counted; ALREADY_ON comes
        // from the layer's slot state and is not a rejection.
        let already_on = 2 * cpu_on.iter().count() as u64;
        counts.rejected += tried - already_on;
        println!(
            "selftest: hyp-hostile: {tried} start/resume calls with bad entries, contexts or targets refused"
        );
        Ok(())
    }

    /// Starts each secondary under a different CPU_ON id into the probe, which
    /// reports CurrentEL, suspends (power-down) and reports again on resume.
    fn starts(
        p: &platform::boot::Platform,
        ids: &platform::dt::PsciIds,
    ) -> Result<(), &'static str> {
        static REPORTS: [Report; 4] = [const { Report::new() }; 4];
        let info = &p.info;
        let fw = info.psci.is_some();
        let gic = info
            .gic
            .filter(|g| g.version == 2)
            .ok_or("the test needs a GICv2")?;
        let gicc = gic.cpu_interface.ok_or("no GIC CPU interface")?.base;
        let pd = power_down_state();
        let on_ids = [ids.cpu_on.unwrap_or(CPU_ON64), CPU_ON32, CPU_ON64];
        let suspend_ids = [
            CPU_SUSPEND64,
            CPU_SUSPEND32,
            ids.cpu_suspend.unwrap_or(CPU_SUSPEND64),
        ];
        let secondaries = info.cpus.iter().skip(1).take(3);
        let mut started = 0;
        for (n, cpu) in secondaries.enumerate() {
            let r = &REPORTS[n];
            r.clear();
            let suspend_fid = if fw { suspend_ids[n] } else { 0 };
            r.suspend_fid
                .store(u64::from(suspend_fid), core::sync::atomic::Ordering::SeqCst);
            r.power_state
                .store(pd, core::sync::atomic::Ordering::SeqCst);
            r.resume_entry.store(
                probe::resume_entry_pa(),
                core::sync::atomic::Ordering::SeqCst,
            );
            r.gicc.store(gicc, core::sync::atomic::Ordering::SeqCst);
            r.cpu_off_fid.store(
                u64::from(ids.cpu_off.unwrap_or(CPU_OFF)),
                core::sync::atomic::Ordering::SeqCst,
            );
            r.sync();
            let ctx = platform::arch::mmu::kernel_pa(r as *const Report as u64);
            // The third start goes through HVC: both conduits reach the layer.
            let ret = status32(platform::hyp::raw_call(
                n != 2,
                [
                    u64::from(on_ids[n]),
                    cpu.mpidr,
                    probe::start_entry_pa(),
                    ctx,
                ],
            ));
            if ret != status::SUCCESS {
                println!(
                    "selftest: hyp-hostile: CPU_ON {:#x} of core {:#x} returned {ret}",
                    on_ids[n], cpu.mpidr
                );
                return Err("CPU_ON with a good entry failed");
            }
            let el = wait(
                r,
                |r| r.el_start.load(core::sync::atomic::Ordering::SeqCst),
                None,
            )?;
            if !fw {
                println!(
                    "selftest: hyp-hostile: core {:#x} started by CPU_ON {:#x} from the layer's hold: \
                     CurrentEL {el} at its entry",
                    cpu.mpidr, on_ids[n]
                );
                if el != 1 {
                    return Err("a started core did not run at EL1");
                }
                powered_off(cpu.mpidr)?;
                started += 1;
                continue;
            }
            let resumed = wait(
                r,
                |r| r.el_resume.load(core::sync::atomic::Ordering::SeqCst),
                Some((gic.distributor.base, cpu.mpidr & 0xff)),
            );
            let suspend_ret = r.suspend_ret.load(core::sync::atomic::Ordering::SeqCst);
            let el_resume = match resumed {
                Ok(v) => v,
                Err(_) => {
                    println!(
                        "selftest: hyp-hostile: core {:#x} did not resume (CPU_SUSPEND returned {:#x})",
                        cpu.mpidr, suspend_ret
                    );
                    return Err(
                        "a core suspended in a power-down state did not come back at its resume entry",
                    );
                }
            };
            println!(
                "selftest: hyp-hostile: core {:#x} started by CPU_ON {:#x}: CurrentEL {el} at its entry; \
                 CPU_SUSPEND {:#x} (power-down): CurrentEL {el_resume} at its resume entry",
                cpu.mpidr, on_ids[n], suspend_ids[n]
            );
            if el != 1 || el_resume != 1 {
                return Err("a started or resumed core did not run at EL1");
            }
            powered_off(cpu.mpidr)?;
            started += 1;
        }
        if started < 3 {
            return Err("boot with --smp 4: three secondaries are needed");
        }
        if !fw {
            // A core the guest powered off is held again and starts again.
            let cpu = info.cpus.get(1).ok_or("no secondary")?;
            let r = &REPORTS[0];
            r.clear();
            r.sync();
            let ctx = platform::arch::mmu::kernel_pa(r as *const Report as u64);
            let ret = status32(platform::hyp::raw_call(
                true,
                [u64::from(CPU_ON64), cpu.mpidr, probe::start_entry_pa(), ctx],
            ));
            if ret != status::SUCCESS {
                return Err("CPU_ON of a core powered off into the layer's hold failed");
            }
            let el = wait(
                r,
                |r| r.el_start.load(core::sync::atomic::Ordering::SeqCst),
                None,
            )?;
            println!(
                "selftest: hyp-hostile: core {:#x} started again after CPU_OFF: CurrentEL {el} at its entry",
                cpu.mpidr
            );
            if el != 1 {
                return Err("a restarted core did not run at EL1");
            }
            powered_off(cpu.mpidr)?;
        }
        Ok(())
    }

    /// Waits up to a second for AFFINITY_INFO to say the core is off (the
    /// probe powers itself off after reporting).
    fn powered_off(mpidr: u64) -> Result<(), &'static str> {
        let deadline = platform::arch::cpu::counter() + platform::arch::cpu::counter_frequency();
        loop {
            let a = status32(platform::hyp::raw_call(
                true,
                [u64::from(AFFINITY_INFO64), mpidr, 0, 0],
            ));
            if a == 1 {
                return Ok(());
            }
            if platform::arch::cpu::counter() > deadline {
                return Err("a probe core did not power off");
            }
        }
    }

    /// Waits up to a second for `field` of `r` to become non-zero, sending SGIs
    /// to `wake` (distributor, CPU interface number) meanwhile.
    fn wait(
        r: &Report,
        field: impl Fn(&Report) -> u64,
        wake: Option<(u64, u64)>,
    ) -> Result<u64, &'static str> {
        let deadline = platform::arch::cpu::counter() + platform::arch::cpu::counter_frequency();
        loop {
            r.sync();
            let v = field(r);
            if v != 0 {
                return Ok(v);
            }
            if let Some((gicd, target)) = wake {
                probe::send_sgi(gicd, target);
            }
            if platform::arch::cpu::counter() > deadline {
                return Err("a probe core did not report");
            }
            core::hint::spin_loop();
        }
    }

    /// A short list of distinct non-zero function ids.
    mod heapless_ids {
        #[derive(Default)]
        pub struct Ids {
            ids: [u32; 4],
            n: usize,
        }

        impl Ids {
            pub fn push(&mut self, id: u32) {
                if id != 0 && !self.ids[..self.n].contains(&id) && self.n < self.ids.len() {
                    self.ids[self.n] = id;
                    self.n += 1;
                }
            }

            pub fn iter(&self) -> core::slice::Iter<'_, u32> {
                self.ids[..self.n].iter()
            }
        }
    }
}

/// Starts the second core with PSCI CPU_ON (through the EL2 layer when it
/// is there) and waits for it to check in.
fn cpu_on(p: &platform::boot::Platform) {
    match platform::smp::start_secondary_selftest(&p.info) {
        Ok(mpidr) => {
            platform::println!("selftest: cpu {mpidr:#x} started with PSCI CPU_ON and checked in")
        }
        Err(why) => {
            platform::println!("selftest: FAILED: CPU_ON: {why}");
            platform::power::fail();
        }
    }
}

/// Unbounded recursion: the kernel stack must overflow into its guard page,
/// and the report must still come out (from the emergency stack).
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if core::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    let frame = core::hint::black_box([depth; 64]);
    recurse(depth + 1) + frame[(depth % 64) as usize]
}

/// A write through an address nothing maps: the kernel must report the
/// data abort (ESR decoded, FAR, ELR) and stop with a failure status.
fn kernel_fault() {
    platform::println!("selftest: writing to unmapped address 0xdead0000 from the kernel");
    let p = core::hint::black_box(0xdead_0000usize) as *mut u64;
    // SAFETY: deliberately invalid: this write must fault, and the fault
    // handler never returns here.
    unsafe { p.write_volatile(1) };
}

/// With an address space active, the kernel reads one of its pages through
/// the user-copy routine, which must work, and then directly, which must
/// fault: the kernel runs with an empty TTBR0 (software PAN), so EL0 memory
/// is reachable only through the user-copy paths.
fn user_access() {
    use crate::vm::aspace::Placement;
    use crate::vm::{Access, AddressSpace, VmoObject};
    use platform::arch::user_pt::UserPerms;
    const VA: u64 = 0x10_0000_0000;
    let aspace = AddressSpace::new().expect("selftest: an address space");
    let vmo = mm::vmo::Vmo::create(&crate::memory::FRAMES, 4096, 0).expect("selftest: a VMO");
    let rw = UserPerms {
        read: true,
        write: true,
        ..Default::default()
    };
    aspace
        .map(VmoObject::new(vmo), 0, 4096, rw, Placement::Specific(VA))
        .expect("selftest: map");
    aspace
        .handle_fault(VA, Access::Write)
        .expect("selftest: fault the page in");
    aspace.activate();
    let mut bytes = [0xffu8; 8];
    // SAFETY: `bytes` is a kernel buffer; the address space just activated
    // is this core's EL0 table.
    let copied = unsafe { platform::arch::usercopy::from_user(bytes.as_mut_ptr(), VA, 8) };
    if !copied || bytes != [0; 8] {
        platform::println!("selftest: FAILED: user_copy could not read EL0 address {VA:#x}");
        platform::power::fail();
    }
    platform::println!("selftest: user_copy read EL0 address {VA:#x}: ok");
    platform::println!("selftest: reading {VA:#x} directly from the kernel");
    // SAFETY: deliberately forbidden: with the kernel's empty TTBR0 this
    // read must fault, and the fault handler stops the machine.
    let v = unsafe { (core::hint::black_box(VA) as *const u64).read_volatile() };
    platform::println!(
        "selftest: FAILED: read {v:#x} from EL0 memory outside the user-copy routines"
    );
    platform::power::fail();
}

/// Runs an unbounded recursion on a thread's kernel stack: it must overflow
/// into that stack's guard page and be reported from the emergency stack.
fn thread_stack_overflow() {
    use core::sync::atomic::Ordering;
    use platform::arch::trap::{self, KernelContext};
    let stack = crate::task::kstack::KernelStack::new().expect("selftest: a kernel stack");
    extern "C" fn on_thread_stack(_: usize) -> ! {
        platform::println!("selftest: recursing on a thread's kernel stack");
        recurse(0);
        platform::power::fail()
    }
    let target = KernelContext::new_thread(stack.top(), on_thread_stack, 0);
    let mut here = KernelContext::default();
    platform::arch::percpu::this_cpu()
        .stack_limit
        .store(stack.limit(), Ordering::Relaxed);
    // SAFETY: `target` runs on a fresh stack that nothing else uses, the
    // per-CPU limit is set for it, and it never switches back (the
    // overflow stops the machine).
    unsafe { trap::switch(&mut here, &target) };
    platform::power::fail();
}

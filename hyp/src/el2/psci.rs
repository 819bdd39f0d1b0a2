//! PSCI for the guest, decided here: the per-CPU slots (indexed by full
//! MPIDR affinity), and every function that starts or resumes a core goes
//! through the layer's own entry, so the core comes back through EL2 and
//! stage 2 before it reaches the guest's entry point. The firmware is only
//! ever given the layer's entry and a slot number.

use super::console::hprintln;
use super::{
    cfg, note_forwarded, note_rejected, secondary_entry_pa, GuestRegs, SCTLR_EL1_RESET,
    SPSR_EL1H_MASKED,
};
use aarch64_cpu::registers::*;
use core::arch::asm;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use hyp::policy::{self, Psci, Width};
use hyp_abi::{status, MAX_CPUS};

// PSCI 0.2+ function ids the layer uses towards the firmware.
const VERSION: u32 = 0x8400_0000;
const CPU_SUSPEND64: u32 = 0xc400_0001;
const CPU_SUSPEND32: u32 = 0x8400_0001;
const CPU_OFF: u32 = 0x8400_0002;
const CPU_ON64: u32 = 0xc400_0003;
const AFFINITY_INFO32: u32 = 0x8400_0004;
const AFFINITY_INFO64: u32 = 0xc400_0004;
const MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
const SYSTEM_OFF: u32 = 0x8400_0008;
const SYSTEM_RESET: u32 = 0x8400_0009;
const FEATURES: u32 = 0x8400_000a;
const SYSTEM_SUSPEND64: u32 = 0xc400_000e;

/// A slot's life: off, being started, running, suspended in a power-down
/// state (its resume entry recorded).
const OFF: u64 = 0;
const PENDING: u64 = 1;
const ON: u64 = 2;
const SUSPENDED: u64 = 3;
/// Held in the layer (a board without PSCI firmware): released from the
/// spin table at launch, or powered off by the guest; waiting for CPU_ON.
const HELD: u64 = 4;
/// A CPU_ON for a held core is writing its entry.
const CLAIMED: u64 = 5;

/// One core's state, found by its MPIDR affinity through `HypConfig::slot_of`.
pub struct Slot {
    state: AtomicU64,
    entry: AtomicU64,
    context: AtomicU64,
}

static SLOTS: [Slot; MAX_CPUS] = [const {
    Slot {
        state: AtomicU64::new(OFF),
        entry: AtomicU64::new(0),
        context: AtomicU64::new(0),
    }
}; MAX_CPUS];

pub fn slot(i: usize) -> &'static Slot {
    &SLOTS[i.min(MAX_CPUS - 1)]
}

impl Slot {
    pub fn mark_on(&self) {
        self.state.store(ON, Ordering::Release);
    }

    /// Records where the guest wants this core to go next.
    fn set_entry(&self, entry: u64, context: u64) {
        self.entry.store(entry, Ordering::Relaxed);
        self.context.store(context, Ordering::Relaxed);
    }

    /// The firmware brought this core to the layer's entry: the guest entry
    /// it is owed, if it was being started or resumed.
    pub fn arrive(&self) -> Option<(u64, u64)> {
        match self.state.load(Ordering::Acquire) {
            PENDING | SUSPENDED => {
                let e = (
                    self.entry.load(Ordering::Relaxed),
                    self.context.load(Ordering::Relaxed),
                );
                self.state.store(ON, Ordering::Release);
                Some(e)
            }
            _ => None,
        }
    }
}

/// Firmware facts found at launch.
static SUSPEND_EXTENDED: AtomicBool = AtomicBool::new(false);
static SYSTEM_SUSPEND_OK: AtomicBool = AtomicBool::new(false);
static FW_VERSION: AtomicU64 = AtomicU64::new(0);

fn have_v0_2() -> bool {
    let p = &cfg().psci;
    p.present != 0 && p.v0_2 != 0
}

/// `SMC #0` to the firmware. Only called when the configuration says there
/// is firmware to take it (on a board without EL3 the SMC is undefined).
fn firmware(fid: u32, a1: u64, a2: u64, a3: u64) -> i64 {
    let r: u64;
    // SAFETY: an SMCCC call to the PSCI firmware with arguments the layer
    // chose; x0-x17 may be clobbered, as the clobber list says.
    unsafe {
        asm!(
            "smc #0",
            inout("x0") u64::from(fid) => r,
            inout("x1") a1 => _,
            inout("x2") a2 => _,
            inout("x3") a3 => _,
            clobber_abi("C"),
            options(nostack)
        )
    };
    r as i64
}

/// A call the guest asked for, passed on with the layer's choice of id.
fn forward(fid: u32, a1: u64, a2: u64, a3: u64) -> i64 {
    note_forwarded();
    firmware(fid, a1, a2, a3)
}

/// Asks the firmware what it offers (boot core, at launch).
pub fn discover() {
    if !have_v0_2() {
        return;
    }
    let v = firmware(VERSION, 0, 0, 0);
    FW_VERSION.store(v as u64, Ordering::Relaxed);
    if v >= 0x1_0000 {
        let f = firmware(FEATURES, u64::from(CPU_SUSPEND32), 0, 0);
        SUSPEND_EXTENDED.store(f >= 0 && f & 0b10 != 0, Ordering::Relaxed);
        let s = firmware(FEATURES, u64::from(SYSTEM_SUSPEND64), 0, 0);
        SYSTEM_SUSPEND_OK.store(s >= 0, Ordering::Relaxed);
    }
}

/// For the layer's launch line.
pub fn describe() -> &'static str {
    let p = &cfg().psci;
    match (
        p.present != 0,
        p.v0_2 != 0,
        SYSTEM_SUSPEND_OK.load(Ordering::Relaxed),
    ) {
        (false, _, _) => {
            "no PSCI firmware: CPU_ON, CPU_OFF and AFFINITY_INFO for the cores the layer holds, \
             other PSCI calls refused"
        }
        (true, false, _) => "PSCI 0.1 firmware behind an allow-list",
        (true, true, true) => "PSCI 0.2+ firmware behind an allow-list (SYSTEM_SUSPEND offered)",
        (true, true, false) => "PSCI 0.2+ firmware behind an allow-list (no SYSTEM_SUSPEND)",
    }
}

/// What the guest's call comes to.
pub enum Outcome {
    /// Put this in x0 and return after the call.
    Return(i64),
    /// The guest continues at a resume entry (its registers are set).
    Resumed,
}

fn this_slot() -> Option<usize> {
    cfg().slot_of(MPIDR_EL1.get() & hyp_abi::MPIDR_AFFINITY_MASK)
}

/// Handles PSCI function `f` called with convention `w`.
pub fn handle(f: Psci, w: Width, regs: &mut GuestRegs) -> Outcome {
    let c = cfg();
    let (a1, a2, a3) = (w.arg(regs.x[1]), w.arg(regs.x[2]), w.arg(regs.x[3]));
    if c.psci.present == 0 {
        // No firmware: the layer itself starts and stops the cores it holds.
        let r = match f {
            Psci::CpuOn => held_cpu_on(a1, a2, a3),
            Psci::CpuOff => held_cpu_off(),
            Psci::AffinityInfo => affinity(a1, a2),
            _ => status::NOT_SUPPORTED,
        };
        return Outcome::Return(r);
    }
    let v02 = have_v0_2();
    let r = match f {
        Psci::Version if v02 => forward(VERSION, 0, 0, 0),
        Psci::MigrateInfoType if v02 => forward(MIGRATE_INFO_TYPE, 0, 0, 0),
        Psci::SystemOff if v02 => forward(SYSTEM_OFF, 0, 0, 0),
        Psci::SystemReset if v02 => forward(SYSTEM_RESET, 0, 0, 0),
        Psci::AffinityInfo if v02 => match w {
            Width::W32 => forward(AFFINITY_INFO32, a1, a2, 0),
            Width::W64 => forward(AFFINITY_INFO64, a1, a2, 0),
        },
        Psci::Features if v02 && FW_VERSION.load(Ordering::Relaxed) >= 0x1_0000 => features(a1),
        Psci::CpuOn => cpu_on(a1, a2, a3),
        Psci::CpuOff => cpu_off(),
        Psci::CpuSuspend => return cpu_suspend(a1, a2, a3, regs),
        Psci::SystemSuspend => return system_suspend(a1, a2, regs),
        _ => status::NOT_SUPPORTED,
    };
    Outcome::Return(r)
}

/// PSCI_FEATURES: what the layer offers, not what the firmware does.
fn features(fid: u64) -> i64 {
    match policy::decode(fid, policy::Conduit::Smc, &cfg().psci) {
        policy::Call::Psci(Psci::CpuSuspend, _) => {
            forward(FEATURES, u64::from(CPU_SUSPEND32), 0, 0)
        }
        policy::Call::Psci(Psci::SystemSuspend, _)
            if !SYSTEM_SUSPEND_OK.load(Ordering::Relaxed) =>
        {
            status::NOT_SUPPORTED
        }
        policy::Call::Psci(_, _) | policy::Call::SmcccVersion => status::SUCCESS,
        _ => status::NOT_SUPPORTED,
    }
}

fn cpu_on_id() -> Option<u32> {
    let p = &cfg().psci;
    if p.v0_2 != 0 {
        Some(CPU_ON64)
    } else {
        (p.v0_1_cpu_on != 0).then_some(p.v0_1_cpu_on as u32)
    }
}

fn cpu_on(target: u64, entry: u64, ctx: u64) -> i64 {
    let c = cfg();
    let Some(i) = c.slot_of(target) else {
        return note_rejected(status::INVALID_PARAMETERS);
    };
    if let Err(e) = policy::check_entry(c, entry).and_then(|()| policy::check_context(c, ctx)) {
        return note_rejected(e);
    }
    let Some(fid) = cpu_on_id() else {
        return status::NOT_SUPPORTED;
    };
    let s = &SLOTS[i];
    if let Err(now) = s
        .state
        .compare_exchange(OFF, PENDING, Ordering::AcqRel, Ordering::Acquire)
    {
        return if now == PENDING {
            status::ON_PENDING
        } else {
            status::ALREADY_ON
        };
    }
    s.set_entry(entry, ctx);
    // The entry must be visible before the firmware starts the core.
    // SAFETY: a barrier only.
    unsafe { asm!("dsb ish", options(nostack, preserves_flags)) };
    let r = forward(fid, c.cpus[i], secondary_entry_pa(), i as u64);
    if r != status::SUCCESS {
        s.state.store(OFF, Ordering::Release);
    }
    r
}

fn cpu_off_id() -> Option<u32> {
    let p = &cfg().psci;
    if p.v0_2 != 0 {
        Some(CPU_OFF)
    } else {
        (p.v0_1_cpu_off != 0).then_some(p.v0_1_cpu_off as u32)
    }
}

fn cpu_off() -> i64 {
    let Some(i) = this_slot() else {
        return status::DENIED;
    };
    let Some(fid) = cpu_off_id() else {
        return status::NOT_SUPPORTED;
    };
    SLOTS[i].state.store(OFF, Ordering::Release);
    let r = forward(fid, 0, 0, 0);
    // CPU_OFF only returns when it failed.
    SLOTS[i].state.store(ON, Ordering::Release);
    r
}

/// Powers off the calling core from inside the layer (a core that arrived
/// with nothing to run), or parks it.
pub fn power_off_this_core() -> ! {
    if let Some(fid) = cpu_off_id().filter(|_| cfg().psci.present != 0) {
        firmware(fid, 0, 0, 0);
    }
    loop {
        aarch64_cpu::asm::wfe();
    }
}

fn cpu_suspend_id(w: Width) -> Option<u32> {
    let p = &cfg().psci;
    if p.v0_2 != 0 {
        Some(match w {
            Width::W32 => CPU_SUSPEND32,
            Width::W64 => CPU_SUSPEND64,
        })
    } else {
        (p.v0_1_cpu_suspend != 0).then_some(p.v0_1_cpu_suspend as u32)
    }
}

fn cpu_suspend(state: u64, entry: u64, ctx: u64, regs: &mut GuestRegs) -> Outcome {
    let c = cfg();
    let Some(i) = this_slot() else {
        return Outcome::Return(status::DENIED);
    };
    let power_down = policy::is_power_down(state, SUSPEND_EXTENDED.load(Ordering::Relaxed));
    if power_down {
        if let Err(e) = policy::check_entry(c, entry).and_then(|()| policy::check_context(c, ctx)) {
            return Outcome::Return(note_rejected(e));
        }
    }
    // The firmware always takes the 64-bit id: the layer's entry may be
    // above 4 GiB whatever width the guest used.
    let Some(fid) = cpu_suspend_id(Width::W64) else {
        return Outcome::Return(status::NOT_SUPPORTED);
    };
    let s = &SLOTS[i];
    if power_down {
        s.set_entry(entry, ctx);
        s.state.store(SUSPENDED, Ordering::Release);
    }
    let r = forward(fid, state, secondary_entry_pa(), i as u64);
    // Back here: the core kept its context (a standby state, a power-down
    // the firmware did not enter, or one it treats as standby).
    s.state.store(ON, Ordering::Release);
    if power_down && r == status::SUCCESS {
        hprintln!(
            "HYP: core {:#x} (slot {i}) back from a power-down CPU_SUSPEND; to the guest at EL1 \
             resume entry {entry:#x}",
            MPIDR_EL1.get() & hyp_abi::MPIDR_AFFINITY_MASK
        );
        resume_at(regs, entry, ctx);
        return Outcome::Resumed;
    }
    Outcome::Return(r)
}

fn system_suspend(entry: u64, ctx: u64, regs: &mut GuestRegs) -> Outcome {
    let c = cfg();
    if let Err(e) = policy::check_entry(c, entry).and_then(|()| policy::check_context(c, ctx)) {
        return Outcome::Return(note_rejected(e));
    }
    let Some(i) = this_slot() else {
        return Outcome::Return(status::DENIED);
    };
    if !have_v0_2() || !SYSTEM_SUSPEND_OK.load(Ordering::Relaxed) {
        return Outcome::Return(status::NOT_SUPPORTED);
    }
    let s = &SLOTS[i];
    s.set_entry(entry, ctx);
    s.state.store(SUSPENDED, Ordering::Release);
    let r = forward(SYSTEM_SUSPEND64, secondary_entry_pa(), i as u64, 0);
    s.state.store(ON, Ordering::Release);
    if r == status::SUCCESS {
        resume_at(regs, entry, ctx);
        return Outcome::Resumed;
    }
    Outcome::Return(r)
}

/// A power-down the core came back from without losing its context ends
/// as a real one would: at the guest's resume entry, EL1, MMU off, x0 =
/// context, nothing else carried over.
fn resume_at(regs: &mut GuestRegs, entry: u64, ctx: u64) {
    regs.x = [0; 31];
    regs.x[0] = ctx;
    SCTLR_EL1.set(SCTLR_EL1_RESET);
    ELR_EL2.set(entry);
    SPSR_EL2.set(SPSR_EL1H_MASKED);
}

/// PSCI SYSTEM_OFF from the layer's own failure path.
pub fn system_off() {
    if have_v0_2() {
        firmware(SYSTEM_OFF, 0, 0, 0);
    }
}

/// Holds core `i` in the layer until a CPU_ON names it; returns the entry
/// and context it was given.
pub fn hold(i: usize) -> (u64, u64) {
    let s = slot(i);
    s.state.store(HELD, Ordering::Release);
    loop {
        if s.state.load(Ordering::Acquire) == PENDING {
            let e = (
                s.entry.load(Ordering::Relaxed),
                s.context.load(Ordering::Relaxed),
            );
            s.state.store(ON, Ordering::Release);
            return e;
        }
        aarch64_cpu::asm::wfe();
    }
}

/// CPU_ON without firmware: wakes a core the layer holds.
fn held_cpu_on(target: u64, entry: u64, ctx: u64) -> i64 {
    let c = cfg();
    let Some(i) = c.slot_of(target) else {
        return note_rejected(status::INVALID_PARAMETERS);
    };
    if let Err(e) = policy::check_entry(c, entry).and_then(|()| policy::check_context(c, ctx)) {
        return note_rejected(e);
    }
    let s = &SLOTS[i];
    match s
        .state
        .compare_exchange(HELD, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
    {
        Ok(_) => {
            s.set_entry(entry, ctx);
            s.state.store(PENDING, Ordering::Release);
            // SAFETY: a barrier and an event; the held core waits in WFE.
            unsafe { asm!("dsb ish", "sev", options(nostack, preserves_flags)) };
            status::SUCCESS
        }
        Err(PENDING | CLAIMED) => status::ON_PENDING,
        Err(ON | SUSPENDED) => status::ALREADY_ON,
        // Never reached the layer (not released, or lost on the way).
        Err(_) => status::DENIED,
    }
}

/// CPU_OFF without firmware: the calling core goes back to the layer's
/// hold and, when started again, enters the guest at its new entry.
fn held_cpu_off() -> i64 {
    let Some(i) = this_slot() else {
        return status::DENIED;
    };
    let (entry, ctx) = hold(i);
    super::run_guest(
        i,
        entry,
        ctx,
        "started again by the guest from the layer's hold",
    )
}

/// AFFINITY_INFO at level 0 from the layer's own slot states (boards
/// without firmware).
fn affinity(target: u64, level: u64) -> i64 {
    let Some(i) = cfg().slot_of(target).filter(|_| level == 0) else {
        return status::INVALID_PARAMETERS;
    };
    match SLOTS[i].state.load(Ordering::Acquire) {
        ON | SUSPENDED => 0,
        PENDING | CLAIMED => 2,
        _ => 1,
    }
}

/// Waits (up to about 100 ms) for the cores the loader released from the
/// spin table (`held`, a slot mask) to reach the layer's hold, and says
/// which did.
pub fn report_held(held: u64) {
    if held == 0 {
        return;
    }
    let c = cfg();
    let deadline = CNTPCT_EL0.get() + CNTFRQ_EL0.get() / 10;
    let arrived = |i: usize| SLOTS[i].state.load(Ordering::Acquire) == HELD;
    let wanted = (0..MAX_CPUS).filter(|&i| held & (1 << i) != 0);
    while wanted.clone().any(|i| !arrived(i)) && CNTPCT_EL0.get() < deadline {
        core::hint::spin_loop();
    }
    for i in wanted {
        hprintln!(
            "HYP: core {:#x} (slot {i}) {}",
            c.cpus[i],
            if arrived(i) {
                "released from the spin table, held at EL2 in the layer until the guest starts it"
            } else {
                "released from the spin table but did not reach the layer"
            }
        );
    }
}

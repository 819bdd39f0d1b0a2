//! The interrupt controller, set up from the device tree: a GICv2 / GIC-400
//! (`drivers::gicv2`) or a GICv3 (`drivers::gicv3`), and the two interrupts
//! the kernel uses: the EL1 virtual timer's PPI and the reschedule SGI
//! ([`RESCHEDULE_SGI`]). The boot core sets up the controller ([`init`]);
//! every other core then brings up its own part on itself
//! ([`init_this_core`]) and records where SGIs reach it, so that any core
//! can [`send_reschedule`] to it by its per-CPU index. [`take`] acknowledges
//! and ends one interrupt through the calling core's own CPU interface,
//! without a lock. When no controller can be used, [`init`] says why, and
//! the kernel must not start programs it could not preempt.

use crate::arch::cpu::Mutex;
use crate::arch::percpu::{self, MAX_CPUS};
use crate::drivers::gicv2::{self, Gicv2, Gicv2Error};
use crate::drivers::gicv3::{self, CoreInterface, Distributor, Gicv3Error};
use crate::dt::{FixedVec, Gic, Range, Timer, MAX_REDISTRIBUTOR_REGIONS};
use arm_gic::IntId;
use core::fmt;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use spin::Once;

/// The SGI that asks a core to look at its run queue.
pub const RESCHEDULE_SGI: u32 = 0;
/// Priority of the kernel's interrupts (all alike: none preempts another,
/// the kernel takes them with IRQs masked).
const PRIORITY: u8 = 0x80;

/// What every core needs to bring up its part and to take interrupts.
enum Controller {
    V2(Gicv2),
    V3 {
        redistributors: FixedVec<Range, MAX_REDISTRIBUTOR_REGIONS>,
    },
}

/// Set once the boot core's [`init`] succeeded.
static CONTROLLER: Once<Controller> = Once::new();
/// The timer's PPI number (as the tree writes it) and its INTID.
static TIMER_PPI: AtomicU32 = AtomicU32::new(u32::MAX);
static TIMER_INTID: AtomicU32 = AtomicU32::new(u32::MAX);

/// The GICv3 parts the driver owns (touched only during set-up): the
/// distributor and each core's redistributor, by per-CPU index.
struct V3Parts {
    _distributor: Option<Distributor>,
    cores: [Option<CoreInterface>; MAX_CPUS],
}
static V3_PARTS: Mutex<V3Parts> = Mutex::new(V3Parts {
    _distributor: None,
    cores: [const { None }; MAX_CPUS],
});

/// Each core's set-up outcome, by per-CPU index (unset: not tried yet).
static CORE_STATE: [Once<Result<(), Unusable>>; MAX_CPUS] = [const { Once::new() }; MAX_CPUS];

/// What [`send_reschedule`] writes for each core: a `GICD_SGIR` value
/// (GICv2) or an `ICC_SGI1R_EL1` value (GICv3); [`NOT_REACHABLE`] until the
/// core has brought up its interface.
static SGI_WORD: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(NOT_REACHABLE) }; MAX_CPUS];
/// No GIC encoding of either register is all ones.
const NOT_REACHABLE: u64 = u64::MAX;

/// The boot argument that leaves the interrupt controller alone (a test
/// hook for the path where none is usable).
pub const DISABLE_ARG: &str = "irq=off";

/// An interrupt controller delivering the timer's interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Active {
    /// GIC architecture version: 2 or 3.
    pub version: u8,
    /// The timer's GIC INTID (PPI 11 of the tree: INTID 27).
    pub timer_intid: u32,
}

/// Why no interrupt reaches the kernel (or one core).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// The boot arguments say [`DISABLE_ARG`].
    DisabledByBootArgument,
    /// The tree describes no GIC the parser knows.
    NoController,
    /// The tree's `"arm,armv8-timer"` is missing, or not wired to the GIC.
    NoTimer,
    /// A GIC version this kernel has no driver for.
    Version(u8),
    /// A GICv2 without its CPU interface frame.
    NoCpuInterface,
    /// The GICv2 refused a core's set-up.
    V2(Gicv2Error),
    /// The GICv3 could not be brought up.
    V3(Gicv3Error),
    /// [`init_this_core`] without a controller: the boot core's [`init`]
    /// failed or has not run.
    NotSetUp,
    /// A per-CPU index past [`MAX_CPUS`].
    BadCpuIndex(usize),
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DisabledByBootArgument => {
                write!(f, "disabled by the boot argument {DISABLE_ARG}")
            }
            Self::NoController => f.write_str("the device tree describes no GIC"),
            Self::NoTimer => f.write_str("the device tree wires no architected timer to the GIC"),
            Self::Version(v) => write!(f, "GICv{v}: no driver"),
            Self::NoCpuInterface => f.write_str("GICv2 without a CPU interface frame"),
            Self::V2(Gicv2Error::NotPrivate(i)) => write!(f, "GICv2: INTID {i} is not an SGI/PPI"),
            Self::V2(Gicv2Error::CannotEnable(i)) => {
                write!(f, "GICv2: GICD_ISENABLER0 does not keep INTID {i} enabled")
            }
            Self::V3(e) => write!(f, "{e}"),
            Self::NotSetUp => f.write_str("the boot core could not set up the GIC"),
            Self::BadCpuIndex(i) => write!(f, "per-CPU index {i}: the kernel keeps {MAX_CPUS}"),
        }
    }
}

/// Brings up the GIC the tree describes on this (the boot, per-CPU index 0)
/// core and enables the virtual timer's PPI and the reschedule SGI on it.
/// On failure interrupts stay off, on every core.
///
/// # Safety
/// The GIC's registers must be mapped (device memory) in the linear map for
/// as long as the kernel runs and driven by nothing else. Call once, on the
/// boot core, before any other core runs in the kernel.
pub unsafe fn init(
    gic: Option<Gic>,
    timer: Option<Timer>,
    disabled: bool,
) -> Result<Active, Unusable> {
    if disabled {
        return Err(Unusable::DisabledByBootArgument);
    }
    let gic = gic.ok_or(Unusable::NoController)?;
    let timer = timer.ok_or(Unusable::NoTimer)?;
    let timer_intid = u32::from(IntId::ppi(timer.virt_irq));
    TIMER_PPI.store(timer.virt_irq, Ordering::Relaxed);
    TIMER_INTID.store(timer_intid, Ordering::Relaxed);
    let controller = match gic.version {
        2 => {
            let cpu = gic.cpu_interface.ok_or(Unusable::NoCpuInterface)?;
            // SAFETY: the caller guarantees both frames are mapped for the
            // kernel's lifetime and ours.
            let g = unsafe { Gicv2::new(gic.distributor.base, cpu.base) };
            g.enable_distributor();
            Controller::V2(g)
        }
        3 => {
            // SAFETY: the caller guarantees the distributor is mapped and
            // ours; this is the only call.
            let d = unsafe { Distributor::init(gic.distributor) }.map_err(Unusable::V3)?;
            V3_PARTS.lock()._distributor = Some(d);
            Controller::V3 {
                redistributors: gic.redistributors,
            }
        }
        v => return Err(Unusable::Version(v)),
    };
    // The boot core's own part, before the controller is published (no other
    // core runs yet).
    let boot_core = bring_up_core(&controller, 0);
    CORE_STATE[0].call_once(|| boot_core);
    boot_core?;
    CONTROLLER.call_once(|| controller);
    Ok(Active {
        version: gic.version,
        timer_intid,
    })
}

/// Brings up the calling core's part of the GIC: its CPU interface (GICv2:
/// `GICC_PMR` and `GICC_CTLR`; GICv3: its redistributor woken, `ICC_SRE`,
/// `ICC_PMR`, `ICC_IGRPEN1`), the timer PPI and the reschedule SGI enabled
/// with their priority, and the address that makes [`send_reschedule`]
/// reach it. Call on each secondary core, on itself, once its per-CPU block
/// is set up and after the boot core's [`init`] succeeded; a second call on
/// the same core only returns the first outcome.
pub fn init_this_core() -> Result<(), Unusable> {
    let index = percpu::this_cpu().index();
    let state = CORE_STATE.get(index).ok_or(Unusable::BadCpuIndex(index))?;
    *state.call_once(|| match CONTROLLER.get() {
        None => Err(Unusable::NotSetUp),
        Some(c) => bring_up_core(c, index),
    })
}

/// The set-up of core `index`, run on that core.
fn bring_up_core(c: &Controller, index: usize) -> Result<(), Unusable> {
    let timer = IntId::ppi(TIMER_PPI.load(Ordering::Relaxed));
    match c {
        Controller::V2(g) => {
            let target = g
                .init_this_core(&[u32::from(timer), RESCHEDULE_SGI], PRIORITY)
                .map_err(Unusable::V2)?;
            // A uniprocessor GIC reads no target bit: nothing to send to.
            if let Some(t) = target {
                SGI_WORD[index].store(
                    u64::from(Gicv2::sgir_for(RESCHEDULE_SGI, t)),
                    Ordering::Release,
                );
            }
        }
        Controller::V3 { redistributors } => {
            let intids = [IntId::sgi(RESCHEDULE_SGI), timer];
            // SAFETY: `init`'s caller guaranteed the regions are mapped for
            // the kernel's lifetime; this runs once per core (each core's
            // `CORE_STATE` slot), on that core, after `Distributor::init`;
            // only this core's set-up drives its redistributor.
            let core = unsafe { CoreInterface::init_this_core(redistributors, &intids) }
                .map_err(Unusable::V3)?;
            V3_PARTS.lock().cores[index] = Some(core);
            let mpidr = {
                use aarch64_cpu::registers::Readable;
                aarch64_cpu::registers::MPIDR_EL1.get()
            };
            SGI_WORD[index].store(gicv3::sgi1r_for(mpidr, RESCHEDULE_SGI), Ordering::Release);
        }
    }
    Ok(())
}

/// How core `cpu_index`'s set-up went: `None` while it has not tried.
pub fn core_state(cpu_index: usize) -> Option<Result<(), Unusable>> {
    CORE_STATE.get(cpu_index)?.get().copied()
}

/// Whether [`send_reschedule`] reaches core `cpu_index`.
pub fn reachable(cpu_index: usize) -> bool {
    SGI_WORD
        .get(cpu_index)
        .is_some_and(|w| w.load(Ordering::Acquire) != NOT_REACHABLE)
}

/// Sends the reschedule SGI to core `cpu_index` (the per-CPU index; it may
/// be the caller's own). The caller's earlier memory writes are visible to
/// that core before it can take the SGI. A core that has not brought up its
/// GIC interface, or an index past [`MAX_CPUS`], is left alone.
pub fn send_reschedule(cpu_index: usize) {
    let Some(word) = SGI_WORD
        .get(cpu_index)
        .map(|w| w.load(Ordering::Acquire))
        .filter(|&w| w != NOT_REACHABLE)
    else {
        return;
    };
    match CONTROLLER.get() {
        Some(Controller::V2(g)) => g.send_sgi(word as u32),
        Some(Controller::V3 { .. }) => gicv3::send_sgi1r(word),
        None => {}
    }
}

/// What an interrupt was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    Timer,
    /// [`RESCHEDULE_SGI`], from any core (this one included).
    Reschedule,
    Other(u32),
    /// Nothing pending (spurious), or this core's interface is not up.
    None,
}

/// Acknowledges the calling core's pending interrupt, runs nothing, and ends
/// it; the caller acts on what it was. The timer's line stays asserted until
/// the timer is re-armed or disarmed. Uses only this core's CPU interface
/// (no lock); on a core whose interface is not up it returns
/// [`Interrupt::None`].
pub fn take() -> Interrupt {
    let Some(c) = CONTROLLER.get() else {
        return Interrupt::None;
    };
    let up = CORE_STATE
        .get(percpu::this_cpu().index())
        .and_then(|s| s.get())
        .is_some_and(|r| r.is_ok());
    if !up {
        return Interrupt::None;
    }
    let intid = match c {
        Controller::V2(g) => {
            // The whole IAR (an SGI's source in bits 12:10) goes back to
            // the EOI register.
            let iar = g.acknowledge();
            let intid = iar & gicv2::IAR_INTID_MASK;
            if intid >= gicv2::FIRST_SPECIAL {
                return Interrupt::None;
            }
            g.end(iar);
            intid
        }
        Controller::V3 { .. } => match gicv3::acknowledge() {
            Some(i) => {
                gicv3::end(i);
                u32::from(i)
            }
            None => return Interrupt::None,
        },
    };
    match intid {
        i if i == TIMER_INTID.load(Ordering::Relaxed) => Interrupt::Timer,
        RESCHEDULE_SGI => Interrupt::Reschedule,
        i => Interrupt::Other(i),
    }
}

/// Core `cpu_index`'s interrupt state for the boot log, from
/// [`describe_core`].
#[derive(Clone, Copy, Debug)]
pub struct CoreReport(usize);

/// Says how core `cpu_index`'s GIC set-up went ("GIC CPU interface up", or
/// why not).
pub fn describe_core(cpu_index: usize) -> CoreReport {
    CoreReport(cpu_index)
}

impl fmt::Display for CoreReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match core_state(self.0) {
            None => f.write_str("GIC CPU interface not set up"),
            Some(Ok(())) if reachable(self.0) => f.write_str("GIC CPU interface up"),
            Some(Ok(())) => f.write_str("GIC CPU interface up, no SGI target (uniprocessor GIC)"),
            Some(Err(why)) => write!(f, "no interrupts: {why}"),
        }
    }
}

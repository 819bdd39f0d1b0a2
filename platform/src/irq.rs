//! The interrupt controller, set up from the device tree: a GICv2 / GIC-400
//! (through `arm-gic`'s `gicv2`) or a GICv3 (through `drivers::gicv3`), and
//! the one interrupt the kernel uses: the EL1 virtual timer's PPI. When
//! neither can be used, [`init`] says why, and the kernel must not start
//! programs it could not preempt.

use crate::drivers::gicv3::{self, CoreInterface, Distributor, Gicv3Error};
use crate::dt::{Gic, Timer};
use crate::layout::phys_to_virt;
use arm_gic::gicv2::GicV2;
use arm_gic::{IntId, InterruptGroup};
use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;

enum Controller {
    V2(GicV2<'static>),
    /// Owns the distributor and the boot core's redistributor (the CPU
    /// interface is system registers).
    V3 {
        _distributor: Distributor,
        _boot_core: CoreInterface,
    },
}

static GIC: Mutex<Option<Controller>> = Mutex::new(None);
static TIMER_INTID: AtomicU32 = AtomicU32::new(u32::MAX);

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

/// Why no interrupt reaches the kernel.
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
    /// The GICv2 driver refused the timer's PPI.
    V2Refused,
    /// The GICv3 could not be brought up.
    V3(Gicv3Error),
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
            Self::V2Refused => f.write_str("GICv2 refused the timer's PPI"),
            Self::V3(e) => write!(f, "{e}"),
        }
    }
}

/// Brings up the GIC the tree describes on this (the boot) core and enables
/// the virtual timer's PPI. On failure interrupts stay off.
///
/// # Safety
/// The GIC's registers must be mapped (device memory) in the linear map and
/// driven by nothing else.
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
    let intid = IntId::ppi(timer.virt_irq);
    let controller = match gic.version {
        2 => {
            let cpu = gic.cpu_interface.ok_or(Unusable::NoCpuInterface)?;
            let gicd = phys_to_virt(gic.distributor.base) as *mut arm_gic::gicv2::registers::Gicd;
            let gicc = phys_to_virt(cpu.base) as *mut arm_gic::gicv2::registers::Gicc;
            // SAFETY: the caller guarantees both register blocks are mapped
            // and ours.
            let mut g = unsafe { GicV2::new(gicd, gicc) };
            g.setup();
            g.set_interrupt_priority(intid, 0x80);
            g.enable_interrupt(intid, true)
                .map_err(|_| Unusable::V2Refused)?;
            Controller::V2(g)
        }
        3 => {
            // SAFETY: the caller guarantees the distributor is mapped and
            // ours; this is the only call.
            let d = unsafe { Distributor::init(gic.distributor) }.map_err(Unusable::V3)?;
            // SAFETY: the caller guarantees the redistributor regions are
            // mapped and ours; this runs on the boot core, once.
            let core =
                unsafe { CoreInterface::init_this_core(&gic.redistributors, timer.virt_irq) }
                    .map_err(Unusable::V3)?;
            Controller::V3 {
                _distributor: d,
                _boot_core: core,
            }
        }
        v => return Err(Unusable::Version(v)),
    };
    TIMER_INTID.store(u32::from(intid), Ordering::Relaxed);
    *GIC.lock() = Some(controller);
    Ok(Active {
        version: gic.version,
        timer_intid: u32::from(intid),
    })
}

/// What an interrupt was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    Timer,
    /// Another core asks this one to look at its run queue.
    Reschedule,
    Other(u32),
    /// Nothing pending (spurious).
    None,
}

/// Acknowledges the pending interrupt, runs nothing, and ends it; the caller
/// acts on what it was. The timer's line stays asserted until the timer is
/// re-armed or disarmed.
pub fn take() -> Interrupt {
    let mut guard = GIC.lock();
    let intid = match guard.as_mut() {
        None => return Interrupt::None,
        // A non-secure kernel acknowledges through GICC_IAR whatever the
        // group.
        Some(Controller::V2(g)) => {
            let intid = g.get_and_acknowledge_interrupt(InterruptGroup::Group0);
            if let Some(i) = intid {
                g.end_interrupt(i, InterruptGroup::Group0);
            }
            intid
        }
        Some(Controller::V3 { .. }) => {
            let intid = gicv3::acknowledge();
            if let Some(i) = intid {
                gicv3::end(i);
            }
            intid
        }
    };
    match intid {
        Some(i) if u32::from(i) == TIMER_INTID.load(Ordering::Relaxed) => Interrupt::Timer,
        Some(i) => Interrupt::Other(u32::from(i)),
        None => Interrupt::None,
    }
}

/// Interrupts core `cpu_index` so that it looks at its run queue (no-op
/// until the secondaries' interrupt controllers are up).
pub fn send_reschedule(_cpu_index: usize) {}

//! The interrupt controller (GICv2 / GIC-400, through `arm-gic`), set up from
//! the device tree, and the one interrupt the kernel uses: the EL1 virtual
//! timer's PPI.

use crate::dt::{Gic, Timer};
use crate::layout::phys_to_virt;
use arm_gic::gicv2::GicV2;
use arm_gic::{IntId, InterruptGroup};
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;

static GIC: Mutex<Option<GicV2<'static>>> = Mutex::new(None);
static TIMER_INTID: AtomicU32 = AtomicU32::new(u32::MAX);

/// Enables the distributor and CPU interface and the virtual timer's PPI.
/// Returns false (and leaves interrupts off) if the tree describes no GICv2
/// or no timer.
///
/// # Safety
/// The GIC's registers must be mapped (device memory) in the linear map and
/// driven by nothing else.
pub unsafe fn init(gic: Option<Gic>, timer: Option<Timer>) -> bool {
    let (Some(gic), Some(timer)) = (gic, timer) else {
        return false;
    };
    let (2, Some(cpu)) = (gic.version, gic.cpu_interface) else {
        return false;
    };
    let gicd = phys_to_virt(gic.distributor.base) as *mut arm_gic::gicv2::registers::Gicd;
    let gicc = phys_to_virt(cpu.base) as *mut arm_gic::gicv2::registers::Gicc;
    // SAFETY: the caller guarantees both register blocks are mapped and ours.
    let mut g = unsafe { GicV2::new(gicd, gicc) };
    g.setup();
    let intid = IntId::ppi(timer.virt_irq);
    g.set_interrupt_priority(intid, 0x80);
    if g.enable_interrupt(intid, true).is_err() {
        return false;
    }
    TIMER_INTID.store(u32::from(intid), Ordering::Relaxed);
    *GIC.lock() = Some(g);
    true
}

/// What an interrupt was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    Timer,
    Other(u32),
    /// Nothing pending (spurious).
    None,
}

/// Acknowledges the pending interrupt, runs nothing, and ends it; the caller
/// acts on what it was. The timer's line stays asserted until the timer is
/// re-armed or disarmed.
pub fn take() -> Interrupt {
    let mut guard = GIC.lock();
    let Some(g) = guard.as_mut() else {
        return Interrupt::None;
    };
    // A non-secure kernel acknowledges through GICC_IAR whatever the group.
    match g.get_and_acknowledge_interrupt(InterruptGroup::Group0) {
        Some(intid) => {
            g.end_interrupt(intid, InterruptGroup::Group0);
            if u32::from(intid) == TIMER_INTID.load(Ordering::Relaxed) {
                Interrupt::Timer
            } else {
                Interrupt::Other(u32::from(intid))
            }
        }
        None => Interrupt::None,
    }
}

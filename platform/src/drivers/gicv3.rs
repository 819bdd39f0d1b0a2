//! GICv3 bring-up for the calling core, on top of `arm-gic`'s driver: finds
//! the core's redistributor in the device tree's GICR regions by its affinity
//! (`GICR_TYPER` against `MPIDR_EL1`), wakes it, turns on the system-register
//! CPU interface (`ICC_SRE_EL1.SRE`), enables affinity routing and Group 1 in
//! the distributor, and enables one PPI there, as Non-secure Group 1 (an IRQ
//! at EL1). Acknowledge and end go through `ICC_IAR1_EL1` / `ICC_EOIR1_EL1`.

use crate::dt::Range;
use crate::layout::phys_to_virt;
use aarch64_cpu::registers::Readable;
use arm_gic::gicv3::registers::{GicdCtlr, GicrSgi};
use arm_gic::gicv3::{GicCpuInterface, GicError, GicRedistributor, GicV3, Group};
use arm_gic::{IntId, InterruptGroup, UniqueMmioPointer};
use core::fmt;
use core::ptr::NonNull;

/// `ID_AA64PFR0_EL1.GIC`, bits 27:24: nonzero when the core implements the
/// GICv3 system-register CPU interface (`ICC_*`); accessing those registers
/// without it is an undefined instruction.
/// (entry.S reads them too, as const operands.)
pub const PFR0_GIC_SHIFT: u64 = 24;
pub const PFR0_GIC_BITS: u64 = 4;
/// `ICC_SRE_EL1.SRE` (and `ICC_SRE_EL2.SRE`): the system-register interface.
pub const ICC_SRE_SRE: u64 = 1 << 0;
/// `ICC_SRE_EL2.Enable`: EL1 may access `ICC_SRE_EL1` (entry.S sets it and
/// `ICC_SRE_EL2.SRE` when entered at EL2).
pub const ICC_SRE_EL2_ENABLE: u64 = 1 << 3;
/// The affinity fields of `MPIDR_EL1` (Aff3 at 39:32, Aff2..Aff0 at 23:0),
/// as `GicrTyper::core_mpidr` lays them out.
const MPIDR_AFFINITY: u64 = 0xff_00ff_ffff;
/// `GICR_PIDR2.ArchRev` of a GICv3 and of a GICv4 redistributor; a v4 one
/// with virtual LPIs has two more 64 KiB frames (VLPI, reserved).
const ARCH_REV_V3: u8 = 3;
const ARCH_REV_V4: u8 = 4;
/// Priority the kernel gives its interrupts (the highest Non-secure one).
const PRIORITY: u8 = arm_gic::gicv3::HIGHEST_NS_PRIORITY;
/// Priority mask that lets every priority through.
const PRIORITY_MASK_ALL: u8 = 0xff;

/// Why the GICv3 cannot deliver interrupts to this core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gicv3Error {
    /// The tree gives no (valid) redistributor region.
    NoRedistributorRegion,
    /// No redistributor in the regions has this core's affinity.
    NoRedistributorFor { mpidr: u64 },
    /// A redistributor frame is neither GICv3 nor GICv4 (`GICR_PIDR2`).
    BadRedistributor { at: u64 },
    /// The core has no GICv3 system-register interface (`ID_AA64PFR0_EL1.GIC`).
    NoSystemRegisters,
    /// `ICC_SRE_EL1.SRE` stays 0: a higher exception level keeps EL1 on the
    /// memory-mapped interface (`ICC_SRE_EL2.SRE`/`Enable`).
    SystemRegistersDisabled,
    /// `arm-gic` refused an operation.
    Driver(GicError),
}

impl fmt::Display for Gicv3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRedistributorRegion => f.write_str("GICv3 without a redistributor region"),
            Self::NoRedistributorFor { mpidr } => {
                write!(f, "GICv3: no redistributor for cpu MPIDR {mpidr:#x}")
            }
            Self::BadRedistributor { at } => {
                write!(f, "GICv3: the frame at {at:#x} is not a redistributor")
            }
            Self::NoSystemRegisters => {
                f.write_str("GICv3, but this core has no ICC_* system-register interface")
            }
            Self::SystemRegistersDisabled => {
                f.write_str("GICv3, but ICC_SRE_EL1.SRE stays 0 (disabled from EL2 or EL3)")
            }
            Self::Driver(e) => write!(f, "GICv3: {e}"),
        }
    }
}

impl From<GicError> for Gicv3Error {
    fn from(e: GicError) -> Self {
        Self::Driver(e)
    }
}

/// Where a core's redistributor is: the region it lies in, its index there
/// (the driver's "cpu" number), and how many redistributors the region has
/// up to and including it.
#[derive(Clone, Copy, Debug)]
struct Found {
    region: Range,
    index: usize,
    count: usize,
}

/// One redistributor's frames (`RD_base` and `SGI_base`, 64 KiB each).
const FRAME_PAIR: u64 = core::mem::size_of::<GicrSgi>() as u64;

/// Walks the regions for the redistributor whose `GICR_TYPER` affinity is
/// `mpidr`'s. Stops in each region at its end or at `GICR_TYPER.Last`.
///
/// # Safety
/// The regions must be mapped (device memory) in the linear map.
unsafe fn find(regions: &[Range], mpidr: u64) -> Result<Found, Gicv3Error> {
    if regions.is_empty() {
        return Err(Gicv3Error::NoRedistributorRegion);
    }
    let want = mpidr & MPIDR_AFFINITY;
    for region in regions {
        let mut offset = 0u64;
        let mut index = 0usize;
        while offset
            .checked_add(FRAME_PAIR)
            .is_some_and(|end| end <= region.size)
        {
            let at = region.base + offset;
            let Some(ptr) = NonNull::new(phys_to_virt(at) as *mut GicrSgi) else {
                break;
            };
            // SAFETY: a whole frame pair inside a mapped GICR region (the
            // caller's guarantee); the pointer is dropped before the next.
            let rd = GicRedistributor::new(unsafe { UniqueMmioPointer::new(ptr) });
            let typer = rd.typer();
            let pairs = match rd.pidr2().arch_rev() {
                ARCH_REV_V3 => 1,
                ARCH_REV_V4 if typer.virtual_lpis_supported() => 2,
                ARCH_REV_V4 => 1,
                _ => return Err(Gicv3Error::BadRedistributor { at }),
            };
            if typer.core_mpidr() & MPIDR_AFFINITY == want {
                return Ok(Found {
                    region: *region,
                    index,
                    count: index + 1,
                });
            }
            if typer.last_redistributor() {
                break;
            }
            offset = offset.saturating_add(FRAME_PAIR * pairs);
            index += 1;
        }
    }
    Err(Gicv3Error::NoRedistributorFor { mpidr: want })
}

/// The GICv3 as this core uses it.
pub struct Gicv3 {
    /// Owns the register blocks (nothing else may drive them); the CPU
    /// interface itself is system registers.
    _gic: GicV3<'static>,
    /// This core's index for the driver (its redistributor in `gic`'s region).
    cpu: usize,
}

impl Gicv3 {
    /// Brings up the distributor, this core's redistributor and CPU
    /// interface, and enables `ppi` (a PPI number as the tree writes it) on
    /// this core.
    ///
    /// # Safety
    /// The distributor and redistributor regions must be mapped (device
    /// memory) in the linear map and driven by nothing else.
    pub unsafe fn init(
        distributor: Range,
        redistributors: &[Range],
        ppi: u32,
    ) -> Result<Self, Gicv3Error> {
        let pfr0 = aarch64_cpu::registers::ID_AA64PFR0_EL1.get();
        if (pfr0 >> PFR0_GIC_SHIFT) & ((1 << PFR0_GIC_BITS) - 1) == 0 {
            return Err(Gicv3Error::NoSystemRegisters);
        }
        let mpidr = aarch64_cpu::registers::MPIDR_EL1.get();
        // SAFETY: the caller guarantees the regions are mapped.
        let found = unsafe { find(redistributors, mpidr) }?;
        let gicd = NonNull::new(phys_to_virt(distributor.base) as *mut _)
            .ok_or(Gicv3Error::NoRedistributorRegion)?;
        let gicr = NonNull::new(phys_to_virt(found.region.base) as *mut GicrSgi)
            .ok_or(Gicv3Error::NoRedistributorRegion)?;
        // SAFETY: both are mapped and ours alone (the caller's guarantee);
        // `found.count` redistributors lie in the region from its base.
        let mut gic = unsafe { GicV3::new(UniqueMmioPointer::new(gicd), gicr, found.count) }?;
        let cpu = found.index;
        // ICC_SRE_EL1.SRE, wake the redistributor, ICC_CTLR_EL1 = 0 (EOI
        // also deactivates).
        gic.init_cpu(cpu);
        if sre_el1() & ICC_SRE_SRE == 0 {
            return Err(Gicv3Error::SystemRegistersDisabled);
        }
        gic.redistributor(cpu)?.configure_default_settings();
        // Affinity routing, then the groups. With one security state (DS,
        // QEMU virt) bit 4 is ARE and bit 1 EnableGrp1; seen from Non-secure
        // with two, bit 4 is ARE_NS and bit 0 EnableGrp1: set both group
        // bits, so Group 1 is on in either view (the kernel uses no Group 0).
        let d = gic.distributor();
        d.modify_control(GicdCtlr::ARE_S, true);
        d.modify_control(GicdCtlr::EnableGrp1NS | GicdCtlr::EnableGrp0, true);

        let intid = IntId::ppi(ppi);
        let mut rd = gic.redistributor(cpu)?;
        rd.set_group(intid, Group::Group1NS)?;
        rd.set_interrupt_priority(intid, PRIORITY)?;
        rd.enable_interrupt(intid, true)?;
        GicCpuInterface::set_priority_mask(PRIORITY_MASK_ALL);
        GicCpuInterface::enable_group1(true);
        Ok(Self { _gic: gic, cpu })
    }

    /// This core's index among the redistributors of its region.
    pub fn cpu(&self) -> usize {
        self.cpu
    }

    /// Acknowledges the highest-priority pending Group 1 interrupt.
    pub fn acknowledge(&mut self) -> Option<IntId> {
        GicCpuInterface::get_and_acknowledge_interrupt(InterruptGroup::Group1)
    }

    /// Ends (drops priority and deactivates) an acknowledged interrupt.
    pub fn end(&mut self, intid: IntId) {
        GicCpuInterface::end_interrupt(intid, InterruptGroup::Group1);
    }
}

/// `ICC_SRE_EL1`.
fn sre_el1() -> u64 {
    let v: u64;
    // SAFETY: reading ICC_SRE_EL1 has no side effect; the caller checked
    // ID_AA64PFR0_EL1.GIC, so the register exists.
    unsafe { core::arch::asm!("mrs {}, icc_sre_el1", out(reg) v, options(nomem, nostack)) };
    v
}

//! GICv3 bring-up on top of `arm-gic`'s register blocks: the distributor
//! once ([`Distributor::init`]: affinity routing, Group 1), then each core
//! on itself ([`CoreInterface::init_this_core`]): it finds the core's
//! redistributor in the device tree's GICR regions by affinity (`GICR_TYPER`
//! against `MPIDR_EL1`), wakes it, turns on the system-register CPU interface
//! (`ICC_SRE_EL1.SRE`) and enables the kernel's SGIs and PPIs as Non-secure
//! Group 1 (an IRQ at EL1). Acknowledge and end are this core's
//! `ICC_IAR1_EL1` / `ICC_EOIR1_EL1`; an SGI goes out through `ICC_SGI1R_EL1`
//! ([`sgi1r_for`], [`send_sgi1r`]).

use crate::dt::Range;
use crate::layout::phys_to_virt;
use aarch64_cpu::registers::Readable;
use arm_gic::gicv3::registers::{GicdCtlr, GicrSgi};
use arm_gic::gicv3::{GicCpuInterface, GicDistributor, GicError, GicRedistributor, Group};
use arm_gic::{IntId, InterruptGroup, UniqueMmioPointer};
use core::fmt;
use core::ptr::NonNull;

/// The GICv3 system-register facts EL2 and EL1 share (entry.S gets them as
/// const operands; the EL2 layer uses the same ones for the cores it
/// starts).
pub use hyp_abi::el1_entry::{ICC_SRE_EL2_ENABLE, ICC_SRE_SRE, PFR0_GIC_BITS, PFR0_GIC_SHIFT};
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
    /// The distributor's address is unusable.
    NoDistributor,
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
            Self::NoDistributor => f.write_str("GICv3 without a usable distributor address"),
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

/// One redistributor's frames (`RD_base` and `SGI_base`, 64 KiB each).
const FRAME_PAIR: u64 = core::mem::size_of::<GicrSgi>() as u64;

/// Walks the regions for the redistributor whose `GICR_TYPER` affinity is
/// `mpidr`'s and returns the physical address of its `RD_base`. Stops in
/// each region at its end or at `GICR_TYPER.Last`.
///
/// # Safety
/// The regions must be mapped (device memory) in the linear map.
unsafe fn find(regions: &[Range], mpidr: u64) -> Result<u64, Gicv3Error> {
    if regions.is_empty() {
        return Err(Gicv3Error::NoRedistributorRegion);
    }
    let want = mpidr & MPIDR_AFFINITY;
    for region in regions {
        let mut offset = 0u64;
        while offset
            .checked_add(FRAME_PAIR)
            .is_some_and(|end| end <= region.size)
        {
            let at = region.base + offset;
            // SAFETY: a whole frame pair inside a mapped GICR region (the
            // caller's guarantee); the pointer is dropped before the next.
            let rd = unsafe { redistributor_at(at) }?;
            let typer = rd.typer();
            let pairs = match rd.pidr2().arch_rev() {
                ARCH_REV_V3 => 1,
                ARCH_REV_V4 if typer.virtual_lpis_supported() => 2,
                ARCH_REV_V4 => 1,
                _ => return Err(Gicv3Error::BadRedistributor { at }),
            };
            if typer.core_mpidr() & MPIDR_AFFINITY == want {
                return Ok(at);
            }
            if typer.last_redistributor() {
                break;
            }
            offset = offset.saturating_add(FRAME_PAIR * pairs);
        }
    }
    Err(Gicv3Error::NoRedistributorFor { mpidr: want })
}

/// The redistributor whose `RD_base` is at physical address `at`.
///
/// # Safety
/// A redistributor's frames must be mapped (device memory) at `at` in the
/// linear map, and nothing else may use them while the result lives.
unsafe fn redistributor_at(at: u64) -> Result<GicRedistributor<'static>, Gicv3Error> {
    let ptr = NonNull::new(phys_to_virt(at) as *mut GicrSgi)
        .ok_or(Gicv3Error::BadRedistributor { at })?;
    // SAFETY: the caller's guarantee.
    Ok(GicRedistributor::new(unsafe {
        UniqueMmioPointer::new(ptr)
    }))
}

/// The distributor, brought up once, by the boot core.
pub struct Distributor {
    /// Owns the register block (nothing else may drive it).
    _gicd: GicDistributor<'static>,
}

// SAFETY: MMIO registers, reachable from every core; changing them needs
// `&mut`.
unsafe impl Send for Distributor {}

impl Distributor {
    /// Enables affinity routing and Group 1 (the kernel uses no SPI yet, so
    /// their defaults stay).
    ///
    /// # Safety
    /// The distributor must be mapped (device memory) in the linear map and
    /// driven by nothing else; call once.
    pub unsafe fn init(distributor: Range) -> Result<Self, Gicv3Error> {
        let ptr = NonNull::new(phys_to_virt(distributor.base) as *mut _)
            .ok_or(Gicv3Error::NoDistributor)?;
        // SAFETY: the caller's guarantee.
        let mut d = GicDistributor::new(unsafe { UniqueMmioPointer::new(ptr) });
        // Affinity routing, then the groups. With one security state (DS,
        // QEMU virt) bit 4 is ARE and bit 1 EnableGrp1; seen from Non-secure
        // with two, bit 4 is ARE_NS and bit 0 EnableGrp1: set both group
        // bits, so Group 1 is on in either view (the kernel uses no Group 0).
        d.modify_control(GicdCtlr::ARE_S, true);
        d.modify_control(GicdCtlr::EnableGrp1NS | GicdCtlr::EnableGrp0, true);
        Ok(Self { _gicd: d })
    }
}

/// One core's redistributor and CPU interface.
pub struct CoreInterface {
    /// Owns the core's redistributor (nothing else may drive it).
    _rd: GicRedistributor<'static>,
    /// Physical address of its `RD_base`.
    frame: u64,
}

// SAFETY: MMIO registers, reachable from every core; changing them needs
// `&mut`. The CPU interface itself is the owning core's system registers,
// which only `acknowledge` and `end`, called on that core, use.
unsafe impl Send for CoreInterface {}

impl CoreInterface {
    /// Brings up the calling core's redistributor and CPU interface and
    /// enables `intids` (SGIs and PPIs) on it.
    ///
    /// # Safety
    /// The redistributor regions must be mapped (device memory) in the
    /// linear map; call once per core, on that core, after
    /// [`Distributor::init`]; nothing else may drive this core's
    /// redistributor.
    pub unsafe fn init_this_core(
        redistributors: &[Range],
        intids: &[IntId],
    ) -> Result<Self, Gicv3Error> {
        let pfr0 = aarch64_cpu::registers::ID_AA64PFR0_EL1.get();
        if (pfr0 >> PFR0_GIC_SHIFT) & ((1 << PFR0_GIC_BITS) - 1) == 0 {
            return Err(Gicv3Error::NoSystemRegisters);
        }
        let mpidr = aarch64_cpu::registers::MPIDR_EL1.get();
        // SAFETY: the caller guarantees the regions are mapped.
        let frame = unsafe { find(redistributors, mpidr) }?;
        // SAFETY: found in a mapped region; this core's own, which the
        // caller leaves to us.
        let mut rd = unsafe { redistributor_at(frame) }?;
        GicCpuInterface::enable_system_register_el1();
        if sre_el1() & ICC_SRE_SRE == 0 {
            return Err(Gicv3Error::SystemRegistersDisabled);
        }
        match rd.mark_core_awake() {
            Ok(()) | Err(GicError::AlreadyAwake) => {}
            Err(e) => return Err(e.into()),
        }
        clear_icc_ctlr_el1();
        rd.configure_default_settings();
        for &intid in intids {
            rd.set_group(intid, Group::Group1NS)?;
            rd.set_interrupt_priority(intid, PRIORITY)?;
            rd.enable_interrupt(intid, true)?;
        }
        GicCpuInterface::set_priority_mask(PRIORITY_MASK_ALL);
        GicCpuInterface::enable_group1(true);
        Ok(Self { _rd: rd, frame })
    }

    /// Physical address of the core's redistributor (`RD_base`).
    pub fn frame(&self) -> u64 {
        self.frame
    }
}

/// Acknowledges the calling core's highest-priority pending Group 1
/// interrupt (`None`: spurious).
pub fn acknowledge() -> Option<IntId> {
    GicCpuInterface::get_and_acknowledge_interrupt(InterruptGroup::Group1)
}

/// Ends (drops priority and, with `ICC_CTLR_EL1.EOImode` 0, deactivates) an
/// interrupt this core acknowledged.
pub fn end(intid: IntId) {
    GicCpuInterface::end_interrupt(intid, InterruptGroup::Group1);
}

/// `ICC_SGI1R_EL1` fields (Arm IHI 0069, 12.2.23): Aff3 at 55:48, RS
/// (which 16 of Aff0's values the target list covers) at 47:44, Aff2 at
/// 39:32, the INTID at 27:24, Aff1 at 23:16, the target list at 15:0.
const SGI1R_AFF3_SHIFT: u64 = 48;
const SGI1R_RS_SHIFT: u64 = 44;
const SGI1R_AFF2_SHIFT: u64 = 32;
const SGI1R_INTID_SHIFT: u64 = 24;
const SGI1R_AFF1_SHIFT: u64 = 16;
/// Aff0 values one target list covers.
const SGI1R_LIST_BITS: u64 = 16;

/// The `ICC_SGI1R_EL1` value that sends SGI `sgi` (0..16) to the one core
/// whose `MPIDR_EL1` is `mpidr`. An Aff0 of 16 or more needs a range
/// selector, which reaches it only where `ICC_CTLR_EL1.RSS` says the GIC
/// supports that.
pub const fn sgi1r_for(mpidr: u64, sgi: u32) -> u64 {
    let aff0 = mpidr & 0xff;
    let aff1 = (mpidr >> 8) & 0xff;
    let aff2 = (mpidr >> 16) & 0xff;
    let aff3 = (mpidr >> 32) & 0xff;
    (aff3 << SGI1R_AFF3_SHIFT)
        | ((aff0 / SGI1R_LIST_BITS) << SGI1R_RS_SHIFT)
        | (aff2 << SGI1R_AFF2_SHIFT)
        | (((sgi & 0xf) as u64) << SGI1R_INTID_SHIFT)
        | (aff1 << SGI1R_AFF1_SHIFT)
        | (1 << (aff0 % SGI1R_LIST_BITS))
}

/// Writes `ICC_SGI1R_EL1` (a value from [`sgi1r_for`]): a Group 1 SGI of
/// the current security state. The caller's earlier memory writes are
/// observable by the target before it can take the SGI (`dsb ishst`: a
/// system-register write is not ordered by `dmb`).
pub fn send_sgi1r(value: u64) {
    // SAFETY: only called once the system-register interface is enabled on
    // this core (by `CoreInterface::init_this_core`); the write only raises
    // an SGI. Not `nomem`: the barrier must stay after the caller's stores.
    unsafe {
        core::arch::asm!(
            "dsb ishst",
            "msr icc_sgi1r_el1, {}",
            "isb",
            in(reg) value,
            options(nostack, preserves_flags)
        )
    };
}

/// `ICC_CTLR_EL1 = 0`: an EOI also deactivates, PMR is no routing hint.
fn clear_icc_ctlr_el1() {
    // SAFETY: the system-register interface is enabled (checked by the
    // caller); the value only selects the EOI mode and hint behaviour.
    unsafe { core::arch::asm!("msr icc_ctlr_el1, xzr", "isb", options(nomem, nostack)) };
}

/// `ICC_SRE_EL1`.
fn sre_el1() -> u64 {
    let v: u64;
    // SAFETY: reading ICC_SRE_EL1 has no side effect; the caller checked
    // ID_AA64PFR0_EL1.GIC, so the register exists.
    unsafe { core::arch::asm!("mrs {}, icc_sre_el1", out(reg) v, options(nomem, nostack)) };
    v
}

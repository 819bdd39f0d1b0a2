//! A GICv2 / GIC-400, driven directly (`tock-registers` structs at the
//! addresses the device tree gives): the distributor once, then each core's
//! banked part on that core (its SGI/PPI enables and priorities in
//! `GICD_ISENABLER0` / `GICD_IPRIORITYR0..7`, and its CPU interface `GICC`),
//! SGIs through `GICD_SGIR`, and acknowledge / end through this core's
//! `GICC_IAR` / `GICC_EOIR`. Every register is reached through `&self`
//! (volatile accesses), so cores take their interrupts without a lock.
//!
//! The kernel is Non-secure (EL1, or EL1 under its EL2 layer). Seen from
//! there, bit 0 of `GICD_CTLR` and of `GICC_CTLR` enables the interrupts the
//! kernel can see, whether or not the GIC has the Security Extensions (then
//! they are Group 1, set up by the firmware, or by QEMU for a kernel it boots
//! directly; without them everything is Group 0, signalled as IRQ).
//!
//! For an SGI, `GICC_IAR` carries the sending core's CPU id in bits 12:10
//! besides the INTID, and `GICC_EOIR` must be written the whole value back:
//! [`Gicv2::acknowledge`] returns it whole and [`Gicv2::end`] takes it whole.

use crate::layout::phys_to_virt;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

/// `GICC_IAR.InterruptID` (bits 9:0): the INTID without the SGI source.
pub const IAR_INTID_MASK: u32 = 0x3ff;
/// INTIDs from here up are special: 1023 is what `GICC_IAR` reads when
/// nothing is pending (spurious), and none of them is ended.
pub const FIRST_SPECIAL: u32 = 1020;
/// INTIDs below this are SGIs; below [`PRIVATE_INTIDS`] SGIs and PPIs.
pub const SGIS: u32 = 16;
pub const PRIVATE_INTIDS: u32 = 32;
/// `GICD_SGIR.CPUTargetList` (bits 23:16).
const SGIR_TARGETS_SHIFT: u32 = 16;
/// `GICD_CTLR` / `GICC_CTLR` bit 0: forward / signal the interrupts of the
/// kernel's (Non-secure) view.
const ENABLE: u32 = 1;
/// `GICC_PMR`: let every priority through (reads back the implemented bits).
const PRIORITY_MASK_ALL: u32 = 0xff;

register_structs! {
    /// Distributor registers used here (Arm IHI 0048B, 4.1.2).
    pub Gicd {
        (0x000 => ctlr: ReadWrite<u32>),
        (0x004 => typer: ReadOnly<u32>),
        (0x008 => _reserved0),
        /// Set-enable: word 0 (SGIs and PPIs) is banked per core.
        (0x100 => isenabler: [ReadWrite<u32>; 32]),
        (0x180 => _reserved1),
        /// One priority byte per INTID; bytes 0..32 are banked per core.
        (0x400 => ipriorityr: [ReadWrite<u8>; 1020]),
        (0x7fc => _reserved2),
        /// One target byte per INTID; bytes 0..32 are read-only and read as
        /// the reading core's own CPU-interface bit.
        (0x800 => itargetsr: [ReadWrite<u8>; 1020]),
        (0xbfc => _reserved3),
        (0xf00 => sgir: WriteOnly<u32>),
        (0xf04 => @END),
    }
}

register_structs! {
    /// CPU interface registers used here (Arm IHI 0048B, 4.1.3); banked:
    /// each core reaches its own at the same address.
    pub Gicc {
        (0x00 => ctlr: ReadWrite<u32>),
        (0x04 => pmr: ReadWrite<u32>),
        (0x08 => _reserved0),
        (0x0c => iar: ReadOnly<u32>),
        (0x10 => eoir: WriteOnly<u32>),
        (0x14 => @END),
    }
}

/// Why a GICv2 core cannot take an interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gicv2Error {
    /// An INTID this driver does not handle as private (SGI/PPI) here.
    NotPrivate(u32),
    /// `GICD_ISENABLER0` does not keep the PPI's bit.
    CannotEnable(u32),
}

/// The distributor and the (banked) CPU interface.
#[derive(Clone, Copy)]
pub struct Gicv2 {
    gicd: &'static Gicd,
    gicc: &'static Gicc,
}

// SAFETY: MMIO registers reachable from every core; every access is one
// volatile load or store, and the per-core registers are banked, so a core
// only ever reaches its own.
unsafe impl Send for Gicv2 {}
// SAFETY: as above.
unsafe impl Sync for Gicv2 {}

impl Gicv2 {
    /// The GIC whose distributor and CPU interface are at these physical
    /// addresses.
    ///
    /// # Safety
    /// Both frames must be mapped (device memory) in the linear map for as
    /// long as the kernel runs, and driven by nothing but this driver.
    pub unsafe fn new(gicd_pa: u64, gicc_pa: u64) -> Self {
        // SAFETY: the caller's guarantee; the structs cover only registers
        // inside the frames (GICD 4 KiB, GICC its first page).
        unsafe {
            Self {
                gicd: &*(phys_to_virt(gicd_pa) as *const Gicd),
                gicc: &*(phys_to_virt(gicc_pa) as *const Gicc),
            }
        }
    }

    /// Turns the distributor on (once, on the boot core).
    pub fn enable_distributor(&self) {
        self.gicd.ctlr.set(self.gicd.ctlr.get() | ENABLE);
    }

    /// `GICD_TYPER.SecurityExtn` (bit 10).
    pub fn has_security_extensions(&self) -> bool {
        self.gicd.typer.get() & (1 << 10) != 0
    }

    /// On the calling core: gives each of `intids` (SGIs or PPIs) `priority`
    /// and enables it, opens the priority mask and enables the CPU interface.
    /// Returns this core's CPU-interface bit (for [`Gicv2::sgir_for`]);
    /// `None` on a uniprocessor GIC, whose `GICD_ITARGETSR0..7` read as zero.
    pub fn init_this_core(&self, intids: &[u32], priority: u8) -> Result<Option<u8>, Gicv2Error> {
        for &intid in intids {
            if intid >= PRIVATE_INTIDS {
                return Err(Gicv2Error::NotPrivate(intid));
            }
            self.gicd.ipriorityr[intid as usize].set(priority);
            let bit = 1 << intid;
            self.gicd.isenabler[0].set(bit);
            // Whether SGIs can be disabled at all is implementation defined
            // (their bits may read as one, or as zero): check PPIs only.
            if intid >= SGIS && self.gicd.isenabler[0].get() & bit == 0 {
                return Err(Gicv2Error::CannotEnable(intid));
            }
        }
        self.gicc.pmr.set(PRIORITY_MASK_ALL);
        self.gicc.ctlr.set(self.gicc.ctlr.get() | ENABLE);
        Ok((0..PRIVATE_INTIDS as usize)
            .map(|i| self.gicd.itargetsr[i].get())
            .find(|&m| m != 0))
    }

    /// The `GICD_SGIR` value that sends SGI `sgi` to the core whose
    /// CPU-interface bit is `target` (filter 0: the target list).
    pub const fn sgir_for(sgi: u32, target: u8) -> u32 {
        ((target as u32) << SGIR_TARGETS_SHIFT) | (sgi & (SGIS - 1))
    }

    /// Writes `GICD_SGIR` (a value from [`Gicv2::sgir_for`]). The caller's
    /// earlier memory writes are observable by the target before it can take
    /// the SGI.
    pub fn send_sgi(&self, sgir: u32) {
        aarch64_cpu::asm::barrier::dsb(aarch64_cpu::asm::barrier::ISHST);
        self.gicd.sgir.set(sgir);
    }

    /// This core's `GICC_IAR`, whole (INTID and, for an SGI, its source);
    /// 1023 in bits 9:0 when nothing is pending (see [`FIRST_SPECIAL`]).
    pub fn acknowledge(&self) -> u32 {
        self.gicc.iar.get()
    }

    /// Ends what [`Gicv2::acknowledge`] returned (the whole value).
    pub fn end(&self, iar: u32) {
        self.gicc.eoir.set(iar);
    }
}

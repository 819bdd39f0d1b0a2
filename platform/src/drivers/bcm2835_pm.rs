//! The BCM2835/BCM2711 power-management block's watchdog, used to power the
//! board off: a reset into "partition 63", which the firmware (and QEMU's
//! raspi machines) treat as halt.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::ReadWrite;

const PASSWORD: u32 = 0x5a00_0000;
const RSTC_WRCFG_CLR: u32 = 0xffff_ffcf;
const RSTC_WRCFG_FULL_RESET: u32 = 0x20;
/// Partition 63 spread over the RSTS bits the firmware reads (0x555).
const RSTS_PARTITION_HALT: u32 = 0x555;

register_structs! {
    /// PM registers used for reset (BCM2835 peripherals; Linux's bcm2835_wdt).
    pub Registers {
        (0x00 => _reserved0),
        /// Reset control.
        (0x1c => rstc: ReadWrite<u32>),
        /// Reset status: the partition to boot next.
        (0x20 => rsts: ReadWrite<u32>),
        /// Watchdog timer.
        (0x24 => wdog: ReadWrite<u32>),
        (0x28 => @END),
    }
}

/// The PM watchdog at a mapped address.
pub struct PmWatchdog {
    regs: &'static Registers,
}

impl PmWatchdog {
    /// # Safety
    /// `base` must be the virtual address of the mapped PM register block.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees a mapped register block.
        let regs = unsafe { &*(base as *const Registers) };
        Self { regs }
    }

    /// Requests a halt: the watchdog fires after a few ticks into partition 63.
    pub fn power_off(&self) {
        let rsts = self.regs.rsts.get() & !0xfff;
        self.regs.rsts.set(PASSWORD | rsts | RSTS_PARTITION_HALT);
        self.regs.wdog.set(PASSWORD | 10);
        let rstc = self.regs.rstc.get() & RSTC_WRCFG_CLR;
        self.regs.rstc.set(PASSWORD | rstc | RSTC_WRCFG_FULL_RESET);
    }
}

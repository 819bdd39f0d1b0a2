//! Powering the machine off with a verdict. Under QEMU with `-semihosting`
//! (and `exit=semihosting` on the command line) the status becomes QEMU's
//! exit status; otherwise PSCI `SYSTEM_OFF` or the Raspberry Pi watchdog
//! stops the machine and the console output carries the verdict.

use crate::arch::cpu;
use crate::drivers::bcm2835_pm::PmWatchdog;
use crate::dt::PsciConduit;
use crate::layout::phys_to_virt;
use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

const METHOD_NONE: u8 = 0;
const METHOD_PSCI_HVC: u8 = 1;
const METHOD_PSCI_SMC: u8 = 2;
const METHOD_WATCHDOG: u8 = 3;

static METHOD: AtomicU8 = AtomicU8::new(METHOD_NONE);
static WATCHDOG_PA: AtomicU64 = AtomicU64::new(0);
static SEMIHOSTING: AtomicU8 = AtomicU8::new(0);

/// Records how this board powers off. `watchdog` must be mapped.
pub fn init(psci: Option<PsciConduit>, watchdog: Option<u64>, semihosting: bool) {
    let method = match (psci, watchdog) {
        (Some(PsciConduit::Hvc), _) => METHOD_PSCI_HVC,
        (Some(PsciConduit::Smc), _) => METHOD_PSCI_SMC,
        (None, Some(pa)) => {
            WATCHDOG_PA.store(pa, Ordering::Relaxed);
            METHOD_WATCHDOG
        }
        (None, None) => METHOD_NONE,
    };
    METHOD.store(method, Ordering::Relaxed);
    SEMIHOSTING.store(u8::from(semihosting), Ordering::Relaxed);
}

/// Which PSCI conduit the board uses, if any.
pub fn psci_conduit() -> Option<PsciConduit> {
    match METHOD.load(Ordering::Relaxed) {
        METHOD_PSCI_HVC => Some(PsciConduit::Hvc),
        METHOD_PSCI_SMC => Some(PsciConduit::Smc),
        _ => None,
    }
}

/// Powers off; `status` 0 means success.
pub fn power_off(status: u32) -> ! {
    crate::console::flush();
    if SEMIHOSTING.load(Ordering::Relaxed) != 0 {
        cpu::semihosting_exit(status);
    }
    match METHOD.load(Ordering::Relaxed) {
        METHOD_PSCI_HVC => {
            let _ = smccc::psci::system_off::<smccc::Hvc>();
        }
        METHOD_PSCI_SMC => {
            let _ = smccc::psci::system_off::<smccc::Smc>();
        }
        METHOD_WATCHDOG => {
            let va = phys_to_virt(WATCHDOG_PA.load(Ordering::Relaxed)) as usize;
            // SAFETY: `init` was given the mapped PM block from the tree.
            unsafe { PmWatchdog::new(va) }.power_off();
        }
        _ => {}
    }
    crate::println!("power-off did not happen: halting");
    cpu::halt()
}

/// Stops the machine with a failure status.
pub fn fail() -> ! {
    crate::console::break_lock();
    power_off(1)
}

//! Powering the machine off with a verdict. Under QEMU with `-semihosting`
//! (and `exit=semihosting` on the command line) the status becomes QEMU's
//! exit status; otherwise PSCI `SYSTEM_OFF` or the Raspberry Pi watchdog
//! stops the machine and the console output carries the verdict.
//!
//! The watchdog's halt carries no status (QEMU raspi4b exits with 0 after it,
//! a real board just stops), so on the watchdog a failure halts the core
//! instead: a failed run never ends like a clean power-off.

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

/// How `power_off` will stop this machine, for the boot log.
pub fn describe() -> &'static str {
    if SEMIHOSTING.load(Ordering::Relaxed) != 0 {
        return "semihosting SYS_EXIT, the verdict is the exit status (exit=semihosting)";
    }
    match METHOD.load(Ordering::Relaxed) {
        METHOD_PSCI_HVC => "PSCI SYSTEM_OFF through HVC",
        METHOD_PSCI_SMC => "PSCI SYSTEM_OFF through SMC",
        METHOD_WATCHDOG => "BCM2835 watchdog halt after a pass, the core halts after a failure",
        _ => "none known: the core halts",
    }
}

/// Busy-waits for about `ms` milliseconds on the generic timer.
fn delay_ms(ms: u64) {
    let ticks = cpu::counter_frequency().max(1_000_000) / 1000 * ms;
    let start = cpu::counter();
    while cpu::counter().wrapping_sub(start) < ticks {
        core::hint::spin_loop();
    }
}

/// PSCI_VERSION (major << 16 | minor), when the board has PSCI.
pub fn psci_version() -> Option<u32> {
    let v = match psci_conduit()? {
        PsciConduit::Hvc => smccc::psci::version::<smccc::Hvc>(),
        PsciConduit::Smc => smccc::psci::version::<smccc::Smc>(),
    };
    v.ok().map(u32::from)
}

/// Powers off; `status` 0 means success.
pub fn power_off(status: u32) -> ! {
    crate::console::flush();
    if SEMIHOSTING.load(Ordering::Relaxed) != 0 {
        cpu::semihosting_exit(status);
    }
    if status != 0 && METHOD.load(Ordering::Relaxed) == METHOD_WATCHDOG {
        crate::println!("power-off: status {status} cannot go through the watchdog: halting");
        crate::console::flush();
        cpu::halt();
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
            // It fires after 10 ticks of its 65.5 kHz clock (QEMU: at once).
            delay_ms(100);
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

//! The layer's console: the board's UART (PL011 or mini UART) through the
//! page the loader mapped at `EL2_UART_VA`, one writer at a time.

use super::cfg;
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};
use hyp_abi::uart;

static LOCK: AtomicBool = AtomicBool::new(false);

const PL011_FR: u64 = 0x18;
const PL011_FR_TXFF: u32 = 1 << 5;
const MINI_LSR: u64 = 0x14;
const MINI_LSR_TX_EMPTY: u32 = 1 << 5;

fn putc(byte: u8) {
    let c = cfg();
    let base = c.uart_va;
    let (status, ready): (u64, fn(u32) -> bool) = match c.uart_kind {
        uart::PL011 => (PL011_FR, |s| s & PL011_FR_TXFF == 0),
        uart::MINI => (MINI_LSR, |s| s & MINI_LSR_TX_EMPTY != 0),
        _ => return,
    };
    // SAFETY: the loader mapped the console's registers as device memory at
    // `uart_va`; these are its status and data registers.
    unsafe {
        while !ready(((base + status) as *const u32).read_volatile()) {
            core::hint::spin_loop();
        }
        (base as *mut u32).write_volatile(u32::from(byte));
    }
}

/// Writes through the UART, `\n` as `\r\n`.
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                putc(b'\r');
            }
            putc(b);
        }
        Ok(())
    }
}

/// Prints `args` as one piece (cores do not interleave inside it).
pub fn print(args: fmt::Arguments<'_>) {
    while LOCK
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        core::hint::spin_loop();
    }
    let _ = fmt::write(&mut Console, args);
    LOCK.store(false, Ordering::Release);
}

/// Frees the console from a core that died holding it (fatal paths only).
pub fn break_lock() {
    LOCK.store(false, Ordering::Release);
}

macro_rules! hprintln {
    ($($arg:tt)*) => {
        $crate::el2::console::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use hprintln;

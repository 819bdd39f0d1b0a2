//! The kernel console: every UART the device tree names, written in turn
//! (on a Raspberry Pi 4 the firmware's console is the mini UART, while QEMU
//! shows the PL011 first), behind `print!`/`println!`. A UART that stops
//! taking bytes is dropped, so a dead second port cannot stall the kernel.

use crate::arch::cpu;
use crate::arch::cpu::Mutex;
use crate::drivers::mini_uart::MiniUart;
use crate::drivers::pl011::Pl011;
use crate::dt::{Uart, UartKind};
use crate::layout::phys_to_virt;
use core::fmt;

enum Port {
    Pl011(Pl011),
    Mini(MiniUart),
}

impl Port {
    fn can_send(&self) -> bool {
        match self {
            Port::Pl011(p) => p.can_send(),
            Port::Mini(m) => m.can_send(),
        }
    }

    fn send(&self, b: u8) {
        match self {
            Port::Pl011(p) => p.send(b),
            Port::Mini(m) => m.send(b),
        }
    }

    fn idle(&self) -> bool {
        match self {
            Port::Pl011(p) => p.idle(),
            Port::Mini(m) => m.idle(),
        }
    }
}

// SAFETY: a port is a register block that only the console mutex's holder
// touches; moving it between cores does not change that.
unsafe impl Send for Port {}

/// How long a UART may refuse a byte before the console gives up on it. A
/// byte takes 87 us at 115200 baud; a UART that is not clocked or has no baud
/// rate set (the Pi 4's PL011, which the firmware leaves to Bluetooth) would
/// otherwise stop the kernel at its first line.
const STALL_MS: u64 = 50;

/// Waits until `ready` holds; false if it did not within `STALL_MS`.
fn wait_until(ready: impl Fn() -> bool) -> bool {
    if ready() {
        return true;
    }
    let limit = cpu::counter_frequency().max(1_000_000) / 1000 * STALL_MS;
    let start = cpu::counter();
    while !ready() {
        if cpu::counter().wrapping_sub(start) > limit {
            return false;
        }
        core::hint::spin_loop();
    }
    true
}

struct Console {
    ports: [Option<Port>; 2],
}

impl Console {
    /// Sends `s` to every port, dropping a port that stalls.
    fn write_all(&mut self, s: &str) {
        for slot in self.ports.iter_mut() {
            let Some(port) = slot else { continue };
            let mut ok = true;
            for b in s.bytes() {
                if b == b'\n' {
                    ok = wait_until(|| port.can_send());
                    if ok {
                        port.send(b'\r');
                    }
                }
                ok = ok && wait_until(|| port.can_send());
                if !ok {
                    break;
                }
                port.send(b);
            }
            if !ok {
                *slot = None;
            }
        }
    }
}

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_all(s);
        Ok(())
    }
}

static CONSOLE: Mutex<Console> = Mutex::new(Console {
    ports: [None, None],
});

/// Starts the console on `primary` (from `stdout-path`) and, if there is one
/// of the other kind, a second UART.
///
/// # Safety
/// The UARTs' registers must be mapped in the linear map as device memory,
/// and nothing else may drive them.
pub unsafe fn init(primary: Option<Uart>, all: &[Uart]) {
    let mut console = CONSOLE.lock();
    let second = all
        .iter()
        .find(|u| primary.is_none_or(|p| p.kind != u.kind));
    for (n, uart) in primary.iter().chain(second).enumerate() {
        let va = phys_to_virt(uart.regs.base) as usize;
        // SAFETY: the caller guarantees the registers are mapped and ours.
        let port = unsafe {
            match uart.kind {
                UartKind::Pl011 => {
                    let p = Pl011::new(va);
                    p.init();
                    Port::Pl011(p)
                }
                UartKind::MiniUart => Port::Mini(MiniUart::new(va)),
            }
        };
        console.ports[n] = Some(port);
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments<'_>) {
    use fmt::Write;
    let _ = CONSOLE.lock().write_fmt(args);
}

/// Writes raw bytes (an EL0 program's `zx_debug_write`).
pub fn write_bytes(bytes: &[u8]) {
    use fmt::Write;
    let mut c = CONSOLE.lock();
    for chunk in bytes.utf8_chunks() {
        let _ = c.write_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            let _ = c.write_str("\u{fffd}");
        }
    }
}

/// Waits until everything written has left the UARTs (a stalled one is
/// waited for at most `STALL_MS`).
pub fn flush() {
    for port in CONSOLE.lock().ports.iter().flatten() {
        wait_until(|| port.idle());
    }
}

/// Lets a panic or a fatal trap print even if it interrupted a print.
pub fn break_lock() {
    // SAFETY: only called on the way to stopping the machine, on the one
    // running core: whoever held the lock will never run again.
    unsafe { CONSOLE.force_unlock() };
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::_print(format_args!($($arg)*)));
}

#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::console::_print(format_args!("{}\n", format_args!($($arg)*))));
}

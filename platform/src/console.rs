//! The kernel console: every UART the device tree names, written in turn
//! (on a Raspberry Pi 4 the firmware's console is the mini UART, while QEMU
//! shows the PL011 first), behind `print!`/`println!`.

use crate::drivers::mini_uart::MiniUart;
use crate::drivers::pl011::Pl011;
use crate::dt::{Uart, UartKind};
use crate::layout::phys_to_virt;
use core::fmt;
use spin::Mutex;

enum Port {
    Pl011(Pl011),
    Mini(MiniUart),
}

impl Port {
    fn write_byte(&self, b: u8) {
        match self {
            Port::Pl011(p) => p.write_byte(b),
            Port::Mini(m) => m.write_byte(b),
        }
    }

    fn flush(&self) {
        match self {
            Port::Pl011(p) => p.flush(),
            Port::Mini(m) => m.flush(),
        }
    }
}

// SAFETY: a port is a register block that only the console mutex's holder
// touches; moving it between cores does not change that.
unsafe impl Send for Port {}

struct Console {
    ports: [Option<Port>; 2],
}

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for port in self.ports.iter().flatten() {
            for b in s.bytes() {
                if b == b'\n' {
                    port.write_byte(b'\r');
                }
                port.write_byte(b);
            }
        }
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

/// Waits until everything written has left the UARTs.
pub fn flush() {
    for port in CONSOLE.lock().ports.iter().flatten() {
        port.flush();
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

//! The BCM2711 mini UART (AUX UART1), polled: the Pi 4's console on GPIO14/15,
//! set up by the firmware (`enable_uart=1`: 115200 8N1, pins muxed). QEMU
//! raspi4b's second serial port. Register offsets from the BCM2711 ARM
//! Peripherals manual, section 2.2 (AUX_MU_IO_REG, AUX_MU_LSR_REG).

use core::fmt;
use core::ptr::{read_volatile, write_volatile};

/// AUX_MU_IO_REG as the ARM sees it in the BCM2711's low-peripheral mode (bus
/// address 0x7e215040).
const BASE: usize = 0xfe21_5040;
/// AUX_MU_LSR_REG: line status.
const LSR: usize = 0x14;
/// LSR bit 0: a byte is waiting in the receive FIFO.
const LSR_DATA_READY: u32 = 1 << 0;
/// LSR bit 5: the transmit FIFO can take a byte.
const LSR_TX_EMPTY: u32 = 1 << 5;
/// LSR bit 6: the transmitter is idle (FIFO empty, last bit sent).
const LSR_TX_IDLE: u32 = 1 << 6;

/// The mini UART; all state is in the device.
pub struct MiniUart;

impl MiniUart {
    pub const fn new() -> Self {
        Self
    }

    fn lsr(&self) -> u32 {
        // SAFETY: BASE + LSR is the mini UART's line status register, a
        // device register readable at any time (MMU off: device memory).
        unsafe { read_volatile((BASE + LSR) as *const u32) }
    }

    /// Waits for and returns the next received byte.
    pub fn read_byte(&self) -> u8 {
        while self.lsr() & LSR_DATA_READY == 0 {
            core::hint::spin_loop();
        }
        // SAFETY: AUX_MU_IO_REG; reading it takes the byte from the FIFO.
        unsafe { read_volatile(BASE as *const u32) as u8 }
    }

    pub fn write_byte(&self, b: u8) {
        while self.lsr() & LSR_TX_EMPTY == 0 {
            core::hint::spin_loop();
        }
        // SAFETY: AUX_MU_IO_REG; writing it queues the byte.
        unsafe { write_volatile(BASE as *mut u32, u32::from(b)) }
    }

    /// Waits until everything written has left the wire.
    pub fn flush(&self) {
        while self.lsr() & LSR_TX_IDLE == 0 {
            core::hint::spin_loop();
        }
    }

    /// A `fmt::Write` on this UART.
    pub fn writer(&self) -> Writer<'_> {
        Writer(self)
    }
}

/// Formats text onto the UART.
pub struct Writer<'a>(&'a MiniUart);

impl fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            self.0.write_byte(b);
        }
        Ok(())
    }
}

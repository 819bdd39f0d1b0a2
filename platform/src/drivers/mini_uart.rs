//! The BCM2835 auxiliary "mini UART" (the Raspberry Pi 4's console on GPIO
//! 14/15 when `enable_uart=1`). The device tree's `reg` points at its
//! `AUX_MU_IO` register (the AUX block's offset 0x40).

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! [u32,
    LSR [
        /// The transmitter can accept at least one byte.
        TX_EMPTY OFFSET(5) NUMBITS(1) [],
        /// The transmitter is idle.
        TX_IDLE OFFSET(6) NUMBITS(1) []
    ]
];

register_structs! {
    /// Mini UART registers, from AUX_MU_IO (BCM2711 peripherals, section 2.2).
    pub Registers {
        /// I/O data.
        (0x00 => io: ReadWrite<u32>),
        (0x04 => _reserved0),
        /// Line status.
        (0x14 => lsr: ReadOnly<u32, LSR::Register>),
        (0x18 => @END),
    }
}

/// A mini UART at a mapped address. The firmware (or QEMU) has set it up;
/// the kernel only sends.
pub struct MiniUart {
    regs: &'static Registers,
}

impl MiniUart {
    /// # Safety
    /// `base` must be the virtual address of the mapped AUX_MU_IO register
    /// block, driven by nothing else.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees a mapped, exclusively owned block.
        let regs = unsafe { &*(base as *const Registers) };
        Self { regs }
    }

    /// The transmit FIFO has room for a byte.
    pub fn can_send(&self) -> bool {
        self.regs.lsr.is_set(LSR::TX_EMPTY)
    }

    /// Queues `b`; call only when `can_send`.
    pub fn send(&self, b: u8) {
        self.regs.io.set(u32::from(b));
    }

    /// Everything queued has been sent.
    pub fn idle(&self) -> bool {
        self.regs.lsr.is_set(LSR::TX_IDLE)
    }
}

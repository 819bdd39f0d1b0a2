//! The Arm PL011 UART (QEMU `virt`, the Raspberry Pi's UART0).

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! [u32,
    FR [
        /// Transmit FIFO full.
        TXFF OFFSET(5) NUMBITS(1) [],
        /// Receive FIFO empty.
        RXFE OFFSET(4) NUMBITS(1) [],
        /// Busy transmitting.
        BUSY OFFSET(3) NUMBITS(1) []
    ],
    CR [
        RXE OFFSET(9) NUMBITS(1) [],
        TXE OFFSET(8) NUMBITS(1) [],
        UARTEN OFFSET(0) NUMBITS(1) []
    ]
];

register_structs! {
    /// PL011 registers (ARM DDI 0183).
    pub Registers {
        /// Data register.
        (0x00 => dr: ReadWrite<u32>),
        (0x04 => _reserved0),
        /// Flag register.
        (0x18 => fr: ReadOnly<u32, FR::Register>),
        (0x1c => _reserved1),
        /// Control register.
        (0x30 => cr: ReadWrite<u32, CR::Register>),
        (0x34 => _reserved2),
        /// Interrupt clear register.
        (0x44 => icr: WriteOnly<u32>),
        (0x48 => @END),
    }
}

/// A PL011 at a mapped address.
pub struct Pl011 {
    regs: &'static Registers,
}

impl Pl011 {
    /// # Safety
    /// `base` must be the virtual address of a mapped PL011 register block
    /// that nothing else drives.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees a mapped, exclusively owned block.
        let regs = unsafe { &*(base as *const Registers) };
        Self { regs }
    }

    /// Enables the transmitter and receiver, keeping the firmware's baud rate.
    pub fn init(&self) {
        self.regs.icr.set(0x7ff);
        self.regs
            .cr
            .write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
    }

    pub fn write_byte(&self, b: u8) {
        while self.regs.fr.is_set(FR::TXFF) {
            core::hint::spin_loop();
        }
        self.regs.dr.set(u32::from(b));
    }

    /// Waits until every queued byte has left.
    pub fn flush(&self) {
        while self.regs.fr.is_set(FR::BUSY) {
            core::hint::spin_loop();
        }
    }
}

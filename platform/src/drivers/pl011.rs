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
    ],
    LCRH [
        /// Word length: 3 = 8 bits.
        WLEN OFFSET(5) NUMBITS(2) [],
        /// FIFOs enabled.
        FEN OFFSET(4) NUMBITS(1) []
    ]
];

/// `UARTCLK` the Raspberry Pi firmware gives the PL011 (`init_uart_clock`'s
/// default); only used when nobody has set a baud rate.
const PI_UART_CLOCK_HZ: u32 = 48_000_000;
const BAUD: u32 = 115_200;

register_structs! {
    /// PL011 registers (ARM DDI 0183).
    pub Registers {
        /// Data register.
        (0x00 => dr: ReadWrite<u32>),
        (0x04 => _reserved0),
        /// Flag register.
        (0x18 => fr: ReadOnly<u32, FR::Register>),
        (0x1c => _reserved1),
        /// Integer baud rate divisor.
        (0x24 => ibrd: ReadWrite<u32>),
        /// Fractional baud rate divisor (64ths).
        (0x28 => fbrd: ReadWrite<u32>),
        /// Line control (latches the divisors when written).
        (0x2c => lcrh: ReadWrite<u32, LCRH::Register>),
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
    /// With no rate set (divisor 0, where a real PL011 may never shift a bit
    /// out; QEMU ignores the rate) it sets 115200 8N1 for the Pi's 48 MHz
    /// UART clock.
    pub fn init(&self) {
        if self.regs.ibrd.get() == 0 {
            // Change the line settings only while disabled (ARM DDI 0183, 3.3.8).
            self.regs.cr.set(0);
            let divisor_64ths = (PI_UART_CLOCK_HZ * 4 + BAUD / 2) / BAUD;
            self.regs.ibrd.set(divisor_64ths / 64);
            self.regs.fbrd.set(divisor_64ths % 64);
            self.regs.lcrh.write(LCRH::WLEN.val(3) + LCRH::FEN::SET);
        }
        self.regs.icr.set(0x7ff);
        self.regs
            .cr
            .write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
    }

    /// The transmit FIFO has room for a byte.
    pub fn can_send(&self) -> bool {
        !self.regs.fr.is_set(FR::TXFF)
    }

    /// Queues `b`; call only when `can_send`.
    pub fn send(&self, b: u8) {
        self.regs.dr.set(u32::from(b));
    }

    /// Every queued byte has left.
    pub fn idle(&self) -> bool {
        !self.regs.fr.is_set(FR::BUSY)
    }
}

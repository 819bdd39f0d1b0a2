//! Device drivers the kernel needs before anything else: the consoles and
//! the Raspberry Pi's power-management watchdog. Register blocks are
//! `tock-registers` structs at addresses the device tree gives.

pub mod bcm2835_pm;
pub mod mini_uart;
pub mod pl011;

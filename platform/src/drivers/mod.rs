//! Device drivers the kernel needs before anything else: the consoles and
//! the Raspberry Pi's power-management watchdog and the GICv2 (`tock-registers`
//! structs at addresses the device tree gives), and the GICv3 bring-up (over
//! `arm-gic`).

pub mod bcm2835_pm;
pub mod gicv2;
pub mod gicv3;
pub mod mini_uart;
pub mod pl011;

//! The kernel binary: `entry.S` (in `platform`) calls `kernel_entry`, which
//! lives in `kernel::boot`. This file only provides the panic handler.
#![no_std]
#![no_main]

use kernel as _;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    platform::console::break_lock();
    platform::println!();
    platform::println!("KERNEL PANIC: {info}");
    platform::power::fail()
}

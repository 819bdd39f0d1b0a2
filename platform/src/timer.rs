//! The EL1 virtual timer: deadlines on the virtual counter, for sleeping and
//! for the interrupt that bounds how long an EL0 program may run.

use aarch64_cpu::registers::{Writeable, CNTV_CTL_EL0, CNTV_CVAL_EL0};

/// Busy-waits until the virtual counter reaches `target` (no interrupt
/// needed, exact under `-icount`).
pub fn sleep_until(target: u64) {
    while crate::arch::cpu::counter() < target {
        core::hint::spin_loop();
    }
}

/// Raises the timer interrupt when the counter reaches `target`.
pub fn arm(target: u64) {
    CNTV_CVAL_EL0.set(target);
    CNTV_CTL_EL0.write(CNTV_CTL_EL0::ENABLE::SET + CNTV_CTL_EL0::IMASK::CLEAR);
}

/// Stops the timer (and drops its interrupt).
pub fn disarm() {
    CNTV_CTL_EL0.write(CNTV_CTL_EL0::ENABLE::CLEAR + CNTV_CTL_EL0::IMASK::SET);
}

//! Time for the system calls: the monotonic clock and sleeping until a
//! deadline on the CPU's timer.

/// Waits until the monotonic clock reaches `deadline_ns`.
pub fn sleep_until_ns(deadline_ns: i64) {
    let freq = u128::from(platform::arch::cpu::counter_frequency());
    let Ok(deadline) = u128::try_from(deadline_ns) else {
        return;
    };
    let ticks = (deadline * freq).div_ceil(1_000_000_000);
    let target = u64::try_from(ticks).unwrap_or(u64::MAX);
    platform::timer::sleep_until(target);
}

//! Ports from EL0: typed wrappers for `zx_port_create`, `zx_port_queue`,
//! `zx_port_wait`, `zx_port_cancel` and `zx_object_wait_async`, and the two
//! views of a packet's payload (`zx_packet_user_t`, `zx_packet_signal_t`),
//! which the ABI crate cannot read without `unsafe`.

use crate::{raw, to_result, Handle, PacketSignal, PortPacket, Status, ZxStatus};

/// `zx_port_create`.
pub fn port_create(options: u32) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    to_result(unsafe { raw::port_create(options, &mut out) })?;
    Ok(out)
}

/// `zx_port_queue`.
pub fn port_queue(port: Handle, packet: &PortPacket) -> Status {
    // SAFETY: `packet` is a live reference.
    to_result(unsafe { raw::port_queue(port, packet) })
}

/// `zx_port_wait`: the packet taken.
pub fn port_wait(port: Handle, deadline: i64) -> Result<PortPacket, ZxStatus> {
    let mut packet = PortPacket::default();
    // SAFETY: `packet` is a live local.
    to_result(unsafe { raw::port_wait(port, deadline, &mut packet) })?;
    Ok(packet)
}

/// `zx_port_cancel`.
pub fn port_cancel(port: Handle, source: Handle, key: u64) -> Status {
    // SAFETY: no pointers.
    to_result(unsafe { raw::port_cancel(port, source, key) })
}

/// `zx_object_wait_async`.
pub fn object_wait_async(h: Handle, port: Handle, key: u64, signals: u32, options: u32) -> Status {
    // SAFETY: no pointers.
    to_result(unsafe { raw::object_wait_async(h, port, key, signals, options) })
}

/// The payload as `zx_packet_user_t` (four `u64`s).
pub fn user_words(p: &PortPacket) -> [u64; 4] {
    // SAFETY: both views of the union are plain data of the same size with
    // no padding; every bit pattern is a valid `[u64; 4]`.
    unsafe { p.payload.user }
}

/// The payload as `zx_packet_signal_t`.
pub fn signal_fields(p: &PortPacket) -> PacketSignal {
    // SAFETY: as for `user_words`: integers only, no padding, so every bit
    // pattern is a valid `PacketSignal`.
    unsafe { p.payload.signal }
}

/// The kernel's heap bytes in use.
pub fn heap_used() -> u64 {
    crate::kernel_stats()[crate::stats::HEAP_USED_BYTES]
}

/// Runs `f(2)` and then `f(1)` (`f(scale)` should do `scale` times as
/// much) and checks that the second run gives back all the kernel heap it
/// took: what ports hold (packets, observers, waiters) must be freed with
/// them. The first, larger run warms up the kernel's lists and tables, and
/// anything it left behind that the second cleans up shows as a
/// difference too. Only when this program runs alone (other programs use
/// the heap as well).
pub fn assert_no_heap_leak(what: &str, mut f: impl FnMut(u64)) {
    f(2);
    let before = heap_used();
    f(1);
    let after = heap_used();
    if crate::kernel_stats()[crate::stats::LIVE_PROCESSES] > 1 {
        crate::println!("{what}: heap check left out (other programs run)");
        return;
    }
    assert_eq!(before, after, "{}: kernel heap bytes before vs after", what);
}

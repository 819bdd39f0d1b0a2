//! Address-space identifiers: each process gets its own, so switching
//! between processes needs no TLB flush; a recycled ASID is flushed first.

use spin::Mutex;

/// 16-bit ASIDs (TCR_EL1.AS); 0 is the kernel's (unused by EL0).
const MAX_ASID: u32 = u16::MAX as u32;

struct Allocator {
    next: u32,
}

static ASIDS: Mutex<Allocator> = Mutex::new(Allocator { next: 1 });

/// A fresh ASID, with no stale TLB entries.
pub fn allocate() -> u16 {
    let mut a = ASIDS.lock();
    if a.next > MAX_ASID {
        // Wrapped: every ASID may have entries from dead processes.
        platform::arch::mmu::flush_all_tlbs();
        a.next = 1;
    }
    let asid = a.next as u16;
    a.next += 1;
    asid
}

/// Drops what the TLB holds for `asid` when its address space goes away.
pub fn release(asid: u16) {
    platform::arch::cpu::flush_asid(asid);
}

//! EL0 translation tables (TTBR0): a 4-level, 4 KiB-granule table per
//! process, walked by hand because the fault path installs one page at a time
//! and must stay a few dozen instructions. Table pages come from the caller
//! (the kernel's page allocator) and are reached through the linear map.

use crate::layout::phys_to_virt;

const ENTRIES: usize = 512;
const VALID: u64 = 1 << 0;
const TABLE: u64 = 1 << 1; // table (levels 0-2) or page (level 3)
/// MAIR attribute indexes (entry.S's MAIR_VALUE), in bits 4:2.
const ATTR_DEVICE: u64 = 0 << 2; // index 0: Device-nGnRE
const ATTR_NORMAL: u64 = 1 << 2; // index 1: normal write-back
const ATTR_NORMAL_NC: u64 = 2 << 2; // index 2: normal non-cacheable
const ATTR_MASK: u64 = 7 << 2;
const AP_EL0: u64 = 1 << 6; // EL0 may access
const AP_RO: u64 = 1 << 7;
const SH_INNER: u64 = 3 << 8;
const AF: u64 = 1 << 10;
const NG: u64 = 1 << 11; // tagged with the ASID
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;
const ADDR_MASK: u64 = 0x0000_ffff_ffff_f000;

/// The memory type of an EL0 page (a VMO's cache policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MemoryType {
    /// Normal write-back memory (`ZX_CACHE_POLICY_CACHED`).
    #[default]
    Cached,
    /// Normal non-cacheable memory (`ZX_CACHE_POLICY_WRITE_COMBINING`).
    WriteCombining,
    /// Device-nGnRE memory, never executable (`ZX_CACHE_POLICY_UNCACHED`
    /// and `_UNCACHED_DEVICE`).
    Device,
}

/// Access an EL0 page allows, and its memory type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct UserPerms {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
    pub memory: MemoryType,
}

impl UserPerms {
    /// Whether `other` allows every access `self` allows.
    pub fn within(&self, other: &UserPerms) -> bool {
        (!self.read || other.read)
            && (!self.write || other.write)
            && (!self.execute || other.execute)
    }

    fn descriptor_bits(self) -> u64 {
        let attr = match self.memory {
            MemoryType::Cached => ATTR_NORMAL,
            MemoryType::WriteCombining => ATTR_NORMAL_NC,
            MemoryType::Device => ATTR_DEVICE,
        };
        let mut bits = VALID | TABLE | attr | SH_INNER | AF | NG | PXN;
        if self.read || self.write || self.execute {
            bits |= AP_EL0;
        }
        if !self.write {
            bits |= AP_RO;
        }
        if !self.execute || self.memory == MemoryType::Device {
            bits |= UXN;
        }
        bits
    }

    fn from_descriptor(d: u64) -> Self {
        Self {
            read: d & AP_EL0 != 0,
            write: d & AP_EL0 != 0 && d & AP_RO == 0,
            execute: d & UXN == 0,
            memory: match d & ATTR_MASK {
                ATTR_NORMAL => MemoryType::Cached,
                ATTR_NORMAL_NC => MemoryType::WriteCombining,
                _ => MemoryType::Device,
            },
        }
    }
}

/// Where translation-table pages come from and go back to.
pub trait TableAllocator {
    /// A zeroed 4 KiB page, by physical address.
    fn alloc_table(&mut self) -> Option<u64>;
    /// Returns a page obtained from `alloc_table`.
    fn free_table(&mut self, pa: u64);
}

/// One EL0 address space's tables. Leaf pages belong to VMOs, not to the
/// table: unmapping only forgets them.
pub struct UserPageTable {
    root: u64,
}

/// The table could not get a page for a new level.
#[derive(Debug, PartialEq, Eq)]
pub struct NoTableMemory;

/// Why `map` refused.
#[derive(Debug, PartialEq, Eq)]
pub enum MapError {
    /// No page for a new table level.
    NoTableMemory,
    /// A live entry maps another page there: the architecture requires
    /// break-before-make (unmap, invalidate the TLB, then map), which is the
    /// caller's job because only it knows who else may hold the old page.
    BreakBeforeMake,
}

/// Table pages freed by an unmap wait here until the TLB no longer holds
/// walks through them; a full batch forces an early invalidation.
struct DeferredTables {
    pages: [u64; 16],
    len: usize,
}

fn entries(table_pa: u64) -> *mut u64 {
    phys_to_virt(table_pa) as *mut u64
}

fn read_entry(table_pa: u64, index: usize) -> u64 {
    debug_assert!(index < ENTRIES);
    // SAFETY: `table_pa` is a table page this address space owns (allocated
    // through `TableAllocator`, mapped by the linear map) and `index` < 512.
    unsafe { entries(table_pa).add(index).read_volatile() }
}

fn write_entry(table_pa: u64, index: usize, value: u64) {
    debug_assert!(index < ENTRIES);
    // SAFETY: as in `read_entry`; the walker sees the new value after the
    // barrier that `map`/`unmap` issue.
    unsafe { entries(table_pa).add(index).write_volatile(value) }
}

/// Clears the leaves of `[start, end)` below `table` (a level-`level` table
/// covering `start`) and unlinks sub-tables that end up empty; they are
/// freed only after the TLB invalidation (`deferred`).
fn unmap_level(
    table: u64,
    level: u32,
    start: u64,
    end: u64,
    deferred: &mut DeferredTables,
    flush: &mut dyn FnMut(&mut DeferredTables),
) -> usize {
    let span = 1u64 << (39 - 9 * level); // bytes one entry covers
    let mut count = 0;
    let mut addr = start;
    while addr < end {
        let i = index(addr, level);
        let entry_end = (addr & !(span - 1)).saturating_add(span).min(end);
        let e = read_entry(table, i);
        if e & VALID != 0 {
            if level == 3 {
                write_entry(table, i, 0);
                count += 1;
            } else {
                let next = e & ADDR_MASK;
                count += unmap_level(next, level + 1, addr, entry_end, deferred, flush);
                if table_is_empty(next) {
                    write_entry(table, i, 0);
                    if deferred.len == deferred.pages.len() {
                        flush(deferred);
                    }
                    deferred.pages[deferred.len] = next;
                    deferred.len += 1;
                }
            }
        }
        if entry_end == addr {
            break;
        }
        addr = entry_end;
    }
    count
}

fn table_is_empty(table: u64) -> bool {
    // SAFETY: as in `read_entry`; the entries change only through this
    // address space's `&mut self` calls (one of which runs this), so a
    // shared view of the page while it is read is sound. Read as plain
    // memory, eight entries are or-ed in a few paired loads: emptiness is
    // proved by reading all 512.
    let entries = unsafe { &*(entries(table) as *const [u64; ENTRIES]) };
    entries
        .chunks_exact(8)
        .all(|c| c.iter().fold(0, |acc, e| acc | e) & VALID == 0)
}

fn index(va: u64, level: u32) -> usize {
    ((va >> (39 - 9 * level)) & 0x1ff) as usize
}

impl UserPageTable {
    /// An empty address space.
    pub fn new(alloc: &mut dyn TableAllocator) -> Result<Self, NoTableMemory> {
        let root = alloc.alloc_table().ok_or(NoTableMemory)?;
        Ok(Self { root })
    }

    /// Physical address of the level-0 table, for TTBR0.
    pub fn root(&self) -> u64 {
        self.root
    }

    /// Maps the page at `va` to physical page `pa`. An entry already there
    /// for the same page may change its access (returns true: the caller
    /// then flushes the TLB entry) or be exactly the one asked for (false,
    /// nothing written); one for another page is refused with
    /// `BreakBeforeMake`.
    pub fn map(
        &mut self,
        va: u64,
        pa: u64,
        perms: UserPerms,
        alloc: &mut dyn TableAllocator,
    ) -> Result<bool, MapError> {
        let mut table = self.root;
        for level in 0..3 {
            let i = index(va, level);
            let e = read_entry(table, i);
            table = if e & VALID != 0 {
                e & ADDR_MASK
            } else {
                let next = alloc.alloc_table().ok_or(MapError::NoTableMemory)?;
                write_entry(table, i, next | VALID | TABLE);
                next
            };
        }
        let old = read_entry(table, index(va, 3));
        if old & VALID != 0 && old & ADDR_MASK != pa & ADDR_MASK {
            return Err(MapError::BreakBeforeMake);
        }
        let new = (pa & ADDR_MASK) | perms.descriptor_bits();
        if old == new {
            return Ok(false);
        }
        write_entry(table, index(va, 3), new);
        super::cpu::table_write_barrier();
        Ok(old & VALID != 0)
    }

    /// The level-3 table covering `va`, if one exists.
    fn leaf_table(&self, va: u64) -> Option<u64> {
        let mut table = self.root;
        for level in 0..3 {
            let e = read_entry(table, index(va, level));
            if e & VALID == 0 {
                return None;
            }
            table = e & ADDR_MASK;
        }
        Some(table)
    }

    /// The physical page and access behind `va`, if mapped.
    pub fn lookup(&self, va: u64) -> Option<(u64, UserPerms)> {
        let table = self.leaf_table(va)?;
        let e = read_entry(table, index(va, 3));
        (e & VALID != 0).then(|| (e & ADDR_MASK, UserPerms::from_descriptor(e)))
    }

    /// Unmaps every page in `[va, va + len)`, invalidates the TLB entries
    /// of `asid` for them on every core, and only then frees the table pages
    /// left empty; returns how many pages were mapped. When this returns, no
    /// core can reach any page of the range through this table.
    pub fn unmap(&mut self, va: u64, len: u64, asid: u16, alloc: &mut dyn TableAllocator) -> usize {
        let start = va & !0xfff;
        let end = va.saturating_add(len).min(1 << 48);
        let mut deferred = DeferredTables {
            pages: [0; 16],
            len: 0,
        };
        let mut invalidate = |d: &mut DeferredTables| {
            super::cpu::table_write_barrier();
            super::cpu::flush_user_range(asid, start, end);
            for &pa in &d.pages[..d.len] {
                alloc.free_table(pa);
            }
            d.len = 0;
        };
        let count = unmap_level(self.root, 0, start, end, &mut deferred, &mut invalidate);
        if count > 0 || deferred.len > 0 {
            invalidate(&mut deferred);
        }
        count
    }

    /// Frees every table page. Leaf pages are left to their owners.
    pub fn destroy(self, alloc: &mut dyn TableAllocator) {
        fn free_level(table: u64, level: u32, alloc: &mut dyn TableAllocator) {
            if level < 3 {
                for i in 0..ENTRIES {
                    let e = read_entry(table, i);
                    if e & VALID != 0 {
                        free_level(e & ADDR_MASK, level + 1, alloc);
                    }
                }
            }
            alloc.free_table(table);
        }
        free_level(self.root, 0, alloc);
    }
}

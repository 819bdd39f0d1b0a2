//! Physical addresses as a type: explicit arithmetic, page numbers and
//! offsets. Pure data; `phys` gives access to the bytes behind them.

use core::fmt;
use zx_abi::PAGE_SIZE;

const PAGE_SHIFT: u32 = PAGE_SIZE.trailing_zeros();

/// A physical address. Arithmetic is explicit (`checked_add`, `align_up`) so
/// that no overflow goes unnoticed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhysAddr(u64);

impl PhysAddr {
    /// The address `raw`.
    pub const fn new(raw: u64) -> Self {
        Self(raw)
    }

    /// The raw value, e.g. for a page-table entry.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The first byte of page number `pfn`.
    pub const fn from_page_number(pfn: u64) -> Self {
        Self(pfn << PAGE_SHIFT)
    }

    /// The number of the page this address falls in.
    pub const fn page_number(self) -> u64 {
        self.0 >> PAGE_SHIFT
    }

    /// The offset of this address inside its page.
    pub const fn page_offset(self) -> u64 {
        self.0 & (PAGE_SIZE - 1)
    }

    /// Whether this is the first byte of a page.
    pub const fn is_page_aligned(self) -> bool {
        self.page_offset() == 0
    }

    /// The start of the page this address falls in.
    pub const fn align_down(self) -> Self {
        Self(self.0 & !(PAGE_SIZE - 1))
    }

    /// The first page boundary at or above this address; `None` past the top
    /// of the address space.
    pub const fn align_up(self) -> Option<Self> {
        match self.0.checked_add(PAGE_SIZE - 1) {
            Some(v) => Some(Self(v & !(PAGE_SIZE - 1))),
            None => None,
        }
    }

    /// `self + bytes`, or `None` on overflow.
    pub const fn checked_add(self, bytes: u64) -> Option<Self> {
        match self.0.checked_add(bytes) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }
}

impl fmt::Debug for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhysAddr({:#x})", self.0)
    }
}

impl fmt::Display for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

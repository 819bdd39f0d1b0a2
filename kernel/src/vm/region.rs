//! Where mappings sit in an address space, as pure data: the set of
//! non-overlapping extents ordered by base, the search for a free gap
//! (first fit, aligned, within bounds), overlap tests, and how an unmap
//! range cuts an extent into what survives on either side. The address
//! space keeps its mappings in a [`Regions`]; everything here runs under
//! `cargo test` on the host.

use alloc::collections::BTreeMap;
use core::ops::Range;

/// Something occupying `[base, end)`.
pub trait Extent {
    fn base(&self) -> u64;
    fn end(&self) -> u64;
}

/// Non-overlapping extents, by base address.
pub struct Regions<T> {
    by_base: BTreeMap<u64, T>,
}

impl<T> Default for Regions<T> {
    fn default() -> Self {
        Self {
            by_base: BTreeMap::new(),
        }
    }
}

impl<T: Extent> Regions<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The extent containing `va`.
    pub fn find(&self, va: u64) -> Option<&T> {
        self.by_base
            .range(..=va)
            .next_back()
            .map(|(_, m)| m)
            .filter(|m| va < m.end())
    }

    /// Whether any extent intersects `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.by_base
            .range(..end)
            .next_back()
            .is_some_and(|(_, m)| m.end() > start)
    }

    /// The lowest `align`-aligned address `a` in `[lo, hi)` with `[a, a +
    /// len)` free and inside `[lo, hi)`; `align` is a power of two.
    pub fn find_gap(&self, lo: u64, hi: u64, len: u64, align: u64) -> Option<u64> {
        debug_assert!(align.is_power_of_two());
        let up = |x: u64| x.checked_add(align - 1).map(|v| v & !(align - 1));
        let mut candidate = up(lo)?;
        // An extent that starts before `candidate` may still cover it.
        if let Some((_, m)) = self.by_base.range(..candidate).next_back() {
            if m.end() > candidate {
                candidate = up(m.end())?;
            }
        }
        for (_, m) in self.by_base.range(candidate..) {
            if candidate.checked_add(len)? <= m.base() {
                break;
            }
            candidate = candidate.max(up(m.end())?);
        }
        (candidate.checked_add(len)? <= hi).then_some(candidate)
    }

    /// Adds an extent; the caller has checked that it overlaps none.
    pub fn insert(&mut self, item: T) {
        debug_assert!(!self.overlaps(item.base(), item.end()));
        self.by_base.insert(item.base(), item);
    }

    /// The base of the highest extent that intersects `[start, end)`.
    pub fn last_intersecting(&self, start: u64, end: u64) -> Option<u64> {
        self.by_base
            .range(..end)
            .next_back()
            .filter(|(_, m)| m.end() > start)
            .map(|(base, _)| *base)
    }

    /// The extents that intersect `[start, end)`, in address order.
    pub fn intersecting(&self, start: u64, end: u64) -> impl Iterator<Item = &T> {
        let first = self
            .by_base
            .range(..start)
            .next_back()
            .map(|(_, m)| m)
            .filter(|m| m.end() > start && start < end);
        first
            .into_iter()
            .chain(self.by_base.range(start..end.max(start)).map(|(_, m)| m))
    }

    pub fn remove(&mut self, base: u64) -> Option<T> {
        self.by_base.remove(&base)
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.by_base.values()
    }

    pub fn len(&self) -> usize {
        self.by_base.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_base.is_empty()
    }

    /// Takes every extent out.
    pub fn take_all(&mut self) -> Self {
        core::mem::take(self)
    }
}

/// What an unmap of `[lo, hi)` leaves of the extent `[base, end)`: the
/// piece below the cut and the piece above it (each `None` when empty).
pub fn surviving_pieces(
    base: u64,
    end: u64,
    lo: u64,
    hi: u64,
) -> (Option<Range<u64>>, Option<Range<u64>>) {
    let (cut_lo, cut_hi) = (lo.max(base), hi.min(end));
    if cut_lo >= cut_hi {
        return (Some(base..end), None);
    }
    let left = (base < cut_lo).then_some(base..cut_lo);
    let right = (cut_hi < end).then_some(cut_hi..end);
    (left, right)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct E(u64, u64);
    impl Extent for E {
        fn base(&self) -> u64 {
            self.0
        }
        fn end(&self) -> u64 {
            self.1
        }
    }

    const P: u64 = 4096;

    fn regions(extents: &[(u64, u64)]) -> Regions<E> {
        let mut r = Regions::new();
        for &(b, e) in extents {
            r.insert(E(b, e));
        }
        r
    }

    #[test]
    fn find_and_overlap_edges() {
        let r = regions(&[(10 * P, 12 * P), (20 * P, 21 * P)]);
        assert!(r.find(10 * P).is_some());
        assert!(r.find(12 * P - 1).is_some());
        assert!(r.find(12 * P).is_none(), "end is exclusive");
        assert!(r.find(9 * P).is_none());
        assert!(!r.overlaps(12 * P, 20 * P), "the gap between");
        assert!(r.overlaps(11 * P, 13 * P));
        assert!(r.overlaps(0, 10 * P + 1));
        assert!(!r.overlaps(0, 10 * P));
        assert!(r.overlaps(20 * P + 5, 20 * P + 6));
    }

    #[test]
    fn gaps_first_fit_aligned_and_bounded() {
        let r = regions(&[(0x10 * P, 0x12 * P), (0x13 * P, 0x20 * P)]);
        // The hole of one page between the two.
        assert_eq!(r.find_gap(0x10 * P, 0x100 * P, P, P), Some(0x12 * P));
        // Two pages do not fit there: after the second.
        assert_eq!(r.find_gap(0x10 * P, 0x100 * P, 2 * P, P), Some(0x20 * P));
        // Alignment skips forward.
        assert_eq!(r.find_gap(0x10 * P, 0x100 * P, P, 0x10 * P), Some(0x20 * P));
        assert_eq!(r.find_gap(0, 0x100 * P, P, 0x40 * P), Some(0));
        // The upper bound holds.
        assert_eq!(r.find_gap(0x10 * P, 0x21 * P, 2 * P, P), None);
        assert_eq!(r.find_gap(0x10 * P, 0x22 * P, 2 * P, P), Some(0x20 * P));
        // A start inside an extent moves past it.
        assert_eq!(r.find_gap(0x11 * P, 0x100 * P, P, P), Some(0x12 * P));
        // Near the top of the address space nothing wraps.
        let top = u64::MAX - P + 1;
        assert_eq!(r.find_gap(top, u64::MAX, 2 * P, P), None);
        assert_eq!(r.find_gap(u64::MAX - 5, u64::MAX, P, P), None);
    }

    #[test]
    fn last_intersecting_walks_down() {
        let mut r = regions(&[(P, 2 * P), (3 * P, 4 * P), (5 * P, 6 * P)]);
        let mut seen = alloc::vec::Vec::new();
        while let Some(b) = r.last_intersecting(P + 1, 5 * P + 1) {
            seen.push(b);
            r.remove(b);
        }
        assert_eq!(seen, [5 * P, 3 * P, P]);
        assert!(r.is_empty());
    }

    #[test]
    fn intersecting_in_order_from_the_one_across_start() {
        let r = regions(&[(P, 3 * P), (3 * P, 4 * P), (6 * P, 7 * P)]);
        let bases = |a, b| {
            r.intersecting(a, b)
                .map(|e| e.0)
                .collect::<alloc::vec::Vec<_>>()
        };
        assert_eq!(bases(2 * P, 7 * P), [P, 3 * P, 6 * P]);
        assert_eq!(bases(3 * P, 6 * P), [3 * P]);
        assert_eq!(bases(4 * P, 6 * P), [] as [u64; 0]);
        assert_eq!(bases(2 * P, 2 * P), [] as [u64; 0]);
        assert_eq!(bases(7 * P, 2 * P), [] as [u64; 0]);
    }

    #[test]
    fn unmap_cuts() {
        // Middle: two pieces.
        assert_eq!(
            surviving_pieces(0, 10 * P, 3 * P, 5 * P),
            (Some(0..3 * P), Some(5 * P..10 * P))
        );
        // The whole extent: nothing.
        assert_eq!(surviving_pieces(2 * P, 4 * P, 0, 10 * P), (None, None));
        // The low end, the high end.
        assert_eq!(
            surviving_pieces(2 * P, 4 * P, 0, 3 * P),
            (None, Some(3 * P..4 * P))
        );
        assert_eq!(
            surviving_pieces(2 * P, 4 * P, 3 * P, 9 * P),
            (Some(2 * P..3 * P), None)
        );
        // A range that misses leaves it whole.
        assert_eq!(
            surviving_pieces(2 * P, 4 * P, 4 * P, 9 * P),
            (Some(2 * P..4 * P), None)
        );
    }
}

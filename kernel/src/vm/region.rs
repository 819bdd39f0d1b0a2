//! Where mappings sit in an address space, as pure data: the set of
//! non-overlapping extents ordered by base, the search for a free gap
//! (first fit, aligned, within bounds), overlap tests, and how an unmap
//! range cuts an extent into what survives on either side. The address
//! space keeps its mappings in a [`Regions`], and each region its
//! sub-regions; everything here runs under `cargo test` on the host.
//!
//! The set is an AVL tree ordered by base in which every node also records,
//! for its subtree, the lowest base, the highest end and the largest free
//! gap between two neighbouring extents. The gap search skips every subtree
//! that cannot hold the request, so choosing an address costs a walk down
//! the tree, not a walk over every extent (which it did when the set was a
//! `BTreeMap`: 10 000 mappings made each kernel-chosen map 80 times dearer).
//! The result is the same as that walk's: the lowest aligned address that
//! fits. Iteration uses a fixed stack, never the heap.
//!
//! Two things keep the common case cheaper than that walk down:
//! - the set remembers one run of addresses its extents cover without a
//!   hole, starting where searches start (`Regions::covered`); a search
//!   from inside it tries the first address past it with one lookup;
//! - inserts and removals rebalance in place on the way back up, one
//!   inlined recomputation per level, with rotations out of line.

use alloc::boxed::Box;
use core::ops::Range;
use core::sync::atomic::{AtomicU64, Ordering};

/// Something occupying `[base, end)`.
pub trait Extent {
    fn base(&self) -> u64;
    fn end(&self) -> u64;
}

type Link<T> = Option<Box<Node<T>>>;

struct Node<T> {
    item: T,
    left: Link<T>,
    right: Link<T>,
    /// The subtree's lowest base and highest end (extents never overlap:
    /// the end of its last extent).
    lo: u64,
    hi: u64,
    /// The largest free space between neighbouring extents of the subtree.
    gap: u64,
    height: u8,
}

fn height<T>(l: &Link<T>) -> u8 {
    l.as_ref().map_or(0, |n| n.height)
}

impl<T: Extent> Node<T> {
    fn leaf(item: T) -> Box<Self> {
        let (lo, hi) = (item.base(), item.end());
        Box::new(Self {
            item,
            left: None,
            right: None,
            lo,
            hi,
            gap: 0,
            height: 1,
        })
    }

    /// The child subtree where an extent based at `base` belongs.
    #[inline(always)]
    fn side(&mut self, base: u64) -> &mut Link<T> {
        if base < self.item.base() {
            &mut self.left
        } else {
            &mut self.right
        }
    }

    /// Recomputes the subtree facts from the children's.
    fn update(&mut self) {
        self.refresh();
    }

    /// [`Self::update`], answering whether the node is still balanced (its
    /// children's heights differ by at most one).
    #[inline(always)]
    fn refresh(&mut self) -> bool {
        let (base, end) = (self.item.base(), self.item.end());
        let (mut lo, mut hi, mut gap, mut hl, mut hr) = (base, end, 0, 0, 0);
        if let Some(l) = &self.left {
            lo = l.lo;
            gap = gap.max(l.gap).max(base - l.hi);
            hl = l.height;
        }
        if let Some(r) = &self.right {
            hi = r.hi;
            gap = gap.max(r.gap).max(r.lo - end);
            hr = r.height;
        }
        (self.lo, self.hi, self.gap, self.height) = (lo, hi, gap, hl.max(hr) + 1);
        hl <= hr + 1 && hr <= hl + 1
    }
}

fn rotate_right<T: Extent>(mut n: Box<Node<T>>) -> Box<Node<T>> {
    let mut l = n.left.take().expect("a left child to rotate");
    n.left = l.right.take();
    n.update();
    l.right = Some(n);
    l.update();
    l
}

fn rotate_left<T: Extent>(mut n: Box<Node<T>>) -> Box<Node<T>> {
    let mut r = n.right.take().expect("a right child to rotate");
    n.right = r.left.take();
    n.update();
    r.left = Some(n);
    r.update();
    r
}

/// Restores the AVL balance at `n` (its children are balanced) and its
/// subtree facts.
fn balance<T: Extent>(mut n: Box<Node<T>>) -> Box<Node<T>> {
    n.update();
    let (hl, hr) = (height(&n.left), height(&n.right));
    if hl > hr + 1 {
        let l = n.left.take().expect("taller left");
        n.left = Some(if height(&l.left) < height(&l.right) {
            rotate_left(l)
        } else {
            l
        });
        return rotate_right(n);
    }
    if hr > hl + 1 {
        let r = n.right.take().expect("taller right");
        n.right = Some(if height(&r.right) < height(&r.left) {
            rotate_right(r)
        } else {
            r
        });
        return rotate_left(n);
    }
    n
}

/// Refreshes the facts of the node in `link` (its children are balanced)
/// and rotates it back into balance in the rare case it left it. Every
/// level of an insert or a removal runs this on the way back up, so the
/// common case is one inlined recomputation, not a call.
#[inline(always)]
fn fix<T: Extent>(link: &mut Link<T>) {
    if link.as_mut().is_some_and(|n| !n.refresh()) {
        *link = link.take().map(balance);
    }
}

fn insert<T: Extent>(link: &mut Link<T>, item: T) {
    let Some(n) = link.as_mut() else {
        return place_leaf(link, item);
    };
    insert(n.side(item.base()), item);
    fix(link);
}

/// The new leaf at the bottom of [`insert`]'s descent. Kept out of the
/// recursion so that its frames stay small.
#[inline(never)]
fn place_leaf<T: Extent>(link: &mut Link<T>, item: T) {
    *link = Some(Node::leaf(item));
}

/// Takes the lowest node out of the subtree in `link` (not empty).
fn take_min<T: Extent>(link: &mut Link<T>) -> Box<Node<T>> {
    let n = link.as_mut().expect("a subtree to take from");
    if n.left.is_some() {
        let min = take_min(&mut n.left);
        fix(link);
        return min;
    }
    let mut min = link.take().expect("checked above");
    *link = min.right.take();
    min
}

fn remove<T: Extent>(link: &mut Link<T>, base: u64) -> Option<T> {
    let n = link.as_mut()?;
    if base == n.item.base() {
        return unlink(link);
    }
    // `found` is passed up as it is: unwrapping it at every level would
    // copy the extent once per level.
    let found = remove(n.side(base), base);
    if found.is_some() {
        fix(link);
    }
    found
}

/// Takes the node in `link` out of the tree, its place taken by its
/// successor. Kept out of [`remove`] so that the recursion's frames stay
/// small.
#[inline(never)]
fn unlink<T: Extent>(link: &mut Link<T>) -> Option<T> {
    let mut n = link.take()?;
    *link = match (n.left.take(), n.right.take()) {
        (None, None) => None,
        (Some(c), None) | (None, Some(c)) => Some(c),
        (Some(l), Some(r)) => {
            let mut rest = Some(r);
            let mut min = take_min(&mut rest);
            min.left = Some(l);
            min.right = rest;
            Some(balance(min))
        }
    };
    Some(n.item)
}

/// Where [`Regions::find_gap`]'s walk stands after a subtree.
enum Walk {
    Found(u64),
    /// Nothing at or after this point can fit.
    Stop,
    /// No fit inside; the free space now starts here.
    After(u64),
}

/// The gap search's fixed inputs.
struct Want {
    /// The highest start that still ends inside the bounds.
    last: u64,
    len: u64,
    /// `align - 1`.
    mask: u64,
}

impl Want {
    /// The lowest aligned start at or after `from`, while one can still
    /// end inside the bounds (`from` only grows, so `None` ends the search).
    #[inline(always)]
    fn start(&self, from: u64) -> Option<u64> {
        let a = from.checked_add(self.mask)? & !self.mask;
        (a <= self.last).then_some(a)
    }

    /// What entering subtree `n` with free space from `from` gives, before
    /// its extents are looked at: a fit below its lowest base, the end of
    /// the search, `Some(After)` when no gap inside it is large enough (it
    /// is skipped), or `None` when it must be walked.
    #[inline(always)]
    fn enter<T: Extent>(&self, n: &Node<T>, from: u64) -> Option<Walk> {
        if n.hi <= from {
            return Some(Walk::After(from));
        }
        let Some(a) = self.start(from) else {
            return Some(Walk::Stop);
        };
        if a + self.len <= n.lo {
            return Some(Walk::Found(a));
        }
        (n.gap < self.len).then_some(Walk::After(n.hi))
    }

    /// The first fit inside subtree `n`, which [`Self::enter`] said must be
    /// walked, with the free space starting at `from`. The left children
    /// are walked by recursion and the right ones by the loop; `from` stays
    /// in a register.
    fn walk<T: Extent>(&self, mut n: &Node<T>, mut from: u64) -> Walk {
        loop {
            // Entering `n` already ruled out a fit below `n.lo`, which is
            // also its left subtree's lowest base: only its gaps remain.
            if let Some(l) = n.left.as_deref() {
                if l.hi > from {
                    if l.gap < self.len {
                        from = l.hi;
                    } else {
                        match self.walk(l, from) {
                            Walk::After(f) => from = f,
                            done => return done,
                        }
                    }
                }
            }
            let Some(a) = self.start(from) else {
                return Walk::Stop;
            };
            if a + self.len <= n.item.base() {
                return Walk::Found(a);
            }
            from = from.max(n.item.end());
            let Some(r) = n.right.as_deref() else {
                return Walk::After(from);
            };
            match self.enter(r, from) {
                None => n = r,
                Some(done) => return done,
            }
        }
    }
}

/// The deepest an AVL tree of this many extents can be, with room to spare
/// (an AVL tree of height 64 holds more than 2^44 nodes).
const MAX_DEPTH: usize = 64;

/// In-order iteration from a point, with the path kept in a fixed array.
pub struct Iter<'a, T> {
    stack: [Option<&'a Node<T>>; MAX_DEPTH],
    depth: usize,
}

impl<'a, T: Extent> Iter<'a, T> {
    /// The extents whose base is at least `from`, in order.
    fn from(root: &'a Link<T>, from: u64) -> Self {
        let mut it = Self {
            stack: [None; MAX_DEPTH],
            depth: 0,
        };
        let mut at = root.as_deref();
        while let Some(n) = at {
            if n.item.base() >= from {
                it.push(n);
                at = n.left.as_deref();
            } else {
                at = n.right.as_deref();
            }
        }
        it
    }

    fn push(&mut self, n: &'a Node<T>) {
        self.stack[self.depth] = Some(n);
        self.depth += 1;
    }
}

impl<'a, T: Extent> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        if self.depth == 0 {
            return None;
        }
        self.depth -= 1;
        let n = self.stack[self.depth].take()?;
        let mut at = n.right.as_deref();
        while let Some(c) = at {
            self.push(c);
            at = c.left.as_deref();
        }
        Some(&n.item)
    }
}

/// Non-overlapping extents, by base address.
pub struct Regions<T> {
    root: Link<T>,
    len: usize,
    /// A run of addresses that extents cover without a hole, grown by
    /// inserts at its end and cut back by removals inside it (empty when
    /// `start == end`). A gap search whose lower bound falls inside it
    /// starts past it: first-fit placement fills an address space from its
    /// lower bound upwards, so the run is usually what lies between the
    /// bound and the first hole. Without it the search walks two paths, one
    /// down to the bound (through every subtree whose largest gap lies below
    /// the bound, such as the one between a program's image and the default
    /// map base) and one to the fit.
    ///
    /// Only [`Self::insert`] and [`Self::remove`] change it; the
    /// address space's lock serialises them with the searches.
    covered: Range<u64>,
    /// The lower bound of the latest gap search: an extent inserted there
    /// starts a new run. An atomic only so that the set can be shared
    /// (faults read the mappings together); the searches that set it run
    /// under the address space's lock held alone, so relaxed is enough.
    bound: AtomicU64,
}

impl<T> Default for Regions<T> {
    fn default() -> Self {
        Self {
            root: None,
            len: 0,
            covered: 0..0,
            bound: AtomicU64::new(0),
        }
    }
}

impl<T: Extent> Regions<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The extent with the highest base for which `below(base)` holds
    /// (`below` holds for every base up to some point, and for none after).
    fn last_where(&self, below: impl Fn(u64) -> bool) -> Option<&T> {
        let mut best = None;
        let mut at = self.root.as_deref();
        while let Some(n) = at {
            if below(n.item.base()) {
                best = Some(&n.item);
                at = n.right.as_deref();
            } else {
                at = n.left.as_deref();
            }
        }
        best
    }

    /// The extent with the highest base below `end`.
    fn before(&self, end: u64) -> Option<&T> {
        self.last_where(|base| base < end)
    }

    /// The extent containing `va`.
    pub fn find(&self, va: u64) -> Option<&T> {
        self.last_where(|base| base <= va).filter(|m| va < m.end())
    }

    /// Whether any extent intersects `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.before(end).is_some_and(|m| m.end() > start)
    }

    /// The lowest `align`-aligned address `a` in `[lo, hi)` with `[a, a +
    /// len)` free and inside `[lo, hi)`; `align` is a power of two.
    pub fn find_gap(&self, lo: u64, hi: u64, len: u64, align: u64) -> Option<u64> {
        debug_assert!(align.is_power_of_two());
        let want = Want {
            last: hi.checked_sub(len)?,
            len,
            mask: align - 1,
        };
        self.bound.store(lo, Ordering::Relaxed);
        let lo = if self.covered.contains(&lo) {
            // No fit starts inside the run, so the first candidate after it
            // is the answer if it is free: one lookup, not a walk.
            let a = want.start(self.covered.end)?;
            if !self.overlaps(a, a + len) {
                return Some(a);
            }
            self.covered.end
        } else {
            lo
        };
        let from = match self.root.as_deref() {
            None => lo,
            Some(root) => match want.enter(root, lo).unwrap_or_else(|| want.walk(root, lo)) {
                Walk::Found(a) => return Some(a),
                Walk::Stop => return None,
                Walk::After(from) => from,
            },
        };
        // After the last extent: `start` keeps the end inside the bounds.
        want.start(from)
    }

    /// Adds an extent; the caller has checked that it overlaps none.
    pub fn insert(&mut self, item: T) {
        debug_assert!(!self.overlaps(item.base(), item.end()));
        if item.base() == self.covered.end && !self.covered.is_empty() {
            self.covered.end = item.end();
        } else if item.base() == self.bound.load(Ordering::Relaxed) || self.covered.is_empty() {
            self.covered = item.base()..item.end();
        }
        insert(&mut self.root, item);
        self.len += 1;
    }

    /// The base of the highest extent that intersects `[start, end)`.
    pub fn last_intersecting(&self, start: u64, end: u64) -> Option<u64> {
        self.before(end)
            .filter(|m| m.end() > start)
            .map(|m| m.base())
    }

    /// The extents that intersect `[start, end)`, in address order.
    pub fn intersecting(&self, start: u64, end: u64) -> impl Iterator<Item = &T> {
        let first = self
            .before(start)
            .filter(|m| m.end() > start && start < end);
        let end = end.max(start);
        first
            .into_iter()
            .chain(Iter::from(&self.root, start).take_while(move |m| m.base() < end))
    }

    pub fn remove(&mut self, base: u64) -> Option<T> {
        let found = remove(&mut self.root, base)?;
        self.len -= 1;
        if found.end() > self.covered.start && base < self.covered.end {
            // What stays covered is the part below the removed extent.
            self.covered.end = base.max(self.covered.start);
        }
        Some(found)
    }

    /// Every extent, in address order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        Iter::from(&self.root, 0)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
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

    /// The first-fit walk over every extent that the tree replaced: the
    /// reference the tree's answers must equal.
    fn linear_gap(sorted: &[(u64, u64)], lo: u64, hi: u64, len: u64, align: u64) -> Option<u64> {
        let up = |x: u64| x.checked_add(align - 1).map(|v| v & !(align - 1));
        let mut candidate = up(lo)?;
        for &(b, e) in sorted {
            if e <= candidate {
                continue;
            }
            if candidate.checked_add(len)? <= b {
                break;
            }
            candidate = candidate.max(up(e)?);
        }
        (candidate.checked_add(len)? <= hi).then_some(candidate)
    }

    #[test]
    fn tree_matches_the_linear_walk_under_random_changes() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut r: Regions<E> = Regions::new();
        let mut model: alloc::vec::Vec<(u64, u64)> = alloc::vec::Vec::new();
        for step in 0..4000 {
            let mut base = rand(512) * P;
            let mut end = base + (1 + rand(8)) * P;
            if rand(2) == 0 {
                // First fit from one of a few bounds, as the address space
                // places mappings: this is what grows the covered run.
                let (lo, len) = ([0, 40 * P, 300 * P][rand(3) as usize], (1 + rand(3)) * P);
                let fit = r.find_gap(lo, 600 * P, len, P);
                assert_eq!(fit, linear_gap(&model, lo, 600 * P, len, P), "step {step}");
                if let Some(a) = fit {
                    (base, end) = (a, a + len);
                }
            }
            let free = !model.iter().any(|&(b, e)| b < end && e > base);
            if free && rand(3) != 0 {
                r.insert(E(base, end));
                model.push((base, end));
                model.sort();
            } else if !model.is_empty() {
                let (b, _) = model.remove(rand(model.len() as u64) as usize);
                assert_eq!(r.remove(b).map(|e| e.0), Some(b));
            }
            assert_eq!(r.len(), model.len());
            let mut at = r.covered.start;
            for &(b, e) in model.iter().filter(|m| m.1 > r.covered.start) {
                if at >= r.covered.end {
                    break;
                }
                assert!(
                    b <= at,
                    "step {step}: a hole at {at:#x} in {:x?}",
                    r.covered
                );
                at = e;
            }
            assert!(
                at >= r.covered.end,
                "step {step}: {:x?} runs past the extents",
                r.covered
            );
            // Balanced: an AVL tree of n nodes is below 1.45 log2(n + 2).
            let bound = 1.45 * ((model.len() + 2) as f64).log2();
            assert!(f64::from(height(&r.root)) <= bound, "step {step}: too tall");
            let got: alloc::vec::Vec<(u64, u64)> = r.values().map(|e| (e.0, e.1)).collect();
            assert_eq!(got, model, "step {step}");
            for _ in 0..8 {
                let lo = rand(600) * P;
                let hi = lo + rand(600) * P;
                let len = (1 + rand(12)) * P;
                let align = P << rand(4);
                assert_eq!(
                    r.find_gap(lo, hi, len, align),
                    linear_gap(&model, lo, hi, len, align),
                    "step {step}: gap in [{lo:#x}, {hi:#x}) of {len:#x} aligned {align:#x}"
                );
                let va = rand(600 * P);
                let want = model.iter().find(|&&(b, e)| b <= va && va < e).map(|m| m.0);
                assert_eq!(r.find(va).map(|e| e.0), want);
                let (a, b) = (rand(600) * P, rand(600) * P);
                let want: alloc::vec::Vec<u64> = model
                    .iter()
                    .filter(|&&(mb, me)| mb < b && me > a && a < b)
                    .map(|m| m.0)
                    .collect();
                let got: alloc::vec::Vec<u64> = r.intersecting(a, b).map(|e| e.0).collect();
                assert_eq!(got, want);
                assert_eq!(
                    r.overlaps(a, b),
                    model.iter().any(|&(mb, me)| mb < b && me > a)
                );
                let last = model
                    .iter()
                    .rev()
                    .find(|&&(mb, _)| mb < b)
                    .filter(|m| m.1 > a);
                assert_eq!(r.last_intersecting(a, b), last.map(|m| m.0));
            }
        }
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

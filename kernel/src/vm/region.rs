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

use alloc::boxed::Box;
use core::ops::Range;

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

    /// Recomputes the subtree facts from the children's.
    fn update(&mut self) {
        let (base, end) = (self.item.base(), self.item.end());
        let (mut lo, mut hi, mut gap, mut h) = (base, end, 0, 0);
        if let Some(l) = &self.left {
            lo = l.lo;
            gap = gap.max(l.gap).max(base - l.hi);
            h = l.height;
        }
        if let Some(r) = &self.right {
            hi = r.hi;
            gap = gap.max(r.gap).max(r.lo - end);
            h = h.max(r.height);
        }
        (self.lo, self.hi, self.gap, self.height) = (lo, hi, gap, h + 1);
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

fn insert<T: Extent>(link: Link<T>, item: T) -> Box<Node<T>> {
    match link {
        None => Node::leaf(item),
        Some(mut n) => {
            if item.base() < n.item.base() {
                n.left = Some(insert(n.left.take(), item));
            } else {
                n.right = Some(insert(n.right.take(), item));
            }
            balance(n)
        }
    }
}

/// Takes the lowest node out of `n`: it, and what remains.
fn take_min<T: Extent>(mut n: Box<Node<T>>) -> (Box<Node<T>>, Link<T>) {
    match n.left.take() {
        None => {
            let rest = n.right.take();
            (n, rest)
        }
        Some(l) => {
            let (min, rest) = take_min(l);
            n.left = rest;
            (min, Some(balance(n)))
        }
    }
}

fn remove<T: Extent>(link: &mut Link<T>, base: u64) -> Option<T> {
    let mut n = link.take()?;
    let here = n.item.base();
    if base != here {
        let side = if base < here {
            &mut n.left
        } else {
            &mut n.right
        };
        let found = remove(side, base);
        *link = Some(balance(n));
        return found;
    }
    *link = match (n.left.take(), n.right.take()) {
        (None, None) => None,
        (Some(c), None) | (None, Some(c)) => Some(c),
        (Some(l), Some(r)) => {
            let (mut min, rest) = take_min(r);
            min.left = Some(l);
            min.right = rest;
            Some(balance(min))
        }
    };
    Some(n.item)
}

/// Where [`Regions::find_gap`]'s walk stands.
enum Walk {
    Found(u64),
    /// Nothing at or after this point can fit.
    Stop,
    Go,
}

/// The gap search's fixed inputs.
struct Want {
    hi: u64,
    len: u64,
    align: u64,
}

impl Want {
    fn up(&self, x: u64) -> Option<u64> {
        x.checked_add(self.align - 1).map(|v| v & !(self.align - 1))
    }

    /// What the gap `[from, next)` gives: `next` is the base of the next
    /// extent (or the bound).
    fn gap(&self, from: u64, next: u64) -> Walk {
        let Some(end) = self.up(from).and_then(|c| c.checked_add(self.len)) else {
            return Walk::Stop;
        };
        if end > self.hi {
            // Every later candidate starts at or after this one.
            return Walk::Stop;
        }
        if end <= next {
            Walk::Found(end - self.len)
        } else {
            Walk::Go
        }
    }

    /// In-order walk of `n` with `from` the lowest address still free (the
    /// end of the extent before, or the search's start), skipping subtrees
    /// that end below it or hold no gap large enough.
    fn walk<T: Extent>(&self, mut n: &Node<T>, from: &mut u64) -> Walk {
        // The right child is walked by the loop, the left one by recursion,
        // each only if it may hold a fit.
        loop {
            match self.enter(n, from) {
                Walk::Go => {}
                Walk::Stop => return Walk::Stop,
                Walk::Found(a) => return Walk::Found(a),
            }
            if let Some(l) = &n.left {
                if self.may_hold(l, from) {
                    match self.walk(l, from) {
                        Walk::Go => {}
                        done => return done,
                    }
                }
            }
            match self.gap(*from, n.item.base()) {
                Walk::Go => {}
                done => return done,
            }
            *from = (*from).max(n.item.end());
            match &n.right {
                Some(r) if self.may_hold(r, from) => n = r,
                _ => return Walk::Go,
            }
        }
    }

    /// Whether the walk must enter subtree `n`: false when it lies below
    /// `from`, or holds no gap large enough and the space before it is too
    /// small (then `from` moves past it).
    fn may_hold<T: Extent>(&self, n: &Node<T>, from: &mut u64) -> bool {
        if n.hi <= *from {
            return false;
        }
        if n.gap < self.len && !matches!(self.gap(*from, n.lo), Walk::Found(_) | Walk::Stop) {
            *from = (*from).max(n.hi);
            return false;
        }
        true
    }

    /// On entering subtree `n`: the fit in the free space before its first
    /// extent, if there is one, or the end of the search.
    fn enter<T: Extent>(&self, n: &Node<T>, from: &mut u64) -> Walk {
        match self.gap(*from, n.lo) {
            Walk::Go => Walk::Go,
            done => done,
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
}

impl<T> Default for Regions<T> {
    fn default() -> Self {
        Self { root: None, len: 0 }
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
        let want = Want { hi, len, align };
        let mut from = lo;
        if let Some(root) = self.root.as_deref().filter(|r| want.may_hold(r, &mut from)) {
            match want.walk(root, &mut from) {
                Walk::Found(a) => return Some(a),
                Walk::Stop => return None,
                Walk::Go => {}
            }
        }
        match want.gap(from, hi) {
            Walk::Found(a) => Some(a),
            _ => None,
        }
    }

    /// Adds an extent; the caller has checked that it overlaps none.
    pub fn insert(&mut self, item: T) {
        debug_assert!(!self.overlaps(item.base(), item.end()));
        self.root = Some(insert(self.root.take(), item));
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
        let found = remove(&mut self.root, base);
        if found.is_some() {
            self.len -= 1;
        }
        found
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
            let base = rand(512) * P;
            let end = base + (1 + rand(8)) * P;
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

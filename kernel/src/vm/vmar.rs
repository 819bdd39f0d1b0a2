//! The VMAR tree of an address space, as pure data: which regions exist,
//! where each one lies, what it may hold (`ZX_VM_CAN_MAP_*`), and which
//! sub-regions each one contains. Mappings are not kept here: the address
//! space keeps all of them in one flat set (a fault needs one lookup, not a
//! walk down the tree) and records on each mapping the region it was made
//! in. A range is free in a region when neither a sub-region of that region
//! nor any mapping overlaps it.
//!
//! A region that is destroyed is removed from the tree with its whole
//! subtree; the handles that still name it find no node and answer
//! `ZX_ERR_BAD_STATE`. The tree lives inside the address space's lock.
//!
//! Portable: host tests run it.

use super::region::{Extent, Regions};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Names a region of one address space. Never reused within it.
pub type VmarId = u64;

/// The root region every address space starts with.
pub const ROOT: VmarId = 0;

/// What a region may hold: `ZX_VM_CAN_MAP_*` and `ZX_VM_COMPACT`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
    pub specific: bool,
    pub compact: bool,
}

impl Caps {
    /// Everything: the root region.
    pub const ALL: Self = Self {
        read: true,
        write: true,
        execute: true,
        specific: true,
        compact: false,
    };

    /// Whether every read/write/execute capability of `self` is in `other`.
    pub fn rwx_within(&self, other: &Caps) -> bool {
        (!self.read || other.read)
            && (!self.write || other.write)
            && (!self.execute || other.execute)
    }
}

/// A sub-region as its parent's child list holds it.
struct Child {
    base: u64,
    end: u64,
    id: VmarId,
}

impl Extent for Child {
    fn base(&self) -> u64 {
        self.base
    }
    fn end(&self) -> u64 {
        self.end
    }
}

/// One live region.
pub struct Node {
    pub base: u64,
    pub size: u64,
    pub parent: Option<VmarId>,
    pub caps: Caps,
    children: Regions<Child>,
}

impl Node {
    pub fn end(&self) -> u64 {
        self.base + self.size
    }

    /// Whether `[addr, addr + len)` lies inside the region.
    pub fn contains(&self, addr: u64, len: u64) -> bool {
        addr >= self.base && addr.checked_add(len).is_some_and(|e| e <= self.end())
    }

    /// Whether a sub-region of this one overlaps `[start, end)`.
    pub fn child_overlaps(&self, start: u64, end: u64) -> bool {
        self.children.overlaps(start, end)
    }

    /// The lowest `align`-aligned start in `[lo, hi)` that no sub-region of
    /// this one overlaps.
    pub fn child_gap(&self, lo: u64, hi: u64, len: u64, align: u64) -> Option<u64> {
        self.children.find_gap(lo, hi, len, align)
    }

    /// The sub-regions that overlap `[start, end)`: `(base, end, id)`.
    pub fn children_overlapping(&self, start: u64, end: u64) -> Vec<(u64, u64, VmarId)> {
        self.children
            .intersecting(start, end)
            .map(|c| (c.base, c.end, c.id))
            .collect()
    }
}

/// Every live region of one address space.
pub struct Tree {
    nodes: BTreeMap<VmarId, Node>,
    next_id: VmarId,
}

impl Tree {
    /// A tree holding only the root, `[base, base + size)`.
    pub fn new(base: u64, size: u64) -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(
            ROOT,
            Node {
                base,
                size,
                parent: None,
                caps: Caps::ALL,
                children: Regions::new(),
            },
        );
        Self {
            nodes,
            next_id: ROOT + 1,
        }
    }

    /// The region, if it is still alive.
    pub fn node(&self, id: VmarId) -> Option<&Node> {
        self.nodes.get(&id)
    }

    /// Adds a sub-region of `parent` at `[base, base + size)`; the caller
    /// has checked that the range is free in `parent` and inside it.
    pub fn insert(&mut self, parent: VmarId, base: u64, size: u64, caps: Caps) -> VmarId {
        let id = self.next_id;
        self.next_id += 1;
        let p = self.nodes.get_mut(&parent).expect("parent is alive");
        debug_assert!(p.contains(base, size) && !p.child_overlaps(base, base + size));
        p.children.insert(Child {
            base,
            end: base + size,
            id,
        });
        self.nodes.insert(
            id,
            Node {
                base,
                size,
                parent: Some(parent),
                caps,
                children: Regions::new(),
            },
        );
        id
    }

    /// Whether `id` is `ancestor` or lies below it.
    pub fn is_within(&self, mut id: VmarId, ancestor: VmarId) -> bool {
        loop {
            if id == ancestor {
                return true;
            }
            match self.nodes.get(&id).and_then(|n| n.parent) {
                Some(p) => id = p,
                None => return false,
            }
        }
    }

    /// Removes `id` and everything below it; returns the removed ids. The
    /// root is never removed (the caller refuses that first).
    pub fn remove_subtree(&mut self, id: VmarId) -> Vec<VmarId> {
        let Some(node) = self.nodes.get(&id) else {
            return Vec::new();
        };
        if let Some(parent) = node.parent {
            let base = node.base;
            if let Some(p) = self.nodes.get_mut(&parent) {
                p.children.remove(base);
            }
        }
        let mut removed = Vec::new();
        let mut stack = alloc::vec![id];
        while let Some(at) = stack.pop() {
            if let Some(n) = self.nodes.remove(&at) {
                stack.extend(n.children.values().map(|c| c.id));
                removed.push(at);
            }
        }
        removed
    }

    /// How many regions are alive (the root included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: u64 = 4096;

    fn caps(read: bool, write: bool) -> Caps {
        Caps {
            read,
            write,
            ..Caps::default()
        }
    }

    #[test]
    fn sub_regions_block_their_range_in_the_parent_only() {
        let mut t = Tree::new(0x10 * P, 0x1000 * P);
        let a = t.insert(ROOT, 0x20 * P, 0x10 * P, caps(true, true));
        let root = t.node(ROOT).unwrap();
        assert!(root.child_overlaps(0x2f * P, 0x31 * P));
        assert!(!root.child_overlaps(0x30 * P, 0x40 * P));
        assert_eq!(
            root.child_gap(0x18 * P, 0x1000 * P, 0x10 * P, P),
            Some(0x30 * P)
        );
        assert_eq!(
            root.child_gap(0x10 * P, 0x1000 * P, 0x10 * P, P),
            Some(0x10 * P)
        );
        // Inside A, nothing is taken yet.
        let an = t.node(a).unwrap();
        assert_eq!(an.child_gap(an.base, an.end(), P, P), Some(0x20 * P));
        assert!(an.contains(0x20 * P, 0x10 * P));
        assert!(!an.contains(0x20 * P, 0x11 * P));
        assert!(!an.contains(0x1f * P, P));
    }

    #[test]
    fn destroying_takes_the_subtree_and_frees_the_range() {
        let mut t = Tree::new(0, 0x1000 * P);
        let a = t.insert(ROOT, 0x100 * P, 0x100 * P, Caps::ALL);
        let b = t.insert(a, 0x110 * P, 0x10 * P, Caps::ALL);
        let c = t.insert(b, 0x110 * P, P, Caps::ALL);
        let d = t.insert(ROOT, 0x300 * P, P, Caps::ALL);
        assert!(t.is_within(c, a) && t.is_within(c, ROOT) && !t.is_within(d, a));
        assert_eq!(
            t.node(a).unwrap().children_overlapping(0, u64::MAX).len(),
            1
        );
        let mut removed = t.remove_subtree(a);
        removed.sort();
        assert_eq!(removed, [a, b, c]);
        assert!(t.node(a).is_none() && t.node(c).is_none());
        assert!(!t.node(ROOT).unwrap().child_overlaps(0x100 * P, 0x200 * P));
        assert_eq!(t.len(), 2, "root and d");
        assert!(t.remove_subtree(a).is_empty(), "twice is nothing");
        // Ids are not reused.
        let e = t.insert(ROOT, 0x100 * P, P, Caps::ALL);
        assert!(e > d);
    }

    #[test]
    fn caps_compare_rwx_only() {
        assert!(caps(true, false).rwx_within(&caps(true, true)));
        assert!(!caps(true, true).rwx_within(&caps(true, false)));
        let specific = Caps {
            specific: true,
            ..Caps::default()
        };
        assert!(specific.rwx_within(&Caps::default()));
    }
}

//! The committed pages of a VMO: a sparse map from page index to page,
//! stored in nodes of 16 consecutive pages (as Zircon's VmPageList does), so
//! that committing pages in order touches the tree once per 16 pages while a
//! huge, mostly empty VMO still costs nothing. A page is either the VMO's own
//! frame or a frame shared copy-on-write with snapshot relatives.

use crate::frame::Frame;
use crate::phys::PhysAddr;
use crate::sync::Arc;
use alloc::boxed::Box;

/// One committed page.
pub enum Page {
    /// Only this VMO has the frame: it may be written in place.
    Owned(Frame),
    /// Snapshot relatives share the frame: a write must copy it first
    /// (unless this is the last reference).
    Shared(Arc<Frame>),
}

impl Page {
    /// The frame, for reading.
    pub fn frame(&self) -> &Frame {
        match self {
            Page::Owned(f) => f,
            Page::Shared(f) => f,
        }
    }

    /// Its physical address.
    pub fn pa(&self) -> PhysAddr {
        self.frame().pa()
    }

    /// True if another VMO holds the same frame (a write must copy it).
    #[inline]
    pub fn is_shared(&self) -> bool {
        self.sharers() > 1
    }

    /// How many VMOs hold the frame (1 for an owned page). Each VMO's page
    /// list holds at most one reference to a frame, and nothing else holds
    /// one for longer than an operation under that VMO's lock, so the
    /// reference count is the number of VMOs that can reach the page:
    /// Zircon's share count plus one.
    #[inline]
    pub fn sharers(&self) -> usize {
        match self {
            Page::Owned(_) => 1,
            Page::Shared(f) => Arc::strong_count(f),
        }
    }
}
use alloc::collections::BTreeMap;
use core::mem::ManuallyDrop;

/// Pages per node: Zircon's `kPageFanOut`.
pub const FANOUT: u64 = 16;

/// Heap bytes of one node's allocation (16 page slots and a count).
pub const NODE_BYTES: u64 = core::mem::size_of::<Node>() as u64;

/// Bytes a node's entry (key and pointer) takes in the tree of nodes.
pub const NODE_ENTRY_BYTES: u64 = core::mem::size_of::<(u64, Box<Node>)>() as u64;

#[derive(Default)]
struct Node {
    frames: [Option<Page>; FANOUT as usize],
    count: u8,
    /// The next hot node, while this one is hot (see [`PageList`]); `None`
    /// in the tree.
    next_hot: Option<(u64, Box<Node>)>,
}

/// Nodes kept out of the tree at most.
const HOT: usize = 4;

/// Page index → page.
///
/// The nodes used last are kept out of the tree, in a chain from `hot`
/// (the one used last) through each node's `next_hot`, [`HOT`] at most: a
/// tree search costs a few hundred instructions, the fault path and the
/// write paths look the same page up more than once and walk pages in
/// order, and threads that fault pages of one VMO at once each work their
/// own part of it. With one hot node, their faults moved a node out of the
/// tree and another into it nearly every time, under the VMO's lock. The
/// chain lives in the nodes, so the list takes no more room in the VMO's
/// record than one hot node did, and no allocation of its own.
#[derive(Default)]
pub struct PageList {
    /// Dropped by [`PageList`]'s `Drop`, only when it holds nodes: the
    /// tree's own drop is an out-of-line call even when it is empty, and
    /// most VMOs that die never left their hot node. An empty tree owns no
    /// memory: [`PageList::tree_remove`] lets go of the root that a tree
    /// emptied by removals keeps.
    nodes: ManuallyDrop<BTreeMap<u64, Box<Node>>>,
    hot: Option<(u64, Box<Node>)>,
    len: usize,
}

fn split(index: u64) -> (u64, usize) {
    (index / FANOUT, (index % FANOUT) as usize)
}

impl Drop for PageList {
    #[inline]
    fn drop(&mut self) {
        if !self.nodes.is_empty() {
            // What is left behind is an empty tree, which owns no memory.
            drop(core::mem::take(&mut *self.nodes));
        }
    }
}

impl PageList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Committed pages.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no page is committed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when the list holds no node (so no page and no heap memory):
    /// dropping it would free nothing.
    #[inline(always)]
    pub fn owns_nothing(&self) -> bool {
        self.nodes.is_empty() && self.hot.is_none()
    }

    #[inline]
    fn node(&self, key: u64) -> Option<&Node> {
        match &self.hot {
            Some((k, node)) if *k == key => Some(node),
            _ => self.cold_node(key),
        }
    }

    /// The hot nodes, the one used last first.
    fn hot_chain(&self) -> impl Iterator<Item = (u64, &Node)> + '_ {
        let mut link = self.hot.as_ref();
        core::iter::from_fn(move || {
            let (key, node) = link?;
            link = node.next_hot.as_ref();
            Some((*key, &**node))
        })
    }

    /// A node that is not the one used last: another hot one, or one in
    /// the tree.
    #[inline(never)]
    fn cold_node(&self, key: u64) -> Option<&Node> {
        match self.hot_chain().skip(1).find(|(k, _)| *k == key) {
            Some((_, node)) => Some(node),
            None => self.nodes.get(&key).map(|b| &**b),
        }
    }

    /// Takes the hot node at `depth` (0: the one used last) out of the
    /// chain, which closes over the gap.
    fn unlink_hot(&mut self, depth: usize) -> Option<(u64, Box<Node>)> {
        let mut link = &mut self.hot;
        for _ in 0..depth {
            link = &mut link.as_mut()?.1.next_hot;
        }
        let (key, mut node) = link.take()?;
        *link = node.next_hot.take();
        Some((key, node))
    }

    /// Makes node `key` the hot one, creating it if `create`; `None` if it
    /// does not exist and may not be created. The hot node itself is found
    /// inline: the fault and write paths look the same node up several times
    /// in a row.
    #[inline]
    fn hot_node(&mut self, key: u64, create: bool) -> Option<&mut Node> {
        if self.hot.as_ref().is_none_or(|(k, _)| *k != key) {
            self.swap_hot(key, create)?;
        }
        self.hot.as_mut().map(|(_, node)| &mut **node)
    }

    /// The slow side of `hot_node`: node `key` to the front of the chain,
    /// from further back in it, or out of the tree (or new); then the hot
    /// node used longest ago goes into the tree (unless empty) if the chain
    /// is longer than [`HOT`].
    #[inline(never)]
    fn swap_hot(&mut self, key: u64, create: bool) -> Option<()> {
        let depth = self.hot_chain().position(|(k, _)| k == key);
        let (key, mut node) = match depth.and_then(|d| self.unlink_hot(d)) {
            Some(hot) => hot,
            None => {
                // Filling a VMO in order asks for a node past the tree's
                // last one every 16 pages: no search for it then.
                let in_tree = self
                    .nodes
                    .last_key_value()
                    .is_some_and(|(last, _)| key <= *last);
                match in_tree.then(|| self.tree_remove(key)).flatten() {
                    Some(node) => (key, node),
                    None if create => (key, Box::default()),
                    None => return None,
                }
            }
        };
        node.next_hot = self.hot.take();
        self.hot = Some((key, node));
        if let Some((k, old)) = self.unlink_hot(HOT) {
            if old.count > 0 {
                self.nodes.insert(k, old);
            }
        }
        Some(())
    }

    /// Takes node `key` out of the tree. A `BTreeMap` emptied by removals
    /// keeps its root leaf allocated; the tree is then replaced by a new
    /// one, so that an empty tree owns no memory (which `Drop` relies on).
    fn tree_remove(&mut self, key: u64) -> Option<Box<Node>> {
        let node = self.nodes.remove(&key);
        if self.nodes.is_empty() {
            *self.nodes = BTreeMap::new();
        }
        node
    }

    /// Puts the hot nodes back in the tree (before walking the tree).
    fn flush_hot(&mut self) {
        while let Some((k, node)) = self.unlink_hot(0) {
            if node.count > 0 {
                self.nodes.insert(k, node);
            }
        }
    }

    /// Drops the node used last if it has become empty (the next hot one
    /// takes its place).
    fn drop_hot_if_empty(&mut self) {
        if self.hot.as_ref().is_some_and(|(_, n)| n.count == 0) {
            self.unlink_hot(0);
        }
    }

    /// The page at `index`, if committed.
    #[inline]
    pub fn get(&self, index: u64) -> Option<&Page> {
        let (key, slot) = split(index);
        self.node(key)?.frames[slot].as_ref()
    }

    /// The page at `index`, if committed, for writing.
    pub fn get_mut(&mut self, index: u64) -> Option<&mut Page> {
        let (key, slot) = split(index);
        self.hot_node(key, false)?.frames[slot].as_mut()
    }

    /// True when page `index` is committed.
    pub fn contains(&self, index: u64) -> bool {
        self.get(index).is_some()
    }

    /// The page at `index`, or the one `make` produces, which is stored.
    /// A failed `make` leaves no empty node behind.
    #[inline]
    pub fn get_or_try_insert<E>(
        &mut self,
        index: u64,
        make: impl FnOnce() -> Result<Page, E>,
    ) -> Result<&mut Page, E> {
        let (key, slot) = split(index);
        let Some(node) = self.hot_node(key, true) else {
            unreachable!("created on demand");
        };
        // The new page is made before the slot is borrowed for the result,
        // so that a failure can still drop the node it left empty.
        let page = match node.frames[slot].is_none().then(make) {
            Some(Ok(page)) => Some(page),
            Some(Err(e)) => {
                self.drop_hot_if_empty();
                return Err(e);
            }
            None => None,
        };
        let Self { hot, len, .. } = self;
        let Some((_, node)) = hot.as_mut() else {
            unreachable!("just made hot");
        };
        let entry = &mut node.frames[slot];
        match page {
            Some(page) => {
                node.count += 1;
                *len += 1;
                Ok(entry.insert(page))
            }
            None => Ok(entry.as_mut().expect("a page is there")),
        }
    }

    /// Stores `page` at `index`, returning the page it replaces.
    pub fn insert(&mut self, index: u64, page: Page) -> Option<Page> {
        let (key, slot) = split(index);
        let node = self.hot_node(key, true).expect("created on demand");
        let old = node.frames[slot].replace(page);
        if old.is_none() {
            node.count += 1;
            self.len += 1;
        }
        old
    }

    /// Takes the page at `index` out of the list.
    pub fn remove(&mut self, index: u64) -> Option<Page> {
        let (key, slot) = split(index);
        let node = self.hot_node(key, false)?;
        let page = node.frames[slot].take()?;
        node.count -= 1;
        self.len -= 1;
        self.drop_hot_if_empty();
        Some(page)
    }

    /// Drops (frees) every page with index in `[first, end)`; returns how
    /// many there were. Costs in proportion to the committed pages, not to
    /// the range's length.
    pub fn remove_range(&mut self, first: u64, end: u64) -> usize {
        if first >= end {
            return 0;
        }
        self.flush_hot();
        let before = self.len;
        let (first_key, _) = split(first);
        let last_key = (end - 1) / FANOUT;
        let keys: alloc::vec::Vec<u64> = self
            .nodes
            .range(first_key..=last_key)
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            let node = self.nodes.get_mut(&key).expect("key just listed");
            for slot in 0..FANOUT {
                let index = key * FANOUT + slot;
                if index >= first && index < end && node.frames[slot as usize].take().is_some() {
                    node.count -= 1;
                    self.len -= 1;
                }
            }
            if node.count == 0 {
                self.tree_remove(key);
            }
        }
        before - self.len
    }

    /// Turns every committed page with index in `[first, end)` into a shared
    /// one and hands `f` a new reference to each (for a snapshot child).
    pub fn share_range(&mut self, first: u64, end: u64, mut f: impl FnMut(u64, Arc<Frame>)) {
        if first >= end {
            return;
        }
        self.flush_hot();
        for (key, node) in self.nodes.range_mut(first / FANOUT..=(end - 1) / FANOUT) {
            for (slot, entry) in node.frames.iter_mut().enumerate() {
                let index = key * FANOUT + slot as u64;
                if index < first || index >= end {
                    continue;
                }
                let arc = match entry.take() {
                    None => continue,
                    Some(Page::Shared(a)) => a,
                    Some(Page::Owned(frame)) => Arc::new(frame),
                };
                *entry = Some(Page::Shared(arc.clone()));
                f(index, arc);
            }
        }
    }

    /// Committed pages in index order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Page)> + '_ {
        self.iter_range(0, u64::MAX)
    }

    /// Committed pages with index in `[first, end)`, in index order. Costs
    /// in proportion to the nodes the range touches, not to its length.
    pub fn iter_range(&self, first: u64, end: u64) -> impl Iterator<Item = (u64, &Page)> + '_ {
        // An empty (or inverted) range still names one node, so the tree's
        // range is well formed; the slot filter below then drops everything.
        let first_key = first / FANOUT;
        let last_key = (end.saturating_sub(1) / FANOUT).max(first_key);
        let mut hot: [Option<(u64, &Node)>; HOT] = [None; HOT];
        let in_range = self
            .hot_chain()
            .filter(|(k, _)| (first_key..=last_key).contains(k));
        for (slot, node) in hot.iter_mut().zip(in_range) {
            *slot = Some(node);
        }
        hot.sort_unstable_by_key(|e| e.map_or(u64::MAX, |(k, _)| k));
        let mut tree = self
            .nodes
            .range(first_key..=last_key)
            .map(|(k, n)| (*k, &**n))
            .peekable();
        let mut hot = hot.into_iter().flatten().peekable();
        // Merge the tree's nodes and the hot ones by key.
        core::iter::from_fn(move || match (tree.peek(), hot.peek()) {
            (Some((tk, _)), Some((hk, _))) if hk < tk => hot.next(),
            (Some(_), _) => tree.next(),
            (None, _) => hot.next(),
        })
        .flat_map(move |(key, node)| {
            node.frames.iter().enumerate().filter_map(move |(slot, p)| {
                let index = key * FANOUT + slot as u64;
                match p {
                    Some(p) if index >= first && index < end => Some((index, p)),
                    _ => None,
                }
            })
        })
    }

    /// Nodes holding at least one page (in the tree or hot).
    pub fn node_count(&self) -> usize {
        self.nodes.len() + self.hot_chain().filter(|(_, n)| n.count > 0).count()
    }

    /// Kernel heap the list holds for its bookkeeping: each node's own
    /// allocation ([`NODE_BYTES`]) plus its key and pointer in the tree
    /// ([`NODE_ENTRY_BYTES`]). The tree's own node headers and the
    /// reference-count cells of shared frames are not counted.
    pub fn heap_bytes(&self) -> u64 {
        self.node_count() as u64 * (NODE_BYTES + NODE_ENTRY_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phys::testing;
    use std::vec::Vec;

    #[test]
    fn insert_get_remove_across_nodes() {
        let frames = testing::allocator(64);
        let mut list = PageList::new();
        for index in [0u64, 15, 16, 17, 1 << 40] {
            assert!(list
                .insert(index, Page::Owned(Frame::alloc_zeroed(frames).unwrap()))
                .is_none());
        }
        assert_eq!(list.len(), 5);
        assert!(list.contains(15) && list.contains(16) && list.contains(1 << 40));
        assert!(!list.contains(14) && !list.contains(18));
        let order: Vec<u64> = list.iter().map(|(i, _)| i).collect();
        assert_eq!(order, std::vec![0, 15, 16, 17, 1 << 40]);
        assert!(list.remove(16).is_some());
        assert!(list.remove(16).is_none());
        assert_eq!(list.len(), 4);
    }

    #[test]
    fn iteration_stays_ordered_whichever_node_is_hot() {
        let frames = testing::allocator(64);
        let mut list = PageList::new();
        for index in [100u64, 3, 40, 1000, 17] {
            list.insert(index, Page::Owned(Frame::alloc_zeroed(frames).unwrap()));
        }
        for hot in [3u64, 40, 1000, 17, 100, 3, 1000, 40, 40, 17] {
            assert!(list.get_mut(hot).is_some());
            let order: Vec<u64> = list.iter().map(|(i, _)| i).collect();
            assert_eq!(order, std::vec![3, 17, 40, 100, 1000], "hot node {hot}");
            assert!(list.contains(hot) && list.contains(3) && !list.contains(4));
        }
    }

    #[test]
    fn threads_working_apart_keep_their_nodes_out_of_the_tree() {
        let frames = testing::allocator(64);
        let mut list = PageList::new();
        // Four parts of one VMO, touched in turn as four threads would.
        let parts = [0u64, 1000, 2000, 3000];
        for round in 0..8u64 {
            for &base in &parts {
                let index = base + round;
                let made =
                    list.get_or_try_insert(index, || Frame::alloc_zeroed(frames).map(Page::Owned));
                assert!(made.is_ok());
                assert!(list.get(index).is_some());
            }
            // Every part's node stays hot: none went into the tree.
            assert_eq!(list.nodes.len(), 0, "round {round}");
        }
        assert_eq!(list.len(), 32);
        assert_eq!(list.node_count(), 4);
        // A fifth part sends the node used longest ago into the tree.
        list.insert(4000, Page::Owned(Frame::alloc_zeroed(frames).unwrap()));
        assert_eq!(list.nodes.len(), 1);
        assert_eq!(list.node_count(), 5);
        let order: Vec<u64> = list.iter().map(|(i, _)| i).collect();
        let mut expected: Vec<u64> = parts.iter().flat_map(|&b| b..b + 8).collect();
        expected.push(4000);
        assert_eq!(order, expected);
        assert_eq!(list.iter_range(1000, 2004).count(), 12);
        assert_eq!(list.remove_range(0, u64::MAX), 33);
        assert!(list.owns_nothing());
    }

    #[test]
    fn remove_range_frees_exactly_the_range() {
        let frames = testing::allocator(64);
        let free = frames.free_pages();
        let mut list = PageList::new();
        for index in 0..40u64 {
            list.insert(index, Page::Owned(Frame::alloc_zeroed(frames).unwrap()));
        }
        assert_eq!(list.remove_range(5, 33), 28);
        assert_eq!(list.len(), 12);
        assert_eq!(frames.free_pages(), free - 12);
        let kept: Vec<u64> = list.iter().map(|(i, _)| i).collect();
        assert_eq!(kept, (0..5).chain(33..40).collect::<Vec<_>>());
        list.remove_range(0, u64::MAX);
        assert!(list.is_empty());
        assert_eq!(frames.free_pages(), free);
    }

    #[test]
    fn failed_insert_leaves_no_empty_node() {
        let frames = testing::allocator(1);
        let mut list = PageList::new();
        let _held = Frame::alloc_zeroed(frames).unwrap();
        let r = list.get_or_try_insert(3, || Frame::alloc_zeroed(frames).map(Page::Owned));
        assert!(r.is_err());
        assert!(list.is_empty());
        assert_eq!(list.nodes.len(), 0);
        assert!(list.hot.is_none());
    }
}

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
}

/// Nodes kept out of the tree, the one used last first.
const HOT: usize = 4;

/// The nodes used last, out of the tree. Several, not one: threads that
/// fault pages of one VMO at once each work their own part of it, and with
/// one hot node every fault of theirs moved a node out of the tree and
/// another into it, under the VMO's lock.
#[derive(Default)]
struct HotNodes {
    /// `slots[0]` is the node used last; a slot may be empty.
    slots: [Option<(u64, Box<Node>)>; HOT],
}

// One 64-byte heap block, as `PageList::heap_bytes` says.
const _: () = assert!(core::mem::size_of::<HotNodes>() == 64);

/// Page index → page.
///
/// The nodes used last are kept out of the tree (`hot`): a tree search
/// costs a few hundred instructions, and the fault path and the write paths
/// look the same page up more than once, and walk pages in order.
pub struct PageList {
    /// Dropped by [`PageList`]'s `Drop`, only when it holds nodes: the
    /// tree's own drop is an out-of-line call even when it is empty, and
    /// most VMOs that die never left their hot nodes. An empty tree owns no
    /// memory: [`PageList::tree_remove`] lets go of the root that a tree
    /// emptied by removals keeps.
    nodes: ManuallyDrop<BTreeMap<u64, Box<Node>>>,
    /// Made with the first node, dropped when it holds none (boxed: the
    /// VMO's record stays in a 256-byte heap block).
    hot: Option<Box<HotNodes>>,
    /// The key of `hot.slots[0]`, or [`NO_KEY`]: the look-up that almost
    /// always hits compares it without a load through `hot`.
    front_key: u64,
    len: usize,
}

/// No node's key (keys are page indices over [`FANOUT`]).
const NO_KEY: u64 = u64::MAX;

impl Default for PageList {
    fn default() -> Self {
        Self {
            nodes: ManuallyDrop::default(),
            hot: None,
            front_key: NO_KEY,
            len: 0,
        }
    }
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

    /// The node used last, if it is node `key`.
    #[inline(always)]
    fn front(&self, key: u64) -> Option<&Node> {
        if self.front_key != key {
            return None;
        }
        let (_, node) = self.hot.as_deref()?.slots[0].as_ref()?;
        Some(node)
    }

    /// Sets `front_key` after `hot` changed.
    fn sync_front(&mut self) {
        self.front_key = match self.hot.as_deref().and_then(|h| h.slots[0].as_ref()) {
            Some((k, _)) => *k,
            None => NO_KEY,
        };
    }

    #[inline]
    fn node(&self, key: u64) -> Option<&Node> {
        self.front(key).or_else(|| self.cold_node(key))
    }

    /// A node that is not the one used last: another hot one, or one in
    /// the tree.
    #[inline(never)]
    fn cold_node(&self, key: u64) -> Option<&Node> {
        let mut hot = self.hot.iter().flat_map(|h| h.slots[1..].iter().flatten());
        match hot.find(|(k, _)| *k == key) {
            Some((_, node)) => Some(node),
            None => self.nodes.get(&key).map(|b| &**b),
        }
    }

    /// Makes node `key` the one used last, creating it if `create`; `None`
    /// if it does not exist and may not be created. That node is found
    /// inline: the fault and write paths look the same node up several
    /// times in a row.
    #[inline]
    fn hot_node(&mut self, key: u64, create: bool) -> Option<&mut Node> {
        if self.front(key).is_none() {
            self.make_front(key, create)?;
        }
        self.front_mut()
    }

    /// The node used last.
    #[inline(always)]
    fn front_mut(&mut self) -> Option<&mut Node> {
        let (_, node) = self.hot.as_deref_mut()?.slots[0].as_mut()?;
        Some(&mut **node)
    }

    /// The slow side of `hot_node`: another hot node moves to the front;
    /// else node `key` comes out of the tree (or is new) and takes the
    /// front, and the hot node used longest ago goes into the tree (unless
    /// empty).
    #[inline(never)]
    fn make_front(&mut self, key: u64, create: bool) -> Option<()> {
        if let Some(hot) = self.hot.as_deref_mut() {
            let at = hot.slots[1..]
                .iter()
                .position(|s| s.as_ref().is_some_and(|(k, _)| *k == key));
            if let Some(at) = at {
                hot.slots.swap(0, at + 1);
                self.sync_front();
                return Some(());
            }
        }
        // Filling a VMO in order asks for a node past the tree's last one
        // every 16 pages: no search for it then.
        let in_tree = self
            .nodes
            .last_key_value()
            .is_some_and(|(last, _)| key <= *last);
        let node = match in_tree.then(|| self.tree_remove(key)).flatten() {
            Some(node) => node,
            None if create => Box::default(),
            None => return None,
        };
        let hot = self.hot.get_or_insert_with(Box::default);
        // Every slot one back, the last one to the front, where the new
        // node replaces it (`rotate_right`, without its call to `memmove`).
        let [a, b, c, d] = &mut hot.slots;
        core::mem::swap(c, d);
        core::mem::swap(b, c);
        core::mem::swap(a, b);
        if let Some((k, old)) = hot.slots[0].replace((key, node)) {
            if old.count > 0 {
                self.nodes.insert(k, old);
            }
        }
        self.front_key = key;
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
        self.front_key = NO_KEY;
        if let Some(hot) = self.hot.take() {
            for (k, node) in hot.slots.into_iter().flatten() {
                if node.count > 0 {
                    self.nodes.insert(k, node);
                }
            }
        }
    }

    /// Drops the node used last if it has become empty, and the hot set
    /// with it if that was its last node.
    fn drop_hot_if_empty(&mut self) {
        let Some(hot) = self.hot.as_deref_mut() else {
            return;
        };
        if hot.slots[0].as_ref().is_some_and(|(_, n)| n.count == 0) {
            hot.slots[0] = None;
            if hot.slots.iter().all(Option::is_none) {
                self.hot = None;
            }
            self.front_key = NO_KEY;
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
        let Some((_, node)) = hot.as_deref_mut().and_then(|h| h.slots[0].as_mut()) else {
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
            .hot
            .iter()
            .flat_map(|h| h.slots.iter().flatten())
            .filter(|(k, _)| (first_key..=last_key).contains(k));
        for (slot, (k, n)) in hot.iter_mut().zip(in_range) {
            *slot = Some((*k, &**n));
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
        let hot = self.hot.iter().flat_map(|h| h.slots.iter().flatten());
        self.nodes.len() + hot.filter(|(_, n)| n.count > 0).count()
    }

    /// Kernel heap the list holds for its bookkeeping: each node's own
    /// allocation ([`NODE_BYTES`]) plus its key and pointer in the tree
    /// ([`NODE_ENTRY_BYTES`]), as Zircon counts its page list's nodes. The
    /// tree's own node headers, the set of hot nodes (one 64-byte block
    /// while any node is hot) and the reference-count cells of shared
    /// frames are not counted.
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

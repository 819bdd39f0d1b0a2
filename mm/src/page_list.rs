//! The committed pages of a VMO: a sparse map from page index to frame,
//! stored in nodes of 16 consecutive pages (as Zircon's VmPageList does), so
//! that committing pages in order touches the tree once per 16 pages while a
//! huge, mostly empty VMO still costs nothing.

use crate::frame::Frame;
use alloc::boxed::Box;
use alloc::collections::btree_map::{BTreeMap, Entry};

const FANOUT: u64 = 16;

#[derive(Default)]
struct Node {
    frames: [Option<Frame>; FANOUT as usize],
    count: u8,
}

/// Page index → frame.
#[derive(Default)]
pub struct PageList {
    nodes: BTreeMap<u64, Box<Node>>,
    len: usize,
}

fn split(index: u64) -> (u64, usize) {
    (index / FANOUT, (index % FANOUT) as usize)
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

    /// The frame at `index`, if committed.
    pub fn get(&self, index: u64) -> Option<&Frame> {
        let (key, slot) = split(index);
        self.nodes.get(&key)?.frames[slot].as_ref()
    }

    /// The frame at `index`, if committed, for writing.
    pub fn get_mut(&mut self, index: u64) -> Option<&mut Frame> {
        let (key, slot) = split(index);
        self.nodes.get_mut(&key)?.frames[slot].as_mut()
    }

    /// True when page `index` is committed.
    pub fn contains(&self, index: u64) -> bool {
        self.get(index).is_some()
    }

    /// The frame at `index`, or the one `make` produces, which is stored.
    /// One tree search either way; a failed `make` leaves no empty node.
    pub fn get_or_try_insert<E>(
        &mut self,
        index: u64,
        make: impl FnOnce() -> Result<Frame, E>,
    ) -> Result<&mut Frame, E> {
        let (key, slot) = split(index);
        let node = match self.nodes.entry(key) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                let frame = make()?;
                let node = v.insert(Box::default());
                node.count = 1;
                self.len += 1;
                return Ok(node.frames[slot].insert(frame));
            }
        };
        if node.frames[slot].is_none() {
            node.frames[slot] = Some(make()?);
            node.count += 1;
            self.len += 1;
        }
        Ok(node.frames[slot].as_mut().expect("slot filled above"))
    }

    /// Stores `frame` at `index`, returning the frame it replaces.
    pub fn insert(&mut self, index: u64, frame: Frame) -> Option<Frame> {
        let (key, slot) = split(index);
        let node = self.nodes.entry(key).or_default();
        let old = node.frames[slot].replace(frame);
        if old.is_none() {
            node.count += 1;
            self.len += 1;
        }
        old
    }

    /// Takes the frame at `index` out of the list.
    pub fn remove(&mut self, index: u64) -> Option<Frame> {
        let (key, slot) = split(index);
        let node = self.nodes.get_mut(&key)?;
        let frame = node.frames[slot].take()?;
        node.count -= 1;
        self.len -= 1;
        if node.count == 0 {
            self.nodes.remove(&key);
        }
        Some(frame)
    }

    /// Drops (frees) every frame with index in `[first, end)`. Costs in
    /// proportion to the committed pages, not to the range's length.
    pub fn remove_range(&mut self, first: u64, end: u64) {
        if first >= end {
            return;
        }
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
                self.nodes.remove(&key);
            }
        }
    }

    /// Committed pages in index order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Frame)> + '_ {
        self.nodes.iter().flat_map(|(key, node)| {
            node.frames
                .iter()
                .enumerate()
                .filter_map(move |(slot, f)| f.as_ref().map(|f| (key * FANOUT + slot as u64, f)))
        })
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
                .insert(index, Frame::alloc_zeroed(frames).unwrap())
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
    fn remove_range_frees_exactly_the_range() {
        let frames = testing::allocator(64);
        let free = frames.free_pages();
        let mut list = PageList::new();
        for index in 0..40u64 {
            list.insert(index, Frame::alloc_zeroed(frames).unwrap());
        }
        list.remove_range(5, 33);
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
        let r = list.get_or_try_insert(3, || Frame::alloc_zeroed(frames));
        assert!(r.is_err());
        assert!(list.is_empty());
        assert_eq!(list.nodes.len(), 0);
    }
}

//! A set of records keyed by an id that only grows (mapping ids): a list
//! of chunks of up to `CHUNK` records, each chunk sorted, the chunks in
//! order. A new record nearly always goes at the end of the last chunk, and
//! removing one is a binary search over the chunks and one within a chunk,
//! however many there are. A VMO keeps its mappings' records so
//! (`mapping::MappingRefs`): the `BTreeMap` it had, filled in id order,
//! left its leaves about half empty, and its searches and rebalancing grew
//! with the count, so a VMO mapped 10 000 times made every map and unmap of
//! it dearer. A chunk that falls to a quarter full is merged with a
//! neighbour when the two fit in one.
//!
//! Portable: host tests run it.

use crate::cold_drop::ColdDrop;
use alloc::vec::Vec;

/// What orders a record.
pub trait Keyed {
    fn id(&self) -> u64;
}

pub struct ById<T, const CHUNK: usize> {
    /// Dropped out of line, and only when it holds chunks: most sets die
    /// empty (a VMO never mapped, or unmapped before closing).
    chunks: ColdDrop<Vec<Vec<T>>>,
}

impl<T, const CHUNK: usize> Default for ById<T, CHUNK> {
    fn default() -> Self {
        Self {
            chunks: ColdDrop::new(Vec::new()),
        }
    }
}

impl<T: Keyed, const CHUNK: usize> ById<T, CHUNK> {
    pub fn new() -> Self {
        Self::default()
    }

    fn new_chunk(r: T) -> Vec<T> {
        let mut c = Vec::new();
        Self::room(&mut c);
        c.push(r);
        c
    }

    /// Room for one more record in `c`: chunks grow by doubling up to
    /// `CHUNK`, so that a VMO mapped once or twice (the usual case) holds a
    /// small block, not a whole chunk.
    fn room(c: &mut Vec<T>) {
        if c.len() == c.capacity() {
            let want = (c.capacity() * 2).clamp(2, CHUNK);
            c.reserve_exact(want - c.len());
        }
    }

    /// The chunk that holds `id`, or where it would go: the last whose
    /// first id is not above it (or the first). There is at least one.
    fn chunk_for(&self, id: u64) -> usize {
        self.chunks
            .partition_point(|c| c[0].id() <= id)
            .saturating_sub(1)
    }

    /// Records mapping `id` (not recorded yet: ids are never reused).
    pub fn insert(&mut self, id: u64, r: T) {
        debug_assert_eq!(id, r.id());
        let Some(last) = self.chunks.last_mut() else {
            self.chunks.push(Self::new_chunk(r));
            return;
        };
        if last.last().is_some_and(|l| l.id() < id) {
            // The usual case: the largest id yet.
            if last.len() < CHUNK {
                Self::room(last);
                last.push(r);
            } else {
                self.chunks.push(Self::new_chunk(r));
            }
            return;
        }
        let ci = self.chunk_for(id);
        let chunk = &mut self.chunks[ci];
        let at = chunk.partition_point(|x| x.id() < id);
        debug_assert!(chunk.get(at).is_none_or(|x| x.id() != id));
        if chunk.len() < CHUNK {
            Self::room(chunk);
            chunk.insert(at, r);
            return;
        }
        // Full: split in halves first.
        let mut upper = Vec::with_capacity(CHUNK);
        upper.extend(chunk.drain(CHUNK / 2..));
        if at <= CHUNK / 2 {
            chunk.insert(at, r);
        } else {
            upper.insert(at - CHUNK / 2, r);
        }
        self.chunks.insert(ci + 1, upper);
    }

    pub fn remove(&mut self, id: &u64) -> Option<T> {
        let last = self.chunks.last_mut()?;
        if last.last().is_some_and(|l| l.id() == *id) {
            // The usual case, as for insert: the newest record goes first.
            let r = last.pop();
            if last.is_empty() {
                self.chunks.pop();
            } else if last.len() < CHUNK / 4 {
                self.merge_around(self.chunks.len() - 1);
            }
            return r;
        }
        let ci = self.chunk_for(*id);
        let chunk = &mut self.chunks[ci];
        let at = chunk.binary_search_by_key(id, |r| r.id()).ok()?;
        let r = chunk.remove(at);
        if chunk.is_empty() {
            self.chunks.remove(ci);
        } else if chunk.len() < CHUNK / 4 {
            self.merge_around(ci);
        }
        Some(r)
    }

    /// Merges chunk `ci` into its predecessor, or its successor into it,
    /// if the two fit in one chunk.
    fn merge_around(&mut self, ci: usize) {
        let n = self.chunks[ci].len();
        let (into, from) = if ci > 0 && self.chunks[ci - 1].len() + n <= CHUNK {
            (ci - 1, ci)
        } else if ci + 1 < self.chunks.len() && self.chunks[ci + 1].len() + n <= CHUNK {
            (ci, ci + 1)
        } else {
            return;
        };
        let c = self.chunks.remove(from);
        let into = &mut self.chunks[into];
        into.reserve_exact(c.len());
        into.extend(c);
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// True when the set has no allocation: dropping it would free nothing.
    #[inline(always)]
    pub fn owns_nothing(&self) -> bool {
        self.chunks.capacity() == 0
    }

    pub fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }
}

impl<T: Keyed, const CHUNK: usize> Extend<(u64, T)> for ById<T, CHUNK> {
    fn extend<I: IntoIterator<Item = (u64, T)>>(&mut self, iter: I) {
        for (id, r) in iter {
            self.insert(id, r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct R(u64);
    impl Keyed for R {
        fn id(&self) -> u64 {
            self.0
        }
    }

    fn ids(s: &ById<R, 8>) -> Vec<u64> {
        s.values().map(|r| r.0).collect()
    }

    #[test]
    fn matches_a_sorted_model_under_random_changes() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut s: ById<R, 8> = ById::new();
        let mut model: Vec<u64> = Vec::new();
        let mut next = 1000;
        for step in 0..20_000 {
            match rand(4) {
                // Mostly new, largest ids; sometimes an older one (a split
                // piece recorded late).
                0 | 1 => {
                    let id = if rand(4) == 0 && next > 1000 {
                        rand(next)
                    } else {
                        next += 1;
                        next
                    };
                    if !model.contains(&id) {
                        s.insert(id, R(id));
                        model.push(id);
                        model.sort();
                    }
                }
                _ => {
                    let id = if model.is_empty() || rand(5) == 0 {
                        rand(next + 2)
                    } else if rand(3) == 0 {
                        // The newest: an unmap of the latest mapping.
                        model[model.len() - 1]
                    } else {
                        model[rand(model.len() as u64) as usize]
                    };
                    let want = model.iter().position(|&m| m == id).map(|i| model.remove(i));
                    assert_eq!(s.remove(&id).map(|r| r.0), want, "step {step}");
                }
            }
            assert_eq!(ids(&s), model, "step {step}");
            assert_eq!(s.len(), model.len());
            assert_eq!(s.is_empty(), model.is_empty());
            assert!(s.chunks.iter().all(|c| !c.is_empty() && c.len() <= 8));
        }
        // Appending in order fills chunks completely.
        let mut t: ById<R, 8> = ById::new();
        t.extend((1..=64).map(|i| (i, R(i))));
        assert_eq!(t.chunks.len(), 8);
        assert!(t.chunks.iter().all(|c| c.capacity() == 8));
        // One record holds a small block.
        let mut one: ById<R, 8> = ById::new();
        one.insert(5, R(5));
        assert!(one.chunks[0].capacity() <= 2);
    }
}

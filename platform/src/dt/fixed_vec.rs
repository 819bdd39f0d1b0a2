//! `FixedVec`: a vector with its capacity fixed at compile time and no heap, for
//! the lists the device-tree parser fills before the kernel heap exists.

use core::fmt;
use core::ops::{Deref, DerefMut};

/// At most `N` values of `T`, stored inline. Slice methods (`len`, `iter`,
/// indexing, `sort_by_key`) work through `Deref`/`DerefMut` to `[T]`; the unused
/// tail is never visible.
///
/// `T: Copy + Default` lets the array start filled with defaults, which keeps
/// this type free of `unsafe` (no `MaybeUninit`).
#[derive(Clone, Copy)]
pub struct FixedVec<T: Copy + Default, const N: usize> {
    items: [T; N],
    len: usize,
}

impl<T: Copy + Default, const N: usize> FixedVec<T, N> {
    /// An empty vector.
    pub fn new() -> Self {
        Self {
            items: [T::default(); N],
            len: 0,
        }
    }

    /// Appends `value`, or hands it back when the vector is full.
    pub fn push(&mut self, value: T) -> Result<(), T> {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = value;
                self.len += 1;
                Ok(())
            }
            None => Err(value),
        }
    }

    /// The stored values, in insertion order.
    pub fn as_slice(&self) -> &[T] {
        // `len <= N` is kept by `push`; `get` keeps this panic-free regardless.
        self.items.get(..self.len).unwrap_or(&[])
    }

    /// The stored values, mutable (the length stays fixed).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.items.get_mut(..self.len).unwrap_or(&mut [])
    }

    /// How many values fit.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Whether another `push` would fail.
    pub fn is_full(&self) -> bool {
        self.len == N
    }
}

impl<T: Copy + Default, const N: usize> Default for FixedVec<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Default, const N: usize> Deref for FixedVec<T, N> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy + Default, const N: usize> DerefMut for FixedVec<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<'v, T: Copy + Default, const N: usize> IntoIterator for &'v FixedVec<T, N> {
    type Item = &'v T;
    type IntoIter = core::slice::Iter<'v, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for FixedVec<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + Eq, const N: usize> Eq for FixedVec<T, N> {}

impl<T: Copy + Default + fmt::Debug, const N: usize> fmt::Debug for FixedVec<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

#[cfg(test)]
mod tests {
    // Explicit so the tests build whether or not the crate root is `no_std` under test.
    extern crate std;

    use super::FixedVec;
    use std::format;

    #[test]
    fn push_until_full_then_refuse() {
        let mut v: FixedVec<u32, 3> = FixedVec::new();
        assert!(v.is_empty());
        for i in 0..3 {
            assert_eq!(v.push(i), Ok(()));
        }
        assert!(v.is_full());
        assert_eq!(v.push(99), Err(99));
        assert_eq!(v.as_slice(), &[0, 1, 2]);
        assert_eq!(v.len(), 3);
        assert_eq!(v.capacity(), 3);
    }

    #[test]
    fn zero_capacity_is_always_full() {
        let mut v: FixedVec<u8, 0> = FixedVec::default();
        assert!(v.is_full());
        assert_eq!(v.push(1), Err(1));
        assert_eq!(v.as_slice(), &[] as &[u8]);
    }

    #[test]
    fn equality_ignores_the_unused_tail() {
        let mut a: FixedVec<u8, 4> = FixedVec::new();
        let mut b: FixedVec<u8, 4> = FixedVec::new();
        a.push(1).unwrap();
        b.push(1).unwrap();
        b.push(2).unwrap();
        assert_ne!(a, b);
        a.push(2).unwrap();
        assert_eq!(a, b);
        assert_eq!(format!("{a:?}"), "[1, 2]");
        a.sort_by_key(|&x| core::cmp::Reverse(x));
        assert_eq!(a.as_slice(), &[2, 1]);
    }
}

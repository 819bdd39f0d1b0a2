//! [`RwLock`]: a spin reader-writer lock that prefers writers. An address
//! space's faults share its lock (many cores fault one process's pages at
//! once), and whatever changes its mappings takes the lock alone. Faults
//! can come back to back on every core; with a lock that lets readers in
//! whenever no writer holds it (`spin`'s), a `zx_vmar_unmap` could wait for
//! as long as the faults go on. Here a waiting writer stops new readers, so
//! it gets the lock once the readers in it leave.
//!
//! A reader must not take the same lock again while it holds it: with a
//! writer waiting in between, the second `read` would wait for the writer,
//! and the writer for the first read.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

/// A writer holds the lock.
const WRITER: u32 = 1 << 31;
/// A writer waits: no new reader may enter.
const WRITER_WAITING: u32 = 1 << 30;
/// The readers inside are counted in the bits below.
const READERS: u32 = WRITER_WAITING - 1;

pub struct RwLock<T> {
    state: AtomicU32,
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&T` to many threads at once only to readers
// (so `T: Sync` is needed) and `&mut T` to one writer at a time, which may
// move values in and out across threads (so `T: Send`).
unsafe impl<T: Send + Sync> Sync for RwLock<T> {}
// SAFETY: moving the lock moves the `T` it holds.
unsafe impl<T: Send> Send for RwLock<T> {}

impl<T> RwLock<T> {
    pub const fn new(value: T) -> Self {
        Self {
            state: AtomicU32::new(0),
            value: UnsafeCell::new(value),
        }
    }

    /// Shared access: waits while a writer holds the lock or waits for it.
    #[inline]
    pub fn read(&self) -> ReadGuard<'_, T> {
        loop {
            if let Some(guard) = self.try_read() {
                return guard;
            }
            crate::sync::relax();
        }
    }

    /// Shared access if no writer holds the lock or waits for it.
    #[inline]
    pub fn try_read(&self) -> Option<ReadGuard<'_, T>> {
        let s = self.state.load(Ordering::Relaxed);
        if s & (WRITER | WRITER_WAITING) != 0 || s & READERS == READERS {
            return None;
        }
        self.state
            .compare_exchange_weak(s, s + 1, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        Some(ReadGuard { lock: self })
    }

    /// Sole access: announces itself (new readers wait), then waits for the
    /// readers inside and any other writer to leave.
    pub fn write(&self) -> WriteGuard<'_, T> {
        loop {
            if let Some(guard) = self.try_write() {
                return guard;
            }
            let s = self.state.load(Ordering::Relaxed);
            if s & WRITER_WAITING == 0 {
                // Also after another writer's entry cleared the bit: the
                // readers must wait for this writer too.
                self.state.fetch_or(WRITER_WAITING, Ordering::Relaxed);
            }
            crate::sync::relax();
        }
    }

    /// Sole access if nobody holds the lock. Clears the waiting bit: any
    /// other waiting writer sets it again on its next turn.
    pub fn try_write(&self) -> Option<WriteGuard<'_, T>> {
        let s = self.state.load(Ordering::Relaxed);
        if s & !WRITER_WAITING != 0 {
            return None;
        }
        self.state
            .compare_exchange(s, WRITER, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        Some(WriteGuard { lock: self })
    }

    /// The value, through a unique reference to the lock (nobody holds it).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

/// Shared access to the value until dropped.
pub struct ReadGuard<'a, T> {
    lock: &'a RwLock<T>,
}

/// Sole access to the value until dropped.
pub struct WriteGuard<'a, T> {
    lock: &'a RwLock<T>,
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: a reader holds the lock: no writer can have `&mut T`
        // until it leaves.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.state.fetch_sub(1, Ordering::Release);
    }
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this writer holds the lock alone.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this writer holds the lock alone, and the guard is
        // borrowed uniquely.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // Keeps a waiting writer's bit.
        self.lock.state.fetch_and(!WRITER, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;
    use super::*;
    use std::sync::Arc;
    use std::vec::Vec;

    #[test]
    fn readers_share_and_a_writer_is_alone() {
        let lock = RwLock::new(5);
        let a = lock.read();
        let b = lock.read();
        assert_eq!(*a + *b, 10);
        assert!(lock.try_write().is_none(), "readers inside");
        drop((a, b));
        let mut w = lock.try_write().expect("nobody inside");
        *w += 1;
        assert!(lock.try_read().is_none(), "a writer inside");
        assert!(lock.try_write().is_none(), "a writer inside");
        drop(w);
        assert_eq!(*lock.read(), 6);
    }

    #[test]
    fn a_waiting_writer_stops_new_readers() {
        let lock = Arc::new(RwLock::new(0u32));
        let first = lock.read();
        let writer = {
            let lock = lock.clone();
            std::thread::spawn(move || *lock.write() += 1)
        };
        while lock.state.load(Ordering::Relaxed) & WRITER_WAITING == 0 {
            std::thread::yield_now();
        }
        assert!(lock.try_read().is_none(), "a writer waits");
        drop(first);
        writer.join().unwrap();
        assert_eq!(*lock.read(), 1);
        assert_eq!(lock.state.load(Ordering::Relaxed), 0, "nobody inside");
    }

    #[test]
    fn writers_and_readers_at_once_lose_no_update() {
        let lock = Arc::new(RwLock::new((0u64, 0u64)));
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let lock = lock.clone();
                std::thread::spawn(move || {
                    for _ in 0..2000 {
                        if i % 2 == 0 {
                            let mut w = lock.write();
                            w.0 += 1;
                            w.1 += 1;
                        } else {
                            let r = lock.read();
                            assert_eq!(r.0, r.1, "a reader saw half an update");
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*lock.read(), (4000, 4000));
    }
}

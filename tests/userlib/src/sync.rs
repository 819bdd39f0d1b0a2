//! A mutex on a futex, for EL0 programs: 0 unlocked, 1 locked, 2 locked
//! with waiters (who sleep in `zx_futex_wait`; unlocking a contended lock
//! wakes one).

use crate::{futex_wait, futex_wake, ZX_HANDLE_INVALID, ZX_TIME_INFINITE};
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;

pub struct Mutex<T> {
    state: AtomicU32,
    value: UnsafeCell<T>,
}

// SAFETY: the lock gives one thread at a time access to the value.
unsafe impl<T: Send> Sync for Mutex<T> {}

pub struct MutexGuard<'a, T> {
    lock: &'a Mutex<T>,
}

impl<T> Mutex<T> {
    pub const fn new(value: T) -> Self {
        Self {
            state: AtomicU32::new(UNLOCKED),
            value: UnsafeCell::new(value),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, T> {
        if self
            .state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            // Mark it contended; sleep while someone else holds it.
            while self.state.swap(CONTENDED, Ordering::Acquire) != UNLOCKED {
                // BAD_STATE (it changed meanwhile) just means: try again.
                let _ = futex_wait(&self.state, CONTENDED, ZX_HANDLE_INVALID, ZX_TIME_INFINITE);
            }
        }
        MutexGuard { lock: self }
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        if self.lock.state.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            let _ = futex_wake(&self.lock.state, 1);
        }
    }
}

//! The synchronisation primitives of the portable modules, from one place:
//! a `spin` mutex and `core`'s atomics in every real build, `loom`'s when the
//! host tests are built with `--cfg loom` (the model checks of
//! `docs/concurrency.md`, run by `scripts/loom.sh`). A module whose protocol
//! is model-checked imports its locks and atomics from here, so that the
//! model explores the very code the kernel runs.
//!
//! Under loom the mutex is a thin wrapper with `spin`'s calling convention
//! (`lock()` returns the guard; loom's returns a `Result` for poisoning,
//! which cannot happen with `panic = "abort"`), so call sites read the same
//! in both builds. Loom's primitives have no `const` constructors: a
//! `static` of them is declared with [`loom_static!`](crate::loom_static)
//! (a `lazy_static` per model execution under loom, a plain `static`
//! otherwise), and a `const fn` built from them with
//! [`const_fn!`](crate::const_fn).
//!
//! Reference counts (`Arc`, `Weak`) stay `alloc`'s in both builds: the
//! objects behind handles and observers are `Arc<dyn Trait>`, which loom's
//! `Arc` cannot express (no unsized coercion, no `Weak`), and the counts
//! themselves are not what the models check: they check the locks and
//! atomics around them. `Arc` is re-exported here so the modules still take
//! everything from one place.

pub use alloc::sync::{Arc, Weak};

#[cfg(not(loom))]
pub use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub use spin_lock::{Mutex, MutexGuard};

/// The kernel's spin lock in every build, loom's included, for the
/// structures that need a `const` constructor or that no model checks. On
/// the machine it waits with [`relax`] (`yield`, then `isb`); on the host it
/// is `spin`'s own.
pub mod spin_lock {
    #[cfg(target_os = "none")]
    pub use platform::arch::cpu::{Mutex, MutexGuard};
    #[cfg(not(target_os = "none"))]
    pub use spin::{Mutex, MutexGuard};
}

/// One turn of a spin wait (see `platform::arch::cpu::relax`).
#[cfg(target_os = "none")]
pub use platform::arch::cpu::relax;

/// One turn of a spin wait: the host's hint.
#[cfg(not(target_os = "none"))]
#[inline(always)]
pub fn relax() {
    core::hint::spin_loop();
}

#[cfg(loom)]
pub use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
pub use loom::sync::MutexGuard;

/// `loom::sync::Mutex` with `spin::Mutex`'s calling convention.
#[cfg(loom)]
#[derive(Debug, Default)]
pub struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
impl<T> Mutex<T> {
    pub fn new(value: T) -> Self {
        Self(loom::sync::Mutex::new(value))
    }

    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        // Poisoning needs a panic while locked, which ends the model.
        self.0.lock().expect("a loom mutex is never poisoned")
    }

    #[track_caller]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.0.try_lock().ok()
    }

    pub fn into_inner(self) -> T {
        self.0.into_inner().expect("a loom mutex is never poisoned")
    }
}

/// Declares a private `static NAME: TYPE = INIT;` — under loom a lazily
/// made value, fresh in every model execution (reached through `Deref`, so
/// uses read the same).
#[macro_export]
macro_rules! loom_static {
    ($(#[$meta:meta])* static $name:ident: $ty:ty = $init:expr;) => {
        #[cfg(not(loom))]
        $(#[$meta])*
        static $name: $ty = $init;
        #[cfg(loom)]
        ::loom::lazy_static! {
            $(#[$meta])*
            static ref $name: $ty = $init;
        }
    };
}

/// Declares a `const fn`, which under loom is a plain `fn` (loom's
/// primitives are made at run time, inside a model execution).
#[macro_export]
macro_rules! const_fn {
    ($(#[$meta:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$meta])*
        $vis const fn $($rest)*
        #[cfg(loom)]
        $(#[$meta])*
        $vis fn $($rest)*
    };
}

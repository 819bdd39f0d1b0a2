//! [`ColdDrop`]: a field whose drop runs out of line, behind an inline check
//! that the value owns anything. Most objects die owning nothing in some of
//! their fields (a VMO that never committed a page or was never mapped, a
//! VMO that is no child). Inlined, those fields' drops bring their loops and
//! calls into the object's drop, and with them a large stack frame that
//! every drop pays; behind a [`ColdDrop`], the object's drop is the check.

use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};

/// A value that can tell, cheaply, that dropping it would do nothing.
pub trait OwnsNothing {
    /// True only when dropping the value would free nothing and run no code
    /// that matters: then [`ColdDrop`] skips its drop. A wrong `true` leaks
    /// what the value owns (which the kernel's leak checks catch); it cannot
    /// make anything unsound.
    fn owns_nothing(&mut self) -> bool;
}

impl<T> OwnsNothing for Option<alloc::boxed::Box<T>> {
    #[inline(always)]
    fn owns_nothing(&mut self) -> bool {
        self.is_none()
    }
}

/// A vector with no capacity has no allocation (and no elements) to drop.
impl<T> OwnsNothing for alloc::vec::Vec<T> {
    #[inline(always)]
    fn owns_nothing(&mut self) -> bool {
        self.capacity() == 0
    }
}

/// `T`, dropped by an out-of-line call when it owns something and not at
/// all when it does not. Reads as a `T` (`Deref`).
pub struct ColdDrop<T: OwnsNothing>(ManuallyDrop<T>);

impl<T: OwnsNothing> ColdDrop<T> {
    #[inline(always)]
    pub const fn new(value: T) -> Self {
        Self(ManuallyDrop::new(value))
    }
}

impl<T: OwnsNothing> Deref for ColdDrop<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: OwnsNothing> DerefMut for ColdDrop<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: OwnsNothing> Drop for ColdDrop<T> {
    #[inline(always)]
    fn drop(&mut self) {
        if !self.0.owns_nothing() {
            drop_out_of_line(&mut self.0);
        }
    }
}

#[cold]
#[inline(never)]
fn drop_out_of_line<T>(value: &mut ManuallyDrop<T>) {
    // SAFETY: called only from `ColdDrop`'s drop, once: the value is never
    // used again.
    unsafe { ManuallyDrop::drop(value) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    struct Counted<'a> {
        owns: bool,
        drops: &'a Cell<u32>,
    }

    impl OwnsNothing for Counted<'_> {
        fn owns_nothing(&mut self) -> bool {
            !self.owns
        }
    }

    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.drops.set(self.drops.get() + 1);
        }
    }

    /// How many times a `ColdDrop` of a value that `owns` (or not) drops
    /// it.
    fn drops_of(owns: bool) -> u32 {
        let drops = Cell::new(0);
        drop(ColdDrop::new(Counted {
            owns,
            drops: &drops,
        }));
        drops.get()
    }

    #[test]
    fn drops_what_owns_something_once() {
        assert_eq!(drops_of(true), 1);
    }

    #[test]
    fn skips_what_owns_nothing() {
        assert_eq!(drops_of(false), 0);
    }

    #[test]
    fn a_boxed_option_is_freed() {
        let held = alloc::rc::Rc::new(());
        drop(ColdDrop::new(Some(alloc::boxed::Box::new(held.clone()))));
        assert_eq!(alloc::rc::Rc::strong_count(&held), 1);
        let mut none: Option<alloc::boxed::Box<u8>> = None;
        assert!(none.owns_nothing());
    }
}

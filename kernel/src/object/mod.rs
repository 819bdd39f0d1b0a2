//! Kernel objects: the one trait every object type implements (type, koid,
//! signal state, default rights), and typed downcasts from the handle
//! table's `Arc<dyn KernelObject>`. Adding an object type means one file that
//! implements [`KernelObject`]; nothing else matches on types.
//!
//! Portable: host tests run it with stand-in objects.

pub mod channel;
pub mod event;
pub mod eventpair;
pub mod exception;
pub mod handle;
pub mod peer;
pub mod port;
pub mod signals;
pub mod socket;
#[cfg(target_os = "none")]
pub mod stream;
#[cfg(target_os = "none")]
pub mod vmar;

use crate::sync::{Arc, AtomicU32, Ordering};
use core::any::Any;
// Not through `crate::sync`: a `static` counter that orders nothing.
use core::sync::atomic::AtomicU64;
use zx_abi::{Rights, Signals, ZxStatus};

pub use handle::{HandleTable, MAX_HANDLES};
pub use signals::SignalState;

/// Koids below 1024 are reserved (ZX_KOID_FIRST).
static NEXT_KOID: AtomicU64 = AtomicU64::new(1024);

/// A fresh kernel object id; never reused.
pub fn new_koid() -> u64 {
    NEXT_KOID.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
}

/// What every object carries: its id, its signal state and how many
/// handles name it (`ZX_INFO_HANDLE_COUNT`).
pub struct ObjectBase {
    pub koid: u64,
    pub signals: SignalState,
    handles: AtomicU32,
}

impl ObjectBase {
    pub fn new(initial: Signals) -> Self {
        Self {
            koid: new_koid(),
            signals: SignalState::new(initial),
            handles: AtomicU32::new(0),
        }
    }

    /// Handles to the object right now, in every handle table.
    pub fn handle_count(&self) -> u32 {
        self.handles.load(Ordering::Relaxed)
    }

    /// A handle table made (`+1`) or dropped (`-1`) a handle to the object.
    /// Relaxed: the count orders nothing else (the handle tables' locks and
    /// the object's `Arc` do that), it is only reported.
    #[inline]
    pub(crate) fn count_handle(&self, added: bool) {
        if added {
            self.handles.fetch_add(1, Ordering::Relaxed);
        } else {
            self.handles.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A handle table dropped a handle to the object; true for the last
    /// one, whose dropper runs the zero-handles hook. `AcqRel`, so that the
    /// hook sees what every other table did before dropping its handle;
    /// exactly one decrement sees the count reach zero.
    #[inline(always)]
    pub(crate) fn drop_handle(&self) -> bool {
        self.handles.fetch_sub(1, Ordering::AcqRel) == 1
    }
}

impl Default for ObjectBase {
    fn default() -> Self {
        Self::new(Signals::empty())
    }
}

/// A kernel object as handles see it (through `dyn`).
pub trait KernelObject: Any + Send + Sync + BaseFirst {
    /// `ZX_OBJ_TYPE_*`, through a `dyn` reference.
    fn obj_type(&self) -> u32;

    /// Whether `zx_object_wait_*` may wait on this object.
    fn is_waitable(&self) -> bool {
        true
    }

    /// The user signals `zx_object_signal` may set or clear on this object.
    fn allowed_user_signals(&self) -> Signals {
        Signals::USER_ALL
    }

    /// The last handle to the object is gone (Zircon's `on_zero_handles`);
    /// runs once, as that handle leaves its table, under the table's lock:
    /// it may take only the locks ordered after a handle lock
    /// (docs/architecture.md), and must not drop the last reference to an
    /// object whose drop takes more. Peered objects tell their peer here.
    fn on_zero_handles(&self) {}

    /// `related_koid` of `ZX_INFO_HANDLE_BASIC`: the peer's koid for a
    /// peered object, else 0.
    fn related_koid(&self) -> u64 {
        0
    }

    /// `zx_object_signal_peer`: `NOT_SUPPORTED` for objects without a peer.
    fn signal_peer(&self, _clear: Signals, _set: Signals) -> Result<(), ZxStatus> {
        Err(ZxStatus::NotSupported)
    }
}

/// The static side of an object type: what typed lookups and new handles
/// need to know.
pub trait ObjectType: KernelObject + Sized {
    /// `ZX_OBJ_TYPE_*`.
    const TYPE: u32;
    /// The type's own tag: a handle records it when it is made from a `T`,
    /// and a typed lookup compares it (see [`TypeTag`]).
    const TAG: &'static TypeTag;

    /// The object's base (`dyn KernelObject` has its own `base`, which
    /// reads it in place).
    fn base(&self) -> &ObjectBase;

    fn koid(&self) -> u64 {
        self.base().koid
    }

    fn signals(&self) -> Signals {
        self.base().signals.get()
    }
    /// The rights a handle to a new object of this type gets.
    const DEFAULT_RIGHTS: Rights;
}

/// Identifies an object's concrete type in a handle without a virtual call:
/// each [`kernel_object!`] use defines one static tag, so a tag's address
/// belongs to one type. `obj_type` and `name` make every tag's contents
/// differ, so that no tool could fold two tags into one address.
pub struct TypeTag {
    pub obj_type: u32,
    pub name: &'static str,
    /// What a table does, under its lock, when a handle to an object of
    /// this type leaves it ([`handle_released_as`]): typed, a type without
    /// a zero-handles hook calls none, where `dyn` would call the empty one
    /// through the vtable.
    ///
    /// # Safety
    /// The object must be of the tag's type.
    pub handle_released: unsafe fn(&dyn KernelObject),
    /// Drops a reference to an object of this type as that type
    /// ([`release_as`]), so that the last one frees it with the type's
    /// constant layout, where `dyn` reads the vtable for the drop and
    /// computes the layout at run time. The reference comes as
    /// `Arc::into_raw`'s data pointer, which the caller has at hand (the
    /// object's base is there), so that no side finds it again through the
    /// vtable's alignment.
    ///
    /// # Safety
    /// The pointer must come from `Arc::into_raw` of an object of the tag's
    /// type, and is consumed.
    pub release: unsafe fn(*const ()),
}

impl TypeTag {
    /// Whether `self` is `T`'s tag.
    #[inline(always)]
    pub fn is<T: ObjectType>(&'static self) -> bool {
        core::ptr::eq(self, T::TAG)
    }
}

/// Every kernel object starts with its [`ObjectBase`], so that code holding
/// any object (`dyn KernelObject`) reaches the base without a virtual call.
///
/// # Safety
/// The implementing type's `ObjectBase` lies at offset 0.
/// [`kernel_object!`] implements this after checking the offset at compile
/// time; the types it is used on are `#[repr(C)]` with `base` first, so
/// that the check keeps passing whatever the compiler's layout choices.
pub unsafe trait BaseFirst {}

impl dyn KernelObject {
    /// The object's base, read in place: shadows the trait's `base`, which
    /// would be a call through the vtable.
    #[inline(always)]
    pub fn base(&self) -> &ObjectBase {
        let first = self as *const dyn KernelObject as *const ObjectBase;
        // SAFETY: every `KernelObject` is `BaseFirst`: its base sits at
        // offset 0 of the object, which lives as long as `self`.
        unsafe { &*first }
    }

    pub fn koid(&self) -> u64 {
        self.base().koid
    }

    pub fn signals(&self) -> Signals {
        self.base().signals.get()
    }
}

/// A handle table dropped a handle to `object`, a `T` (the
/// [`TypeTag::handle_released`] of `T`): the last one runs the object's
/// [`KernelObject::on_zero_handles`] (see [`ObjectBase::drop_handle`]).
/// Called under the table's lock.
///
/// # Safety
/// `object` must be a `T`.
pub unsafe fn handle_released_as<T: ObjectType>(object: &dyn KernelObject) {
    // SAFETY: the caller's promise: the data pointer is a `T`'s.
    let object = unsafe { &*(object as *const dyn KernelObject as *const T) };
    if ObjectType::base(object).drop_handle() {
        object.on_zero_handles();
    }
}

/// The [`TypeTag::release`] of type `T`.
///
/// # Safety
/// `raw` must come from `Arc::into_raw` of a `T` (possibly as a `dyn`), and
/// is consumed.
pub unsafe fn release_as<T: ObjectType>(raw: *const ()) {
    // SAFETY: the caller's promise: the reference count is intact, and
    // this takes it over.
    drop(unsafe { Arc::from_raw(raw.cast::<T>()) });
}

/// Implements the `dyn`-side boilerplate of [`KernelObject`] for a
/// `#[repr(C)]` type whose first field is `base: ObjectBase`.
#[macro_export]
macro_rules! kernel_object {
    ($ty:ty, $obj_type:expr, $rights:expr $(; $($extra:item)*)?) => {
        impl $crate::object::ObjectType for $ty {
            const TYPE: u32 = $obj_type;
            const DEFAULT_RIGHTS: zx_abi::Rights = $rights;
            const TAG: &'static $crate::object::TypeTag = {
                static TAG: $crate::object::TypeTag = $crate::object::TypeTag {
                    obj_type: $obj_type,
                    name: stringify!($ty),
                    handle_released: $crate::object::handle_released_as::<$ty>,
                    release: $crate::object::release_as::<$ty>,
                };
                &TAG
            };
            #[inline(always)]
            fn base(&self) -> &$crate::object::ObjectBase {
                &self.base
            }
        }
        const _: () = assert!(
            core::mem::offset_of!($ty, base) == 0,
            concat!(stringify!($ty), ": make it #[repr(C)] with `base` first"),
        );
        // SAFETY: the assertion above checked, for this very build, that
        // `base` lies at offset 0.
        unsafe impl $crate::object::BaseFirst for $ty {}
        impl $crate::object::KernelObject for $ty {
            fn obj_type(&self) -> u32 {
                $obj_type
            }
            $($($extra)*)?
        }
    };
}

/// Any kernel object.
pub type ObjectRef = Arc<dyn KernelObject>;

/// The object as a `T`, if it is one.
#[inline(always)]
pub fn downcast<T: ObjectType>(object: ObjectRef) -> Option<Arc<T>> {
    let any: Arc<dyn Any + Send + Sync> = object;
    any.downcast::<T>().ok()
}

/// The object as a `T`, without asking it.
///
/// # Safety
/// The object must be a `T` (as its handle's [`TypeTag`] says).
#[inline(always)]
pub unsafe fn downcast_unchecked<T: ObjectType>(object: ObjectRef) -> Arc<T> {
    let raw = Arc::into_raw(object) as *const T;
    // SAFETY: the caller guarantees the pointee is a `T`; the pointer came
    // from `Arc::into_raw` of the same allocation, so the count is intact.
    unsafe { Arc::from_raw(raw) }
}

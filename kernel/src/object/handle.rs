//! A process's handle table: values with the low two bits set, a slot
//! index and a generation (so a closed handle's value stays invalid when the
//! slot is reused), each carrying an object and rights. Typed lookup
//! (`get::<Vmo>(h, Rights::READ)`) is the one place that turns a handle
//! value into an object, with Zircon's order of errors: `BAD_HANDLE`, then
//! `WRONG_TYPE`, then `ACCESS_DENIED`.
//!
//! Owner and lock: the table belongs to its process and sits behind the
//! process's handle lock. Objects removed from it are returned to the caller,
//! which drops them after releasing that lock (an object's drop may take
//! other locks).
//!
//! Portable: host tests run it with stand-in objects.

use super::{downcast_unchecked, ObjectRef, ObjectType, TypeTag};
use crate::sync::Arc;
use alloc::vec::Vec;
use zx_abi::{Handle, Rights, ZxStatus};

const INDEX_BITS: u32 = 16;
const GEN_BITS: u32 = 14;
/// Handles one process may hold at once.
pub const MAX_HANDLES: usize = 1 << INDEX_BITS;

/// What a handle holds: the object, the rights, and the object's concrete
/// type, recorded when the first handle is made (statically, from the typed
/// `add`), so that a typed lookup compares a value instead of asking the
/// object through its vtable.
#[derive(Clone)]
pub struct Entry {
    pub object: ObjectRef,
    tag: &'static TypeTag,
    pub rights: Rights,
}

impl Entry {
    /// A handle's worth of `object` with `rights`, in no table yet (the
    /// kernel's own messages carry these).
    #[inline]
    pub fn new<T: ObjectType>(object: Arc<T>, rights: Rights) -> Self {
        Self {
            object,
            tag: T::TAG,
            rights,
        }
    }

    /// The same object with other rights.
    pub fn with_rights(mut self, rights: Rights) -> Self {
        self.rights = rights;
        self
    }

    /// Whether the object is a `T`.
    #[inline(always)]
    pub fn is<T: ObjectType>(&self) -> bool {
        self.tag.is::<T>()
    }

    /// The handle left its table, or a handle in transit was dropped
    /// (under the table's lock): the object's handle count drops, and the
    /// last handle runs its zero-handles hook, as the object's own type
    /// ([`super::handle_released_as`]).
    #[inline(always)]
    pub(crate) fn released(&self) {
        // SAFETY: an entry's tag is its object's type's: `new` takes both
        // from one `T`, and nothing else makes or changes an entry's tag.
        unsafe { (self.tag.handle_released)(&*self.object) }
    }

    /// Drops the handle's reference as the object's own type (see
    /// [`TypeTag::release`]): what a close does with what it took out.
    #[inline(always)]
    pub fn release(self) {
        let raw = Arc::into_raw(self.object).cast::<()>();
        // SAFETY: as in `released`; `raw` is the reference, handed over.
        unsafe { (self.tag.release)(raw) }
    }
}

struct Slot {
    generation: u32,
    entry: Option<Entry>,
}

#[derive(Default)]
pub struct HandleTable {
    slots: Vec<Slot>,
    /// The empty slots, each once: every slot is either here or holds an
    /// entry, so the table holds `slots.len() - free.len()` handles.
    free: Vec<u32>,
}

fn encode(index: u32, generation: u32) -> Handle {
    (generation << (INDEX_BITS + 2)) | (index << 2) | 0x3
}

fn decode(h: Handle) -> Option<(usize, u32)> {
    if h & 0x3 != 0x3 {
        return None;
    }
    let index = (h >> 2) & ((1 << INDEX_BITS) - 1);
    Some((index as usize, h >> (INDEX_BITS + 2)))
}

impl HandleTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs a handle to `object`; `NoResources` when the table is full,
    /// `NoMemory` when the table cannot grow. The entry is made only once
    /// the slot is found, so that it goes straight from registers into
    /// the slot.
    #[inline]
    pub fn add<T: ObjectType>(
        &mut self,
        object: Arc<T>,
        rights: Rights,
    ) -> Result<Handle, ZxStatus> {
        let index = self.free_slot()?;
        ObjectType::base(&*object).count_handle(true);
        Ok(self.fill(index, Entry::new(object, rights)))
    }

    /// Installs a handle for what another handle held (moved or derived).
    #[inline]
    pub fn add_entry(&mut self, entry: Entry) -> Result<Handle, ZxStatus> {
        let index = self.free_slot()?;
        entry.object.base().count_handle(true);
        Ok(self.fill(index, entry))
    }

    /// An empty slot's index, taken out of the free list or new.
    #[inline(always)]
    fn free_slot(&mut self) -> Result<u32, ZxStatus> {
        match self.free.pop() {
            Some(index) => Ok(index),
            None => self.new_slot(),
        }
    }

    /// Puts `entry` in the empty slot `index` and names it.
    #[inline(always)]
    fn fill(&mut self, index: u32, entry: Entry) -> Handle {
        let slot = &mut self.slots[index as usize];
        // A free slot holds nothing: no old entry to drop.
        let old = slot.entry.replace(entry);
        debug_assert!(old.is_none());
        core::mem::forget(old);
        encode(index, slot.generation)
    }

    /// A new, empty slot when none is free: the table grows. Apart from
    /// [`add_entry`](Self::add_entry) and without the entry, so that the
    /// usual path keeps the entry in registers.
    #[inline(never)]
    fn new_slot(&mut self) -> Result<u32, ZxStatus> {
        if self.slots.len() >= MAX_HANDLES {
            return Err(ZxStatus::NoResources);
        }
        self.slots.try_reserve(1).map_err(|_| ZxStatus::NoMemory)?;
        // Reserve room to free the slot again, so that closing never allocates.
        self.free
            .try_reserve(self.slots.len() + 1 - self.free.len())
            .map_err(|_| ZxStatus::NoMemory)?;
        let index = self.slots.len() as u32;
        self.slots.push(Slot {
            generation: 0,
            entry: None,
        });
        Ok(index)
    }

    /// A new handle to a new object, with the type's default rights.
    pub fn add_new<T: ObjectType>(&mut self, object: Arc<T>) -> Result<Handle, ZxStatus> {
        self.add(object, T::DEFAULT_RIGHTS)
    }

    /// What `h` holds; `BadHandle` if it holds nothing.
    #[inline(always)]
    pub fn entry(&self, h: Handle) -> Result<&Entry, ZxStatus> {
        let (index, generation) = decode(h).ok_or(ZxStatus::BadHandle)?;
        match self.slots.get(index) {
            Some(Slot {
                generation: g,
                entry: Some(e),
            }) if *g == generation => Ok(e),
            _ => Err(ZxStatus::BadHandle),
        }
    }

    /// The object behind `h` if `h` has every right in `needed`.
    pub fn get_any(&self, h: Handle, needed: Rights) -> Result<(ObjectRef, Rights), ZxStatus> {
        let e = self.entry(h)?;
        if !e.rights.contains(needed) {
            return Err(ZxStatus::AccessDenied);
        }
        Ok((e.object.clone(), e.rights))
    }

    /// The `T` behind `h` if `h` has every right in `needed`, and the
    /// handle's rights: `BadHandle`, then `WrongType`, then `AccessDenied`.
    #[inline(always)]
    pub fn get<T: ObjectType>(
        &self,
        h: Handle,
        needed: Rights,
    ) -> Result<(Arc<T>, Rights), ZxStatus> {
        let e = self.entry(h)?;
        if !e.is::<T>() {
            return Err(ZxStatus::WrongType);
        }
        if !e.rights.contains(needed) {
            return Err(ZxStatus::AccessDenied);
        }
        // SAFETY: the entry's type id is `T`'s: it was recorded from the
        // statically typed object when the first handle was made.
        let object = unsafe { downcast_unchecked::<T>(e.object.clone()) };
        Ok((object, e.rights))
    }

    /// Removes a handle, returning what it held (drop it after releasing
    /// the table's lock). The object's last handle runs its zero-handles
    /// hook here.
    #[inline]
    pub fn remove(&mut self, h: Handle) -> Result<Entry, ZxStatus> {
        let entry = self.take(h)?;
        entry.released();
        Ok(entry)
    }

    /// Takes a handle out of its slot, still counted on its object.
    #[inline]
    fn take(&mut self, h: Handle) -> Result<Entry, ZxStatus> {
        let (index, generation) = decode(h).ok_or(ZxStatus::BadHandle)?;
        let slot = self
            .slots
            .get_mut(index)
            .filter(|s| s.generation == generation)
            .ok_or(ZxStatus::BadHandle)?;
        let entry = slot.entry.take().ok_or(ZxStatus::BadHandle)?;
        slot.generation = (slot.generation + 1) & ((1 << GEN_BITS) - 1);
        // Never allocates: `add` reserved room for every slot.
        self.free.push(index as u32);
        Ok(entry)
    }

    /// The checks of `zx_handle_duplicate`, in Zircon's order: the object
    /// and the `requested` rights derived from the handle's, which needs
    /// DUPLICATE.
    pub fn derive(&self, h: Handle, requested: u32) -> Result<Entry, ZxStatus> {
        let e = self.entry(h)?;
        if !e.rights.contains(Rights::DUPLICATE) {
            return Err(ZxStatus::AccessDenied);
        }
        let rights = e.rights.derive(requested)?;
        Ok(e.clone().with_rights(rights))
    }

    /// `zx_handle_duplicate`: a second handle to the same object.
    pub fn duplicate(&mut self, h: Handle, requested: u32) -> Result<Handle, ZxStatus> {
        let derived = self.derive(h, requested)?;
        self.add_entry(derived)
    }

    /// `zx_handle_replace`: the old handle is gone whatever happens after it
    /// is found valid; on failure what it held is returned for dropping.
    pub fn replace(
        &mut self,
        h: Handle,
        requested: u32,
    ) -> Result<Handle, (ZxStatus, Option<Entry>)> {
        // The handle moves: its object's count never passes through zero on
        // the way (that would run the zero-handles hook of a live object).
        let e = self.take(h).map_err(|s| (s, None))?;
        let result = e
            .rights
            .derive(requested)
            .and_then(|rights| self.add_entry(e.clone().with_rights(rights)));
        match result {
            Ok(new) => {
                e.object.base().count_handle(false);
                Ok(new)
            }
            Err(s) => {
                e.released();
                Err((s, Some(e)))
            }
        }
    }

    /// Takes a handle out to send it in a channel message: it stays
    /// counted on its object (it is a handle in transit, so the object's
    /// zero-handles hook does not run), and the caller owns that count.
    pub fn take_for_transfer(&mut self, h: Handle) -> Result<Entry, ZxStatus> {
        self.take(h)
    }

    /// Installs a handle received from a channel message, which was
    /// counted on its object all along. On failure the count is released
    /// here and the entry returned for dropping after the table's lock.
    pub fn add_transferred(&mut self, entry: Entry) -> Result<Handle, (ZxStatus, Entry)> {
        let kept = entry.clone();
        match self.add_entry(entry) {
            Ok(h) => {
                kept.object.base().count_handle(false);
                Ok(h)
            }
            Err(s) => {
                kept.released();
                Err((s, kept))
            }
        }
    }

    /// Handles currently held.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every live handle's entry, in slot order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().filter_map(|s| s.entry.as_ref())
    }

    /// Takes every handle out (process exit); drop the result outside the
    /// table's lock.
    pub fn take_all(&mut self) -> Vec<Entry> {
        let entries: Vec<Entry> = self.slots.drain(..).filter_map(|s| s.entry).collect();
        for e in &entries {
            e.released();
        }
        self.free.clear();
        entries
    }
}

// Under loom, `ObjectBase` holds loom atomics, made only inside a model.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::object::{ObjectBase, ObjectType};

    #[repr(C)]
    struct Apple {
        base: ObjectBase,
    }
    #[repr(C)]
    struct Pear {
        base: ObjectBase,
    }
    /// Another type with Apple's `ZX_OBJ_TYPE`.
    #[repr(C)]
    struct Quince {
        base: ObjectBase,
    }
    crate::kernel_object!(Apple, 3, Rights::DEFAULT_VMO);
    crate::kernel_object!(Pear, 18, Rights::ROOT_VMAR);
    crate::kernel_object!(Quince, 3, Rights::DEFAULT_VMO);

    fn apple() -> Arc<Apple> {
        Arc::new(Apple {
            base: ObjectBase::default(),
        })
    }

    #[test]
    fn typed_lookup_reports_errors_in_zircons_order() {
        let mut t = HandleTable::new();
        let h = t.add(apple(), Rights::READ).unwrap();
        // A bad handle wins over a wrong type and missing rights.
        assert_eq!(
            t.get::<Pear>(h ^ 0x4, Rights::WRITE).err(),
            Some(ZxStatus::BadHandle)
        );
        // A wrong type wins over missing rights.
        assert_eq!(
            t.get::<Pear>(h, Rights::WRITE).err(),
            Some(ZxStatus::WrongType)
        );
        assert_eq!(
            t.get::<Apple>(h, Rights::WRITE).err(),
            Some(ZxStatus::AccessDenied)
        );
        // The tag is the Rust type's, not the `ZX_OBJ_TYPE`.
        assert_eq!(
            t.get::<Quince>(h, Rights::READ).err(),
            Some(ZxStatus::WrongType)
        );
        let (a, rights) = t.get::<Apple>(h, Rights::READ).unwrap();
        assert_eq!(rights, Rights::READ);
        assert_eq!(a.koid(), t.entry(h).unwrap().object.koid());
    }

    #[test]
    fn values_have_fixed_bits_and_stale_values_stay_invalid() {
        let mut t = HandleTable::new();
        let h = t.add_new(apple()).unwrap();
        assert_eq!(h & 0x3, 0x3);
        assert_eq!(t.entry(h).unwrap().rights, Rights::DEFAULT_VMO);
        t.remove(h).unwrap();
        let h2 = t.add_new(apple()).unwrap();
        assert_ne!(h, h2, "the slot is reused with a new generation");
        assert_eq!(t.entry(h).err(), Some(ZxStatus::BadHandle));
        assert_eq!(t.remove(h).err(), Some(ZxStatus::BadHandle));
        assert_eq!(t.entry(0).err(), Some(ZxStatus::BadHandle));
        assert_eq!(t.entry(h2 & !1).err(), Some(ZxStatus::BadHandle));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn duplicate_needs_the_right_and_cannot_add_rights() {
        let mut t = HandleTable::new();
        let h = t.add(apple(), Rights::READ | Rights::DUPLICATE).unwrap();
        let d = t.duplicate(h, Rights::READ.bits()).unwrap();
        assert_eq!(t.entry(d).unwrap().rights, Rights::READ);
        assert_eq!(
            t.duplicate(d, zx_abi::rights::SAME_RIGHTS).err(),
            Some(ZxStatus::AccessDenied)
        );
        assert_eq!(
            t.duplicate(h, Rights::WRITE.bits()).err(),
            Some(ZxStatus::InvalidArgs)
        );
        let same = t.duplicate(h, zx_abi::rights::SAME_RIGHTS).unwrap();
        assert_eq!(
            t.entry(same).unwrap().rights,
            Rights::READ | Rights::DUPLICATE
        );
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn replace_consumes_the_handle_even_when_it_fails() {
        let mut t = HandleTable::new();
        let h = t.add(apple(), Rights::READ).unwrap();
        let (status, old) = t.replace(h, Rights::WRITE.bits()).unwrap_err();
        assert_eq!(status, ZxStatus::InvalidArgs);
        assert!(old.is_some());
        assert_eq!(t.entry(h).err(), Some(ZxStatus::BadHandle));
        let h = t.add(apple(), Rights::READ | Rights::WRITE).unwrap();
        let r = t.replace(h, Rights::READ.bits()).ok().unwrap();
        assert_eq!(t.entry(r).unwrap().rights, Rights::READ);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn objects_die_with_their_last_handle() {
        let mut t = HandleTable::new();
        let a = apple();
        let weak = Arc::downgrade(&a);
        let h = t.add(a, Rights::DUPLICATE).unwrap();
        let d = t.duplicate(h, zx_abi::rights::SAME_RIGHTS).unwrap();
        drop(t.remove(h).unwrap());
        assert!(weak.upgrade().is_some());
        drop(t.remove(d).unwrap());
        assert!(weak.upgrade().is_none());
        let h = t.add(apple(), Rights::READ).unwrap();
        assert_eq!(t.take_all().len(), 1);
        assert_eq!(t.entry(h).err(), Some(ZxStatus::BadHandle));
        assert!(t.is_empty());
    }

    #[test]
    fn objects_count_their_handles_across_tables() {
        let mut a = HandleTable::new();
        let mut b = HandleTable::new();
        let obj = apple();
        let h = a.add(obj.clone(), Rights::DUPLICATE).unwrap();
        assert_eq!(obj.base().handle_count(), 1);
        let d = a.duplicate(h, zx_abi::rights::SAME_RIGHTS).unwrap();
        b.add(obj.clone(), Rights::NONE).unwrap();
        assert_eq!(obj.base().handle_count(), 3);
        let r = a.replace(d, Rights::NONE.bits()).ok().unwrap();
        assert_eq!(obj.base().handle_count(), 3, "replace moves a handle");
        drop(a.remove(r).unwrap());
        assert_eq!(obj.base().handle_count(), 2);
        drop(b.take_all());
        drop(a.take_all());
        assert_eq!(obj.base().handle_count(), 0);
    }

    #[test]
    fn the_table_fills_up_with_no_resources() {
        let mut t = HandleTable::new();
        let a = apple();
        for _ in 0..MAX_HANDLES {
            t.add(a.clone(), Rights::READ).unwrap();
        }
        assert_eq!(
            t.add(a.clone(), Rights::READ).err(),
            Some(ZxStatus::NoResources)
        );
    }
}

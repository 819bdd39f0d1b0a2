//! A process: an address space and a handle table, shared by its threads.
//! Created from an ELF image: each `PT_LOAD` segment becomes a VMO mapped at
//! its link address with the segment's permissions, and the stack is a VMO
//! with a guard page below; the first thread starts at the entry point.
//!
//! Locks: the handle table's lock is taken alone (no other lock is held
//! while it is, and objects taken out of it are dropped after it is
//! released).

use crate::elf::{Elf, ElfError};
use crate::memory::FRAMES;
use crate::object::handle::Entry;
use crate::object::vmar::VmarObject;
use crate::object::{HandleTable, ObjectBase, ObjectRef, ObjectType};
use crate::vm::aspace::Placement;
use crate::vm::{AddressSpace, VmoObject};
use alloc::string::String;
use alloc::sync::Arc;
use mm::vmo::Vmo;
use platform::arch::user_pt::UserPerms;
use spin::Mutex;
use zx_abi::{
    obj_type, Handle, Rights, Signals, ZxStatus, INITIAL_STACK_SIZE, PAGE_SIZE, ROOT_VMAR_BASE,
    ROOT_VMAR_SIZE,
};

/// Where the initial stack goes: well above any link address we promise to
/// load at (2^39) and the kernel's default placement region.
const STACK_TOP: u64 = 0x7fff_0000_0000;

/// Mappings the kernel places itself go at or above this address.
pub const DEFAULT_MAP_BASE: u64 = 0x10_0000_0000;

pub struct Process {
    base: ObjectBase,
    pub name: String,
    pub aspace: Arc<AddressSpace>,
    handles: Mutex<HandleTable>,
}

crate::kernel_object!(Process, obj_type::PROCESS, Rights::DEFAULT_PROCESS);

/// Where a new process's first thread starts.
pub struct StartState {
    pub entry: u64,
    pub stack_top: u64,
    /// x0 at start: the root VMAR handle.
    pub arg0: u64,
}

/// Why a program could not be started.
#[derive(Debug)]
pub enum LoadError {
    Elf(ElfError),
    /// A segment overlaps another, or lies outside the user range.
    BadLayout(u64),
    /// A segment is both writable and executable.
    WritableAndExecutable(u64),
    Kernel(ZxStatus),
}

impl From<ZxStatus> for LoadError {
    fn from(s: ZxStatus) -> Self {
        Self::Kernel(s)
    }
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Elf(e) => write!(f, "bad ELF: {}", e.describe()),
            Self::BadLayout(a) => write!(
                f,
                "segment at {a:#x} overlaps another or lies outside user space"
            ),
            Self::WritableAndExecutable(a) => {
                write!(f, "segment at {a:#x} is writable and executable")
            }
            Self::Kernel(s) => write!(f, "kernel error {}", s.name()),
        }
    }
}

impl Process {
    /// Loads `image` into a fresh address space, ready for its first thread.
    pub fn load(name: &str, image: &[u8]) -> Result<(Arc<Self>, StartState), LoadError> {
        let elf = Elf::parse(image).map_err(LoadError::Elf)?;
        let aspace = AddressSpace::new()?;
        for seg in elf.segments() {
            let seg = seg.map_err(LoadError::Elf)?;
            if seg.mem_size == 0 {
                continue;
            }
            if seg.write && seg.execute {
                return Err(LoadError::WritableAndExecutable(seg.vaddr));
            }
            let start = seg.vaddr & !(PAGE_SIZE - 1);
            let end = (seg.vaddr + seg.mem_size).next_multiple_of(PAGE_SIZE);
            if start < ROOT_VMAR_BASE || end > ROOT_VMAR_BASE + ROOT_VMAR_SIZE {
                return Err(LoadError::BadLayout(seg.vaddr));
            }
            let mut vmo = Vmo::create(&FRAMES, end - start, 0)?;
            vmo.write(seg.vaddr - start, seg.data)?;
            let perms = UserPerms {
                read: seg.read,
                write: seg.write,
                execute: seg.execute,
            };
            aspace
                .map(
                    VmoObject::new(vmo),
                    0,
                    end - start,
                    perms,
                    Placement::Specific(start),
                )
                .map_err(|e| match e {
                    ZxStatus::AlreadyExists => LoadError::BadLayout(seg.vaddr),
                    other => LoadError::Kernel(other),
                })?;
        }

        let stack = VmoObject::new(Vmo::create(&FRAMES, INITIAL_STACK_SIZE, 0)?);
        let rw = UserPerms {
            read: true,
            write: true,
            execute: false,
        };
        // The page below the stack stays unmapped: an overflow faults there.
        let stack_base = STACK_TOP - INITIAL_STACK_SIZE;
        aspace.map(
            stack,
            0,
            INITIAL_STACK_SIZE,
            rw,
            Placement::Specific(stack_base),
        )?;

        let mut handles = HandleTable::new();
        let root = VmarObject::new(aspace.clone(), ROOT_VMAR_BASE, ROOT_VMAR_SIZE);
        let root_handle = handles.add(root, Rights::ROOT_VMAR)?;
        let process = Arc::new(Self {
            base: ObjectBase::new(Signals::empty()),
            name: String::from(name),
            aspace,
            handles: Mutex::new(handles),
        });
        let start = StartState {
            entry: elf.entry,
            stack_top: STACK_TOP,
            arg0: u64::from(root_handle),
        };
        Ok((process, start))
    }

    /// The `T` behind `h` if the handle has every right in `needed`, and the
    /// handle's rights (`BadHandle`, `WrongType`, `AccessDenied`).
    #[inline]
    pub fn get<T: ObjectType>(
        &self,
        h: Handle,
        needed: Rights,
    ) -> Result<(Arc<T>, Rights), ZxStatus> {
        self.handles.lock().get::<T>(h, needed)
    }

    /// The object behind `h` (any type) if the handle has `needed`.
    #[inline]
    pub fn get_any(&self, h: Handle, needed: Rights) -> Result<(ObjectRef, Rights), ZxStatus> {
        self.handles.lock().get_any(h, needed)
    }

    /// Installs a handle to a `T`.
    #[inline]
    pub fn add_handle<T: ObjectType>(
        &self,
        object: Arc<T>,
        rights: Rights,
    ) -> Result<Handle, ZxStatus> {
        self.handles.lock().add(object, rights)
    }

    /// Installs a handle for what another handle held.
    #[inline]
    pub fn add_entry(&self, entry: Entry) -> Result<Handle, ZxStatus> {
        self.handles.lock().add_entry(entry)
    }

    /// Runs `f` on the handle table; what it returns for dropping is
    /// dropped after the lock is released.
    #[inline]
    pub fn with_handles<R>(&self, f: impl FnOnce(&mut HandleTable) -> R) -> R {
        f(&mut self.handles.lock())
    }

    /// Removes a handle; what it held is dropped by the caller, outside the
    /// table's lock.
    #[inline]
    pub fn remove_handle(&self, h: Handle) -> Result<Entry, ZxStatus> {
        self.handles.lock().remove(h)
    }

    /// Handles the process holds.
    pub fn handle_count(&self) -> usize {
        self.handles.lock().len()
    }

    /// The process has ended: its handles close and its address space is
    /// torn down (mappings, tables, ASID).
    pub fn terminate(&self) {
        let entries = self.handles.lock().take_all();
        drop(entries);
        self.aspace.destroy();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.terminate();
    }
}

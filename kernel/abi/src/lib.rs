//! The system-call ABI shared by the kernel and EL0 programs: syscall numbers,
//! `zx_status_t` values, rights, options, signals, object types and the layout
//! of the structures that cross the boundary. Values are Zircon's (see
//! `docs/syscall-abi.md`); nothing here depends on the target.
#![no_std]
#![forbid(unsafe_code)]

pub mod status;
pub use status::ZxStatus;

/// Page size of every address space this kernel builds.
pub const PAGE_SIZE: u64 = 4096;

/// `zx_handle_t`: the low two bits of every valid handle are set.
pub type Handle = u32;
pub const ZX_HANDLE_INVALID: Handle = 0;
pub const ZX_HANDLE_FIXED_BITS_MASK: Handle = 0x3;

/// System-call numbers, passed in x16 (a snapshot of Zircon's table).
pub mod sys {
    pub const DEBUG_WRITE: u64 = 20;
    pub const HANDLE_CLOSE: u64 = 42;
    pub const HANDLE_DUPLICATE: u64 = 44;
    pub const HANDLE_REPLACE: u64 = 45;
    pub const OBJECT_WAIT_ONE: u64 = 67;
    pub const OBJECT_GET_PROPERTY: u64 = 72;
    pub const OBJECT_SET_PROPERTY: u64 = 73;
    pub const OBJECT_GET_INFO: u64 = 74;
    pub const PROCESS_EXIT: u64 = 100;
    pub const VMAR_MAP: u64 = 152;
    pub const VMAR_UNMAP: u64 = 153;
    pub const VMO_CREATE: u64 = 156;
    pub const VMO_READ: u64 = 157;
    pub const VMO_WRITE: u64 = 158;
    pub const VMO_GET_SIZE: u64 = 159;
    pub const VMO_SET_SIZE: u64 = 160;
    pub const VMO_OP_RANGE: u64 = 161;
    pub const VMO_CREATE_CHILD: u64 = 162;
    pub const VMO_REPLACE_AS_EXECUTABLE: u64 = 164;
    /// Not part of Zircon: kernel statistics for tests (free pages and more).
    /// Outside Zircon's range so that it can never collide with a real call.
    pub const KERNEL_STATS: u64 = 0x1000;
}

/// `zx_rights_t` bits.
pub mod rights {
    pub const NONE: u32 = 0;
    pub const DUPLICATE: u32 = 1 << 0;
    pub const TRANSFER: u32 = 1 << 1;
    pub const READ: u32 = 1 << 2;
    pub const WRITE: u32 = 1 << 3;
    pub const EXECUTE: u32 = 1 << 4;
    pub const MAP: u32 = 1 << 5;
    pub const GET_PROPERTY: u32 = 1 << 6;
    pub const SET_PROPERTY: u32 = 1 << 7;
    pub const ENUMERATE: u32 = 1 << 8;
    pub const DESTROY: u32 = 1 << 9;
    pub const SET_POLICY: u32 = 1 << 10;
    pub const GET_POLICY: u32 = 1 << 11;
    pub const SIGNAL: u32 = 1 << 12;
    pub const SIGNAL_PEER: u32 = 1 << 13;
    pub const WAIT: u32 = 1 << 14;
    pub const INSPECT: u32 = 1 << 15;
    pub const OP_CHILDREN: u32 = 1 << 21;
    pub const RESIZE: u32 = 1 << 22;
    pub const SAME_RIGHTS: u32 = 1 << 31;

    pub const BASIC: u32 = TRANSFER | DUPLICATE | WAIT | INSPECT;
    pub const IO: u32 = READ | WRITE;
    pub const PROPERTY: u32 = GET_PROPERTY | SET_PROPERTY;
    /// 0xD0EF.
    pub const DEFAULT_VMO: u32 = BASIC | IO | PROPERTY | MAP | SIGNAL;
    /// What a process's root VMAR handle carries at start.
    pub const ROOT_VMAR: u32 = DUPLICATE | TRANSFER | INSPECT | READ | WRITE | EXECUTE;
}

/// `zx_vmo_create` options.
pub mod vmo_opt {
    pub const RESIZABLE: u32 = 1 << 1;
    pub const DISCARDABLE: u32 = 1 << 2;
}

/// `zx_vmo_create_child` options.
pub mod child_opt {
    pub const SNAPSHOT: u32 = 1 << 0;
    pub const RESIZABLE: u32 = 1 << 2;
    pub const SLICE: u32 = 1 << 3;
    pub const SNAPSHOT_AT_LEAST_ON_WRITE: u32 = 1 << 4;
    pub const NO_WRITE: u32 = 1 << 5;
}

/// `zx_vmo_op_range` operations.
pub mod vmo_op {
    pub const COMMIT: u32 = 1;
    pub const DECOMMIT: u32 = 2;
    pub const LOCK: u32 = 3;
    pub const UNLOCK: u32 = 4;
    pub const CACHE_SYNC: u32 = 6;
    pub const CACHE_INVALIDATE: u32 = 7;
    pub const CACHE_CLEAN: u32 = 8;
    pub const CACHE_CLEAN_INVALIDATE: u32 = 9;
    pub const ZERO: u32 = 10;
    pub const TRY_LOCK: u32 = 11;
    pub const DONT_NEED: u32 = 12;
    pub const ALWAYS_NEED: u32 = 13;
    pub const PREFETCH: u32 = 14;
}

/// `zx_vm_option_t` bits for `zx_vmar_map`.
pub mod vm_opt {
    pub const PERM_READ: u32 = 1 << 0;
    pub const PERM_WRITE: u32 = 1 << 1;
    pub const PERM_EXECUTE: u32 = 1 << 2;
    pub const COMPACT: u32 = 1 << 3;
    pub const SPECIFIC: u32 = 1 << 4;
    pub const SPECIFIC_OVERWRITE: u32 = 1 << 5;
    pub const CAN_MAP_SPECIFIC: u32 = 1 << 6;
    pub const CAN_MAP_READ: u32 = 1 << 7;
    pub const CAN_MAP_WRITE: u32 = 1 << 8;
    pub const CAN_MAP_EXECUTE: u32 = 1 << 9;
    pub const MAP_RANGE: u32 = 1 << 10;
    pub const REQUIRE_NON_RESIZABLE: u32 = 1 << 11;
    pub const ALLOW_FAULTS: u32 = 1 << 12;
    pub const OFFSET_IS_UPPER_LIMIT: u32 = 1 << 13;
    pub const ALIGN_BASE: u32 = 24;
    pub const ALIGN_MASK: u32 = 0x1f << ALIGN_BASE;
}

/// `zx_signals_t` bits.
pub mod signals {
    pub const NONE: u32 = 0;
    pub const VMO_ZERO_CHILDREN: u32 = 1 << 3;
    pub const HANDLE_CLOSED: u32 = 1 << 23;
}

/// `zx_obj_type_t` values.
pub mod obj_type {
    pub const NONE: u32 = 0;
    pub const PROCESS: u32 = 1;
    pub const VMO: u32 = 3;
    pub const VMAR: u32 = 18;
}

/// `zx_object_get/set_property` properties.
pub mod prop {
    pub const NAME: u32 = 3;
    pub const VMO_CONTENT_SIZE: u32 = 17;
}

/// `zx_object_get_info` topics.
pub mod topic {
    pub const HANDLE_VALID: u32 = 1;
    pub const HANDLE_BASIC: u32 = 2;
    pub const VMO: u32 = 0x3000_0017;
    pub const VMO_V1: u32 = 23;
    pub const VMO_V2: u32 = 0x1000_0017;
    pub const VMO_V3: u32 = 0x2000_0017;
}

/// The root VMAR every process gets: `[ROOT_VMAR_BASE, ROOT_VMAR_BASE +
/// ROOT_VMAR_SIZE)`. `ZX_VM_SPECIFIC` offsets are relative to the base.
pub const ROOT_VMAR_BASE: u64 = 0x1_0000;
pub const ROOT_VMAR_SIZE: u64 = (1 << 48) - ROOT_VMAR_BASE;

/// Size of the stack every process starts with (plus an unmapped guard page
/// below it).
pub const INITIAL_STACK_SIZE: u64 = 64 * 1024;

/// `zx_debug_write` writes at most this many bytes per call.
pub const DEBUG_WRITE_MAX: usize = 256;

/// Maximum length of an object name, including the terminating NUL.
pub const ZX_MAX_NAME_LEN: usize = 32;

/// `zx_time_t` deadlines.
pub const ZX_TIME_INFINITE: i64 = i64::MAX;
pub const ZX_TIME_INFINITE_PAST: i64 = i64::MIN;

/// The largest VMO: `ROUNDDOWN(u64::MAX, 2 * 16 * PAGE_SIZE)` = 2^64 - 2^17.
pub const VMO_MAX_SIZE: u64 = u64::MAX - ((2 * 16 * PAGE_SIZE) - 1);

/// Rounds `size` up to a whole number of pages; `None` when that overflows
/// or exceeds [`VMO_MAX_SIZE`] (both are `ZX_ERR_OUT_OF_RANGE` in Zircon).
pub const fn vmo_round_size(size: u64) -> Option<u64> {
    match size.checked_add(PAGE_SIZE - 1) {
        Some(s) => {
            let rounded = s & !(PAGE_SIZE - 1);
            if rounded > VMO_MAX_SIZE {
                None
            } else {
                Some(rounded)
            }
        }
        None => None,
    }
}

/// Indices into the `KERNEL_STATS` result array.
pub mod stats {
    pub const FREE_PAGES: usize = 0;
    pub const TOTAL_PAGES: usize = 1;
    pub const LIVE_VMOS: usize = 2;
    pub const HEAP_USED_BYTES: usize = 3;
    /// Pages discarded from unlocked discardable VMOs under memory pressure.
    pub const RECLAIMED_PAGES: usize = 4;
    pub const COUNT: usize = 5;
}

/// `zx_info_vmo_t.flags` bits.
pub mod vmo_info_flags {
    pub const TYPE_PAGED: u32 = 1 << 0;
    pub const RESIZABLE: u32 = 1 << 1;
    pub const IS_COW_CLONE: u32 = 1 << 2;
    pub const VIA_HANDLE: u32 = 1 << 3;
    pub const DISCARDABLE: u32 = 1 << 7;
    pub const IMMUTABLE: u32 = 1 << 8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_vmo_rights_match_zircon() {
        assert_eq!(rights::DEFAULT_VMO, 0xD0EF);
    }

    #[test]
    fn max_size_boundary() {
        assert_eq!(VMO_MAX_SIZE, 0xFFFF_FFFF_FFFE_0000);
        assert_eq!(vmo_round_size(0), Some(0));
        assert_eq!(vmo_round_size(1), Some(4096));
        assert_eq!(vmo_round_size(0xFFFF_FFFF_FFFE_0000), Some(VMO_MAX_SIZE));
        assert_eq!(vmo_round_size(0xFFFF_FFFF_FFFD_F001), Some(VMO_MAX_SIZE));
        assert_eq!(vmo_round_size(0xFFFF_FFFF_FFFE_0001), None);
        assert_eq!(vmo_round_size(u64::MAX), None);
    }
}

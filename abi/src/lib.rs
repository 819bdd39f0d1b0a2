//! The system-call ABI shared by the kernel and EL0 programs: syscall numbers
//! (generated from Zircon's table), `zx_status_t`, rights, options and
//! signals as typed flags, object types, the `#[repr(C)]` structures that
//! cross the boundary, typed user pointers, and the one list of system calls
//! (`zx_syscalls!`). Values are Zircon's (see `docs/syscall-abi.md`);
//! nothing here depends on the target.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod flags;
pub mod status;
pub mod structs;
pub mod syscalls;
pub mod user_ptr;

pub use flags::*;
pub use status::ZxStatus;
pub use structs::*;
pub use syscalls::{SyscallInfo, SYSCALLS};
pub use user_ptr::{ArgKind, SyscallArg, UserIn, UserInOut, UserOut};

/// Page size of every address space this kernel builds.
pub const PAGE_SIZE: u64 = 4096;

/// `zx_handle_t`: the low two bits of every valid handle are set.
pub type Handle = u32;
pub const ZX_HANDLE_INVALID: Handle = 0;
pub const ZX_HANDLE_FIXED_BITS_MASK: Handle = 0x3;

/// System-call numbers, passed in x16: every call of Zircon's table
/// (generated from `syscall-numbers.md`), plus this kernel's one extension.
pub mod sys {
    include!(concat!(env!("OUT_DIR"), "/numbers.rs"));

    /// Not part of Zircon: kernel statistics for tests (free pages and more).
    /// Outside Zircon's range so that it can never collide with a real call.
    pub const KERNEL_STATS: u64 = 0x1000;

    /// Processes and jobs. Not part of Zircon: a VMO holding a copy of a
    /// file of the boot's initrd (what Zircon's bootfs gives a launcher),
    /// so that a program can load another program from it.
    pub const INITRD_FILE: u64 = 0x1002;
}

/// `zx_vmo_op_range` operations.
/// `zx_info_maps_t.type` values.
pub mod maps_type {
    pub const NONE: u32 = 0;
    pub const ASPACE: u32 = 1;
    pub const VMAR: u32 = 2;
    pub const MAPPING: u32 = 3;
}

/// `zx_vmo_set_cache_policy` policies (`ZX_CACHE_POLICY_*`).
pub mod cache_policy {
    pub const CACHED: u32 = 0;
    pub const UNCACHED: u32 = 1;
    pub const UNCACHED_DEVICE: u32 = 2;
    pub const WRITE_COMBINING: u32 = 3;
    pub const MASK: u32 = 3;
}

/// `zx_vmar_op_range` operations.
pub mod vmar_op {
    pub const COMMIT: u32 = 1;
    pub const DECOMMIT: u32 = 2;
    pub const MAP_RANGE: u32 = 3;
    pub const DONT_NEED: u32 = 12;
    pub const ALWAYS_NEED: u32 = 13;
}

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

/// `zx_obj_type_t` values.
pub mod obj_type {
    pub const NONE: u32 = 0;
    pub const PROCESS: u32 = 1;
    pub const THREAD: u32 = 2;
    pub const VMO: u32 = 3;
    pub const CHANNEL: u32 = 4;
    pub const EVENT: u32 = 5;
    pub const PORT: u32 = 6;
    pub const EVENTPAIR: u32 = 16;
    pub const JOB: u32 = 17;
    pub const VMAR: u32 = 18;
    // Streams.
    pub const STREAM: u32 = 31;
    // Sockets and event pairs.
    pub const SOCKET: u32 = 14;
    // Exceptions.
    pub const EXCEPTION: u32 = 29;
}

/// `zx_object_get/set_property` properties.
pub mod prop {
    pub const NAME: u32 = 3;
    pub const VMO_CONTENT_SIZE: u32 = 17;
    // Streams: a `u8`, nonzero when writes append.
    pub const STREAM_MODE_APPEND: u32 = 19;
    // Sockets: `size_t` thresholds for `ZX_SOCKET_READ/WRITE_THRESHOLD`.
    pub const SOCKET_RX_THRESHOLD: u32 = 12;
    pub const SOCKET_TX_THRESHOLD: u32 = 13;
    // Exceptions: a `u32`, `ZX_EXCEPTION_STATE_*` and
    // `ZX_EXCEPTION_STRATEGY_*`.
    pub const EXCEPTION_STATE: u32 = 16;
    pub const EXCEPTION_STRATEGY: u32 = 18;
}

/// `zx_object_get_info` topics.
pub mod topic {
    pub const HANDLE_VALID: u32 = 1;
    pub const HANDLE_BASIC: u32 = 2;
    pub const VMAR: u32 = 7;
    pub const THREAD: u32 = 10;
    pub const THREAD_STATS: u32 = 15;
    pub const HANDLE_COUNT: u32 = 19;
    pub const PROCESS_MAPS_V1: u32 = 13;
    pub const PROCESS_MAPS_V2: u32 = 0x1000_000d;
    pub const PROCESS_MAPS: u32 = 0x2000_000d;
    pub const PROCESS_VMOS_V1: u32 = 14;
    pub const PROCESS_VMOS_V2: u32 = 0x1000_000e;
    pub const PROCESS_VMOS_V3: u32 = 0x2000_000e;
    pub const PROCESS_VMOS: u32 = 0x3000_000e;
    pub const VMO: u32 = 0x3000_0017;
    pub const VMO_V1: u32 = 23;
    pub const VMO_V2: u32 = 0x1000_0017;
    pub const VMO_V3: u32 = 0x2000_0017;
    // Processes and jobs: `zx_info_process_t` (`__ZX_INFO_TOPIC(3, 1)`, the
    // current 24-byte layout) and `zx_info_job_t`.
    pub const PROCESS: u32 = 0x1000_0003;
    pub const JOB: u32 = 24;
    // Sockets: `zx_info_socket_t`.
    pub const SOCKET: u32 = 22;
    // Streams: `zx_info_stream_t`.
    pub const STREAM: u32 = 26;
    // Exceptions: `zx_exception_report_t` of a thread in an exception, in
    // its first layout (32 bytes, no synthetic code) and the current one.
    pub const THREAD_EXCEPTION_REPORT_V1: u32 = 11;
    pub const THREAD_EXCEPTION_REPORT: u32 = 0x1000_000b;
}

/// Streams: `zx_stream_create` modes, the `zx_stream_writev` option and
/// the `zx_stream_seek` origins.
pub mod stream_opt {
    pub const MODE_READ: u32 = 1 << 0;
    pub const MODE_WRITE: u32 = 1 << 1;
    pub const MODE_APPEND: u32 = 1 << 2;
    /// Every mode `zx_stream_create` accepts.
    pub const CREATE_MASK: u32 = MODE_READ | MODE_WRITE | MODE_APPEND;
    /// `zx_stream_writev`: write at the end of the content.
    pub const APPEND: u32 = 1 << 0;
    pub const SEEK_ORIGIN_START: u32 = 0;
    pub const SEEK_ORIGIN_CURRENT: u32 = 1;
    pub const SEEK_ORIGIN_END: u32 = 2;
}

/// Channels: limits, options and handle operations.
pub mod channel {
    /// `ZX_CHANNEL_MAX_MSG_BYTES`.
    pub const MAX_MSG_BYTES: u32 = 65536;
    /// `ZX_CHANNEL_MAX_MSG_HANDLES`.
    pub const MAX_MSG_HANDLES: u32 = 64;
    /// `ZX_CHANNEL_READ_MAY_DISCARD`: a message too big for the buffers is
    /// dropped instead of left queued.
    pub const READ_MAY_DISCARD: u32 = 1;
    /// `ZX_CHANNEL_WRITE_USE_IOVEC` (not supported here: `INVALID_ARGS`).
    pub const WRITE_USE_IOVEC: u32 = 2;
    /// `ZX_HANDLE_OP_MOVE`.
    pub const HANDLE_OP_MOVE: u32 = 0;
    /// `ZX_HANDLE_OP_DUPLICATE`.
    pub const HANDLE_OP_DUPLICATE: u32 = 1;
    /// Transaction ids from this one up are the kernel's
    /// (`zx_channel_call`); user code picks ids below it.
    pub const MIN_KERNEL_TXID: u32 = 0x8000_0000;
    /// Messages one endpoint may have queued; one more is refused with
    /// `ZX_ERR_SHOULD_WAIT` (Zircon raises a policy exception past
    /// 3500, `kMaxPendingMessageCount`).
    pub const MAX_PENDING_MESSAGES: usize = 3500;
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
/// `zx_info_thread_t.state` values (`ZX_THREAD_STATE_*`).
pub mod thread_state {
    pub const NEW: u32 = 0x0000;
    pub const RUNNING: u32 = 0x0001;
    pub const SUSPENDED: u32 = 0x0002;
    pub const BLOCKED: u32 = 0x0003;
    pub const DYING: u32 = 0x0004;
    pub const DEAD: u32 = 0x0005;
    pub const BLOCKED_SLEEPING: u32 = 0x0203;
    pub const BLOCKED_FUTEX: u32 = 0x0303;
    pub const BLOCKED_WAIT_ONE: u32 = 0x0603;
    pub const BLOCKED_WAIT_MANY: u32 = 0x0703;
    // Channels: a thread in `zx_channel_call`.
    pub const BLOCKED_CHANNEL: u32 = 0x0503;
    // Exceptions: a thread waiting for a handler's answer.
    pub const BLOCKED_EXCEPTION: u32 = 0x0103;
    // Ports.
    pub const BLOCKED_PORT: u32 = 0x0403;
}

/// Exceptions: types (`zx_excp_type_t`), channel options and kinds, the
/// states and strategies of `ZX_PROP_EXCEPTION_*`, and
/// `zx_thread_read_state`'s kinds.
pub mod exception {
    // Architectural exceptions.
    pub const GENERAL: u32 = 0x008;
    /// The fault's status is the report's `synth_code`.
    pub const FATAL_PAGE_FAULT: u32 = 0x108;
    pub const UNDEFINED_INSTRUCTION: u32 = 0x208;
    pub const SW_BREAKPOINT: u32 = 0x308;
    pub const HW_BREAKPOINT: u32 = 0x408;
    pub const UNALIGNED_ACCESS: u32 = 0x508;
    /// Set in every synthetic type.
    pub const SYNTH: u32 = 0x8000;
    /// Sent to a process's debugger channel only.
    pub const THREAD_STARTING: u32 = 0x008 | SYNTH;
    pub const THREAD_EXITING: u32 = 0x108 | SYNTH;
    pub const POLICY_ERROR: u32 = 0x208 | SYNTH;
    /// Sent to job debugger channels only.
    pub const PROCESS_STARTING: u32 = 0x308 | SYNTH;

    /// `ZX_EXCEPTION_CHANNEL_DEBUGGER` (`zx_task_create_exception_channel`).
    pub const CHANNEL_DEBUGGER: u32 = 1;
    /// `ZX_EXCEPTION_CHANNEL_TYPE_*` (`zx_info_thread_t`).
    pub const CHANNEL_TYPE_NONE: u32 = 0;
    pub const CHANNEL_TYPE_DEBUGGER: u32 = 1;
    pub const CHANNEL_TYPE_THREAD: u32 = 2;
    pub const CHANNEL_TYPE_PROCESS: u32 = 3;
    pub const CHANNEL_TYPE_JOB: u32 = 4;
    pub const CHANNEL_TYPE_JOB_DEBUGGER: u32 = 5;
    /// `ZX_EXCEPTION_CHANNEL_JOB_DEBUGGER_MAX_COUNT`.
    pub const JOB_DEBUGGER_MAX_COUNT: usize = 32;

    /// `ZX_EXCEPTION_STATE_*`: what closing the exception does.
    pub const STATE_TRY_NEXT: u32 = 0;
    pub const STATE_HANDLED: u32 = 1;
    pub const STATE_THREAD_EXIT: u32 = 2;
    /// `ZX_EXCEPTION_STRATEGY_*` (set only through a process debugger's
    /// exception).
    pub const STRATEGY_FIRST_CHANCE: u32 = 0;
    pub const STRATEGY_SECOND_CHANCE: u32 = 1;

    /// `ZX_THREAD_STATE_*` (`zx_thread_read_state` kinds): the general
    /// registers (the only kind supported here), then Zircon's others.
    pub const THREAD_STATE_GENERAL_REGS: u32 = 0;
    pub const THREAD_STATE_FP_REGS: u32 = 1;
    pub const THREAD_STATE_VECTOR_REGS: u32 = 2;
    pub const THREAD_STATE_DEBUG_REGS: u32 = 4;
    pub const THREAD_STATE_SINGLE_STEP: u32 = 5;
    /// Zircon's `kMaxThreadStateSize`: a larger buffer is `INVALID_ARGS`.
    pub const THREAD_STATE_MAX_SIZE: usize = 4096;
    /// The bits of `cpsr` a debugger may change (NZCV); the rest stay.
    pub const CPSR_USER_FLAGS: u64 = 0xf000_0000;
}

/// Ports: `zx_port_create` options, `zx_object_wait_async` options, packet
/// types (`zx_port_packet_t.type`) and the queue limit.
pub mod port {
    /// `ZX_PORT_BIND_TO_INTERRUPT` (`zx_port_create`).
    pub const BIND_TO_INTERRUPT: u32 = 1 << 0;
    /// `ZX_WAIT_ASYNC_ONCE`: the only mode there is now (0; persistent
    /// waits, the old `ZX_WAIT_ASYNC_REPEATING`, no longer exist).
    pub const WAIT_ASYNC_ONCE: u32 = 0;
    /// `ZX_WAIT_ASYNC_TIMESTAMP`: the packet carries the monotonic time of
    /// the match.
    pub const WAIT_ASYNC_TIMESTAMP: u32 = 1 << 0;
    /// `ZX_WAIT_ASYNC_EDGE`: only a signal that becomes active after the
    /// call queues a packet.
    pub const WAIT_ASYNC_EDGE: u32 = 1 << 1;
    /// `ZX_WAIT_ASYNC_BOOT_TIMESTAMP`: the time of the boot timeline (the
    /// same as the monotonic one here: nothing suspends).
    pub const WAIT_ASYNC_BOOT_TIMESTAMP: u32 = 1 << 2;
    /// `ZX_PKT_TYPE_USER`.
    pub const PKT_TYPE_USER: u32 = 0;
    /// `ZX_PKT_TYPE_SIGNAL_ONE`.
    pub const PKT_TYPE_SIGNAL_ONE: u32 = 1;
    /// Zircon's `kMaxAllocatedPacketCountPerPort`: with more user packets
    /// than this queued, `zx_port_queue` is `ZX_ERR_SHOULD_WAIT` (Zircon's
    /// test is "more than", so one more than this fits).
    pub const MAX_USER_PACKETS: usize = 4096;
}

/// `ZX_WAIT_MANY_MAX_ITEMS`.
pub const WAIT_MANY_MAX_ITEMS: usize = 64;
/// `ZX_MAX_NAME_LEN`: object names, the terminating NUL included.
pub const MAX_NAME_LEN: usize = 32;
/// `ZX_TASK_RETCODE_SYSCALL_KILL`: a process's return code after
/// `zx_task_kill`.
pub const TASK_RETCODE_SYSCALL_KILL: i64 = -1024;

/// Processes and jobs: `ZX_TASK_RETCODE_EXCEPTION_KILL`, a process's return
/// code after the kernel killed it (a fault with no handler, and this
/// kernel's time-limit and blocked-forever kills).
pub const TASK_RETCODE_EXCEPTION_KILL: i64 = -1025;

/// The most `zx_process_read_memory`/`_write_memory` copy in one call
/// (64 MiB; more is `ZX_ERR_INVALID_ARGS`).
pub const PROCESS_MEMORY_MAX: usize = 64 * 1024 * 1024;

/// `zx_info_process_t.flags` (`ZX_INFO_PROCESS_FLAG_*`).
pub mod info_process_flags {
    pub const STARTED: u32 = 1 << 0;
    pub const EXITED: u32 = 1 << 1;
    pub const DEBUGGER_ATTACHED: u32 = 1 << 2;
}

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
    /// Programs whose process is not yet torn down, memory freed (more
    /// than 1 when the runner runs programs in parallel, or while one
    /// still frees: then free-page counts are everyone's).
    pub const LIVE_PROCESSES: usize = 5;
    /// Cores taking threads.
    pub const CORES_ONLINE: usize = 6;
    /// Programs the runner has started to load since boot (a program that sees it
    /// change knew another one ran beside it, however briefly).
    pub const PROGRAMS_LOADED: usize = 7;
    pub const COUNT: usize = 8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_vmo_rights_match_zircon() {
        assert_eq!(rights::DEFAULT_VMO, 0xD0EF);
    }

    #[test]
    fn every_call_has_zircons_number_and_name() {
        for call in SYSCALLS {
            if call.number == sys::KERNEL_STATS || call.number == sys::INITRD_FILE {
                continue;
            }
            let zircon = sys::ZIRCON_CALLS.iter().find(|(n, _)| *n == call.number);
            assert_eq!(
                zircon.map(|(_, name)| *name),
                Some(call.name),
                "call {} has number {}",
                call.name,
                call.number
            );
        }
    }

    #[test]
    fn numbers_are_unique_in_the_table() {
        for (i, a) in SYSCALLS.iter().enumerate() {
            assert!(SYSCALLS[i + 1..].iter().all(|b| b.number != a.number));
        }
    }

    /// The vendored copy of the shared table is the shared table, when the
    /// project's shared folder sits beside the checkout.
    #[test]
    fn vendored_numbers_match_the_shared_table() {
        let shared = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/syscall-numbers.md"
        );
        let Ok(text) = std::fs::read_to_string(shared) else {
            // Outside the project's workspace layout there is nothing to compare with.
            eprintln!("no {shared}: comparison not possible here");
            return;
        };
        assert_eq!(text, include_str!("../syscall-numbers.md"));
    }

    #[test]
    fn known_numbers() {
        assert_eq!(sys::VMO_CREATE, 156);
        assert_eq!(sys::HANDLE_CLOSE_MANY, 43);
        assert_eq!(sys::OBJECT_SIGNAL, 70);
        assert_eq!(sys::VMO_TRANSFER_DATA, 169);
        assert_eq!(sys::ZIRCON_CALLS.len(), 172);
    }

    #[test]
    fn derived_rights() {
        let r = Rights::READ | Rights::WRITE;
        assert_eq!(r.derive(rights::SAME_RIGHTS), Ok(r));
        assert_eq!(r.derive(rights::READ), Ok(Rights::READ));
        assert_eq!(r.derive(0), Ok(Rights::NONE));
        assert_eq!(r.derive(rights::MAP), Err(ZxStatus::InvalidArgs));
        assert_eq!(
            r.derive(rights::READ | rights::SAME_RIGHTS),
            Err(ZxStatus::InvalidArgs)
        );
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

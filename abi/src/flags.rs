//! Rights, options and signals as typed flags. The kernel works with the
//! types; the `rights`, `vmo_opt`, ... modules give the same values as plain
//! `u32`s for EL0 code that builds raw (possibly invalid) arguments. Each
//! value is written once, in the `bitflags!` definition.

use bitflags::bitflags;

bitflags! {
    /// `zx_rights_t`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Rights: u32 {
        const DUPLICATE = 1 << 0;
        const TRANSFER = 1 << 1;
        const READ = 1 << 2;
        const WRITE = 1 << 3;
        const EXECUTE = 1 << 4;
        const MAP = 1 << 5;
        const GET_PROPERTY = 1 << 6;
        const SET_PROPERTY = 1 << 7;
        const ENUMERATE = 1 << 8;
        const DESTROY = 1 << 9;
        const SET_POLICY = 1 << 10;
        const GET_POLICY = 1 << 11;
        const SIGNAL = 1 << 12;
        const SIGNAL_PEER = 1 << 13;
        const WAIT = 1 << 14;
        const INSPECT = 1 << 15;
        const MANAGE_JOB = 1 << 16;
        const MANAGE_PROCESS = 1 << 17;
        const MANAGE_THREAD = 1 << 18;
        const APPLY_PROFILE = 1 << 19;
        const MANAGE_SOCKET = 1 << 20;
        const OP_CHILDREN = 1 << 21;
        const RESIZE = 1 << 22;
        const ATTACH_VMO = 1 << 23;
        const MANAGE_VMO = 1 << 24;
        /// Not a right: "the rights the handle already has".
        const SAME_RIGHTS = 1 << 31;
    }
}

impl Rights {
    pub const NONE: Self = Self::empty();
    pub const BASIC: Self = Self::TRANSFER
        .union(Self::DUPLICATE)
        .union(Self::WAIT)
        .union(Self::INSPECT);
    pub const IO: Self = Self::READ.union(Self::WRITE);
    pub const PROPERTY: Self = Self::GET_PROPERTY.union(Self::SET_PROPERTY);
    /// A new VMO's handle (0xD0EF).
    pub const DEFAULT_VMO: Self = Self::BASIC
        .union(Self::IO)
        .union(Self::PROPERTY)
        .union(Self::MAP)
        .union(Self::SIGNAL);
    /// `ZX_DEFAULT_PROCESS_RIGHTS`.
    pub const DEFAULT_PROCESS: Self = Self::BASIC
        .union(Self::IO)
        .union(Self::PROPERTY)
        .union(Self::ENUMERATE)
        .union(Self::DESTROY)
        .union(Self::SIGNAL)
        .union(Self::MANAGE_PROCESS)
        .union(Self::MANAGE_THREAD);
    /// `ZX_DEFAULT_THREAD_RIGHTS`.
    pub const DEFAULT_THREAD: Self = Self::BASIC
        .union(Self::IO)
        .union(Self::PROPERTY)
        .union(Self::DESTROY)
        .union(Self::SIGNAL)
        .union(Self::MANAGE_THREAD)
        .union(Self::APPLY_PROFILE);
    /// `ZX_DEFAULT_EVENT_RIGHTS`.
    pub const DEFAULT_EVENT: Self = Self::BASIC.union(Self::SIGNAL);
    /// `ZX_DEFAULT_STREAM_RIGHTS` (streams): READ and WRITE come only
    /// with the stream's modes.
    pub const DEFAULT_STREAM: Self = Self::BASIC.union(Self::PROPERTY).union(Self::SIGNAL);
    /// `ZX_DEFAULT_VMAR_RIGHTS`: `(BASIC & !WAIT) | OP_CHILDREN`. A VMAR
    /// handle also gets READ, WRITE and EXECUTE for the region's
    /// `ZX_VM_CAN_MAP_*` capabilities.
    pub const DEFAULT_VMAR: Self = Self::DUPLICATE
        .union(Self::TRANSFER)
        .union(Self::INSPECT)
        .union(Self::OP_CHILDREN);
    /// What a process's root VMAR handle carries at start (it can map
    /// everything).
    pub const ROOT_VMAR: Self = Self::DEFAULT_VMAR
        .union(Self::READ)
        .union(Self::WRITE)
        .union(Self::EXECUTE);
    /// `ZX_DEFAULT_PORT_RIGHTS` (ports): BASIC without WAIT (a port is not
    /// waitable), and IO.
    pub const DEFAULT_PORT: Self = Self::BASIC.difference(Self::WAIT).union(Self::IO);
    /// `ZX_DEFAULT_EXCEPTION_RIGHTS`: TRANSFER, the property rights and
    /// INSPECT (no DUPLICATE: one handle resolves the exception).
    pub const DEFAULT_EXCEPTION: Self = Self::TRANSFER.union(Self::PROPERTY).union(Self::INSPECT);
    /// What `zx_task_create_exception_channel` leaves on the user's end:
    /// exception channels are read-only to user code.
    pub const EXCEPTION_CHANNEL: Self = Self::TRANSFER.union(Self::WAIT).union(Self::READ);
    /// What a task handle needs to create an exception channel (a job or
    /// a process also needs ENUMERATE).
    pub const CREATE_EXCEPTION_CHANNEL: Self = Self::INSPECT
        .union(Self::DUPLICATE)
        .union(Self::TRANSFER)
        .union(Self::MANAGE_THREAD);
    // Processes and jobs.
    /// `ZX_DEFAULT_JOB_RIGHTS`.
    pub const DEFAULT_JOB: Self = Self::BASIC
        .union(Self::IO)
        .union(Self::PROPERTY)
        .union(Self::GET_POLICY)
        .union(Self::SET_POLICY)
        .union(Self::ENUMERATE)
        .union(Self::DESTROY)
        .union(Self::SIGNAL)
        .union(Self::MANAGE_JOB)
        .union(Self::MANAGE_PROCESS)
        .union(Self::MANAGE_THREAD);

    /// The rights a derived handle gets (`zx_handle_duplicate`/`_replace`):
    /// all of `self` for `SAME_RIGHTS`, else `requested`, which may not add a
    /// right (`INVALID_ARGS`).
    pub fn derive(self, requested: u32) -> Result<Self, crate::ZxStatus> {
        if requested == Self::SAME_RIGHTS.bits() {
            return Ok(self);
        }
        let requested = Self::from_bits_retain(requested);
        if !self.contains(requested) {
            return Err(crate::ZxStatus::InvalidArgs);
        }
        Ok(requested)
    }
}

bitflags! {
    /// `zx_signals_t`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Signals: u32 {
        /// `ZX_VMO_ZERO_CHILDREN` (= `__ZX_OBJECT_SIGNALED`).
        const VMO_ZERO_CHILDREN = 1 << 3;
        const HANDLE_CLOSED = 1 << 23;
        const USER_0 = 1 << 24;
        const USER_1 = 1 << 25;
        const USER_2 = 1 << 26;
        const USER_3 = 1 << 27;
        const USER_4 = 1 << 28;
        const USER_5 = 1 << 29;
        const USER_6 = 1 << 30;
        const USER_7 = 1 << 31;
    }
}

impl Signals {
    /// `ZX_USER_SIGNAL_ALL`: the bits `zx_object_signal` may change.
    pub const USER_ALL: Self = Self::from_bits_retain(0xff00_0000);
    /// `__ZX_OBJECT_SIGNALED`, which each type names for itself.
    const OBJECT_SIGNALED: Self = Self::VMO_ZERO_CHILDREN;
    /// `ZX_TASK_TERMINATED`: `ZX_THREAD_TERMINATED`, `ZX_PROCESS_TERMINATED`.
    pub const TASK_TERMINATED: Self = Self::OBJECT_SIGNALED;
    /// `ZX_EVENT_SIGNALED`.
    pub const EVENT_SIGNALED: Self = Self::OBJECT_SIGNALED;
    /// `ZX_THREAD_RUNNING` (`ZX_OBJECT_SIGNAL_4`).
    pub const THREAD_RUNNING: Self = Self::from_bits_retain(1 << 4);
}

/// Peered objects: sockets and event pairs (their own block).
impl Signals {
    /// `ZX_OBJECT_READABLE` (`ZX_SOCKET_READABLE`).
    pub const READABLE: Self = Self::from_bits_retain(1 << 0);
    /// `ZX_OBJECT_WRITABLE` (`ZX_SOCKET_WRITABLE`).
    pub const WRITABLE: Self = Self::from_bits_retain(1 << 1);
    /// `ZX_OBJECT_PEER_CLOSED`: the other endpoint has no handles left.
    pub const PEER_CLOSED: Self = Self::from_bits_retain(1 << 2);
    /// `ZX_EVENTPAIR_SIGNALED`.
    pub const EVENTPAIR_SIGNALED: Self = Self::OBJECT_SIGNALED;
    /// `ZX_SOCKET_PEER_WRITE_DISABLED` (`ZX_OBJECT_SIGNAL_4`).
    pub const SOCKET_PEER_WRITE_DISABLED: Self = Self::from_bits_retain(1 << 4);
    /// `ZX_SOCKET_WRITE_DISABLED` (`ZX_OBJECT_SIGNAL_5`).
    pub const SOCKET_WRITE_DISABLED: Self = Self::from_bits_retain(1 << 5);
    /// `ZX_SOCKET_READ_THRESHOLD` (`ZX_OBJECT_SIGNAL_10`).
    pub const SOCKET_READ_THRESHOLD: Self = Self::from_bits_retain(1 << 10);
    /// `ZX_SOCKET_WRITE_THRESHOLD` (`ZX_OBJECT_SIGNAL_11`).
    pub const SOCKET_WRITE_THRESHOLD: Self = Self::from_bits_retain(1 << 11);
}

/// Peered objects: sockets and event pairs (their own block).
impl Rights {
    /// `ZX_DEFAULT_EVENTPAIR_RIGHTS`.
    pub const DEFAULT_EVENTPAIR: Self = Self::BASIC.union(Self::SIGNAL).union(Self::SIGNAL_PEER);
    /// `ZX_DEFAULT_SOCKET_RIGHTS`.
    pub const DEFAULT_SOCKET: Self = Self::BASIC
        .union(Self::IO)
        .union(Self::PROPERTY)
        .union(Self::SIGNAL)
        .union(Self::SIGNAL_PEER)
        .union(Self::MANAGE_SOCKET);
}

/// Channels (their own block).
impl Rights {
    /// `ZX_DEFAULT_CHANNEL_RIGHTS` (0xF00E): the basic rights without
    /// DUPLICATE (a channel endpoint is not duplicated by default), I/O,
    /// signal and signal peer.
    pub const DEFAULT_CHANNEL: Self = Self::BASIC
        .difference(Self::DUPLICATE)
        .union(Self::IO)
        .union(Self::SIGNAL)
        .union(Self::SIGNAL_PEER);
}

const _: () = assert!(Rights::DEFAULT_CHANNEL.bits() == 0xF00E);

bitflags! {
    /// `zx_socket_create` options.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SocketOptions: u32 {
        /// `ZX_SOCKET_DATAGRAM` (`ZX_SOCKET_STREAM` is 0).
        const DATAGRAM = 1 << 0;
    }
}

bitflags! {
    /// `zx_socket_read` options.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SocketReadOptions: u32 {
        /// `ZX_SOCKET_PEEK`: the bytes stay in the socket.
        const PEEK = 1 << 3;
    }
}

bitflags! {
    /// `zx_socket_shutdown` options.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SocketShutdown: u32 {
        /// `ZX_SOCKET_SHUTDOWN_WRITE`.
        const WRITE = 1 << 0;
        /// `ZX_SOCKET_SHUTDOWN_READ`.
        const READ = 1 << 1;
    }
}

bitflags! {
    /// `zx_vmo_create` options.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct VmoOptions: u32 {
        const RESIZABLE = 1 << 1;
        const DISCARDABLE = 1 << 2;
        /// Streams: the VMO is as large as a VMO can be, its stream size
        /// starts at the size given (never with `RESIZABLE`).
        const UNBOUNDED = 1 << 4;
    }
}

bitflags! {
    /// `zx_vmo_create_child` options.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct ChildOptions: u32 {
        const SNAPSHOT = 1 << 0;
        const RESIZABLE = 1 << 2;
        const SLICE = 1 << 3;
        const SNAPSHOT_AT_LEAST_ON_WRITE = 1 << 4;
        const NO_WRITE = 1 << 5;
        /// The child sees the parent's pages, size and content size
        /// themselves (offset and size must be 0).
        const REFERENCE = 1 << 6;
        /// For VMOs without a pager, the same as `SNAPSHOT`.
        const SNAPSHOT_MODIFIED = 1 << 7;
    }
}

bitflags! {
    /// `zx_vm_option_t` for `zx_vmar_map` (the alignment field aside).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct VmOptions: u32 {
        const PERM_READ = 1 << 0;
        const PERM_WRITE = 1 << 1;
        const PERM_EXECUTE = 1 << 2;
        const COMPACT = 1 << 3;
        const SPECIFIC = 1 << 4;
        const SPECIFIC_OVERWRITE = 1 << 5;
        const CAN_MAP_SPECIFIC = 1 << 6;
        const CAN_MAP_READ = 1 << 7;
        const CAN_MAP_WRITE = 1 << 8;
        const CAN_MAP_EXECUTE = 1 << 9;
        const MAP_RANGE = 1 << 10;
        const REQUIRE_NON_RESIZABLE = 1 << 11;
        const ALLOW_FAULTS = 1 << 12;
        const OFFSET_IS_UPPER_LIMIT = 1 << 13;
        const PERM_READ_IF_XOM_UNSUPPORTED = 1 << 14;
    }
}

impl VmOptions {
    /// The alignment field: `n << ALIGN_BASE` asks for 2^n alignment.
    pub const ALIGN_BASE: u32 = 24;
    pub const ALIGN_MASK: u32 = 0x1f << Self::ALIGN_BASE;
}

bitflags! {
    /// `zx_info_vmo_t.flags`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct VmoInfoFlags: u32 {
        const TYPE_PAGED = 1 << 0;
        const RESIZABLE = 1 << 1;
        const IS_COW_CLONE = 1 << 2;
        const VIA_HANDLE = 1 << 3;
        const VIA_MAPPING = 1 << 4;
        const PAGER_BACKED = 1 << 5;
        const CONTIGUOUS = 1 << 6;
        const DISCARDABLE = 1 << 7;
        const IMMUTABLE = 1 << 8;
    }
}

/// `zx_rights_t` bits as plain values, for EL0 code.
pub mod rights {
    use super::Rights;
    pub const NONE: u32 = Rights::NONE.bits();
    pub const DUPLICATE: u32 = Rights::DUPLICATE.bits();
    pub const TRANSFER: u32 = Rights::TRANSFER.bits();
    pub const READ: u32 = Rights::READ.bits();
    pub const WRITE: u32 = Rights::WRITE.bits();
    pub const EXECUTE: u32 = Rights::EXECUTE.bits();
    pub const MAP: u32 = Rights::MAP.bits();
    pub const GET_PROPERTY: u32 = Rights::GET_PROPERTY.bits();
    pub const SET_PROPERTY: u32 = Rights::SET_PROPERTY.bits();
    pub const ENUMERATE: u32 = Rights::ENUMERATE.bits();
    pub const DESTROY: u32 = Rights::DESTROY.bits();
    pub const SET_POLICY: u32 = Rights::SET_POLICY.bits();
    pub const GET_POLICY: u32 = Rights::GET_POLICY.bits();
    pub const SIGNAL: u32 = Rights::SIGNAL.bits();
    pub const SIGNAL_PEER: u32 = Rights::SIGNAL_PEER.bits();
    pub const WAIT: u32 = Rights::WAIT.bits();
    pub const INSPECT: u32 = Rights::INSPECT.bits();
    pub const OP_CHILDREN: u32 = Rights::OP_CHILDREN.bits();
    pub const RESIZE: u32 = Rights::RESIZE.bits();
    pub const MANAGE_PROCESS: u32 = Rights::MANAGE_PROCESS.bits();
    pub const MANAGE_THREAD: u32 = Rights::MANAGE_THREAD.bits();
    pub const SAME_RIGHTS: u32 = Rights::SAME_RIGHTS.bits();
    pub const BASIC: u32 = Rights::BASIC.bits();
    pub const IO: u32 = Rights::IO.bits();
    pub const PROPERTY: u32 = Rights::PROPERTY.bits();
    pub const DEFAULT_VMO: u32 = Rights::DEFAULT_VMO.bits();
    pub const ROOT_VMAR: u32 = Rights::ROOT_VMAR.bits();
    pub const DEFAULT_VMAR: u32 = Rights::DEFAULT_VMAR.bits();
    pub const DEFAULT_PROCESS: u32 = Rights::DEFAULT_PROCESS.bits();
    pub const DEFAULT_THREAD: u32 = Rights::DEFAULT_THREAD.bits();
    pub const DEFAULT_EVENT: u32 = Rights::DEFAULT_EVENT.bits();
    // Streams.
    pub const DEFAULT_STREAM: u32 = Rights::DEFAULT_STREAM.bits();
    // Ports.
    pub const DEFAULT_PORT: u32 = Rights::DEFAULT_PORT.bits();
    // Sockets and event pairs.
    pub const MANAGE_SOCKET: u32 = Rights::MANAGE_SOCKET.bits();
    pub const DEFAULT_EVENTPAIR: u32 = Rights::DEFAULT_EVENTPAIR.bits();
    pub const DEFAULT_SOCKET: u32 = Rights::DEFAULT_SOCKET.bits();
    // Processes and jobs.
    pub const MANAGE_JOB: u32 = Rights::MANAGE_JOB.bits();
    pub const DEFAULT_JOB: u32 = Rights::DEFAULT_JOB.bits();
    // Channels.
    pub const DEFAULT_CHANNEL: u32 = Rights::DEFAULT_CHANNEL.bits();
    // Exceptions.
    pub const DEFAULT_EXCEPTION: u32 = Rights::DEFAULT_EXCEPTION.bits();
}

/// `zx_signals_t` bits as plain values.
pub mod signals {
    use super::Signals;
    pub const NONE: u32 = 0;
    pub const VMO_ZERO_CHILDREN: u32 = Signals::VMO_ZERO_CHILDREN.bits();
    pub const HANDLE_CLOSED: u32 = Signals::HANDLE_CLOSED.bits();
    pub const USER_0: u32 = Signals::USER_0.bits();
    pub const USER_1: u32 = Signals::USER_1.bits();
    pub const USER_2: u32 = Signals::USER_2.bits();
    pub const USER_3: u32 = Signals::USER_3.bits();
    pub const USER_4: u32 = Signals::USER_4.bits();
    pub const USER_5: u32 = Signals::USER_5.bits();
    pub const USER_6: u32 = Signals::USER_6.bits();
    pub const USER_7: u32 = Signals::USER_7.bits();
    pub const USER_ALL: u32 = Signals::USER_ALL.bits();
    pub const TASK_TERMINATED: u32 = Signals::TASK_TERMINATED.bits();
    pub const THREAD_TERMINATED: u32 = Signals::TASK_TERMINATED.bits();
    pub const PROCESS_TERMINATED: u32 = Signals::TASK_TERMINATED.bits();
    pub const EVENT_SIGNALED: u32 = Signals::EVENT_SIGNALED.bits();
    pub const THREAD_RUNNING: u32 = Signals::THREAD_RUNNING.bits();
    // Processes and jobs.
    /// `ZX_JOB_TERMINATED`.
    pub const JOB_TERMINATED: u32 = Signals::TASK_TERMINATED.bits();
    // Sockets and event pairs.
    pub const READABLE: u32 = Signals::READABLE.bits();
    pub const WRITABLE: u32 = Signals::WRITABLE.bits();
    pub const PEER_CLOSED: u32 = Signals::PEER_CLOSED.bits();
    pub const EVENTPAIR_SIGNALED: u32 = Signals::EVENTPAIR_SIGNALED.bits();
    pub const EVENTPAIR_PEER_CLOSED: u32 = Signals::PEER_CLOSED.bits();
    pub const SOCKET_READABLE: u32 = Signals::READABLE.bits();
    pub const SOCKET_WRITABLE: u32 = Signals::WRITABLE.bits();
    pub const SOCKET_PEER_CLOSED: u32 = Signals::PEER_CLOSED.bits();
    pub const SOCKET_PEER_WRITE_DISABLED: u32 = Signals::SOCKET_PEER_WRITE_DISABLED.bits();
    pub const SOCKET_WRITE_DISABLED: u32 = Signals::SOCKET_WRITE_DISABLED.bits();
    pub const SOCKET_READ_THRESHOLD: u32 = Signals::SOCKET_READ_THRESHOLD.bits();
    pub const SOCKET_WRITE_THRESHOLD: u32 = Signals::SOCKET_WRITE_THRESHOLD.bits();
    // Channels.
    pub const CHANNEL_READABLE: u32 = Signals::READABLE.bits();
    pub const CHANNEL_WRITABLE: u32 = Signals::WRITABLE.bits();
    pub const CHANNEL_PEER_CLOSED: u32 = Signals::PEER_CLOSED.bits();
}

/// `zx_socket_*` options as plain values.
pub mod socket_opt {
    use super::{SocketOptions, SocketReadOptions, SocketShutdown};
    pub const STREAM: u32 = 0;
    pub const DATAGRAM: u32 = SocketOptions::DATAGRAM.bits();
    pub const PEEK: u32 = SocketReadOptions::PEEK.bits();
    pub const SHUTDOWN_WRITE: u32 = SocketShutdown::WRITE.bits();
    pub const SHUTDOWN_READ: u32 = SocketShutdown::READ.bits();
}

/// `zx_vmo_create` options as plain values.
pub mod vmo_opt {
    use super::VmoOptions;
    pub const RESIZABLE: u32 = VmoOptions::RESIZABLE.bits();
    pub const DISCARDABLE: u32 = VmoOptions::DISCARDABLE.bits();
    pub const UNBOUNDED: u32 = VmoOptions::UNBOUNDED.bits();
}

/// `zx_vmo_create_child` options as plain values.
pub mod child_opt {
    use super::ChildOptions;
    pub const SNAPSHOT: u32 = ChildOptions::SNAPSHOT.bits();
    pub const RESIZABLE: u32 = ChildOptions::RESIZABLE.bits();
    pub const SLICE: u32 = ChildOptions::SLICE.bits();
    pub const SNAPSHOT_AT_LEAST_ON_WRITE: u32 = ChildOptions::SNAPSHOT_AT_LEAST_ON_WRITE.bits();
    pub const NO_WRITE: u32 = ChildOptions::NO_WRITE.bits();
    pub const REFERENCE: u32 = ChildOptions::REFERENCE.bits();
    pub const SNAPSHOT_MODIFIED: u32 = ChildOptions::SNAPSHOT_MODIFIED.bits();
}

/// `zx_vm_option_t` bits as plain values.
pub mod vm_opt {
    use super::VmOptions;
    pub const PERM_READ: u32 = VmOptions::PERM_READ.bits();
    pub const PERM_WRITE: u32 = VmOptions::PERM_WRITE.bits();
    pub const PERM_EXECUTE: u32 = VmOptions::PERM_EXECUTE.bits();
    pub const COMPACT: u32 = VmOptions::COMPACT.bits();
    pub const SPECIFIC: u32 = VmOptions::SPECIFIC.bits();
    pub const SPECIFIC_OVERWRITE: u32 = VmOptions::SPECIFIC_OVERWRITE.bits();
    pub const CAN_MAP_SPECIFIC: u32 = VmOptions::CAN_MAP_SPECIFIC.bits();
    pub const CAN_MAP_READ: u32 = VmOptions::CAN_MAP_READ.bits();
    pub const CAN_MAP_WRITE: u32 = VmOptions::CAN_MAP_WRITE.bits();
    pub const CAN_MAP_EXECUTE: u32 = VmOptions::CAN_MAP_EXECUTE.bits();
    pub const MAP_RANGE: u32 = VmOptions::MAP_RANGE.bits();
    pub const REQUIRE_NON_RESIZABLE: u32 = VmOptions::REQUIRE_NON_RESIZABLE.bits();
    pub const ALLOW_FAULTS: u32 = VmOptions::ALLOW_FAULTS.bits();
    pub const OFFSET_IS_UPPER_LIMIT: u32 = VmOptions::OFFSET_IS_UPPER_LIMIT.bits();
    pub const PERM_READ_IF_XOM_UNSUPPORTED: u32 = VmOptions::PERM_READ_IF_XOM_UNSUPPORTED.bits();
    pub const ALIGN_BASE: u32 = VmOptions::ALIGN_BASE;
    pub const ALIGN_MASK: u32 = VmOptions::ALIGN_MASK;
}

/// `zx_info_vmo_t.flags` bits as plain values.
pub mod vmo_info_flags {
    use super::VmoInfoFlags;
    pub const TYPE_PAGED: u32 = VmoInfoFlags::TYPE_PAGED.bits();
    pub const RESIZABLE: u32 = VmoInfoFlags::RESIZABLE.bits();
    pub const IS_COW_CLONE: u32 = VmoInfoFlags::IS_COW_CLONE.bits();
    pub const VIA_HANDLE: u32 = VmoInfoFlags::VIA_HANDLE.bits();
    pub const VIA_MAPPING: u32 = VmoInfoFlags::VIA_MAPPING.bits();
    pub const DISCARDABLE: u32 = VmoInfoFlags::DISCARDABLE.bits();
    pub const IMMUTABLE: u32 = VmoInfoFlags::IMMUTABLE.bits();
}

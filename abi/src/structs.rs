//! Every `#[repr(C)]` structure that crosses the system-call boundary, with
//! Zircon's layout pinned by offset and size assertions. The kernel fills
//! them and copies them out whole; EL0 programs read them back field by
//! field. Nothing is assembled from hand-placed byte offsets.

use core::mem::{offset_of, size_of};

/// `zx_info_handle_basic_t` (`ZX_INFO_HANDLE_BASIC`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoHandleBasic {
    pub koid: u64,
    pub rights: u32,
    /// `zx_obj_type_t`.
    pub obj_type: u32,
    pub related_koid: u64,
    pub reserved: u32,
    pub padding1: [u8; 4],
}

const _: () = {
    assert!(size_of::<InfoHandleBasic>() == 32);
    assert!(offset_of!(InfoHandleBasic, rights) == 8);
    assert!(offset_of!(InfoHandleBasic, obj_type) == 12);
    assert!(offset_of!(InfoHandleBasic, related_koid) == 16);
    assert!(offset_of!(InfoHandleBasic, reserved) == 24);
};

/// `zx_info_handle_count_t` (`ZX_INFO_HANDLE_COUNT`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoHandleCount {
    pub handle_count: u32,
}

const _: () = assert!(size_of::<InfoHandleCount>() == 4);

/// `zx_info_vmar_t` (`ZX_INFO_VMAR`): where a VMAR lies.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoVmar {
    pub base: u64,
    pub len: u64,
}

const _: () = {
    assert!(size_of::<InfoVmar>() == 16);
    assert!(offset_of!(InfoVmar, len) == 8);
};

/// `zx_info_vmo_t`, the current layout (topic `ZX_INFO_VMO`, version 4).
/// The older topics return a prefix of it: see [`InfoVmo::size_for_topic`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoVmo {
    pub koid: u64,
    pub name: [u8; crate::ZX_MAX_NAME_LEN],
    pub size_bytes: u64,
    pub parent_koid: u64,
    pub num_children: u64,
    pub num_mappings: u64,
    pub share_count: u64,
    /// [`crate::VmoInfoFlags`].
    pub flags: u32,
    pub padding1: [u8; 4],
    pub committed_bytes: u64,
    pub handle_rights: u32,
    pub cache_policy: u32,
    pub metadata_bytes: u64,
    pub committed_change_events: u64,
    pub populated_bytes: u64,
    pub committed_private_bytes: u64,
    pub populated_private_bytes: u64,
    pub committed_scaled_bytes: u64,
    pub populated_scaled_bytes: u64,
    pub committed_fractional_scaled_bytes: u64,
    pub populated_fractional_scaled_bytes: u64,
}

const _: () = {
    assert!(size_of::<InfoVmo>() == 176);
    assert!(offset_of!(InfoVmo, name) == 8);
    assert!(offset_of!(InfoVmo, size_bytes) == 40);
    assert!(offset_of!(InfoVmo, parent_koid) == 48);
    assert!(offset_of!(InfoVmo, num_children) == 56);
    assert!(offset_of!(InfoVmo, num_mappings) == 64);
    assert!(offset_of!(InfoVmo, share_count) == 72);
    assert!(offset_of!(InfoVmo, flags) == 80);
    assert!(offset_of!(InfoVmo, committed_bytes) == 88);
    assert!(offset_of!(InfoVmo, handle_rights) == 96);
    assert!(offset_of!(InfoVmo, cache_policy) == 100);
    assert!(offset_of!(InfoVmo, metadata_bytes) == 104);
    assert!(offset_of!(InfoVmo, committed_change_events) == 112);
    assert!(offset_of!(InfoVmo, populated_bytes) == 120);
    assert!(offset_of!(InfoVmo, committed_private_bytes) == 128);
    assert!(offset_of!(InfoVmo, populated_private_bytes) == 136);
    assert!(offset_of!(InfoVmo, committed_scaled_bytes) == 144);
    assert!(offset_of!(InfoVmo, populated_scaled_bytes) == 152);
    assert!(offset_of!(InfoVmo, committed_fractional_scaled_bytes) == 160);
    assert!(offset_of!(InfoVmo, populated_fractional_scaled_bytes) == 168);
};

impl InfoVmo {
    /// How many bytes of the record a VMO topic returns: V1 ends after
    /// `cache_policy`, V2 after `committed_change_events`, V3 after
    /// `populated_bytes`, and the current topic is the whole record.
    pub const fn size_for_topic(topic: u32) -> Option<usize> {
        match topic {
            crate::topic::VMO_V1 => Some(offset_of!(InfoVmo, metadata_bytes)),
            crate::topic::VMO_V2 => Some(offset_of!(InfoVmo, populated_bytes)),
            crate::topic::VMO_V3 => Some(offset_of!(InfoVmo, committed_private_bytes)),
            crate::topic::VMO => Some(size_of::<InfoVmo>()),
            _ => None,
        }
    }
}

/// `zx_vmo_lock_state_t` (`ZX_VMO_OP_LOCK`, `TRY_LOCK`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmoLockState {
    pub offset: u64,
    pub size: u64,
    pub discarded_offset: u64,
    pub discarded_size: u64,
}

const _: () = {
    assert!(size_of::<VmoLockState>() == 32);
    assert!(offset_of!(VmoLockState, size) == 8);
    assert!(offset_of!(VmoLockState, discarded_offset) == 16);
    assert!(offset_of!(VmoLockState, discarded_size) == 24);
};

/// Plain-old-data records that may be copied to and from user memory as
/// bytes: `#[repr(C)]`, no padding the kernel leaves uninitialised (every
/// padding field is explicit), every bit pattern valid.
pub trait Record: Copy + Default + 'static {}

impl Record for InfoHandleBasic {}
impl Record for InfoHandleCount {}
impl Record for InfoVmo {}
impl Record for InfoVmar {}
impl Record for VmoLockState {}
impl Record for u8 {}
impl Record for u32 {}
impl Record for u64 {}
impl Record for i64 {}
impl Record for usize {}
impl Record for WaitItem {}
impl Record for InfoThreadStats {}
impl Record for InfoThread {}

/// `zx_wait_item_t`: one entry of `zx_object_wait_many`'s array.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitItem {
    pub handle: crate::Handle,
    pub waitfor: u32,
    pub pending: u32,
}

const _: () = {
    assert!(core::mem::size_of::<WaitItem>() == 12);
    assert!(core::mem::offset_of!(WaitItem, waitfor) == 4);
    assert!(core::mem::offset_of!(WaitItem, pending) == 8);
};

/// `zx_info_thread_stats_t` (`ZX_INFO_THREAD_STATS`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoThreadStats {
    /// Nanoseconds the thread has run.
    pub total_runtime: i64,
    /// The core it ran on last.
    pub last_scheduled_cpu: u32,
    pub _padding: u32,
}

const _: () = {
    assert!(core::mem::size_of::<InfoThreadStats>() == 16);
    assert!(core::mem::offset_of!(InfoThreadStats, last_scheduled_cpu) == 8);
};

/// `zx_info_thread_t` (`ZX_INFO_THREAD`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoThread {
    /// `ZX_THREAD_STATE_*` (see `thread_state`).
    pub state: u32,
    /// `ZX_EXCEPTION_CHANNEL_TYPE_*` when blocked in an exception (none
    /// here: 0).
    pub wait_exception_channel_type: u32,
    /// `zx_cpu_set_t`: the cores it may run on.
    pub cpu_affinity_mask: [u64; 8],
}

const _: () = {
    assert!(core::mem::size_of::<InfoThread>() == 72);
    assert!(core::mem::offset_of!(InfoThread, cpu_affinity_mask) == 8);
};

/// `zx_info_socket_t` (`ZX_INFO_SOCKET`): this endpoint's receive buffer
/// and its peer's (the bytes this endpoint's writes go to).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoSocket {
    /// The `zx_socket_create` options.
    pub options: u32,
    pub padding1: [u8; 4],
    pub rx_buf_max: usize,
    pub rx_buf_size: usize,
    /// The bytes the next read returns at most: all for a stream socket,
    /// the first datagram's for a datagram socket.
    pub rx_buf_available: usize,
    /// 0 once the peer is closed.
    pub tx_buf_max: usize,
    pub tx_buf_size: usize,
}

const _: () = {
    assert!(size_of::<InfoSocket>() == 48);
    assert!(offset_of!(InfoSocket, rx_buf_max) == 8);
    assert!(offset_of!(InfoSocket, tx_buf_size) == 40);
};

// Sockets.
impl Record for InfoSocket {}

// Channels.

/// `zx_handle_disposition_t`: one handle of `zx_channel_write_etc`, with
/// what to do with it (`handle_op`), the type it must have (`NONE`: any),
/// the rights it goes with (`SAME_RIGHTS` or a subset) and, written back
/// when any entry fails, this entry's status.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HandleDisposition {
    /// `ZX_HANDLE_OP_MOVE` or `ZX_HANDLE_OP_DUPLICATE` (`handle_op`).
    pub operation: u32,
    pub handle: crate::Handle,
    /// `zx_obj_type_t`.
    pub obj_type: u32,
    pub rights: u32,
    /// `zx_status_t` (0 on entry).
    pub result: i32,
}

const _: () = {
    assert!(size_of::<HandleDisposition>() == 20);
    assert!(offset_of!(HandleDisposition, handle) == 4);
    assert!(offset_of!(HandleDisposition, obj_type) == 8);
    assert!(offset_of!(HandleDisposition, rights) == 12);
    assert!(offset_of!(HandleDisposition, result) == 16);
};

/// `zx_handle_info_t`: one handle `zx_channel_read_etc` received.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HandleInfo {
    pub handle: crate::Handle,
    /// `zx_obj_type_t`.
    pub obj_type: u32,
    pub rights: u32,
    pub unused: u32,
}

const _: () = {
    assert!(size_of::<HandleInfo>() == 16);
    assert!(offset_of!(HandleInfo, obj_type) == 4);
    assert!(offset_of!(HandleInfo, rights) == 8);
    assert!(offset_of!(HandleInfo, unused) == 12);
};

/// `zx_channel_call_args_t`: the request to write (bytes, handle values)
/// and where the reply goes. The pointers are EL0 addresses.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelCallArgs {
    /// `const void*`.
    pub wr_bytes: u64,
    /// `const zx_handle_t*`.
    pub wr_handles: u64,
    /// `void*`.
    pub rd_bytes: u64,
    /// `zx_handle_t*`.
    pub rd_handles: u64,
    pub wr_num_bytes: u32,
    pub wr_num_handles: u32,
    pub rd_num_bytes: u32,
    pub rd_num_handles: u32,
}

const _: () = {
    assert!(size_of::<ChannelCallArgs>() == 48);
    assert!(offset_of!(ChannelCallArgs, wr_handles) == 8);
    assert!(offset_of!(ChannelCallArgs, rd_bytes) == 16);
    assert!(offset_of!(ChannelCallArgs, rd_handles) == 24);
    assert!(offset_of!(ChannelCallArgs, wr_num_bytes) == 32);
    assert!(offset_of!(ChannelCallArgs, wr_num_handles) == 36);
    assert!(offset_of!(ChannelCallArgs, rd_num_bytes) == 40);
    assert!(offset_of!(ChannelCallArgs, rd_num_handles) == 44);
};

/// `zx_channel_call_etc_args_t`: as [`ChannelCallArgs`], with handle
/// dispositions to write and handle infos to read (the layout of
/// `zx_channel_call_etc`, which this kernel's call table has no number for).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelCallEtcArgs {
    /// `const void*`.
    pub wr_bytes: u64,
    /// `zx_handle_disposition_t*`.
    pub wr_handles: u64,
    /// `void*`.
    pub rd_bytes: u64,
    /// `zx_handle_info_t*`.
    pub rd_handles: u64,
    pub wr_num_bytes: u32,
    pub wr_num_handles: u32,
    pub rd_num_bytes: u32,
    pub rd_num_handles: u32,
}

const _: () = {
    assert!(size_of::<ChannelCallEtcArgs>() == 48);
    assert!(offset_of!(ChannelCallEtcArgs, wr_handles) == 8);
    assert!(offset_of!(ChannelCallEtcArgs, rd_bytes) == 16);
    assert!(offset_of!(ChannelCallEtcArgs, rd_handles) == 24);
    assert!(offset_of!(ChannelCallEtcArgs, wr_num_bytes) == 32);
    assert!(offset_of!(ChannelCallEtcArgs, rd_num_handles) == 44);
};

impl Record for HandleDisposition {}
impl Record for HandleInfo {}
impl Record for ChannelCallArgs {}
impl Record for ChannelCallEtcArgs {}

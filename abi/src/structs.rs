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

/// `zx_iovec_t`: one buffer of a stream read or write (streams).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Iovec {
    /// The buffer's EL0 address.
    pub buffer: u64,
    pub capacity: u64,
}

/// `zx_info_stream_t` (`ZX_INFO_STREAM`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoStream {
    /// The modes (`ZX_STREAM_MODE_*`).
    pub options: u32,
    pub _padding1: u32,
    pub seek: u64,
    pub content_size: u64,
}

const _: () = {
    assert!(size_of::<Iovec>() == 16);
    assert!(offset_of!(Iovec, capacity) == 8);
    assert!(size_of::<InfoStream>() == 24);
    assert!(offset_of!(InfoStream, seek) == 8);
    assert!(offset_of!(InfoStream, content_size) == 16);
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
impl Record for Iovec {}
impl Record for InfoStream {}
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

/// `zx_info_maps_mapping_t`, the mapping part of a `ZX_INFO_PROCESS_MAPS`
/// entry (current layout): its permissions, the VMO and offset behind it,
/// and the attribution figures of the mapped range.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoMapsMapping {
    /// `ZX_VM_PERM_*` bits.
    pub mmu_flags: u32,
    pub padding1: [u8; 4],
    pub vmo_koid: u64,
    pub vmo_offset: u64,
    pub committed_bytes: u64,
    pub populated_bytes: u64,
    pub committed_private_bytes: u64,
    pub populated_private_bytes: u64,
    pub committed_scaled_bytes: u64,
    pub populated_scaled_bytes: u64,
    pub committed_fractional_scaled_bytes: u64,
    pub populated_fractional_scaled_bytes: u64,
}

/// `zx_info_maps_mapping_v2_t` (`ZX_INFO_PROCESS_MAPS_V2`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoMapsMappingV2 {
    pub mmu_flags: u32,
    pub padding1: [u8; 4],
    pub vmo_koid: u64,
    pub vmo_offset: u64,
    pub committed_pages: u64,
    pub populated_pages: u64,
}

/// `zx_info_maps_mapping_v1_t` (`ZX_INFO_PROCESS_MAPS_V1`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoMapsMappingV1 {
    pub mmu_flags: u32,
    pub padding1: [u8; 4],
    pub vmo_koid: u64,
    pub vmo_offset: u64,
    pub committed_pages: u64,
}

/// `zx_info_maps_t` and its older versions: one node of a process's
/// address-space tree (the address space, a VMAR or a mapping), in
/// depth-first pre-order. `mapping` is Zircon's union; it is zero unless
/// `type` is `ZX_INFO_MAPS_TYPE_MAPPING`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoMapsOf<M> {
    pub name: [u8; crate::ZX_MAX_NAME_LEN],
    pub base: u64,
    pub size: u64,
    pub depth: u64,
    /// `ZX_INFO_MAPS_TYPE_*` ([`crate::maps_type`]).
    pub r#type: u32,
    pub padding1: [u8; 4],
    pub mapping: M,
}

/// `zx_info_maps_t` (`ZX_INFO_PROCESS_MAPS`).
pub type InfoMaps = InfoMapsOf<InfoMapsMapping>;
/// `zx_info_maps_v2_t` (`ZX_INFO_PROCESS_MAPS_V2`).
pub type InfoMapsV2 = InfoMapsOf<InfoMapsMappingV2>;
/// `zx_info_maps_v1_t` (`ZX_INFO_PROCESS_MAPS_V1`).
pub type InfoMapsV1 = InfoMapsOf<InfoMapsMappingV1>;

const _: () = {
    assert!(size_of::<InfoMapsMapping>() == 88);
    assert!(offset_of!(InfoMapsMapping, vmo_koid) == 8);
    assert!(offset_of!(InfoMapsMapping, committed_bytes) == 24);
    assert!(offset_of!(InfoMapsMapping, populated_fractional_scaled_bytes) == 80);
    assert!(size_of::<InfoMaps>() == 152);
    assert!(offset_of!(InfoMaps, base) == 32);
    assert!(offset_of!(InfoMaps, size) == 40);
    assert!(offset_of!(InfoMaps, depth) == 48);
    assert!(offset_of!(InfoMaps, r#type) == 56);
    assert!(offset_of!(InfoMaps, mapping) == 64);
    assert!(size_of::<InfoMapsV2>() == 104);
    assert!(size_of::<InfoMapsV1>() == 96);
};

impl Record for InfoMaps {}
impl Record for InfoMapsV2 {}
impl Record for InfoMapsV1 {}
// Ports.

/// `zx_packet_signal_t`: what a `zx_object_wait_async` packet says.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketSignal {
    /// The signals the wait asked for.
    pub trigger: u32,
    /// The object's signals when the wait matched.
    pub observed: u32,
    /// Always 1 (Zircon's deprecated message count).
    pub count: u64,
    /// The monotonic time of the match with `ZX_WAIT_ASYNC_TIMESTAMP`, else 0.
    pub timestamp: i64,
    pub reserved1: u64,
}

const _: () = {
    assert!(size_of::<PacketSignal>() == 32);
    assert!(offset_of!(PacketSignal, observed) == 4);
    assert!(offset_of!(PacketSignal, count) == 8);
    assert!(offset_of!(PacketSignal, timestamp) == 16);
    assert!(offset_of!(PacketSignal, reserved1) == 24);
};

/// The union of `zx_port_packet_t`: `zx_packet_user_t` (32 bytes of the
/// queuer's choosing, seen here as four `u64`s) or `zx_packet_signal_t`.
/// Both views are plain data of the same size with no padding, so either
/// may be read whatever was written (this crate has no `unsafe`: the EL0
/// library reads them, the kernel only writes whole packets).
#[repr(C)]
#[derive(Clone, Copy)]
pub union PacketPayload {
    pub user: [u64; 4],
    pub signal: PacketSignal,
}

const _: () = {
    assert!(size_of::<PacketPayload>() == 32);
    assert!(core::mem::align_of::<PacketPayload>() == 8);
};

/// `zx_port_packet_t`: what `zx_port_queue` takes and `zx_port_wait` gives.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PortPacket {
    pub key: u64,
    /// `ZX_PKT_TYPE_*` (`port::PKT_TYPE_*`).
    pub packet_type: u32,
    /// `zx_status_t`: the queuer's for user packets, `ZX_OK` for the
    /// kernel's.
    pub status: i32,
    pub payload: PacketPayload,
}

const _: () = {
    assert!(size_of::<PortPacket>() == 48);
    assert!(offset_of!(PortPacket, packet_type) == 8);
    assert!(offset_of!(PortPacket, status) == 12);
    assert!(offset_of!(PortPacket, payload) == 16);
};

impl PortPacket {
    /// A user packet (`ZX_PKT_TYPE_USER`).
    pub const fn user(key: u64, status: i32, user: [u64; 4]) -> Self {
        Self {
            key,
            packet_type: crate::port::PKT_TYPE_USER,
            status,
            payload: PacketPayload { user },
        }
    }

    /// A signal packet (`ZX_PKT_TYPE_SIGNAL_ONE`, status `ZX_OK`).
    pub const fn signal(key: u64, signal: PacketSignal) -> Self {
        Self {
            key,
            packet_type: crate::port::PKT_TYPE_SIGNAL_ONE,
            status: 0,
            payload: PacketPayload { signal },
        }
    }
}

impl Default for PortPacket {
    fn default() -> Self {
        Self::user(0, 0, [0; 4])
    }
}

impl core::fmt::Debug for PortPacket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PortPacket")
            .field("key", &self.key)
            .field("packet_type", &self.packet_type)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Record for PortPacket {}

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

/// Processes and jobs: `zx_info_process_t` (`ZX_INFO_PROCESS`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoProcess {
    /// Valid once `EXITED` is set.
    pub return_code: i64,
    /// Monotonic time its first thread started (0 before).
    pub start_time: i64,
    /// `info_process_flags`.
    pub flags: u32,
    pub padding: [u8; 4],
}

const _: () = {
    assert!(core::mem::size_of::<InfoProcess>() == 24);
    assert!(core::mem::offset_of!(InfoProcess, flags) == 16);
};

impl Record for InfoProcess {}

/// `zx_info_job_t` (`ZX_INFO_JOB`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoJob {
    pub return_code: i64,
    /// Killed (bool).
    pub exited: u8,
    pub kill_on_oom: u8,
    pub debugger_attached: u8,
    pub padding: [u8; 5],
}

const _: () = {
    assert!(core::mem::size_of::<InfoJob>() == 16);
};

impl Record for InfoJob {}

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

/// Exceptions: `zx_exception_info_t`, the bytes of the message an
/// exception channel carries (with the exception's handle).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExceptionInfo {
    pub pid: u64,
    pub tid: u64,
    /// `zx_excp_type_t` (see `exception`).
    pub type_: u32,
    pub padding1: [u8; 4],
}

const _: () = assert!(core::mem::size_of::<ExceptionInfo>() == 24);

/// `zx_exception_header_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExceptionHeader {
    /// The report's size in bytes, this header included.
    pub size: u32,
    pub type_: u32,
}

/// `zx_arm64_exc_data_t`: ESR_EL1 and FAR_EL1 of the fault.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Arm64ExcData {
    pub esr: u32,
    pub padding1: [u8; 4],
    pub far: u64,
    /// The union's size (x86-64's member is 24 bytes).
    pub padding2: [u8; 8],
}

/// `zx_exception_report_t` (`ZX_INFO_THREAD_EXCEPTION_REPORT`), arm64's
/// member of the architecture union.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExceptionReport {
    pub header: ExceptionHeader,
    pub arch: Arm64ExcData,
    /// A fatal page fault's `zx_status_t` (as a u32); a policy
    /// exception's code.
    pub synth_code: u32,
    pub synth_data: u32,
}

const _: () = {
    assert!(core::mem::size_of::<ExceptionReport>() == 40);
    assert!(core::mem::offset_of!(ExceptionReport, synth_code) == 32);
};

/// `zx_exception_report_v1_t` (`ZX_INFO_THREAD_EXCEPTION_REPORT_V1`): the
/// same without the synthetic fields.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExceptionReportV1 {
    pub header: ExceptionHeader,
    pub arch: Arm64ExcData,
}

const _: () = assert!(core::mem::size_of::<ExceptionReportV1>() == 32);

impl Record for ExceptionReport {}
impl Record for ExceptionReportV1 {}

impl From<ExceptionReport> for ExceptionReportV1 {
    fn from(r: ExceptionReport) -> Self {
        Self {
            header: ExceptionHeader {
                size: core::mem::size_of::<Self>() as u32,
                type_: r.header.type_,
            },
            arch: r.arch,
        }
    }
}

/// `zx_thread_state_general_regs_t` (arm64), `ZX_THREAD_STATE_GENERAL_REGS`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GeneralRegs {
    /// x0..x29.
    pub r: [u64; 30],
    /// x30.
    pub lr: u64,
    pub sp: u64,
    pub pc: u64,
    pub cpsr: u64,
    /// TPIDR_EL0.
    pub tpidr: u64,
}

impl Record for GeneralRegs {}

const _: () = {
    assert!(core::mem::size_of::<GeneralRegs>() == 280);
    assert!(core::mem::offset_of!(GeneralRegs, pc) == 256);
};

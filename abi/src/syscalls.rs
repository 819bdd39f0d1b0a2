//! The one list of system calls. Each entry gives the number (from
//! `syscall-numbers.md`, through `sys::*`), the name, the typed arguments
//! and the statuses Zircon documents for the call. Everything that needs
//! the list is generated from it with the callback pattern: `zx_syscalls!
//! (my_macro)` expands `my_macro!` with every entry, in the form
//!
//! ```text
//! number => name(arg: Type, ...) errors [Status, ...];
//! ```
//!
//! The kernel's dispatch (a handler per name, so a missing handler does not
//! compile), the EL0 library's raw wrappers and the fuzzer's call table are
//! three such callbacks; [`SYSCALLS`] is a fourth, kept here so that host
//! tests can check the list against Zircon's table.
//!
//! To add a call: one line here, a handler in the kernel's `syscall/`, tests.

/// Expands `$callback!` with every system call of the ABI.
#[macro_export]
macro_rules! zx_syscalls {
    ($callback:ident) => {
        $callback! {
            $crate::sys::DEBUG_WRITE => debug_write(buffer: $crate::UserIn<u8>, buffer_size: usize)
                errors [InvalidArgs];
            // Channels.
            $crate::sys::CHANNEL_CREATE => channel_create(options: u32,
                out0: $crate::UserOut<$crate::Handle>, out1: $crate::UserOut<$crate::Handle>)
                errors [InvalidArgs, NoMemory];
            $crate::sys::CHANNEL_READ => channel_read(
                handle: $crate::Handle, options: u32, bytes: $crate::UserOut<u8>,
                handles: $crate::UserOut<$crate::Handle>, num_bytes: u32, num_handles: u32,
                actual_bytes: $crate::UserOut<u32>, actual_handles: $crate::UserOut<u32>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NotSupported,
                        ShouldWait, PeerClosed, BufferTooSmall, NoResources, NoMemory];
            $crate::sys::CHANNEL_READ_ETC => channel_read_etc(
                handle: $crate::Handle, options: u32, bytes: $crate::UserOut<u8>,
                handles: $crate::UserOut<$crate::HandleInfo>, num_bytes: u32, num_handles: u32,
                actual_bytes: $crate::UserOut<u32>, actual_handles: $crate::UserOut<u32>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NotSupported,
                        ShouldWait, PeerClosed, BufferTooSmall, NoResources, NoMemory];
            $crate::sys::CHANNEL_WRITE => channel_write(
                handle: $crate::Handle, options: u32, bytes: $crate::UserIn<u8>, num_bytes: u32,
                handles: $crate::UserIn<$crate::Handle>, num_handles: u32)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NotSupported,
                        OutOfRange, PeerClosed, NoMemory];
            $crate::sys::CHANNEL_WRITE_ETC => channel_write_etc(
                handle: $crate::Handle, options: u32, bytes: $crate::UserIn<u8>, num_bytes: u32,
                handles: $crate::UserInOut<$crate::HandleDisposition>, num_handles: u32)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NotSupported,
                        OutOfRange, PeerClosed, NoMemory];
            $crate::sys::CHANNEL_CALL_NORETRY => channel_call_noretry(
                handle: $crate::Handle, options: u32, deadline: i64,
                args: $crate::UserIn<$crate::ChannelCallArgs>,
                actual_bytes: $crate::UserOut<u32>, actual_handles: $crate::UserOut<u32>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NotSupported,
                        OutOfRange, PeerClosed, TimedOut, Canceled, BufferTooSmall,
                        NoResources, NoMemory];
            $crate::sys::CHANNEL_CALL_FINISH => channel_call_finish(
                deadline: i64, args: $crate::UserIn<$crate::ChannelCallArgs>,
                actual_bytes: $crate::UserOut<u32>, actual_handles: $crate::UserOut<u32>)
                errors [BadState, InvalidArgs];
            $crate::sys::HANDLE_CLOSE => handle_close(handle: $crate::Handle)
                errors [BadHandle];
            $crate::sys::HANDLE_CLOSE_MANY => handle_close_many(
                handles: $crate::UserIn<$crate::Handle>, num_handles: usize)
                errors [BadHandle, InvalidArgs];
            $crate::sys::HANDLE_DUPLICATE => handle_duplicate(
                handle: $crate::Handle, rights: u32, out: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, AccessDenied, InvalidArgs, NoMemory];
            $crate::sys::HANDLE_REPLACE => handle_replace(
                handle: $crate::Handle, rights: u32, out: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, InvalidArgs, NoMemory];
            $crate::sys::OBJECT_WAIT_ONE => object_wait_one(
                handle: $crate::Handle, signals: u32, deadline: i64,
                observed: $crate::UserOut<u32>)
                errors [BadHandle, AccessDenied, NotSupported, InvalidArgs, TimedOut, Canceled];
            $crate::sys::OBJECT_SIGNAL => object_signal(
                handle: $crate::Handle, clear_mask: u32, set_mask: u32)
                errors [BadHandle, AccessDenied, InvalidArgs];
            $crate::sys::OBJECT_GET_PROPERTY => object_get_property(
                handle: $crate::Handle, property: u32, value: $crate::UserOut<u8>,
                value_size: usize)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, BufferTooSmall,
                        NotSupported, NoMemory];
            $crate::sys::OBJECT_SET_PROPERTY => object_set_property(
                handle: $crate::Handle, property: u32, value: $crate::UserIn<u8>,
                value_size: usize)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, BufferTooSmall,
                        NotSupported, NoMemory];
            $crate::sys::OBJECT_GET_INFO => object_get_info(
                handle: $crate::Handle, topic: u32, buffer: $crate::UserOut<u8>,
                buffer_size: usize, actual: $crate::UserOut<usize>,
                avail: $crate::UserOut<usize>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, BufferTooSmall,
                        NotSupported, NoMemory];
            $crate::sys::PROCESS_EXIT => process_exit(retcode: i64)
                errors [];
            $crate::sys::VMAR_MAP => vmar_map(
                handle: $crate::Handle, options: u32, vmar_offset: usize,
                vmo: $crate::Handle, vmo_offset: u64, len: usize,
                mapped_addr: $crate::UserOut<usize>)
                errors [BadHandle, WrongType, InvalidArgs, AccessDenied, AlreadyExists,
                        NoResources, BadState, NotSupported, OutOfRange, BufferTooSmall,
                        NoMemory];
            $crate::sys::VMAR_UNMAP => vmar_unmap(handle: $crate::Handle, addr: usize, len: usize)
                errors [BadHandle, WrongType, InvalidArgs, BadState, AccessDenied, NotFound];
            $crate::sys::VMAR_ALLOCATE => vmar_allocate(
                parent_vmar: $crate::Handle, options: u32, offset: usize, size: usize,
                child_vmar: $crate::UserOut<$crate::Handle>, child_addr: $crate::UserOut<usize>)
                errors [BadHandle, WrongType, BadState, AccessDenied, InvalidArgs, NoResources,
                        AlreadyExists, NoMemory];
            $crate::sys::VMAR_DESTROY => vmar_destroy(handle: $crate::Handle)
                errors [BadHandle, WrongType, AccessDenied, BadState, NotSupported];
            $crate::sys::VMAR_PROTECT => vmar_protect(
                handle: $crate::Handle, options: u32, addr: usize, len: usize)
                errors [BadHandle, WrongType, InvalidArgs, BadState, NotFound, AccessDenied,
                        NoMemory];
            $crate::sys::VMAR_OP_RANGE => vmar_op_range(
                handle: $crate::Handle, op: u32, address: usize, size: usize,
                buffer: $crate::UserInOut<u8>, buffer_size: usize)
                errors [BadHandle, WrongType, InvalidArgs, OutOfRange, BadState, AccessDenied,
                        NotSupported, NoMemory];
            $crate::sys::VMO_CREATE => vmo_create(
                size: u64, options: u32, out: $crate::UserOut<$crate::Handle>)
                errors [InvalidArgs, OutOfRange, NoMemory];
            $crate::sys::VMO_READ => vmo_read(
                handle: $crate::Handle, buffer: $crate::UserOut<u8>, offset: u64,
                buffer_size: usize)
                errors [BadHandle, WrongType, AccessDenied, OutOfRange, NotFound, BadState,
                        NoMemory];
            $crate::sys::VMO_WRITE => vmo_write(
                handle: $crate::Handle, buffer: $crate::UserIn<u8>, offset: u64,
                buffer_size: usize)
                errors [BadHandle, WrongType, AccessDenied, OutOfRange, NotFound, BadState,
                        NoMemory];
            $crate::sys::VMO_GET_SIZE => vmo_get_size(
                handle: $crate::Handle, size: $crate::UserOut<u64>)
                errors [BadHandle, WrongType, InvalidArgs];
            // INVALID_ARGS: a child's offset in its root would pass 2^64.
            $crate::sys::VMO_SET_SIZE => vmo_set_size(handle: $crate::Handle, size: u64)
                errors [BadHandle, WrongType, AccessDenied, Unavailable, OutOfRange, NoMemory,
                        BadState, InvalidArgs];
            $crate::sys::VMO_OP_RANGE => vmo_op_range(
                handle: $crate::Handle, op: u32, offset: u64, size: u64,
                buffer: $crate::UserInOut<u8>, buffer_size: usize)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, OutOfRange,
                        NotSupported, Unavailable, BadState, NoMemory];
            $crate::sys::VMO_CREATE_CHILD => vmo_create_child(
                handle: $crate::Handle, options: u32, offset: u64, size: u64,
                out: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, WrongType, InvalidArgs, OutOfRange, AccessDenied,
                        NotSupported, BadState, NoMemory];
            $crate::sys::VMO_SET_CACHE_POLICY => vmo_set_cache_policy(
                handle: $crate::Handle, cache_policy: u32)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NotSupported, BadState];
            $crate::sys::VMO_TRANSFER_DATA => vmo_transfer_data(
                dst_vmo: $crate::Handle, options: u32, offset: u64, length: u64,
                src_vmo: $crate::Handle, src_offset: u64)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, OutOfRange, NotSupported,
                        BadState, NoMemory];
            $crate::sys::VMO_REPLACE_AS_EXECUTABLE => vmo_replace_as_executable(
                handle: $crate::Handle, vmex: $crate::Handle,
                out: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NoMemory];
            // Streams: the stream size (the content size) and stream objects.
            $crate::sys::VMO_GET_STREAM_SIZE => vmo_get_stream_size(
                handle: $crate::Handle, size: $crate::UserOut<u64>)
                errors [BadHandle, WrongType, InvalidArgs];
            $crate::sys::VMO_SET_STREAM_SIZE => vmo_set_stream_size(handle: $crate::Handle, size: u64)
                errors [BadHandle, WrongType, AccessDenied, OutOfRange, NoMemory, BadState];
            $crate::sys::STREAM_CREATE => stream_create(
                options: u32, vmo: $crate::Handle, seek: u64,
                out_stream: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NoMemory];
            $crate::sys::STREAM_WRITEV => stream_writev(
                handle: $crate::Handle, options: u32, vectors: $crate::UserIn<$crate::Iovec>,
                num_vectors: usize, actual: $crate::UserOut<usize>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NotFound, NoSpace,
                        FileBig, OutOfRange, NoMemory, BadState];
            $crate::sys::STREAM_WRITEV_AT => stream_writev_at(
                handle: $crate::Handle, options: u32, offset: u64,
                vectors: $crate::UserIn<$crate::Iovec>, num_vectors: usize,
                actual: $crate::UserOut<usize>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NotFound, NoSpace,
                        FileBig, OutOfRange, NoMemory, BadState];
            $crate::sys::STREAM_READV => stream_readv(
                handle: $crate::Handle, options: u32, vectors: $crate::UserInOut<$crate::Iovec>,
                num_vectors: usize, actual: $crate::UserOut<usize>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NotFound, OutOfRange,
                        NoMemory, BadState];
            $crate::sys::STREAM_READV_AT => stream_readv_at(
                handle: $crate::Handle, options: u32, offset: u64,
                vectors: $crate::UserInOut<$crate::Iovec>, num_vectors: usize,
                actual: $crate::UserOut<usize>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, NotFound, OutOfRange,
                        NoMemory, BadState];
            $crate::sys::STREAM_SEEK => stream_seek(
                handle: $crate::Handle, whence: u32, offset: i64,
                out_seek: $crate::UserOut<u64>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs];
            $crate::sys::OBJECT_WAIT_MANY => object_wait_many(
                items: $crate::UserInOut<$crate::WaitItem>, num_items: usize, deadline: i64)
                errors [InvalidArgs, BadHandle, AccessDenied, Canceled, TimedOut, NotSupported,
                        OutOfRange, NoMemory];
            $crate::sys::EVENT_CREATE => event_create(options: u32,
                out: $crate::UserOut<$crate::Handle>)
                errors [InvalidArgs, NoMemory];
            // Sockets and event pairs (peered objects).
            $crate::sys::EVENTPAIR_CREATE => eventpair_create(options: u32,
                out0: $crate::UserOut<$crate::Handle>, out1: $crate::UserOut<$crate::Handle>)
                errors [InvalidArgs, NotSupported, NoMemory];
            $crate::sys::OBJECT_SIGNAL_PEER => object_signal_peer(
                handle: $crate::Handle, clear_mask: u32, set_mask: u32)
                errors [BadHandle, AccessDenied, InvalidArgs, NotSupported, PeerClosed];
            $crate::sys::SOCKET_CREATE => socket_create(options: u32,
                out0: $crate::UserOut<$crate::Handle>, out1: $crate::UserOut<$crate::Handle>)
                errors [InvalidArgs, NoMemory];
            $crate::sys::SOCKET_WRITE => socket_write(
                handle: $crate::Handle, options: u32, buffer: $crate::UserIn<u8>,
                buffer_size: usize, actual: $crate::UserOut<usize>)
                errors [BadHandle, BadState, WrongType, InvalidArgs, AccessDenied, ShouldWait,
                        OutOfRange, PeerClosed, NoMemory];
            $crate::sys::SOCKET_READ => socket_read(
                handle: $crate::Handle, options: u32, buffer: $crate::UserOut<u8>,
                buffer_size: usize, actual: $crate::UserOut<usize>)
                errors [BadHandle, BadState, WrongType, InvalidArgs, AccessDenied, ShouldWait,
                        PeerClosed];
            $crate::sys::SOCKET_SHUTDOWN => socket_shutdown(handle: $crate::Handle, options: u32)
                errors [BadHandle, WrongType, InvalidArgs, AccessDenied];
            $crate::sys::NANOSLEEP => nanosleep(deadline: i64)
                errors [];
            // Returns the time in x0, not a status.
            $crate::sys::CLOCK_GET_MONOTONIC_VIA_KERNEL => clock_get_monotonic_via_kernel()
                errors [];
            $crate::sys::THREAD_CREATE => thread_create(
                process: $crate::Handle, name: $crate::UserIn<u8>, name_size: usize,
                options: u32, out: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, BadState, NoMemory];
            $crate::sys::THREAD_START => thread_start(
                handle: $crate::Handle, thread_entry: usize, stack: usize, arg1: usize,
                arg2: usize)
                errors [BadHandle, WrongType, AccessDenied, BadState, InvalidArgs];
            $crate::sys::THREAD_EXIT => thread_exit()
                errors [];
            $crate::sys::TASK_KILL => task_kill(handle: $crate::Handle)
                errors [BadHandle, WrongType, AccessDenied];
            $crate::sys::TASK_CREATE_EXCEPTION_CHANNEL => task_create_exception_channel(
                handle: $crate::Handle, options: u32, out: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, AlreadyBound, BadState,
                        NoResources, NoMemory];
            $crate::sys::EXCEPTION_GET_THREAD => exception_get_thread(
                handle: $crate::Handle, out: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, WrongType, AccessDenied, NoMemory];
            $crate::sys::EXCEPTION_GET_PROCESS => exception_get_process(
                handle: $crate::Handle, out: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, WrongType, AccessDenied, NoMemory];
            $crate::sys::THREAD_READ_STATE => thread_read_state(
                handle: $crate::Handle, kind: u32, buffer: $crate::UserOut<u8>,
                buffer_size: usize)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, BadState,
                        BufferTooSmall, NotSupported, NoMemory];
            $crate::sys::THREAD_WRITE_STATE => thread_write_state(
                handle: $crate::Handle, kind: u32, buffer: $crate::UserIn<u8>,
                buffer_size: usize)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, BadState,
                        BufferTooSmall, NotSupported, NoMemory];
            $crate::sys::JOB_CREATE => job_create(
                parent_job: $crate::Handle, options: u32, out: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, OutOfRange, BadState,
                        NoMemory];
            $crate::sys::PROCESS_CREATE => process_create(
                job: $crate::Handle, name: $crate::UserIn<u8>, name_size: usize, options: u32,
                proc_handle: $crate::UserOut<$crate::Handle>,
                vmar_handle: $crate::UserOut<$crate::Handle>)
                errors [BadHandle, WrongType, AccessDenied, InvalidArgs, BadState, NoMemory];
            $crate::sys::PROCESS_START => process_start(
                handle: $crate::Handle, thread: $crate::Handle, entry: usize, stack: usize,
                arg1: $crate::Handle, arg2: usize)
                errors [BadHandle, WrongType, AccessDenied, BadState, InvalidArgs, NoMemory];
            $crate::sys::PROCESS_READ_MEMORY => process_read_memory(
                handle: $crate::Handle, vaddr: usize, buffer: $crate::UserOut<u8>,
                buffer_size: usize, actual: $crate::UserOut<usize>)
                errors [BadHandle, WrongType, AccessDenied, BadState, InvalidArgs, NoMemory];
            $crate::sys::PROCESS_WRITE_MEMORY => process_write_memory(
                handle: $crate::Handle, vaddr: usize, buffer: $crate::UserIn<u8>,
                buffer_size: usize, actual: $crate::UserOut<usize>)
                errors [BadHandle, WrongType, AccessDenied, BadState, InvalidArgs, NoMemory];
            // Not Zircon's: see `sys::INITRD_FILE`.
            $crate::sys::INITRD_FILE => initrd_file(
                name: $crate::UserIn<u8>, name_size: usize, out: $crate::UserOut<$crate::Handle>)
                errors [InvalidArgs, NotFound, NoMemory];
            $crate::sys::FUTEX_WAIT => futex_wait(
                value_ptr: $crate::UserIn<u32>, current_value: u32, new_futex_owner: $crate::Handle,
                deadline: i64)
                errors [InvalidArgs, BadHandle, WrongType, BadState, TimedOut];
            $crate::sys::FUTEX_WAKE => futex_wake(value_ptr: $crate::UserIn<u32>, wake_count: u32)
                errors [InvalidArgs];
            $crate::sys::FUTEX_REQUEUE => futex_requeue(
                value_ptr: $crate::UserIn<u32>, wake_count: u32, current_value: u32,
                requeue_ptr: $crate::UserIn<u32>, requeue_count: u32,
                new_requeue_owner: $crate::Handle)
                errors [InvalidArgs, BadHandle, WrongType, BadState];
            // Ports.
            $crate::sys::PORT_CREATE => port_create(options: u32,
                out: $crate::UserOut<$crate::Handle>)
                errors [InvalidArgs, NoMemory];
            $crate::sys::PORT_QUEUE => port_queue(handle: $crate::Handle,
                packet: $crate::UserIn<$crate::PortPacket>)
                errors [BadHandle, InvalidArgs, WrongType, AccessDenied, ShouldWait, NoMemory];
            $crate::sys::PORT_WAIT => port_wait(handle: $crate::Handle, deadline: i64,
                packet: $crate::UserOut<$crate::PortPacket>)
                errors [BadHandle, InvalidArgs, WrongType, AccessDenied, TimedOut];
            $crate::sys::PORT_CANCEL => port_cancel(handle: $crate::Handle,
                source: $crate::Handle, key: u64)
                errors [BadHandle, WrongType, AccessDenied, NotSupported, NotFound];
            $crate::sys::OBJECT_WAIT_ASYNC => object_wait_async(handle: $crate::Handle,
                port: $crate::Handle, key: u64, signals: u32, options: u32)
                errors [InvalidArgs, BadHandle, WrongType, AccessDenied, NotSupported, NoMemory];
            $crate::sys::KERNEL_STATS => kernel_stats(out: $crate::UserOut<u64>, count: usize)
                errors [InvalidArgs];
        }
    };
}

/// What the list says about one call.
#[derive(Clone, Copy, Debug)]
pub struct SyscallInfo {
    pub number: u64,
    /// Without the `zx_` prefix.
    pub name: &'static str,
    pub args: &'static [(&'static str, crate::ArgKind)],
    /// Every error status Zircon documents for the call (success aside).
    pub errors: &'static [crate::ZxStatus],
}

macro_rules! info_table {
    ($( $num:path => $name:ident ( $($arg:ident : $ty:ty),* $(,)? )
        errors [$($err:ident),* $(,)?] ; )*) => {
        /// Every call of the ABI, in table order.
        pub const SYSCALLS: &[SyscallInfo] = &[
            $( SyscallInfo {
                number: $num,
                name: stringify!($name),
                args: &[$( (stringify!($arg), <$ty as $crate::SyscallArg>::KIND) ),*],
                errors: &[$( $crate::ZxStatus::$err ),*],
            }, )*
        ];
    };
}

zx_syscalls!(info_table);

/// The entry for `number`, if the ABI has such a call.
pub fn lookup(number: u64) -> Option<&'static SyscallInfo> {
    SYSCALLS.iter().find(|s| s.number == number)
}

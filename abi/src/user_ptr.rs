//! Typed user pointers and the conversion of every system-call argument from
//! and to its register. The syscall table declares each argument's type; the
//! kernel receives `UserIn<T>`/`UserOut<T>` (an EL0 address that it can only
//! use through its user-copy routines), EL0 code passes the C types (`*const
//! T`, `*mut T`, integers), and the fuzzer sees each argument's [`ArgKind`].

use core::marker::PhantomData;

/// What kind of value an argument is, for tools that generate calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A 32-bit value (handles, rights, options, topics, ...).
    U32,
    /// A 64-bit value (sizes, offsets, addresses as numbers).
    U64,
    /// A signed 64-bit value (deadlines, exit codes).
    I64,
    /// A pointer the kernel reads `size_of::<T>()`-sized elements through.
    InPtr { elem_size: usize, align: usize },
    /// A pointer the kernel writes through.
    OutPtr { elem_size: usize, align: usize },
    /// A pointer the kernel reads and writes through.
    InOutPtr { elem_size: usize, align: usize },
}

/// One argument of a system call: how the kernel decodes it from its
/// register and how EL0 code encodes it.
pub trait SyscallArg: Sized {
    /// The type EL0 code passes (Zircon's C type).
    type Raw;
    const KIND: ArgKind;
    /// Decodes the register as the C type would: a 32-bit argument uses the
    /// low half (`w` register) and ignores the rest.
    fn from_reg(reg: u64) -> Self;
    fn raw_to_reg(raw: Self::Raw) -> u64;
}

impl SyscallArg for u32 {
    type Raw = u32;
    const KIND: ArgKind = ArgKind::U32;
    #[inline(always)]
    fn from_reg(reg: u64) -> Self {
        reg as u32
    }
    #[inline(always)]
    fn raw_to_reg(raw: u32) -> u64 {
        u64::from(raw)
    }
}

impl SyscallArg for u64 {
    type Raw = u64;
    const KIND: ArgKind = ArgKind::U64;
    #[inline(always)]
    fn from_reg(reg: u64) -> Self {
        reg
    }
    #[inline(always)]
    fn raw_to_reg(raw: u64) -> u64 {
        raw
    }
}

impl SyscallArg for usize {
    type Raw = usize;
    const KIND: ArgKind = ArgKind::U64;
    #[inline(always)]
    fn from_reg(reg: u64) -> Self {
        reg as usize
    }
    #[inline(always)]
    fn raw_to_reg(raw: usize) -> u64 {
        raw as u64
    }
}

impl SyscallArg for i64 {
    type Raw = i64;
    const KIND: ArgKind = ArgKind::I64;
    #[inline(always)]
    fn from_reg(reg: u64) -> Self {
        reg as i64
    }
    #[inline(always)]
    fn raw_to_reg(raw: i64) -> u64 {
        raw as u64
    }
}

macro_rules! user_pointer {
    ($(#[$doc:meta])* $name:ident, $raw:ident, $kind:ident) => {
        $(#[$doc])*
        #[repr(transparent)]
        pub struct $name<T> {
            addr: u64,
            _elem: PhantomData<*const T>,
        }

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T> Copy for $name<T> {}

        impl<T> core::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}({:#x})", stringify!($name), self.addr)
            }
        }

        impl<T> $name<T> {
            pub const fn new(addr: u64) -> Self {
                Self { addr, _elem: PhantomData }
            }
            /// The EL0 address (never dereferenced directly by the kernel).
            pub const fn addr(self) -> u64 {
                self.addr
            }
            pub const fn is_null(self) -> bool {
                self.addr == 0
            }
            /// Whether the address is aligned for `T`.
            pub const fn is_aligned(self) -> bool {
                self.addr % core::mem::align_of::<T>() as u64 == 0
            }
            /// The pointer `count` elements further on (wrapping: the copy
            /// routines reject what wraps).
            pub const fn add(self, count: usize) -> Self {
                Self::new(self.addr.wrapping_add((count * core::mem::size_of::<T>()) as u64))
            }
        }

        impl<T> SyscallArg for $name<T> {
            type Raw = *$raw T;
            const KIND: ArgKind = ArgKind::$kind {
                elem_size: core::mem::size_of::<T>(),
                align: core::mem::align_of::<T>(),
            };
            #[inline(always)]
            fn from_reg(reg: u64) -> Self {
                Self::new(reg)
            }
            #[inline(always)]
            fn raw_to_reg(raw: *$raw T) -> u64 {
                raw as u64
            }
        }
    };
}

user_pointer!(
    /// An EL0 pointer the kernel reads from (`const T*`).
    UserIn, const, InPtr
);
user_pointer!(
    /// An EL0 pointer the kernel writes to (`T*`).
    UserOut, mut, OutPtr
);
user_pointer!(
    /// An EL0 pointer the kernel reads and writes (`T*`).
    UserInOut, mut, InOutPtr
);

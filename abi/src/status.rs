//! `zx_status_t`: the error half as a Rust enum, converted to the wire value
//! (an `i32`, sign-extended into x0) only at the system-call boundary.

/// A Zircon error status. `ZX_OK` is not a variant: success is `Ok(..)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ZxStatus {
    Internal = -1,
    NotSupported = -2,
    NoResources = -3,
    NoMemory = -4,
    InvalidArgs = -10,
    BadHandle = -11,
    WrongType = -12,
    BadSyscall = -13,
    OutOfRange = -14,
    BufferTooSmall = -15,
    BadState = -20,
    TimedOut = -21,
    ShouldWait = -22,
    Canceled = -23,
    PeerClosed = -24,
    NotFound = -25,
    AlreadyExists = -26,
    AlreadyBound = -27,
    Unavailable = -28,
    AccessDenied = -30,
    // Streams.
    FileBig = -53,
    NoSpace = -54,
}

/// `ZX_OK` on the wire.
pub const ZX_OK: i32 = 0;

impl ZxStatus {
    /// The wire value.
    pub const fn raw(self) -> i32 {
        self as i32
    }

    /// The Zircon name, for reports.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Internal => "ZX_ERR_INTERNAL",
            Self::NotSupported => "ZX_ERR_NOT_SUPPORTED",
            Self::NoResources => "ZX_ERR_NO_RESOURCES",
            Self::NoMemory => "ZX_ERR_NO_MEMORY",
            Self::InvalidArgs => "ZX_ERR_INVALID_ARGS",
            Self::BadHandle => "ZX_ERR_BAD_HANDLE",
            Self::WrongType => "ZX_ERR_WRONG_TYPE",
            Self::BadSyscall => "ZX_ERR_BAD_SYSCALL",
            Self::OutOfRange => "ZX_ERR_OUT_OF_RANGE",
            Self::BufferTooSmall => "ZX_ERR_BUFFER_TOO_SMALL",
            Self::BadState => "ZX_ERR_BAD_STATE",
            Self::TimedOut => "ZX_ERR_TIMED_OUT",
            Self::ShouldWait => "ZX_ERR_SHOULD_WAIT",
            Self::Canceled => "ZX_ERR_CANCELED",
            Self::PeerClosed => "ZX_ERR_PEER_CLOSED",
            Self::NotFound => "ZX_ERR_NOT_FOUND",
            Self::AlreadyExists => "ZX_ERR_ALREADY_EXISTS",
            Self::AlreadyBound => "ZX_ERR_ALREADY_BOUND",
            Self::Unavailable => "ZX_ERR_UNAVAILABLE",
            Self::AccessDenied => "ZX_ERR_ACCESS_DENIED",
            Self::FileBig => "ZX_ERR_FILE_BIG",
            Self::NoSpace => "ZX_ERR_NO_SPACE",
        }
    }

    /// The status for a wire value, if it is one of ours.
    pub fn from_raw(raw: i32) -> Option<Self> {
        const ALL: [ZxStatus; 22] = [
            ZxStatus::Internal,
            ZxStatus::NotSupported,
            ZxStatus::NoResources,
            ZxStatus::NoMemory,
            ZxStatus::InvalidArgs,
            ZxStatus::BadHandle,
            ZxStatus::WrongType,
            ZxStatus::BadSyscall,
            ZxStatus::OutOfRange,
            ZxStatus::BufferTooSmall,
            ZxStatus::BadState,
            ZxStatus::TimedOut,
            ZxStatus::ShouldWait,
            ZxStatus::Canceled,
            ZxStatus::PeerClosed,
            ZxStatus::NotFound,
            ZxStatus::AlreadyExists,
            ZxStatus::AlreadyBound,
            ZxStatus::Unavailable,
            ZxStatus::AccessDenied,
            ZxStatus::FileBig,
            ZxStatus::NoSpace,
        ];
        ALL.into_iter().find(|s| s.raw() == raw)
    }
}

/// Folds a result into the wire value.
pub fn to_wire(result: Result<(), ZxStatus>) -> i32 {
    match result {
        Ok(()) => ZX_OK,
        Err(e) => e.raw(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for raw in -60..=0 {
            if let Some(s) = ZxStatus::from_raw(raw) {
                assert_eq!(s.raw(), raw);
            }
        }
        assert_eq!(ZxStatus::from_raw(-13), Some(ZxStatus::BadSyscall));
        assert_eq!(to_wire(Err(ZxStatus::AccessDenied)), -30);
        assert_eq!(ZxStatus::from_raw(-54), Some(ZxStatus::NoSpace));
        assert_eq!(to_wire(Ok(())), 0);
    }
}

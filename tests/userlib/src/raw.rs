//! Raw system calls: `svc #0` with the number in x16 and Zircon's C
//! signatures, generated from the ABI's one list of calls (`zx_syscalls!`).
//! They take any pointer, valid or not, which is the point: the tests hand
//! the kernel bad ones on purpose. Each returns x0 as the kernel left it.
#![allow(clippy::missing_safety_doc, clippy::too_many_arguments)]

use core::arch::asm;
use zx_abi::SyscallArg;

/// `svc #0` with the number in x16 and up to eight arguments in x0-x7.
macro_rules! svc {
    (@regs $n:expr; [$($reg:tt = $val:expr),*];) => {{
        let ret: i64;
        // SAFETY: the kernel preserves every register but x0 and touches
        // only memory the arguments name; the caller vouches for those.
        unsafe {
            asm!("svc #0", in("x16") $n, $(in($reg) $val,)* lateout("x0") ret, options(nostack));
        }
        ret
    }};
    (@regs $n:expr; [$($done:tt)*]; $a:expr $(, $rest:expr)*) => {
        svc!(@next $n; [$($done)*]; $a $(, $rest)*)
    };
    // Picks the next register by how many are taken.
    (@next $n:expr; []; $a:expr $(, $rest:expr)*) => { svc!(@regs $n; ["x0" = $a]; $($rest),*) };
    (@next $n:expr; [$r0:tt = $v0:expr]; $a:expr $(, $rest:expr)*) => {
        svc!(@regs $n; [$r0 = $v0, "x1" = $a]; $($rest),*)
    };
    (@next $n:expr; [$r0:tt = $v0:expr, $r1:tt = $v1:expr]; $a:expr $(, $rest:expr)*) => {
        svc!(@regs $n; [$r0 = $v0, $r1 = $v1, "x2" = $a]; $($rest),*)
    };
    (@next $n:expr; [$r0:tt = $v0:expr, $r1:tt = $v1:expr, $r2:tt = $v2:expr];
        $a:expr $(, $rest:expr)*) => {
        svc!(@regs $n; [$r0 = $v0, $r1 = $v1, $r2 = $v2, "x3" = $a]; $($rest),*)
    };
    (@next $n:expr; [$r0:tt = $v0:expr, $r1:tt = $v1:expr, $r2:tt = $v2:expr,
        $r3:tt = $v3:expr]; $a:expr $(, $rest:expr)*) => {
        svc!(@regs $n; [$r0 = $v0, $r1 = $v1, $r2 = $v2, $r3 = $v3, "x4" = $a]; $($rest),*)
    };
    (@next $n:expr; [$r0:tt = $v0:expr, $r1:tt = $v1:expr, $r2:tt = $v2:expr,
        $r3:tt = $v3:expr, $r4:tt = $v4:expr]; $a:expr $(, $rest:expr)*) => {
        svc!(@regs $n; [$r0 = $v0, $r1 = $v1, $r2 = $v2, $r3 = $v3, $r4 = $v4, "x5" = $a];
            $($rest),*)
    };
    (@next $n:expr; [$r0:tt = $v0:expr, $r1:tt = $v1:expr, $r2:tt = $v2:expr,
        $r3:tt = $v3:expr, $r4:tt = $v4:expr, $r5:tt = $v5:expr]; $a:expr $(, $rest:expr)*) => {
        svc!(@regs $n; [$r0 = $v0, $r1 = $v1, $r2 = $v2, $r3 = $v3, $r4 = $v4, $r5 = $v5,
            "x6" = $a]; $($rest),*)
    };
    (@next $n:expr; [$r0:tt = $v0:expr, $r1:tt = $v1:expr, $r2:tt = $v2:expr,
        $r3:tt = $v3:expr, $r4:tt = $v4:expr, $r5:tt = $v5:expr, $r6:tt = $v6:expr];
        $a:expr $(, $rest:expr)*) => {
        svc!(@regs $n; [$r0 = $v0, $r1 = $v1, $r2 = $v2, $r3 = $v3, $r4 = $v4, $r5 = $v5,
            $r6 = $v6, "x7" = $a]; $($rest),*)
    };
    ($n:expr $(, $a:expr)*) => { svc!(@regs $n; []; $($a),*) };
}

macro_rules! raw_wrappers {
    ($( $num:path => $name:ident ( $($arg:ident : $ty:ty),* $(,)? )
        errors [$($err:ident),* $(,)?] ; )*) => {
        $( raw_wrappers!(@one $num, $name, $($arg : $ty),*); )*
    };
    // The one call that does not return.
    (@one $num:path, process_exit, $($arg:ident : $ty:ty),*) => {
        pub unsafe fn process_exit($($arg: <$ty as SyscallArg>::Raw),*) -> ! {
            // SAFETY: the call does not return.
            unsafe {
                asm!("svc #0", in("x16") $num,
                    $(in("x0") <$ty as SyscallArg>::raw_to_reg($arg),)*
                    options(noreturn, nostack))
            }
        }
    };
    (@one $num:path, $name:ident, $($arg:ident : $ty:ty),*) => {
        #[doc = concat!("`zx_", stringify!($name), "`.")]
        pub unsafe fn $name($($arg: <$ty as SyscallArg>::Raw),*) -> i64 {
            svc!($num $(, <$ty as SyscallArg>::raw_to_reg($arg))*)
        }
    };
}

zx_abi::zx_syscalls!(raw_wrappers);

/// Any system call by number, for testing unknown numbers.
pub unsafe fn syscall0(n: u64) -> i64 {
    svc!(n)
}

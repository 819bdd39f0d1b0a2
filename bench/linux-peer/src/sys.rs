//! The Linux system calls the peer times, made directly with `svc #0` (number
//! in x8, arguments in x0-x5, result or `-errno` in x0), so each timed call is
//! exactly one kernel entry with no libc wrapper in between, and the counter
//! and power-off helpers. Safe wrappers return `Err(errno)`.

use core::arch::asm;

/// aarch64 Linux system-call numbers (include/uapi/asm-generic/unistd.h).
mod nr {
    pub const MKDIRAT: usize = 34;
    pub const MOUNT: usize = 40;
    pub const FTRUNCATE: usize = 46;
    pub const OPENAT: usize = 56;
    pub const CLOSE: usize = 57;
    pub const PREAD64: usize = 67;
    pub const PWRITE64: usize = 68;
    pub const NANOSLEEP: usize = 101;
    pub const REBOOT: usize = 142;
    pub const GETPPID: usize = 173;
    pub const SYSINFO: usize = 179;
    pub const MUNMAP: usize = 215;
    pub const MMAP: usize = 222;
    pub const MADVISE: usize = 233;
    pub const MEMFD_CREATE: usize = 279;
    pub const DUP3: usize = 24;
    pub const WRITE: usize = 64;
    pub const FUTEX: usize = 98;
    pub const SCHED_SETAFFINITY: usize = 122;
    pub const SCHED_GETAFFINITY: usize = 123;
}

const AT_FDCWD: isize = -100;
const O_RDWR: usize = 2;
const PROT_READ: usize = 1;
const PROT_WRITE: usize = 2;
const MAP_PRIVATE: usize = 0x02;
const MAP_ANONYMOUS: usize = 0x20;
const MAP_NORESERVE: usize = 0x4000;
const MADV_NOHUGEPAGE: usize = 15;
const FUTEX_WAIT_PRIVATE: usize = 128;
const FUTEX_WAKE_PRIVATE: usize = 128 | 1;

/// One system call with up to six arguments.
///
/// # Safety
/// The arguments must be valid for call `n`: any pointer among them must
/// point to memory the call may read or write as it documents.
#[inline(always)]
unsafe fn syscall6(n: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the caller vouches for the arguments; the kernel clobbers only
    // x0 (the result) and preserves every other register.
    unsafe {
        asm!(
            "svc #0",
            in("x8") n,
            inlateout("x0") a[0] => ret,
            in("x1") a[1],
            in("x2") a[2],
            in("x3") a[3],
            in("x4") a[4],
            in("x5") a[5],
            options(nostack),
        );
    }
    ret
}

fn check(ret: isize) -> Result<usize, i32> {
    if (-4095..0).contains(&ret) {
        Err(-ret as i32)
    } else {
        Ok(ret as usize)
    }
}

/// `getppid()`: the cheapest system call that does real (if tiny) work.
#[inline(always)]
pub fn getppid() -> isize {
    // SAFETY: getppid takes no arguments and touches no user memory.
    unsafe { syscall6(nr::GETPPID, [0; 6]) }
}

/// `memfd_create(name, 0)`.
pub fn memfd_create(name: &core::ffi::CStr) -> Result<usize, i32> {
    // SAFETY: `name` is a live NUL-terminated string.
    check(unsafe { syscall6(nr::MEMFD_CREATE, [name.as_ptr() as usize, 0, 0, 0, 0, 0]) })
}

pub fn ftruncate(fd: usize, len: u64) -> Result<usize, i32> {
    // SAFETY: no pointers.
    check(unsafe { syscall6(nr::FTRUNCATE, [fd, len as usize, 0, 0, 0, 0]) })
}

pub fn close(fd: usize) -> Result<usize, i32> {
    // SAFETY: no pointers.
    check(unsafe { syscall6(nr::CLOSE, [fd, 0, 0, 0, 0, 0]) })
}

pub fn pwrite(fd: usize, buf: &[u8], off: u64) -> Result<usize, i32> {
    // SAFETY: `buf` is readable for its length.
    check(unsafe {
        syscall6(
            nr::PWRITE64,
            [fd, buf.as_ptr() as usize, buf.len(), off as usize, 0, 0],
        )
    })
}

pub fn pread(fd: usize, buf: &mut [u8], off: u64) -> Result<usize, i32> {
    // SAFETY: `buf` is writable for its length.
    check(unsafe {
        syscall6(
            nr::PREAD64,
            [fd, buf.as_mut_ptr() as usize, buf.len(), off as usize, 0, 0],
        )
    })
}

/// An anonymous private read-write mapping, unmapped on drop. `len` is a
/// multiple of the page size. Pages are only ever accessed through raw
/// volatile pointers (`touch`), never through Rust references.
pub struct AnonMap {
    pub addr: usize,
    pub len: usize,
}

impl AnonMap {
    /// `mmap(NULL, len, RW, PRIVATE|ANONYMOUS|NORESERVE)`, then
    /// `madvise(MADV_NOHUGEPAGE)` if `no_huge`, so that a first touch faults
    /// in one 4 KiB page (as on the kernel under test), not a 2 MiB THP.
    pub fn new(len: usize, no_huge: bool) -> Result<Self, i32> {
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
        // SAFETY: a fresh anonymous mapping chosen by the kernel overlaps
        // nothing the program uses.
        let addr = check(unsafe {
            syscall6(
                nr::MMAP,
                [0, len, PROT_READ | PROT_WRITE, flags, usize::MAX, 0],
            )
        })?;
        let map = Self { addr, len };
        if no_huge {
            // SAFETY: advice on our own mapping; it does not change contents.
            check(unsafe { syscall6(nr::MADVISE, [addr, len, MADV_NOHUGEPAGE, 0, 0, 0]) })?;
        }
        Ok(map)
    }

    /// Writes one byte in page `page` (faulting it in the first time).
    #[inline(always)]
    pub fn touch(&self, page: usize) {
        assert!(page * 4096 < self.len);
        let p = (self.addr + page * 4096) as *mut u8;
        // SAFETY: inside the mapping, which lives as long as `self`; no Rust
        // reference points into it.
        unsafe { p.write_volatile(1) };
    }
}

impl Drop for AnonMap {
    fn drop(&mut self) {
        // SAFETY: the range is this mapping's, and nothing refers to it after
        // drop.
        let r = check(unsafe { syscall6(nr::MUNMAP, [self.addr, self.len, 0, 0, 0, 0]) });
        r.expect("munmap");
    }
}

/// Sleeps for `ns` nanoseconds (of virtual time, under -icount).
pub fn nanosleep(ns: u64) {
    let ts = [(ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64];
    // SAFETY: `ts` is a live `struct timespec`; no remainder is asked for.
    let _ = unsafe { syscall6(nr::NANOSLEEP, [ts.as_ptr() as usize, 0, 0, 0, 0, 0]) };
}

/// Memory figures from `sysinfo(2)`, in bytes.
pub struct MemInfo {
    pub total: u64,
    pub free: u64,
    pub uptime_s: u64,
}

pub fn sysinfo() -> MemInfo {
    // struct sysinfo on LP64: uptime, loads[3], totalram, freeram, sharedram,
    // bufferram, totalswap, freeswap (words 0..=9), procs+pad (word 10),
    // totalhigh, freehigh (11, 12), mem_unit (low half of word 13); 112 bytes.
    let mut w = [0u64; 16];
    // SAFETY: `w` is 128 writable bytes, more than the 112 the call writes.
    check(unsafe { syscall6(nr::SYSINFO, [w.as_mut_ptr() as usize, 0, 0, 0, 0, 0]) })
        .expect("sysinfo");
    let unit = (w[13] & 0xffff_ffff).max(1);
    MemInfo {
        total: w[4] * unit,
        free: w[5] * unit,
        uptime_s: w[0],
    }
}

/// Creates directory `dir` (if missing) and mounts a `fstype` file system
/// there. Errors are ignored: the callers check what they need afterwards.
pub fn mount(fstype: &core::ffi::CStr, dir: &core::ffi::CStr) {
    // SAFETY: both pointers are live NUL-terminated strings; no data
    // argument is passed.
    unsafe {
        syscall6(
            nr::MKDIRAT,
            [AT_FDCWD as usize, dir.as_ptr() as usize, 0o755, 0, 0, 0],
        );
        syscall6(
            nr::MOUNT,
            [
                fstype.as_ptr() as usize,
                dir.as_ptr() as usize,
                fstype.as_ptr() as usize,
                0,
                0,
                0,
            ],
        );
    }
}

/// Makes fds 0, 1 and 2 the console if they are not open yet (the initramfs
/// holds only `/init`, so there may be no `/dev/console` when Linux starts
/// it): mounts devtmpfs on `/dev` and opens `/dev/console` there.
pub fn ensure_console() {
    // A zero-length write to fd 1 fails with EBADF if it is not open.
    // SAFETY: a zero-length write reads no memory.
    let probe = unsafe { syscall6(nr::WRITE, [1, 0, 0, 0, 0, 0]) };
    if probe != -9 {
        return;
    }
    mount(c"devtmpfs", c"/dev");
    let console = c"/dev/console";
    // SAFETY: `console` is a live NUL-terminated string.
    let fd = check(unsafe {
        syscall6(
            nr::OPENAT,
            [
                AT_FDCWD as usize,
                console.as_ptr() as usize,
                O_RDWR,
                0,
                0,
                0,
            ],
        )
    });
    if let Ok(fd) = fd {
        for target in 0..3 {
            if fd != target {
                // SAFETY: no pointers; duplicating a descriptor we own.
                unsafe { syscall6(nr::DUP3, [fd, target, 0, 0, 0, 0]) };
            }
        }
        if fd > 2 {
            let _ = close(fd);
        }
    }
}

/// Powers the machine off (PSCI SYSTEM_OFF: QEMU exits). Only init may.
pub fn power_off() -> ! {
    const MAGIC1: usize = 0xfee1_dead;
    const MAGIC2: usize = 672_274_793;
    const CMD_POWER_OFF: usize = 0x4321_fedc;
    // SAFETY: no pointers; on success the call does not return.
    let r = unsafe { syscall6(nr::REBOOT, [MAGIC1, MAGIC2, CMD_POWER_OFF, 0, 0, 0]) };
    eprintln!("linux-peer: reboot(POWER_OFF) failed: {r}");
    std::process::exit(1)
}

/// The virtual counter, as the EL0 programs read it (`isb; mrs`). Linux lets
/// EL0 read CNTVCT_EL0 (its vDSO does).
#[inline(always)]
pub fn counter() -> u64 {
    let v: u64;
    // SAFETY: reading CNTVCT_EL0 has no side effects and EL0 may do it.
    unsafe { asm!("isb", "mrs {0}, cntvct_el0", out(reg) v, options(nostack)) };
    v
}

pub fn counter_frequency() -> u64 {
    let v: u64;
    // SAFETY: reading CNTFRQ_EL0 has no side effects.
    unsafe { asm!("mrs {0}, cntfrq_el0", out(reg) v, options(nomem, nostack)) };
    v
}

/// `futex(FUTEX_WAIT_PRIVATE)`: sleeps while `*word == current`, with no
/// timeout. `Err(EAGAIN)` if it differed, `Err(EINTR)` on a signal.
pub fn futex_wait(word: &core::sync::atomic::AtomicU32, current: u32) -> Result<usize, i32> {
    // SAFETY: the pointer names a live atomic the kernel only reads; no
    // timeout is passed.
    check(unsafe {
        syscall6(
            nr::FUTEX,
            [
                word.as_ptr() as usize,
                FUTEX_WAIT_PRIVATE,
                current as usize,
                0,
                0,
                0,
            ],
        )
    })
}

/// `futex(FUTEX_WAKE_PRIVATE)`: wakes up to `count` waiters; returns how
/// many it woke.
pub fn futex_wake(word: &core::sync::atomic::AtomicU32, count: u32) -> Result<usize, i32> {
    // SAFETY: the kernel only uses the address as a key.
    check(unsafe {
        syscall6(
            nr::FUTEX,
            [
                word.as_ptr() as usize,
                FUTEX_WAKE_PRIVATE,
                count as usize,
                0,
                0,
                0,
            ],
        )
    })
}

/// A CPU set as `sched_{get,set}affinity` take it: 1024 bits.
type CpuMask = [u64; 16];

/// Pins the calling thread to CPU `cpu`.
pub fn pin_to_cpu(cpu: usize) -> Result<usize, i32> {
    let mut mask: CpuMask = [0; 16];
    mask[cpu / 64] = 1 << (cpu % 64);
    // SAFETY: `mask` is readable for the size passed; pid 0 is the caller.
    check(unsafe {
        syscall6(
            nr::SCHED_SETAFFINITY,
            [
                0,
                core::mem::size_of::<CpuMask>(),
                mask.as_ptr() as usize,
                0,
                0,
                0,
            ],
        )
    })
}

/// The CPUs the calling thread may run on, as a mask.
pub fn affinity() -> CpuMask {
    let mut mask: CpuMask = [0; 16];
    // SAFETY: `mask` is writable for the size passed; pid 0 is the caller.
    check(unsafe {
        syscall6(
            nr::SCHED_GETAFFINITY,
            [
                0,
                core::mem::size_of::<CpuMask>(),
                mask.as_mut_ptr() as usize,
                0,
                0,
                0,
            ],
        )
    })
    .expect("sched_getaffinity");
    mask
}

/// The number of CPUs the calling thread may run on.
pub fn cpus_allowed() -> usize {
    affinity().iter().map(|w| w.count_ones() as usize).sum()
}

/// musl's pthreads (the libc the static peer links), declared here rather
/// than through a crate. `pthread_t` is an `unsigned long`, `pthread_attr_t`
/// 56 bytes on LP64 (an 8-byte aligned 64-byte buffer holds it), and a start
/// routine's `void *` argument and result are passed as `usize`.
mod pthread {
    pub type Attr = [u64; 8];
    extern "C" {
        pub fn pthread_attr_init(attr: *mut Attr) -> i32;
        pub fn pthread_attr_setstacksize(attr: *mut Attr, size: usize) -> i32;
        pub fn pthread_attr_destroy(attr: *mut Attr) -> i32;
        pub fn pthread_create(
            thread: *mut usize,
            attr: *const Attr,
            start: extern "C" fn(usize) -> usize,
            arg: usize,
        ) -> i32;
        pub fn pthread_join(thread: usize, ret: *mut usize) -> i32;
    }
}

/// Each thread's stack, as on the EL0 side (`zx::thread::STACK_SIZE`).
pub const STACK_SIZE: usize = 64 * 1024;

/// A thread started with `pthread_create`.
pub struct Pthread(usize);

impl Pthread {
    /// `pthread_create` of `start(arg)` with a [`STACK_SIZE`] stack; the
    /// error is the call's error number.
    pub fn spawn(start: extern "C" fn(usize) -> usize, arg: usize) -> Result<Self, i32> {
        let mut attr: pthread::Attr = [0; 8];
        let mut id = 0usize;
        // SAFETY: `attr` is a live buffer large enough for musl's
        // pthread_attr_t, initialised before use and destroyed after;
        // `id` is a live local; `start` is a valid start routine.
        let r = unsafe {
            pthread::pthread_attr_init(&mut attr);
            pthread::pthread_attr_setstacksize(&mut attr, STACK_SIZE);
            let r = pthread::pthread_create(&mut id, &attr, start, arg);
            pthread::pthread_attr_destroy(&mut attr);
            r
        };
        if r == 0 {
            Ok(Self(id))
        } else {
            Err(r)
        }
    }

    /// `pthread_join`: waits for the thread to end and frees it.
    pub fn join(self) -> Result<usize, i32> {
        let mut ret = 0usize;
        // SAFETY: `self.0` is a thread this program created and has not
        // joined (join consumes `self`); `ret` is a live local.
        let r = unsafe { pthread::pthread_join(self.0, &mut ret) };
        if r == 0 {
            Ok(ret)
        } else {
            Err(r)
        }
    }
}

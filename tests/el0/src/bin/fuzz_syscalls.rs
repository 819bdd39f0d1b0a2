//! The system-call fuzzer. Seeded and reproducible, it makes at least
//! `FUZZ_CALLS` system calls (default 100 000) drawn at random from every
//! call of the ABI plus unknown numbers, mixing valid, closed, guessed and
//! garbage handles, reduced rights, every option bit, sizes and offsets
//! near each boundary (0, a page, the VMO's size, the largest VMO, 2^64),
//! and pointers that are NULL, in the kernel half, past user space,
//! unmapped, misaligned, read-only, past a mapped VMO's end or running off
//! the end of a mapping, besides good ones. It also touches the memory of
//! the mappings it makes.
//!
//! Every status must be one Zircon documents for the call (the per-call
//! status tables of the project's Zircon reference, and the choices in
//! docs/syscall-abi.md), and
//! narrower where the arguments decide it (a handle the program never held
//! is BAD_HANDLE; no call may succeed through a pointer it cannot use; x1-x7
//! come back unchanged). The first violation is printed with the call and
//! its arguments, and the program fails. At the end every handle and
//! mapping is closed and the kernel's VMO and page counts must be back
//! where they started.
//!
//! Compile-time parameters (cargo rebuilds when they change):
//! `FUZZ_SEED` and `FUZZ_CALLS`, decimal or 0x-hex; `scripts/fuzz.sh` sets
//! them. The program never unmaps memory it did not map itself: its own
//! mappings go in [`REGION_LO`, `REGION_HI`) or wherever the kernel puts
//! them, and only those ranges are ever unmapped.
#![no_std]
#![no_main]

use el0_tests::hostile::{
    status_name, svc, Fixtures, Rng, Statuses, FIXTURE_BASE, KERNEL_POINTERS, USER_END,
};
use el0_tests::{now_ns, prefault_stack, ticks_to_ns_i64, zx, PAGE, ROOT_BASE};
use zx::channel as ch;
use zx::{
    child_opt, obj_type, prop, rights, signals, stats, sys, topic, vm_opt, vmo_op, vmo_opt,
    ArgKind, Handle, SyscallArg,
    ZxStatus::{self, *},
    ROOT_VMAR_SIZE, VMO_MAX_SIZE, ZX_TIME_INFINITE, ZX_TIME_INFINITE_PAST,
};

const DEFAULT_SEED: u64 = 0x2024_0007_5EED;
const DEFAULT_CALLS: u64 = 100_000;

const P: u64 = PAGE as u64;

/// Where the fuzzer asks for `ZX_VM_SPECIFIC` mappings (64 GiB from the
/// kernel's default placement base).
const REGION_LO: u64 = 0x10_0000_0000;
const REGION_HI: u64 = 0x20_0000_0000;

/// Live handles at most (besides the root VMAR's).
const MAX_LIVE: usize = 48;
/// Tracked mapping ranges at most.
const MAX_MAPS: usize = 96;
/// Objects tracked at most (each live handle names one; slot 0 is the root
/// VMAR).
const MAX_OBJS: usize = MAX_LIVE + 8;
/// Closed handle values remembered for reuse.
const STALE: usize = 16;
/// Largest mapping the fuzzer lets the kernel place anywhere (so that its
/// mappings never reach the fixtures or the top of user space).
const MAX_ANYWHERE_LEN: u64 = 1 << 40;
/// Largest COMMIT or MAP_RANGE that may succeed (memory stays bounded).
const MAX_COMMIT: u64 = 1 << 20;
/// Free pages the fuzzer may use before it closes everything.
const PAGE_BUDGET: u64 = 8192;

/// Bytes of the program the kernel may read (never write): a `.rodata`
/// array.
static RODATA: [u8; 64] = [0x5A; 64];

fn parse(s: Option<&str>, default: u64) -> u64 {
    let Some(s) = s else { return default };
    let s = s.trim();
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    match parsed {
        Ok(v) => v,
        Err(_) => panic!("cannot parse {:?} as a number", s),
    }
}

struct Spec {
    name: &'static str,
    number: u64,
    args: &'static [(&'static str, ArgKind)],
    /// Every status Zircon documents for the call.
    allowed: Statuses,
}

/// The fuzzer's call table, generated from the ABI's one list of calls:
/// `Call` has a variant per call (named as the call) plus `Unknown`, and
/// `SPECS` holds each call's number, argument names and kinds, and
/// documented statuses, in the same order.
macro_rules! fuzz_table {
    ($( $num:path => $name:ident ( $($arg:ident : $ty:ty),* $(,)? )
        errors [$($err:ident),* $(,)?] ; )*) => {
        // `process_exit` is in the list but never issued: it would end the run.
        #[allow(non_camel_case_types, dead_code)]
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        enum Call {
            $($name,)*
            Unknown,
        }

        const SPECS: &[Spec] = &[
            $( Spec {
                name: concat!("zx_", stringify!($name)),
                number: $num,
                args: &[$( (stringify!($arg), <$ty as SyscallArg>::KIND) ),*],
                allowed: Statuses::ok_or(&[$($err),*]),
            }, )*
            Spec {
                name: "(unknown number)",
                number: 0,
                args: &[
                    ("x0", ArgKind::U64),
                    ("x1", ArgKind::U64),
                    ("x2", ArgKind::U64),
                    ("x3", ArgKind::U64),
                    ("x4", ArgKind::U64),
                    ("x5", ArgKind::U64),
                    ("x6", ArgKind::U64),
                    ("x7", ArgKind::U64),
                ],
                allowed: Statuses::only(&[BadSyscall]),
            },
        ];

        /// Numbers the ABI assigns: everything else must be BAD_SYSCALL.
        const KNOWN_NUMBERS: &[u64] = &[$($num),*];
    };
}

zx::zx_syscalls!(fuzz_table);

const N_CALLS: usize = SPECS.len();

/// What a pointer is, for the access a successful call makes through it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    /// The kernel can make the access.
    Good,
    /// It cannot: a call that succeeds through it is wrong.
    Bad,
    /// Not known (code, the stack, the fuzzer's own mappings).
    Unknown,
}

/// Which way the kernel copies through a pointer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    /// The kernel reads user memory.
    In,
    /// The kernel writes user memory.
    Out,
}

/// A kernel object the fuzzer holds handles to.
#[derive(Clone, Copy, Default)]
struct Obj {
    /// Live handles naming it (the root VMAR's slot never drops to 0).
    refs: u32,
    vmar: bool,
    /// Page-rounded size as the model knows it.
    size: u64,
    resizable: bool,
    discardable: bool,
    /// A child was (or may have been) created from it: ZX_VMO_ZERO_CHILDREN
    /// may be inactive.
    had_child: bool,
}

#[derive(Clone, Copy)]
struct Held {
    value: Handle,
    obj: usize,
    rights: u32,
}

/// A range the fuzzer mapped. `touch` bytes from `addr` may be accessed by
/// the CPU (0: none), read and, if `write`, written.
#[derive(Clone, Copy, Default)]
struct MapRec {
    addr: u64,
    len: u64,
    touch: u64,
    write: bool,
    /// The object slot mapped (a hint: the slot may have been reused).
    obj: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Live(usize),
    Root,
    /// Not a handle the process holds (0 included).
    Bad,
}

#[derive(Clone, Copy)]
struct Picked {
    value: Handle,
    who: Who,
}

/// What the arguments say about the status, beyond the documented set.
struct Expect {
    /// The only acceptable status.
    exact: Option<i64>,
    /// Acceptable statuses (intersected with the documented set).
    narrow: Option<Statuses>,
    /// Statuses also acceptable for this call (documented deviations).
    extra: Statuses,
    /// Why ZX_OK would be wrong (a pointer the call must use is bad).
    no_ok: Option<&'static str>,
}

impl Expect {
    const fn any() -> Self {
        Self {
            exact: None,
            narrow: None,
            extra: Statuses::NONE,
            no_ok: None,
        }
    }

    fn exact(status: ZxStatus) -> Self {
        Self {
            exact: Some(status.raw() as i64),
            ..Self::any()
        }
    }

    fn ok() -> Self {
        Self {
            exact: Some(0),
            ..Self::any()
        }
    }

    fn narrow(s: Statuses) -> Self {
        Self {
            narrow: Some(s),
            ..Self::any()
        }
    }

    fn no_ok_if(mut self, bad: bool, why: &'static str) -> Self {
        if bad && self.no_ok.is_none() {
            self.no_ok = Some(why);
        }
        self
    }
}

struct Fuzz {
    rng: Rng,
    seed: u64,
    root: Handle,
    fx: Fixtures,
    handles: [Option<Held>; MAX_LIVE],
    live: usize,
    objs: [Obj; MAX_OBJS],
    stale: [Handle; STALE],
    stale_next: usize,
    maps: [MapRec; MAX_MAPS],
    n_maps: usize,
    calls: u64,
    touches: u64,
    purges: u64,
    /// The kernel's clock at the last look.
    last_clock: i64,
    counts: [[u32; 32]; N_CALLS],
    base_free: u64,
}

fn round_up(x: u64) -> Option<u64> {
    x.checked_next_multiple_of(P)
}

impl Fuzz {
    // ----- bookkeeping -------------------------------------------------

    fn live_slots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..MAX_LIVE).filter(|&i| self.handles[i].is_some())
    }

    fn held(&self, slot: usize) -> Held {
        self.handles[slot].expect("live slot")
    }

    fn classify(&self, value: Handle) -> Who {
        if value == self.root {
            return Who::Root;
        }
        match self.live_slots().find(|&i| self.held(i).value == value) {
            Some(i) => Who::Live(i),
            None => Who::Bad,
        }
    }

    fn obj_of(&self, p: Picked) -> Option<Obj> {
        match p.who {
            Who::Live(i) => Some(self.objs[self.held(i).obj]),
            Who::Root => Some(self.objs[0]),
            Who::Bad => None,
        }
    }

    fn rights_of(&self, p: Picked) -> u32 {
        match p.who {
            Who::Live(i) => self.held(i).rights,
            Who::Root => rights::ROOT_VMAR,
            Who::Bad => 0,
        }
    }

    fn is_vmo(&self, p: Picked) -> bool {
        self.obj_of(p).is_some_and(|o| !o.vmar)
    }

    fn is_vmar(&self, p: Picked) -> bool {
        self.obj_of(p).is_some_and(|o| o.vmar)
    }

    fn new_obj(&mut self, o: Obj) -> usize {
        let i = (1..MAX_OBJS)
            .find(|&i| self.objs[i].refs == 0)
            .expect("object slots exhausted");
        self.objs[i] = Obj { refs: 0, ..o };
        i
    }

    fn add_handle(&mut self, value: Handle, obj: usize, rights: u32) {
        let slot = (0..MAX_LIVE)
            .find(|&i| self.handles[i].is_none())
            .expect("handle slots exhausted");
        self.handles[slot] = Some(Held { value, obj, rights });
        self.objs[obj].refs += 1;
        self.live += 1;
    }

    fn drop_handle(&mut self, slot: usize) {
        let h = self.held(slot);
        self.handles[slot] = None;
        self.live -= 1;
        self.objs[h.obj].refs -= 1;
        self.stale[self.stale_next] = h.value;
        self.stale_next = (self.stale_next + 1) % STALE;
    }

    // ----- argument generators -------------------------------------------

    fn pick_handle(&mut self, destructive: bool) -> Picked {
        let live = self.live > 0;
        let k = self.rng.weighted(&[
            if live { 78 } else { 0 },
            if destructive { 0 } else { 6 },
            3,
            5,
            4,
            4,
        ]);
        let value = match k {
            0 => {
                let n = self.rng.below(self.live as u64) as usize;
                let slot = self.live_slots().nth(n).expect("live handle");
                return Picked {
                    value: self.held(slot).value,
                    who: Who::Live(slot),
                };
            }
            1 => self.root,
            2 => zx::ZX_HANDLE_INVALID,
            3 => self.stale[self.rng.below(STALE as u64) as usize],
            4 => {
                let low = 0x3 | (self.rng.below(64) as u32) << 2;
                self.rng.pick(&[
                    0x1234_5677,
                    0xffff_ffff,
                    0xffff_fffc,
                    0x7,
                    0xb,
                    low,
                    0x8000_0003,
                    1,
                    2,
                ])
            }
            _ => self.rng.next_u32(),
        };
        if self.fx.handles().contains(&value) {
            // The fixtures' handles stay out of the fuzzer's reach.
            return Picked {
                value: zx::ZX_HANDLE_INVALID,
                who: Who::Bad,
            };
        }
        match self.classify(value) {
            Who::Root if destructive => Picked {
                value: zx::ZX_HANDLE_INVALID,
                who: Who::Bad,
            },
            who => Picked { value, who },
        }
    }

    /// A value near `x` or near another boundary.
    fn around(&mut self, x: u64) -> u64 {
        match self.rng.below(24) {
            0 => 0,
            1 => 1,
            2 => P - 1,
            3 => P,
            4 => P + 1,
            5 | 6 => x,
            7 => x.wrapping_sub(1),
            8 => x.wrapping_add(1),
            9 => x.wrapping_sub(P),
            10 => x.wrapping_add(P),
            11 => x / 2,
            12 | 13 => self.rng.below(x.saturating_add(P)),
            14 => u64::MAX,
            15 => u64::MAX - P + 1,
            16 => 1 << 63,
            17 => VMO_MAX_SIZE,
            18 => VMO_MAX_SIZE + 1,
            19 => 1 << 48,
            20 => self.rng.below(1 << 16),
            21 => u64::MAX - x,
            22 => self.rng.below(x.saturating_add(P)) & !(P - 1),
            _ => self.rng.next_u64(),
        }
    }

    /// An offset and length for a VMO of `size` bytes.
    fn range_in(&mut self, size: u64) -> (u64, u64) {
        if self.rng.chance(40) {
            // Inside the VMO (when it is small enough to matter).
            let off = self.rng.below(size.min(1 << 24) + 1);
            let room = size.saturating_sub(off).min(4 * P);
            return (off, self.rng.below(room + 1));
        }
        let off = self.around(size);
        let len = match self.rng.below(5) {
            0 | 1 => self.around(size.wrapping_sub(off)),
            2 => self.rng.below(3 * P),
            3 => self.around(size),
            _ => self.around(P),
        };
        (off, len)
    }

    fn vmo_size(&mut self) -> u64 {
        if self.rng.chance(88) {
            match self.rng.below(10) {
                0 => 0,
                1 => 1,
                2 => P - 1,
                3 => P,
                4 => P + 1,
                5 => 2 * P,
                6 => 16 * P,
                7 => self.rng.below(1 << 16),
                8 => self.rng.below(1 << 20),
                _ => self.rng.range(1, 8) * P,
            }
        } else {
            let any = self.rng.next_u64();
            self.rng.pick(&[
                VMO_MAX_SIZE,
                VMO_MAX_SIZE - P + 1,
                VMO_MAX_SIZE + 1,
                u64::MAX,
                u64::MAX - P + 2,
                1 << 40,
                1 << 48,
                1 << 63,
                any,
            ])
        }
    }

    /// A pointer for an access of `extent` bytes in direction `dir`, which
    /// must be aligned to `align` (1 for byte buffers), and what it is.
    fn ptr(&mut self, extent: u64, dir: Dir, align: u64) -> (u64, Class) {
        let rw = FIXTURE_BASE as u64;
        let rw_len = Fixtures::RW_LEN as u64;
        let rw_end = rw + rw_len;
        let aligned = |a: u64| a.is_multiple_of(align);
        let k = self
            .rng
            .weighted(&[45, 6, 8, 6, 4, 4, 4, 3, 3, 4, 4, 3, 3, 3, 4]);
        let (addr, class) = match k {
            // Scratch memory.
            0 => {
                if extent <= rw_len {
                    let off = self.rng.below(rw_len - extent + 1) & !(align - 1);
                    (rw + off, Class::Good)
                } else {
                    (rw, Class::Bad)
                }
            }
            // Scratch, misaligned.
            1 => {
                let off = self.rng.below(rw_len / align - 1) * align;
                if align > 1 {
                    (rw + off + self.rng.range(1, align - 1), Class::Bad)
                } else if off + extent <= rw_len {
                    (rw + off, Class::Good)
                } else {
                    (rw + off, Class::Bad)
                }
            }
            // Ends at the end of the read-write pages or runs past them.
            2 => {
                let back = self.rng.range(1, extent.clamp(1, rw_len));
                let a = rw_end - back;
                let good = back >= extent && aligned(a);
                (a, if good { Class::Good } else { Class::Bad })
            }
            // The read-only page.
            3 => {
                let off = self.rng.below(P) & !(align - 1);
                let fits = off + extent <= P;
                let class = match dir {
                    Dir::In if fits => Class::Good,
                    _ => Class::Bad,
                };
                (self.fx.ro() as u64 + off, class)
            }
            // Past the mapped VMO's end.
            4 => {
                let off = self.rng.below(P) & !(align - 1);
                (self.fx.beyond() as u64 + off, Class::Bad)
            }
            // Ends at the mapped VMO's end or runs past it.
            5 => {
                let back = self.rng.range(1, extent.clamp(1, P));
                let a = self.fx.beyond() as u64 - back;
                let good = back >= extent && aligned(a);
                (a, if good { Class::Good } else { Class::Bad })
            }
            6 => (0, Class::Bad),
            7 => (self.rng.pick(&[0x10, 0xff8, 0x1000, 0x8000]), Class::Bad),
            // Unmapped pages between the fixtures.
            8 => {
                let page =
                    self.rng
                        .pick(&[self.fx.hole(), self.fx.ro_end(), self.fx.beyond() + PAGE]);
                (page as u64 + (self.rng.below(P) & !(align - 1)), Class::Bad)
            }
            // The end of user space and beyond.
            9 => {
                let back = self.rng.range(1, extent.clamp(1, P)) & !(align - 1);
                let a = self.rng.pick(&[
                    USER_END as u64,
                    USER_END as u64 - back.max(align),
                    1 << 63,
                    u64::MAX - back,
                    !(align - 1),
                ]);
                (a, Class::Bad)
            }
            10 => {
                let k = self.rng.pick(&[
                    KERNEL_POINTERS[0] as u64,
                    KERNEL_POINTERS[1] as u64,
                    0xffff_8000_0000_0000,
                    0xffff_ffff_ffff_f000,
                ]);
                (k + (self.rng.below(P) & !(align - 1)), Class::Bad)
            }
            // Program text and read-only data.
            11 | 12 => {
                let a = if k == 11 {
                    main as *const () as u64
                } else {
                    RODATA.as_ptr() as u64
                };
                let a = a & !(align - 1);
                let class = match dir {
                    Dir::In if extent <= RODATA.len() as u64 => Class::Good,
                    Dir::In => Class::Unknown,
                    Dir::Out => Class::Bad,
                };
                (a, class)
            }
            // The stack (only for the kernel to read).
            13 => {
                if dir == Dir::In {
                    let local = [0u8; 64];
                    let a = core::hint::black_box(&local).as_ptr() as u64 & !(align - 1);
                    (a, Class::Unknown)
                } else {
                    (0, Class::Bad)
                }
            }
            // One of the fuzzer's own mappings, for small transfers.
            _ => {
                if self.n_maps > 0 && extent <= 1 << 16 {
                    let m = self.maps[self.rng.below(self.n_maps as u64) as usize];
                    let off = self.rng.below(m.len) & !(align - 1);
                    (m.addr + off, Class::Unknown)
                } else {
                    (self.fx.hole() as u64, Class::Bad)
                }
            }
        };
        let class = if extent == 0 { Class::Good } else { class };
        (addr, class)
    }

    /// An optional out-pointer: NULL (allowed) or any pointer.
    fn opt_ptr(&mut self, extent: u64, align: u64) -> (u64, Class) {
        if self.rng.chance(30) {
            (0, Class::Good)
        } else {
            let (a, c) = self.ptr(extent, Dir::Out, align);
            if a == 0 {
                (0, Class::Good)
            } else {
                (a, c)
            }
        }
    }

    /// Mostly a live VMO handle, else any handle.
    fn pick_vmo(&mut self) -> Picked {
        let vmos = self
            .live_slots()
            .filter(|&i| !self.objs[self.held(i).obj].vmar)
            .count();
        if vmos > 0 && self.rng.chance(80) {
            let k = self.rng.below(vmos as u64) as usize;
            let slot = self
                .live_slots()
                .filter(|&i| !self.objs[self.held(i).obj].vmar)
                .nth(k)
                .expect("a live VMO");
            return Picked {
                value: self.held(slot).value,
                who: Who::Live(slot),
            };
        }
        self.pick_handle(false)
    }

    /// Rights for a new handle derived from one with `cur`.
    fn rights_for(&mut self, cur: u32) -> u32 {
        match self.rng.below(12) {
            0..=3 => rights::SAME_RIGHTS,
            4..=6 => cur & self.rng.next_u32(),
            7 => 0,
            8 => cur | 1 << self.rng.below(32),
            9 => self.rng.next_u32(),
            10 => u32::MAX,
            _ => rights::SAME_RIGHTS | self.rng.next_u32(),
        }
    }

    fn rights_valid(requested: u32, cur: u32) -> bool {
        requested == rights::SAME_RIGHTS || requested & !cur == 0
    }

    // ----- issuing and checking -------------------------------------------

    fn issue(&mut self, c: Call, number: u64, mut a: [u64; 8], exp: Expect) -> i64 {
        // 32-bit arguments (handles, rights, options, ...) travel in 64-bit
        // registers whose upper half the kernel must ignore: sometimes it
        // holds garbage.
        if self.rng.chance(10) {
            for (i, (_, kind)) in SPECS[c as usize].args.iter().enumerate() {
                if *kind == ArgKind::U32 && self.rng.chance(50) {
                    a[i] |= self.rng.next_u64() << 32;
                }
            }
        }
        // SAFETY: every pointer argument is either one the kernel must
        // refuse, scratch memory in the fixtures, read-only memory, or one
        // of the fuzzer's own mappings (which hold nothing): no Rust value
        // lives behind any memory the kernel may write.
        let r = unsafe { svc(number, &a) };
        self.calls += 1;
        let ret = r.ret;
        let spec = &SPECS[c as usize];
        if ret != ret as i32 as i64 {
            self.violation(c, number, &a, ret, "the status is not a sign-extended i32");
        }
        if let Some(reg) = r.clobbered {
            self.violation(
                c,
                number,
                &a,
                ret,
                if reg == 16 {
                    "x16 changed across the call"
                } else {
                    "one of x1-x7 changed across the call"
                },
            );
        }
        let mut allowed = Statuses(spec.allowed.0 | exp.extra.0);
        if let Some(n) = exp.narrow {
            allowed = allowed.intersect(Statuses(n.0 | exp.extra.0));
        }
        if let Some(e) = exp.exact {
            allowed = Statuses::just(e);
        }
        if !allowed.contains(ret) {
            let why = if spec.allowed.contains(ret) || exp.extra.contains(ret) {
                "documented for the call, but not for these arguments"
            } else {
                "not a status Zircon documents for the call"
            };
            self.violation_with(c, number, &a, ret, why, allowed);
        }
        if ret == 0 {
            if let Some(why) = exp.no_ok {
                self.violation(c, number, &a, ret, why);
            }
        }
        if let Some(bit) = (ret <= 0 && ret > -32).then_some((-ret) as usize) {
            self.counts[c as usize][bit] += 1;
        }
        ret
    }

    fn violation(&self, c: Call, number: u64, a: &[u64; 8], ret: i64, why: &str) -> ! {
        self.violation_with(c, number, a, ret, why, Statuses::NONE)
    }

    fn violation_with(
        &self,
        c: Call,
        number: u64,
        a: &[u64; 8],
        ret: i64,
        why: &str,
        allowed: Statuses,
    ) -> ! {
        let spec = &SPECS[c as usize];
        let mut w = zx::DebugWriter::new();
        use core::fmt::Write;
        let _ = write!(
            w,
            "fuzz: VIOLATION at call {} (seed {:#x}): {}",
            self.calls, self.seed, spec.name
        );
        if c == Call::Unknown {
            let _ = write!(w, " #{:#x}", number);
        }
        let _ = write!(w, "(");
        for (i, (name, _)) in spec.args.iter().enumerate() {
            let _ = write!(w, "{}{}={:#x}", if i > 0 { ", " } else { "" }, name, a[i]);
        }
        let _ = writeln!(w, ") returned {} ({})", status_name(ret), ret);
        if allowed != Statuses::NONE {
            let _ = writeln!(w, "fuzz:   expected {}", allowed);
        }
        let _ = writeln!(w, "fuzz:   {}", why);
        w.flush();
        panic!("fuzz: first violation above");
    }

    /// A consistency failure found after a call (the kernel's answer
    /// contradicts what the program knows).
    fn mismatch(&self, c: Call, a: &[u64; 8], what: core::fmt::Arguments<'_>) -> ! {
        zx::println!("fuzz: {}", what);
        self.violation(
            c,
            SPECS[c as usize].number,
            a,
            0,
            "the call's result contradicts the model (line above)",
        )
    }

    /// True if `[addr, addr + len)` is memory the program may read back
    /// itself: the read-write fixture pages or the backed page of the short
    /// mapping.
    fn readable_back(&self, addr: u64, len: u64) -> bool {
        let rw = FIXTURE_BASE as u64;
        let short = self.fx.short() as u64;
        let inside = |lo: u64, hi: u64| addr >= lo && addr.saturating_add(len) <= hi;
        inside(rw, rw + Fixtures::RW_LEN as u64) || inside(short, short + P)
    }

    fn read_back_u32(&self, addr: u64) -> u32 {
        assert!(self.readable_back(addr, 4) && addr.is_multiple_of(4));
        // SAFETY: fixture memory, mapped read-write and backed, aligned; no
        // Rust reference points into it.
        unsafe { core::ptr::read_volatile(addr as *const u32) }
    }

    fn read_back_u64(&self, addr: u64) -> u64 {
        assert!(self.readable_back(addr, 8) && addr.is_multiple_of(8));
        // SAFETY: as in `read_back_u32`.
        unsafe { core::ptr::read_volatile(addr as *const u64) }
    }

    /// Reads back a handle the kernel wrote at `addr` and checks it is a
    /// plausible new handle.
    fn new_handle_at(&self, c: Call, a: &[u64; 8], addr: u64) -> Handle {
        let h = self.read_back_u32(addr);
        if h & 3 != 3
            || h == self.root
            || self.fx.handles().contains(&h)
            || self.classify(h) != Who::Bad
        {
            self.mismatch(
                c,
                a,
                format_args!("new handle value {:#x} is invalid or already in use", h),
            );
        }
        h
    }

    /// Clears a good out-pointer's `u32` so that a call that claims success
    /// without writing it is caught.
    fn prepare_out(&self, addr: u64, class: Class) {
        if class == Class::Good && addr.is_multiple_of(4) && self.readable_back(addr, 4) {
            // SAFETY: as in `read_back_u32`.
            unsafe { core::ptr::write_volatile(addr as *mut u32, 0) };
        }
    }

    /// A pointer for a value the program reads back after a successful
    /// call: never of unknown class.
    fn out_ptr(&mut self, extent: u64, align: u64) -> (u64, Class) {
        if self.rng.chance(40) {
            // Mostly good, so that enough objects exist to work on.
            let off = self.rng.below((Fixtures::RW_LEN as u64 - extent) / align) * align;
            return (FIXTURE_BASE as u64 + off, Class::Good);
        }
        loop {
            let (a, c) = self.ptr(extent, Dir::Out, align);
            if c != Class::Unknown {
                return (a, c);
            }
        }
    }

    /// Makes room for one more handle.
    fn room_for_handle(&mut self) {
        while self.live >= MAX_LIVE - 1 {
            let n = self.rng.below(self.live as u64) as usize;
            let slot = self.live_slots().nth(n).expect("live handle");
            self.close_slot(slot);
        }
    }

    fn close_slot(&mut self, slot: usize) {
        let v = self.held(slot).value;
        self.issue(
            Call::handle_close,
            sys::HANDLE_CLOSE,
            [v as u64, 0, 0, 0, 0, 0, 0, 0],
            Expect::ok(),
        );
        self.drop_handle(slot);
    }

    // ----- the calls --------------------------------------------------------

    fn debug_write(&mut self) {
        let any = self.rng.next_u64();
        let len = self.rng.pick(&[1, 16, 255, 256, 257, 4096, u64::MAX, any]);
        let extent = len.min(zx::DEBUG_WRITE_MAX as u64);
        let (mut buf, class) = self.ptr(extent, Dir::In, 1);
        let mut len = len;
        if class != Class::Bad {
            // Keep the console quiet: good buffers write nothing, but for
            // one in twenty thousand, which writes a known line.
            if self.rng.one_in(20_000) {
                const LINE: &[u8] = b"fuzz: (a zx_debug_write from the fuzzer)\n";
                buf = LINE.as_ptr() as u64;
                len = LINE.len() as u64;
            } else {
                len = 0;
            }
        }
        let exp = if class == Class::Bad {
            Expect::exact(InvalidArgs)
        } else if class == Class::Good {
            Expect::ok()
        } else {
            Expect::any()
        };
        self.issue(
            Call::debug_write,
            sys::DEBUG_WRITE,
            [buf, len, 0, 0, 0, 0, 0, 0],
            exp,
        );
    }

    fn handle_close(&mut self) {
        let h = self.pick_handle(true);
        let exp = match h.who {
            Who::Live(_) => Expect::ok(),
            _ if h.value == zx::ZX_HANDLE_INVALID => Expect::ok(),
            _ => Expect::exact(BadHandle),
        };
        self.issue(
            Call::handle_close,
            sys::HANDLE_CLOSE,
            [h.value as u64, 0, 0, 0, 0, 0, 0, 0],
            exp,
        );
        if let Who::Live(slot) = h.who {
            self.drop_handle(slot);
        }
    }

    /// `zx_handle_close_many` over a few handles: live ones (sometimes the
    /// same one twice), invalid ones and guesses; or a bad array pointer.
    fn handle_close_many(&mut self) {
        let mut values = [0 as Handle; 6];
        let n = self.rng.below(values.len() as u64 + 1) as usize;
        let mut live: [Option<usize>; 6] = [None; 6];
        let mut bad = false;
        for i in 0..n {
            let repeat = i > 0 && self.rng.chance(10);
            let h = if repeat {
                let j = self.rng.below(i as u64) as usize;
                Picked {
                    value: values[j],
                    who: if live[..i].contains(&live[j]) && live[j].is_some() {
                        Who::Bad
                    } else {
                        self.classify(values[j])
                    },
                }
            } else {
                self.pick_handle(true)
            };
            values[i] = h.value;
            match h.who {
                Who::Live(slot) if !live[..i].contains(&Some(slot)) => live[i] = Some(slot),
                _ if h.value == zx::ZX_HANDLE_INVALID => {}
                _ => bad = true,
            }
        }
        // A pointer the kernel cannot read, sometimes; otherwise the array
        // (the contents behind other readable pointers are not known).
        let (ptr, class) =
            match (n > 0 && self.rng.chance(15)).then(|| self.ptr(n as u64 * 4, Dir::In, 4)) {
                Some((p, Class::Bad)) => (p, Class::Bad),
                _ => (values.as_ptr() as u64, Class::Good),
            };
        let exp = match class {
            Class::Bad => Expect::exact(InvalidArgs),
            Class::Good if bad => Expect::exact(BadHandle),
            Class::Good => Expect::ok(),
            Class::Unknown => Expect::any(),
        };
        let r = self.issue(
            Call::handle_close_many,
            sys::HANDLE_CLOSE_MANY,
            [ptr, n as u64, 0, 0, 0, 0, 0, 0],
            exp,
        );
        if class == Class::Good || r == 0 {
            // Every handle in the array is closed, whatever the status.
            for slot in live.iter().flatten() {
                self.drop_handle(*slot);
            }
        }
    }

    /// `zx_object_signal` with user and non-user signal masks.
    fn object_signal(&mut self) {
        let h = self.pick_handle(false);
        let mut mask = || match self.rng.below(5) {
            0 => 0,
            1 => signals::USER_ALL,
            2 => signals::USER_0 << self.rng.below(8),
            3 => 1 << self.rng.below(32),
            _ => self.rng.next_u32(),
        };
        let (clear, set) = (mask(), mask());
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if self.rights_of(h) & rights::SIGNAL == 0 => Expect::exact(AccessDenied),
            _ if (clear | set) & !signals::USER_ALL != 0 => Expect::exact(InvalidArgs),
            _ => Expect::ok(),
        };
        self.issue(
            Call::object_signal,
            sys::OBJECT_SIGNAL,
            [h.value as u64, clear as u64, set as u64, 0, 0, 0, 0, 0],
            exp,
        );
    }

    fn handle_duplicate(&mut self) {
        self.room_for_handle();
        let h = self.pick_handle(false);
        let cur = self.rights_of(h);
        let req = self.rights_for(cur);
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if cur & rights::DUPLICATE == 0 => Expect::exact(AccessDenied),
            _ if !Self::rights_valid(req, cur) => Expect::exact(InvalidArgs),
            _ => match class {
                Class::Bad => Expect::narrow(Statuses::only(&[InvalidArgs, NoMemory])),
                _ => Expect::narrow(Statuses::ok_or(&[NoMemory])),
            },
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with an out-pointer it cannot write",
        );
        let a = [h.value as u64, req as u64, out, 0, 0, 0, 0, 0];
        let r = self.issue(Call::handle_duplicate, sys::HANDLE_DUPLICATE, a, exp);
        if r == 0 {
            let new = self.new_handle_at(Call::handle_duplicate, &a, out);
            let obj = match h.who {
                Who::Live(i) => self.held(i).obj,
                _ => 0,
            };
            let nr = if req == rights::SAME_RIGHTS { cur } else { req };
            self.add_handle(new, obj, nr);
        }
    }

    fn handle_replace(&mut self) {
        let h = self.pick_handle(true);
        let cur = self.rights_of(h);
        let req = self.rights_for(cur);
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if !Self::rights_valid(req, cur) => Expect::exact(InvalidArgs),
            _ => match class {
                Class::Bad => Expect::narrow(Statuses::only(&[InvalidArgs, NoMemory])),
                _ => Expect::narrow(Statuses::ok_or(&[NoMemory])),
            },
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with an out-pointer it cannot write",
        );
        let a = [h.value as u64, req as u64, out, 0, 0, 0, 0, 0];
        let r = self.issue(Call::handle_replace, sys::HANDLE_REPLACE, a, exp);
        if let Who::Live(slot) = h.who {
            let obj = self.held(slot).obj;
            // Keep the object's record alive across the swap.
            self.objs[obj].refs += 1;
            self.drop_handle(slot);
            if r == 0 {
                let new = self.new_handle_at(Call::handle_replace, &a, out);
                let nr = if req == rights::SAME_RIGHTS { cur } else { req };
                self.add_handle(new, obj, nr);
            }
            self.objs[obj].refs -= 1;
        }
    }

    fn object_wait_one(&mut self) {
        let h = self.pick_handle(false);
        let sigs = match self.rng.below(6) {
            0 => 0,
            1 | 2 => signals::VMO_ZERO_CHILDREN,
            3 => u32::MAX,
            4 => signals::HANDLE_CLOSED,
            _ => self.rng.next_u32(),
        };
        // Satisfied for sure: ZERO_CHILDREN on a VMO that never had a
        // child, through a handle with WAIT. Only then may the deadline be
        // far away (an unsatisfiable wait with no deadline gets the process
        // killed, and a far deadline would stall it).
        let satisfied = sigs & signals::VMO_ZERO_CHILDREN != 0
            && self.rights_of(h) & rights::WAIT != 0
            && self.obj_of(h).is_some_and(|o| !o.vmar && !o.had_child);
        let now = now_ns();
        let deadline = match self.rng.below(10) {
            0 | 1 => 0,
            2 => ZX_TIME_INFINITE_PAST,
            3 => -1 - self.rng.below(1 << 40) as i64,
            4 | 5 => now - self.rng.below(1_000_000) as i64,
            6 | 7 => now + self.rng.below(2_000) as i64,
            8 if self.rng.one_in(500) => now + 2_000_000,
            _ if satisfied => {
                self.rng
                    .pick(&[ZX_TIME_INFINITE, ZX_TIME_INFINITE - 1, now + (1 << 50)])
            }
            _ => now,
        };
        let (observed, class) = self.opt_ptr(4, 4);
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if satisfied && class == Class::Good => Expect::ok(),
            _ => Expect::any(),
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with an observed pointer it cannot write",
        );
        let a = [
            h.value as u64,
            sigs as u64,
            deadline as u64,
            observed,
            0,
            0,
            0,
            0,
        ];
        let r = self.issue(Call::object_wait_one, sys::OBJECT_WAIT_ONE, a, exp);
        if r == TimedOut.raw() as i64 && class == Class::Bad {
            self.violation(
                Call::object_wait_one,
                sys::OBJECT_WAIT_ONE,
                &a,
                r,
                "TIMED_OUT, but the observed pointer cannot be written",
            );
        }
    }

    fn pick_property(&mut self) -> u32 {
        match self.rng.below(10) {
            0..=3 => prop::NAME,
            4..=7 => prop::VMO_CONTENT_SIZE,
            8 => self
                .rng
                .pick(&[0, 1, 2, 4, 5, 6, 7, 8, 12, 13, 15, 16, 18, 19, 20]),
            _ => self.rng.next_u32(),
        }
    }

    fn value_size(&mut self) -> u64 {
        let (small, any) = (self.rng.below(64), self.rng.next_u64());
        self.rng
            .pick(&[0, 1, 7, 8, 9, 31, 32, 33, P, u64::MAX, small, any])
    }

    fn object_get_property(&mut self) {
        let h = self.pick_handle(false);
        let property = self.pick_property();
        let size = self.value_size();
        let need = match property {
            prop::NAME => 32,
            prop::VMO_CONTENT_SIZE => 8,
            _ => 0,
        };
        let extent = if size >= need { need } else { 0 };
        let (value, class) = self.ptr(extent, Dir::Out, 1);
        let exp = if value == 0 {
            Expect::exact(InvalidArgs)
        } else if h.who == Who::Bad {
            Expect::exact(BadHandle)
        } else {
            Expect::any()
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with a value pointer it cannot write",
        );
        let a = [h.value as u64, property as u64, value, size, 0, 0, 0, 0];
        self.issue(Call::object_get_property, sys::OBJECT_GET_PROPERTY, a, exp);
    }

    fn object_set_property(&mut self) {
        let h = self.pick_handle(false);
        let property = self.pick_property();
        let size = self.value_size();
        let extent = match property {
            prop::NAME => size.min(31),
            prop::VMO_CONTENT_SIZE if size >= 8 => 8,
            _ => 0,
        };
        let (value, class) = self.ptr(extent, Dir::In, 1);
        let scratch = FIXTURE_BASE as u64..(FIXTURE_BASE + Fixtures::RW_LEN) as u64;
        if property == prop::VMO_CONTENT_SIZE
            && class == Class::Good
            && scratch.contains(&value)
            && value + 8 <= scratch.end
        {
            let vsize = self.obj_of(h).map_or(P, |o| o.size);
            let content = self.around(vsize).to_le_bytes();
            let off = (value - scratch.start) as usize;
            for (i, b) in content.iter().enumerate() {
                self.fx.write_u8(off + i, *b);
            }
        }
        let mut exp = if value == 0 {
            Expect::exact(InvalidArgs)
        } else if h.who == Who::Bad {
            Expect::exact(BadHandle)
        } else {
            Expect::any()
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with a value pointer it cannot read",
        );
        if property == prop::VMO_CONTENT_SIZE {
            // Deviation: a content size past the VMO's size is OUT_OF_RANGE
            // here (tests/el0/src/bin/object_property.rs); Zircon's table
            // (section 3) does not list it, and Zircon itself accepts it.
            exp.extra = Statuses::only(&[OutOfRange]);
        }
        let a = [h.value as u64, property as u64, value, size, 0, 0, 0, 0];
        self.issue(Call::object_set_property, sys::OBJECT_SET_PROPERTY, a, exp);
    }

    fn object_get_info(&mut self) {
        let h = self.pick_handle(false);
        let t = match self.rng.below(12) {
            0 => topic::HANDLE_VALID,
            1..=3 => topic::HANDLE_BASIC,
            4 | 5 => topic::VMO,
            6 => topic::VMO_V1,
            7 => topic::VMO_V2,
            8 => topic::VMO_V3,
            9 => self
                .rng
                .pick(&[0, 3, 7, 19, 0x4000_0017, 0x3000_0018, 0x17 | 0xf000_0000]),
            _ => self.rng.next_u32(),
        };
        let record: u64 = match t {
            topic::HANDLE_BASIC => 32,
            topic::VMO_V1 => 104,
            topic::VMO_V2 => 120,
            topic::VMO_V3 => 128,
            topic::VMO => 176,
            _ => 0,
        };
        let small = self.rng.below(256);
        let size = self.rng.pick(&[
            0,
            record.saturating_sub(1),
            record,
            record + 1,
            P,
            u64::MAX,
            small,
        ]);
        let extent = if size >= record { record } else { 0 };
        let (buf, bclass) = self.ptr(extent, Dir::Out, 1);
        let (actual, aclass) = self.opt_ptr(8, 8);
        let (avail, vclass) = self.opt_ptr(8, 8);
        let any_bad = bclass == Class::Bad || aclass == Class::Bad || vclass == Class::Bad;
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if t == topic::HANDLE_VALID => Expect::ok(),
            _ => Expect::any().no_ok_if(any_bad, "succeeded with a pointer it cannot write"),
        };
        let a = [h.value as u64, t as u64, buf, size, actual, avail, 0, 0];
        let r = self.issue(Call::object_get_info, sys::OBJECT_GET_INFO, a, exp);
        // Cross-check HANDLE_BASIC against the model when the record landed
        // in scratch memory that nothing else overwrote.
        let scratch = FIXTURE_BASE as u64..(FIXTURE_BASE + Fixtures::RW_LEN) as u64;
        let apart = |p: u64| p == 0 || p + 8 <= buf || p >= buf + 32;
        if r == 0
            && t == topic::HANDLE_BASIC
            && scratch.contains(&buf)
            && buf + 32 <= scratch.end
            && apart(actual)
            && apart(avail)
            && bclass == Class::Good
        {
            let off = (buf - scratch.start) as usize;
            let word = |i: usize| {
                u32::from_le_bytes([
                    self.fx.read_u8(off + i),
                    self.fx.read_u8(off + i + 1),
                    self.fx.read_u8(off + i + 2),
                    self.fx.read_u8(off + i + 3),
                ])
            };
            let (got_rights, got_type) = (word(8), word(12));
            let want_type = if self.is_vmar(h) {
                obj_type::VMAR
            } else {
                obj_type::VMO
            };
            let want_rights = self.rights_of(h);
            if (got_rights, got_type) != (want_rights, want_type) {
                self.mismatch(
                    Call::object_get_info,
                    &a,
                    format_args!(
                        "HANDLE_BASIC of {:#x}: rights {:#x} type {}, the model says rights {:#x} type {}",
                        h.value, got_rights, got_type, want_rights, want_type
                    ),
                );
            }
        }
    }

    fn map_options(&mut self) -> u32 {
        let perms = self.rng.pick(&[
            vm_opt::PERM_READ,
            vm_opt::PERM_READ | vm_opt::PERM_WRITE,
            vm_opt::PERM_READ | vm_opt::PERM_WRITE,
            vm_opt::PERM_READ | vm_opt::PERM_EXECUTE,
            vm_opt::PERM_READ | vm_opt::PERM_WRITE | vm_opt::PERM_EXECUTE,
            vm_opt::PERM_WRITE,
            vm_opt::PERM_EXECUTE,
            0,
        ]);
        let mut o = perms;
        if self.rng.chance(30) {
            o |= vm_opt::SPECIFIC;
        }
        if self.rng.chance(8) {
            o |= vm_opt::SPECIFIC_OVERWRITE;
        }
        if self.rng.chance(8) {
            o |= vm_opt::OFFSET_IS_UPPER_LIMIT;
        }
        if self.rng.chance(8) {
            o |= vm_opt::MAP_RANGE;
        }
        if self.rng.chance(8) {
            o |= vm_opt::REQUIRE_NON_RESIZABLE;
        }
        if self.rng.chance(15) {
            o |= vm_opt::ALLOW_FAULTS;
        }
        if self.rng.chance(4) {
            o |= vm_opt::COMPACT;
        }
        if self.rng.chance(4) {
            o |= self.rng.pick(&[
                vm_opt::CAN_MAP_SPECIFIC,
                vm_opt::CAN_MAP_READ,
                vm_opt::CAN_MAP_WRITE,
                vm_opt::CAN_MAP_EXECUTE,
            ]);
        }
        if self.rng.chance(10) {
            let align = self
                .rng
                .pick(&[1u32, 9, 10, 12, 13, 16, 21, 30, 32, 33, 31]);
            o |= align << vm_opt::ALIGN_BASE;
        }
        if self.rng.chance(4) {
            o |= 1 << self.rng.pick(&[14u32, 15, 16, 17, 20, 23]);
        }
        if self.rng.one_in(50) {
            o = self.rng.next_u32();
        }
        o
    }

    /// True if a map of `len` bytes at `vmar_offset` (specific) must fail
    /// whatever else holds, or lies inside the fuzzer's region.
    fn specific_ok(vmar_offset: u64, len: u64) -> bool {
        let Some(len_r) = round_up(len) else {
            return true;
        };
        if len_r == 0 || !vmar_offset.is_multiple_of(P) {
            return true;
        }
        match vmar_offset.checked_add(len_r) {
            Some(end) if end <= ROOT_VMAR_SIZE => {
                let lo = (ROOT_BASE as u64).wrapping_add(vmar_offset);
                lo >= REGION_LO && ROOT_BASE as u64 + end <= REGION_HI
            }
            _ => true,
        }
    }

    fn vmar_map(&mut self) {
        if self.n_maps >= MAX_MAPS - 1 {
            self.evict_map();
        }
        // Mostly a real VMAR handle and a live VMO.
        let vmar = if self.rng.chance(85) {
            let k = self
                .live_slots()
                .find(|&i| self.objs[self.held(i).obj].vmar);
            match k {
                Some(slot) if self.rng.chance(30) => Picked {
                    value: self.held(slot).value,
                    who: Who::Live(slot),
                },
                _ => Picked {
                    value: self.root,
                    who: Who::Root,
                },
            }
        } else {
            self.pick_handle(false)
        };
        let vmo = self.pick_vmo();
        let mut options = self.map_options();
        let vsize = self.obj_of(vmo).map_or(P, |o| o.size);
        let mut len = match self.rng.below(10) {
            0 => 0,
            1 => 1,
            2 | 3 => P,
            4 => vsize,
            5 => vsize.wrapping_add(P),
            6 => self.rng.range(1, 16) * P,
            7 => self.around(vsize),
            8 => self.rng.pick(&[
                1 << 30,
                1 << 36,
                1 << 40,
                1 << 47,
                u64::MAX,
                u64::MAX - P + 2,
            ]),
            _ => self.rng.below(1 << 20),
        };
        let vmo_offset = match self.rng.below(6) {
            0..=2 => 0,
            3 => self.rng.below(vsize / P + 2) * P,
            _ => self.around(vsize),
        };
        let specific = options & (vm_opt::SPECIFIC | vm_opt::SPECIFIC_OVERWRITE) != 0;
        let region_off = REGION_LO - ROOT_BASE as u64;
        let mut vmar_offset = if specific {
            match self.rng.below(8) {
                0..=4 => region_off + self.rng.below((REGION_HI - REGION_LO) / P) * P,
                5 => region_off + self.rng.below(REGION_HI - REGION_LO),
                6 => self.rng.pick(&[
                    0,
                    0x20_0000 - ROOT_BASE as u64,
                    ROOT_VMAR_SIZE - P,
                    ROOT_VMAR_SIZE,
                    !(P - 1),
                ]),
                _ => self.around(ROOT_VMAR_SIZE),
            }
        } else if options & vm_opt::OFFSET_IS_UPPER_LIMIT != 0 {
            self.rng.pick(&[
                0,
                P,
                region_off,
                REGION_HI - ROOT_BASE as u64,
                ROOT_VMAR_SIZE,
                u64::MAX,
            ])
        } else if self.rng.chance(90) {
            0
        } else {
            self.around(P)
        };
        // Keep successful placements away from the program, the fixtures
        // and the top of user space.
        let is_vmar = self.is_vmar(vmar);
        if is_vmar && specific && !Self::specific_ok(vmar_offset, len) {
            if options & vm_opt::SPECIFIC_OVERWRITE != 0 || self.rng.chance(50) {
                vmar_offset = region_off + self.rng.below(1024) * P;
                len = len.min(self.rng.range(1, 64) * P);
            } else {
                // A specific map onto the program's image: must fail.
                vmar_offset = 0x20_0000 - ROOT_BASE as u64;
                len = len.clamp(1, 64 * P);
            }
        }
        if is_vmar
            && !specific
            && round_up(len).is_some_and(|l| l > MAX_ANYWHERE_LEN && l <= ROOT_VMAR_SIZE)
        {
            len = self.rng.range(1, MAX_ANYWHERE_LEN);
        }
        if options & vm_opt::MAP_RANGE != 0 && len > MAX_COMMIT {
            len = self.rng.range(1, MAX_COMMIT);
        }
        if options & vm_opt::SPECIFIC_OVERWRITE != 0 && is_vmar {
            // Whatever overlaps may be replaced, even if the call fails.
            let lo = (ROOT_BASE as u64).wrapping_add(vmar_offset);
            self.forget_touch(lo, round_up(len).unwrap_or(u64::MAX));
            if self.rng.chance(50) {
                options |= vm_opt::SPECIFIC;
            }
        }
        let (out, class) = self.out_ptr(8, 8);
        let exp = match (vmar.who, vmo.who) {
            (Who::Bad, _) => Expect::exact(BadHandle),
            _ if !is_vmar => Expect::exact(WrongType),
            (_, Who::Bad) => Expect::exact(BadHandle),
            _ if !self.is_vmo(vmo) => Expect::exact(WrongType),
            _ => Expect::any(),
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with a mapped_addr pointer it cannot write",
        );
        let a = [
            vmar.value as u64,
            options as u64,
            vmar_offset,
            vmo.value as u64,
            vmo_offset,
            len,
            out,
            0,
        ];
        let r = self.issue(Call::vmar_map, sys::VMAR_MAP, a, exp);
        if r != 0 {
            return;
        }
        let addr = self.read_back_u64(out);
        let len_r = round_up(len).unwrap_or(0);
        let base = ROOT_BASE as u64;
        let placed_right = addr.is_multiple_of(P)
            && if specific {
                addr == base + vmar_offset
            } else if options & vm_opt::OFFSET_IS_UPPER_LIMIT != 0 {
                addr >= base && addr + len_r <= base + vmar_offset.min(ROOT_VMAR_SIZE)
            } else {
                addr >= REGION_LO && addr + len_r <= base + ROOT_VMAR_SIZE
            };
        if !placed_right {
            self.mismatch(
                Call::vmar_map,
                &a,
                format_args!(
                    "mapping placed at {:#x}, outside what the options allow",
                    addr
                ),
            );
        }
        let o = self.obj_of(vmo).expect("a live VMO");
        let touchable = !o.resizable && !o.discardable && options & vm_opt::PERM_READ != 0;
        let touch = if touchable {
            len_r.min(o.size.saturating_sub(vmo_offset))
        } else {
            0
        };
        self.maps[self.n_maps] = MapRec {
            addr,
            len: len_r,
            touch,
            write: options & vm_opt::PERM_WRITE != 0,
            obj: match vmo.who {
                Who::Live(i) => self.held(i).obj,
                _ => 0,
            },
        };
        self.n_maps += 1;
    }

    /// Marks every mapping record overlapping `[lo, lo + len)` untouchable.
    fn forget_touch(&mut self, lo: u64, len: u64) {
        let hi = lo.saturating_add(len);
        for m in &mut self.maps[..self.n_maps] {
            if m.addr < hi && lo < m.addr + m.len {
                m.touch = 0;
            }
        }
    }

    fn unmap_call(&mut self, vmar: Picked, addr: u64, len: u64, exp: Expect) -> i64 {
        if self.is_vmar(vmar) {
            self.forget_touch(addr, round_up(len).unwrap_or(u64::MAX));
        }
        let a = [vmar.value as u64, addr, len, 0, 0, 0, 0, 0];
        self.issue(Call::vmar_unmap, sys::VMAR_UNMAP, a, exp)
    }

    /// Unmaps one record's range and forgets it.
    fn evict_map(&mut self) {
        let i = self.rng.below(self.n_maps as u64) as usize;
        let m = self.maps[i];
        let root = Picked {
            value: self.root,
            who: Who::Root,
        };
        self.unmap_call(
            root,
            m.addr,
            m.len,
            Expect::narrow(Statuses::ok_or(&[NotFound])),
        );
        self.maps[i] = self.maps[self.n_maps - 1];
        self.n_maps -= 1;
    }

    fn vmar_unmap(&mut self) {
        let root = Picked {
            value: self.root,
            who: Who::Root,
        };
        let in_range = Expect::narrow(Statuses::ok_or(&[NotFound]));
        match self.rng.below(10) {
            // A range the fuzzer mapped, or part of it.
            0..=3 if self.n_maps > 0 => {
                let m = self.maps[self.rng.below(self.n_maps as u64) as usize];
                let pages = m.len / P;
                let in_region = m.addr >= REGION_LO && m.addr + m.len <= REGION_HI;
                let (addr, len) = match self.rng.below(5) {
                    0 => (m.addr, m.len),
                    1 => (m.addr, self.rng.range(1, P)),
                    2 => {
                        let first = self.rng.below(pages);
                        (m.addr + first * P, self.rng.range(1, pages - first) * P)
                    }
                    3 if in_region => {
                        let more = self.rng.range(1, 8) * P;
                        (m.addr, (m.len + more).min(REGION_HI - m.addr))
                    }
                    _ if in_region && m.addr >= REGION_LO + 8 * P => {
                        let before = self.rng.range(1, 8) * P;
                        (m.addr - before, before + self.rng.range(1, pages) * P)
                    }
                    _ => (m.addr, m.len),
                };
                self.unmap_call(root, addr, len, in_range);
            }
            // Anywhere in the region.
            4 | 5 => {
                let addr = REGION_LO + self.rng.below((REGION_HI - REGION_LO) / P) * P;
                let len = match self.rng.below(3) {
                    0 => P,
                    1 => self.rng.range(1, 64) * P,
                    _ => self.rng.range(1, REGION_HI - addr),
                };
                self.unmap_call(root, addr, len, in_range);
            }
            // Arguments the kernel must refuse.
            6 | 7 => {
                let (addr, len) = match self.rng.below(6) {
                    0 => (REGION_LO + self.rng.range(1, P - 1), P),
                    1 => (REGION_LO + self.rng.below(1024) * P, 0),
                    2 => (REGION_LO, u64::MAX - self.rng.below(P)),
                    3 => (
                        self.rng.pick(&[
                            0,
                            ROOT_BASE as u64 - P,
                            USER_END as u64,
                            KERNEL_POINTERS[0] as u64,
                        ]),
                        P,
                    ),
                    4 => (REGION_LO, ROOT_VMAR_SIZE),
                    _ => (!(P - 1), 2 * P),
                };
                self.unmap_call(root, addr, len, Expect::exact(InvalidArgs));
            }
            // The wrong handle, at any address.
            _ => {
                let h = self.pick_handle(false);
                let addr =
                    self.rng
                        .pick(&[0x20_0000, REGION_LO, FIXTURE_BASE as u64, 0x7ffe_ffff_0000]);
                let exp = match h.who {
                    Who::Bad => Expect::exact(BadHandle),
                    _ if self.is_vmo(h) => Expect::exact(WrongType),
                    // A VMAR handle: only the fuzzer's own region.
                    _ => {
                        let addr = REGION_LO + self.rng.below(64) * P;
                        self.unmap_call(h, addr, P, in_range);
                        return;
                    }
                };
                self.unmap_call(h, addr, P, exp);
            }
        }
    }

    fn vmo_create(&mut self) {
        self.room_for_handle();
        let size = self.vmo_size();
        let options = match self.rng.below(12) {
            0..=5 => 0,
            6 => vmo_opt::RESIZABLE,
            7 => vmo_opt::DISCARDABLE,
            8 => vmo_opt::RESIZABLE | vmo_opt::DISCARDABLE,
            9 => self.rng.pick(&[1, 8, 0x10, 0x20, 0x8000_0000]),
            10 => self.rng.next_u32(),
            _ => u32::MAX,
        };
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let known = vmo_opt::RESIZABLE | vmo_opt::DISCARDABLE;
        let exp = if options & !known != 0 {
            Expect::exact(InvalidArgs)
        } else if zx::vmo_round_size(size).is_none() {
            Expect::exact(OutOfRange)
        } else if options == known {
            Expect::any()
        } else if class == Class::Bad {
            Expect::narrow(Statuses::only(&[InvalidArgs, NoMemory]))
        } else {
            Expect::narrow(Statuses::ok_or(&[NoMemory]))
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with an out-pointer it cannot write",
        );
        let a = [size, options as u64, out, 0, 0, 0, 0, 0];
        let r = self.issue(Call::vmo_create, sys::VMO_CREATE, a, exp);
        if r == 0 {
            let h = self.new_handle_at(Call::vmo_create, &a, out);
            let resizable = options & vmo_opt::RESIZABLE != 0;
            let obj = self.new_obj(Obj {
                refs: 0,
                vmar: false,
                size: zx::vmo_round_size(size).unwrap_or(0),
                resizable,
                discardable: options & vmo_opt::DISCARDABLE != 0,
                had_child: false,
            });
            let r = rights::DEFAULT_VMO | if resizable { rights::RESIZE } else { 0 };
            self.add_handle(h, obj, r);
        }
    }

    fn vmo_read_write(&mut self, write: bool) {
        let h = self.pick_vmo();
        let o = self.obj_of(h);
        let size = o.map_or(P, |o| o.size);
        let (offset, mut len) = self.range_in(size);
        if self.rng.chance(40) {
            len = self.rng.below(2 * P + 1);
        }
        let dir = if write { Dir::In } else { Dir::Out };
        let (mut buf, mut class) = self.ptr(len, dir, 1);
        if let (Who::Live(slot), true) = (h.who, self.rng.chance(15)) {
            // Into a mapping of the same VMO, if there is one.
            let obj = self.held(slot).obj;
            let n = self.maps[..self.n_maps]
                .iter()
                .filter(|m| m.obj == obj)
                .count();
            if n > 0 {
                let k = self.rng.below(n as u64) as usize;
                let m = *self.maps[..self.n_maps]
                    .iter()
                    .filter(|m| m.obj == obj)
                    .nth(k)
                    .expect("a mapping");
                (buf, class) = (m.addr + self.rng.below(m.len), Class::Unknown);
            }
        }
        if class == Class::Unknown && len > 1 << 16 {
            (buf, class) = (0, Class::Bad);
        }
        let need = if write { rights::WRITE } else { rights::READ };
        let in_range = offset.checked_add(len).is_some_and(|end| end <= size);
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if self.is_vmar(h) => Expect::exact(WrongType),
            _ if self.rights_of(h) & need == 0 => Expect::exact(AccessDenied),
            _ if !in_range => Expect::exact(OutOfRange),
            _ if len == 0 => Expect::ok(),
            _ if o.is_some_and(|o| o.discardable) => Expect::any(),
            _ => match class {
                Class::Good => Expect::narrow(Statuses::ok_or(&[NoMemory])),
                Class::Bad => Expect::narrow(Statuses::only(&[NotFound, NoMemory])),
                Class::Unknown => Expect::narrow(Statuses::ok_or(&[NotFound, NoMemory])),
            },
        }
        .no_ok_if(class == Class::Bad, "succeeded with a buffer it cannot use");
        let a = [h.value as u64, buf, offset, len, 0, 0, 0, 0];
        if write {
            self.issue(Call::vmo_write, sys::VMO_WRITE, a, exp);
        } else {
            self.issue(Call::vmo_read, sys::VMO_READ, a, exp);
        }
    }

    fn vmo_get_size(&mut self) {
        let h = self.pick_handle(false);
        let (out, class) = self.out_ptr(8, 8);
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if self.is_vmar(h) => Expect::exact(WrongType),
            _ if class == Class::Bad => Expect::exact(InvalidArgs),
            _ => Expect::ok(),
        };
        let a = [h.value as u64, out, 0, 0, 0, 0, 0, 0];
        let r = self.issue(Call::vmo_get_size, sys::VMO_GET_SIZE, a, exp);
        if r == 0 {
            let got = self.read_back_u64(out);
            let want = self.obj_of(h).map_or(0, |o| o.size);
            if got != want {
                self.mismatch(
                    Call::vmo_get_size,
                    &a,
                    format_args!("size {:#x}, the model says {:#x}", got, want),
                );
            }
        }
    }

    fn vmo_set_size(&mut self) {
        let h = self.pick_vmo();
        let cur = self.obj_of(h).map_or(P, |o| o.size);
        let size = if self.rng.chance(70) {
            self.vmo_size()
        } else {
            self.around(cur)
        };
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if self.is_vmar(h) => Expect::exact(WrongType),
            _ => Expect::any(),
        };
        let a = [h.value as u64, size, 0, 0, 0, 0, 0, 0];
        let r = self.issue(Call::vmo_set_size, sys::VMO_SET_SIZE, a, exp);
        if r == 0 {
            let Some(new) = zx::vmo_round_size(size) else {
                self.mismatch(
                    Call::vmo_set_size,
                    &a,
                    format_args!("a size past the maximum was accepted"),
                );
            };
            let obj = match h.who {
                Who::Live(i) => self.held(i).obj,
                _ => 0,
            };
            self.objs[obj].size = new;
        }
    }

    fn vmo_op_range(&mut self) {
        let h = self.pick_vmo();
        let size = self.obj_of(h).map_or(P, |o| o.size);
        let op = match self.rng.below(20) {
            0..=3 => vmo_op::COMMIT,
            4 | 5 => vmo_op::DECOMMIT,
            6 | 7 => vmo_op::ZERO,
            8 | 9 => vmo_op::LOCK,
            10 => vmo_op::TRY_LOCK,
            11 | 12 => vmo_op::UNLOCK,
            13 => self.rng.pick(&[
                vmo_op::CACHE_SYNC,
                vmo_op::CACHE_INVALIDATE,
                vmo_op::CACHE_CLEAN,
                vmo_op::CACHE_CLEAN_INVALIDATE,
            ]),
            14 => self
                .rng
                .pick(&[vmo_op::DONT_NEED, vmo_op::ALWAYS_NEED, vmo_op::PREFETCH]),
            15 => self.rng.pick(&[0, 5, 15, 16, 0x8000_0001]),
            16 => self.rng.next_u32(),
            _ => vmo_op::LOCK,
        };
        let (mut offset, mut len) = self.range_in(size);
        if matches!(op, vmo_op::LOCK | vmo_op::TRY_LOCK | vmo_op::UNLOCK) && self.rng.chance(60) {
            (offset, len) = (0, size);
        }
        let in_range = offset.checked_add(len).is_some_and(|end| end <= size);
        if op == vmo_op::COMMIT && in_range && len > MAX_COMMIT {
            len = self.rng.range(1, MAX_COMMIT);
        }
        let small = self.rng.below(64);
        let buf_size = self.rng.pick(&[0, 31, 32, 33, P, u64::MAX, small]);
        let extent = if op == vmo_op::LOCK && buf_size >= 32 {
            32
        } else {
            0
        };
        let (buf, class) = self.ptr(extent, Dir::Out, 1);
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if self.is_vmar(h) => Expect::exact(WrongType),
            _ => Expect::any(),
        }
        .no_ok_if(
            op == vmo_op::LOCK && class == Class::Bad,
            "LOCK succeeded with a buffer it cannot write",
        );
        let a = [h.value as u64, op as u64, offset, len, buf, buf_size, 0, 0];
        self.issue(Call::vmo_op_range, sys::VMO_OP_RANGE, a, exp);
    }

    fn vmo_create_child(&mut self) {
        self.room_for_handle();
        let h = self.pick_vmo();
        let psize = self.obj_of(h).map_or(P, |o| o.size);
        let options = match self.rng.below(16) {
            0..=2 => child_opt::SNAPSHOT,
            3 | 4 => child_opt::SLICE,
            5 => child_opt::SNAPSHOT_AT_LEAST_ON_WRITE,
            6 => child_opt::SNAPSHOT | child_opt::RESIZABLE,
            7 => child_opt::SNAPSHOT_AT_LEAST_ON_WRITE | child_opt::RESIZABLE,
            8 => child_opt::SNAPSHOT | child_opt::NO_WRITE,
            9 => child_opt::SLICE | child_opt::NO_WRITE,
            10 => child_opt::SLICE | child_opt::RESIZABLE,
            11 => child_opt::NO_WRITE | child_opt::RESIZABLE | child_opt::SNAPSHOT,
            12 => self.rng.pick(&[
                0,
                child_opt::SNAPSHOT | child_opt::SLICE,
                2,
                0x40,
                0x80,
                0x100,
            ]),
            13 => self.rng.next_u32(),
            _ => child_opt::SNAPSHOT,
        };
        let (offset, size) = match self.rng.below(4) {
            0 => (0, psize),
            1 => (self.rng.below(psize / P + 1) * P, self.rng.range(0, 4) * P),
            _ => self.range_in(psize),
        };
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let exp = Expect::any().no_ok_if(
            class == Class::Bad,
            "succeeded with an out-pointer it cannot write",
        );
        if let Who::Live(i) = h.who {
            let obj = self.held(i).obj;
            self.objs[obj].had_child = true;
        }
        let a = [h.value as u64, options as u64, offset, size, out, 0, 0, 0];
        let r = self.issue(Call::vmo_create_child, sys::VMO_CREATE_CHILD, a, exp);
        if r == 0 {
            let new = self.new_handle_at(Call::vmo_create_child, &a, out);
            let Some(rounded) = zx::vmo_round_size(size) else {
                self.mismatch(
                    Call::vmo_create_child,
                    &a,
                    format_args!("a size past the maximum was accepted"),
                );
            };
            let parent_rights = self.rights_of(h);
            let resizable = options & child_opt::RESIZABLE != 0;
            let mut r =
                (parent_rights & !rights::RESIZE) | rights::GET_PROPERTY | rights::SET_PROPERTY;
            if resizable {
                r |= rights::RESIZE;
            }
            if options & child_opt::NO_WRITE != 0 {
                r &= !rights::WRITE;
            } else if options & child_opt::SLICE == 0 {
                r = (r | rights::WRITE) & !rights::EXECUTE;
            }
            let obj = self.new_obj(Obj {
                refs: 0,
                vmar: false,
                size: rounded,
                resizable,
                discardable: false,
                had_child: false,
            });
            self.add_handle(new, obj, r);
        }
    }

    fn vmo_replace_as_executable(&mut self) {
        let h = self.pick_handle(true);
        let vmex = match self.rng.below(10) {
            0..=7 => zx::ZX_HANDLE_INVALID,
            8 => self.pick_handle(false).value,
            _ => self.rng.next_u32(),
        };
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if self.is_vmar(h) => Expect::exact(BadHandle),
            _ if vmex != 0 => Expect::any(),
            _ if class == Class::Bad => Expect::narrow(Statuses::only(&[InvalidArgs, NoMemory])),
            _ => Expect::narrow(Statuses::ok_or(&[NoMemory])),
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with an out-pointer it cannot write",
        );
        let a = [h.value as u64, vmex as u64, out, 0, 0, 0, 0, 0];
        let r = self.issue(
            Call::vmo_replace_as_executable,
            sys::VMO_REPLACE_AS_EXECUTABLE,
            a,
            exp,
        );
        if let Who::Live(slot) = h.who {
            let Held {
                obj, rights: cur, ..
            } = self.held(slot);
            self.objs[obj].refs += 1;
            self.drop_handle(slot);
            if r == 0 {
                let new = self.new_handle_at(Call::vmo_replace_as_executable, &a, out);
                self.add_handle(new, obj, cur | rights::EXECUTE);
            }
            self.objs[obj].refs -= 1;
        }
    }

    fn kernel_stats(&mut self) {
        let any = self.rng.next_u64();
        let count = self
            .rng
            .pick(&[0, 1, 4, stats::COUNT as u64, 6, u64::MAX, any]);
        let extent = count.min(stats::COUNT as u64) * 8;
        let (out, class) = self.ptr(extent, Dir::Out, 8);
        let exp = match class {
            Class::Good => Expect::ok(),
            Class::Bad => Expect::exact(InvalidArgs),
            Class::Unknown => Expect::any(),
        };
        self.issue(
            Call::kernel_stats,
            sys::KERNEL_STATS,
            [out, count, 0, 0, 0, 0, 0, 0],
            exp,
        );
    }

    /// A futex address from the pointer pool: `INVALID_ARGS` for NULL or a
    /// misaligned one before anything else.
    fn futex_ptr(&mut self) -> (u64, Class, bool) {
        let align = if self.rng.chance(20) { 1 } else { 4 };
        let (p, class) = self.ptr(4, Dir::In, align);
        let p = if self.rng.chance(10) { 0 } else { p };
        (p, class, p == 0 || !p.is_multiple_of(4))
    }

    /// `zx_futex_wake`: only the address is checked (nothing is read).
    fn futex_wake(&mut self) {
        let (p, _, invalid) = self.futex_ptr();
        let any = self.rng.next_u64();
        let count = self.rng.pick(&[0, 1, 2, u32::MAX as u64, any]);
        let exp = if invalid {
            Expect::exact(InvalidArgs)
        } else {
            Expect::ok()
        };
        self.issue(
            Call::futex_wake,
            sys::FUTEX_WAKE,
            [p, count, 0, 0, 0, 0, 0, 0],
            exp,
        );
    }

    /// `zx_futex_wait` with a deadline in the past (the fuzzer has one
    /// thread: a real wait would never end): address, then owner (no live
    /// handle names a thread), then the value (`BAD_STATE` if it differs,
    /// else `TIMED_OUT`).
    fn futex_wait(&mut self) {
        let (p, class, invalid) = self.futex_ptr();
        let owner = if self.rng.chance(50) {
            Picked {
                value: zx::ZX_HANDLE_INVALID,
                who: Who::Bad,
            }
        } else {
            self.pick_handle(false)
        };
        let known = !invalid && class == Class::Good && self.readable_back(p, 4);
        let value = if known && self.rng.chance(50) {
            self.read_back_u32(p)
        } else {
            self.rng.next_u32()
        };
        let deadline = self.rng.pick(&[0, 1, i64::MIN as u64, 1000]);
        let exp = if invalid {
            Expect::exact(InvalidArgs)
        } else if owner.value != zx::ZX_HANDLE_INVALID {
            Expect::exact(match owner.who {
                Who::Bad => BadHandle,
                _ => WrongType,
            })
        } else if class == Class::Bad {
            Expect::exact(InvalidArgs)
        } else if known && self.read_back_u32(p) == value {
            Expect::exact(TimedOut)
        } else if known {
            Expect::exact(BadState)
        } else {
            Expect::narrow(Statuses::only(&[InvalidArgs, BadState, TimedOut]))
        };
        self.issue(
            Call::futex_wait,
            sys::FUTEX_WAIT,
            [p, value as u64, owner.value as u64, deadline, 0, 0, 0, 0],
            exp,
        );
    }

    /// `zx_nanosleep` to a deadline already past, and the kernel's clock,
    /// which never goes back.
    fn sleep_and_clock(&mut self) {
        let deadline = self.rng.pick(&[0, 1, i64::MIN as u64, 1000]);
        self.issue(
            Call::nanosleep,
            sys::NANOSLEEP,
            [deadline, 0, 0, 0, 0, 0, 0, 0],
            Expect::ok(),
        );
        // SAFETY: no memory is passed; the call returns the time.
        let now = unsafe { zx::raw::clock_get_monotonic_via_kernel() };
        assert!(
            now > 0 && now >= self.last_clock,
            "the monotonic clock went back"
        );
        self.last_clock = now;
    }

    fn unknown(&mut self) {
        let number = loop {
            let n = match self.rng.below(6) {
                0 => self.rng.below(200),
                1 => self.rng.pick(&[
                    0, 1, 19, 21, 43, 46, 66, 68, 71, 75, 99, 101, 151, 154, 155, 163, 165, 166,
                    167,
                ]),
                2 => self
                    .rng
                    .pick(&[0xfff, 0x1001, 0x2000, u64::MAX, 1 << 63, i64::MAX as u64]),
                // Known numbers with high bits set must not alias them.
                3 => self.rng.pick(KNOWN_NUMBERS) | (1 << self.rng.range(12, 63)),
                4 => self.rng.pick(KNOWN_NUMBERS) + (1 << 32),
                _ => self.rng.next_u64(),
            };
            if !KNOWN_NUMBERS.contains(&n) {
                break n;
            }
        };
        let mut a = [0u64; 8];
        for x in &mut a {
            *x = self.rng.next_u64();
        }
        // Never zero, so that a number mistaken for process_exit would end
        // the program with a failure.
        a[0] |= 1 << 40;
        self.issue(Call::Unknown, number, a, Expect::exact(BadSyscall));
    }

    /// A load or store through a mapping the fuzzer made.
    fn touch(&mut self) {
        let live = self.maps[..self.n_maps]
            .iter()
            .filter(|m| m.touch > 0)
            .count();
        if live == 0 {
            return;
        }
        let n = self.rng.below(live as u64) as usize;
        let m = *self.maps[..self.n_maps]
            .iter()
            .filter(|m| m.touch > 0)
            .nth(n)
            .expect("touchable");
        let addr = m.addr + self.rng.below(m.touch);
        self.touches += 1;
        if m.write && self.rng.chance(50) {
            // SAFETY: inside a writable mapping of a VMO that cannot shrink,
            // within the VMO; nothing of Rust's lives there.
            unsafe { core::ptr::write_volatile(addr as *mut u8, self.rng.next_u32() as u8) };
        } else {
            // SAFETY: as above, for reading.
            let _ = unsafe { core::ptr::read_volatile(addr as *const u8) };
        }
    }

    // ----- channels ---------------------------------------------------------

    /// Handles for a message: up to three picks (live ones, sometimes the
    /// same one twice, or bad values); returns the count and whether the
    /// kernel must refuse the list (and with which status first).
    /// The pair's own endpoints (`ends`) never go in: a guess that hits one
    /// becomes ZX_HANDLE_INVALID.
    fn channel_handle_list(
        &mut self,
        values: &mut [Handle; 3],
        ends: [Handle; 2],
    ) -> (usize, Option<ZxStatus>, [Option<usize>; 3]) {
        let n = self.rng.below(4) as usize;
        let mut live: [Option<usize>; 3] = [None; 3];
        let mut first = None;
        for i in 0..n {
            let h = if i > 0 && self.rng.chance(10) {
                Picked {
                    value: values[i - 1],
                    who: Who::Bad,
                }
            } else {
                self.pick_handle(true)
            };
            let h = if h.value != 0 && ends.contains(&h.value) {
                Picked {
                    value: zx::ZX_HANDLE_INVALID,
                    who: Who::Bad,
                }
            } else {
                h
            };
            values[i] = h.value;
            let status = match h.who {
                Who::Live(slot) if !live[..i].contains(&Some(slot)) => {
                    live[i] = Some(slot);
                    if self.held(slot).rights & rights::TRANSFER == 0 {
                        Some(AccessDenied)
                    } else {
                        None
                    }
                }
                _ => Some(BadHandle),
            };
            if first.is_none() {
                first = status;
            }
        }
        (n, first, live)
    }

    /// A channel pair made for one round (the fuzzer does not keep them):
    /// `zx_channel_create` with good or bad arguments, then writes, reads
    /// and calls with a deadline in the past (never blocking) through it,
    /// sometimes with the peer closed first, and sometimes closing the
    /// endpoint with messages (and handles) still queued.
    fn channel_ops(&mut self) {
        let options = if self.rng.chance(90) {
            0
        } else {
            self.rng.next_u32() | 1
        };
        let (out0, c0) = self.out_ptr(4, 4);
        let (out1, c1) = self.out_ptr(4, 4);
        self.prepare_out(out0, c0);
        self.prepare_out(out1, c1);
        if out0 == out1 && c0 == Class::Good {
            return; // Both values would land in one place.
        }
        let exp = if options != 0 || c0 == Class::Bad || c1 == Class::Bad {
            Expect::exact(InvalidArgs)
        } else {
            Expect::ok()
        };
        let r = self.issue(
            Call::channel_create,
            sys::CHANNEL_CREATE,
            [options as u64, out0, out1, 0, 0, 0, 0, 0],
            exp,
        );
        if r != 0 {
            return;
        }
        let a = self.new_handle_at(Call::channel_create, &[0; 8], out0);
        let b = self.new_handle_at(Call::channel_create, &[0; 8], out1);
        if self.rng.chance(15) {
            self.issue(
                Call::handle_close,
                sys::HANDLE_CLOSE,
                [b as u64, 0, 0, 0, 0, 0, 0, 0],
                Expect::ok(),
            );
            self.channel_round(a, b, true);
        } else {
            self.channel_round(a, b, false);
            self.issue(
                Call::handle_close,
                sys::HANDLE_CLOSE,
                [b as u64, 0, 0, 0, 0, 0, 0, 0],
                Expect::ok(),
            );
        }
        self.issue(
            Call::handle_close,
            sys::HANDLE_CLOSE,
            [a as u64, 0, 0, 0, 0, 0, 0, 0],
            Expect::ok(),
        );
    }

    /// A few writes, reads and calls on endpoint `a` (peer `b`, already
    /// closed if `closed`).
    fn channel_round(&mut self, a: Handle, b: Handle, closed: bool) {
        for _ in 0..self.rng.range(1, 4) {
            match self.rng.below(4) {
                0 if self.rng.chance(50) => self.channel_write_etc_one(a, b, closed),
                0 | 1 => self.channel_write_one(a, b, closed),
                2 if !closed => self.channel_read_one(b),
                _ => self.channel_call_one(a, b, closed),
            }
        }
    }

    fn channel_write_one(&mut self, a: Handle, b: Handle, peer_closed: bool) {
        let len = self
            .rng
            .pick(&[0u64, 1, 4, 16, 100, 65536, 65537, u32::MAX as u64]);
        let (buf, class) = self.ptr(len.min(Fixtures::RW_LEN as u64), Dir::In, 1);
        let mut values = [0 as Handle; 3];
        let (n, handle_err, live) = self.channel_handle_list(&mut values, [a, b]);
        let options = if self.rng.chance(95) {
            0
        } else {
            self.rng.next_u32() | 1
        };
        let exp = if options != 0 {
            Expect::exact(InvalidArgs)
        } else if len > 65536 {
            Expect::exact(OutOfRange)
        } else if len > 0 && class == Class::Bad {
            Expect::exact(InvalidArgs)
        } else if len > 0 && class == Class::Unknown {
            Expect::any()
        } else if let Some(e) = handle_err {
            Expect::exact(e)
        } else if peer_closed {
            Expect::exact(PeerClosed)
        } else {
            Expect::ok()
        };
        // A good length but a buffer too short for it: Unknown class covers
        // it; a length past the scratch memory is only good when refused.
        let exp = if len > Fixtures::RW_LEN as u64 && len <= 65536 && class == Class::Good {
            Expect::any()
        } else {
            exp
        };
        self.issue(
            Call::channel_write,
            sys::CHANNEL_WRITE,
            [
                a as u64,
                options as u64,
                buf,
                len,
                values.as_ptr() as u64,
                n as u64,
                0,
                0,
            ],
            exp,
        );
        // Every handle of the list is consumed, whatever the status.
        for slot in live.iter().flatten() {
            self.drop_handle(*slot);
        }
    }

    fn channel_read_one(&mut self, b: Handle) {
        let etc = self.rng.chance(40);
        self.channel_read_into(b, etc);
    }

    /// `zx_channel_read` (or `_etc`, with `zx_handle_info_t` records) from
    /// `b`; handles received are closed again.
    fn channel_read_into(&mut self, b: Handle, etc: bool) {
        let len = self.rng.pick(&[0u64, 4, 100, 65536]);
        let (buf, class) = self.ptr(len.min(Fixtures::RW_LEN as u64), Dir::Out, 1);
        let mut got = [0 as Handle; 3];
        let mut infos = [zx::HandleInfo::default(); 3];
        let any = self.rng.next_u32();
        let options = self.rng.pick(&[0, ch::READ_MAY_DISCARD, 2, any]);
        let (nb, nbc) = self.opt_ptr(4, 4);
        let exp = if options & !ch::READ_MAY_DISCARD != 0 {
            Expect::exact(NotSupported)
        } else if nbc == Class::Good && (len == 0 || class == Class::Good) {
            Expect::narrow(Statuses::ok_or(&[ShouldWait, BufferTooSmall]))
        } else {
            Expect::any()
        };
        let (call, number, out) = if etc {
            (
                Call::channel_read_etc,
                sys::CHANNEL_READ_ETC,
                infos.as_mut_ptr() as u64,
            )
        } else {
            (
                Call::channel_read,
                sys::CHANNEL_READ,
                got.as_mut_ptr() as u64,
            )
        };
        let r = self.issue(
            call,
            number,
            [
                b as u64,
                options as u64,
                buf,
                out,
                len.min(Fixtures::RW_LEN as u64),
                got.len() as u64,
                nb,
                0,
            ],
            exp,
        );
        if etc {
            for (g, i) in got.iter_mut().zip(&infos) {
                *g = i.handle;
            }
        }
        if r == 0 {
            // The handles received: closed (the fuzzer does not track them);
            // unused slots hold 0, which closes as nothing.
            for &h in &got {
                self.issue(
                    Call::handle_close,
                    sys::HANDLE_CLOSE,
                    [h as u64, 0, 0, 0, 0, 0, 0, 0],
                    Expect::ok(),
                );
            }
        }
    }

    /// The fuzzer's `zx_obj_type_t` for a live handle's object.
    fn obj_type_of(&self, slot: usize) -> u32 {
        if self.objs[self.held(slot).obj].vmar {
            obj_type::VMAR
        } else {
            obj_type::VMO
        }
    }

    /// `zx_channel_write_etc` with up to three dispositions (move,
    /// duplicate or an unknown operation; a type to check; rights), each
    /// entry's status predicted in Zircon's order and checked in `result`.
    fn channel_write_etc_one(&mut self, a: Handle, b: Handle, peer_closed: bool) {
        let n = self.rng.below(4) as usize;
        let mut list = [zx::HandleDisposition::default(); 3];
        let mut slots: [Option<usize>; 3] = [None; 3];
        for i in 0..n {
            let h = if i > 0 && self.rng.chance(15) {
                Picked {
                    value: list[i - 1].handle,
                    who: self.classify(list[i - 1].handle),
                }
            } else {
                self.pick_handle(true)
            };
            let value = if h.value != 0 && [a, b].contains(&h.value) {
                0
            } else {
                h.value
            };
            slots[i] = match h.who {
                Who::Live(slot) if value != 0 => Some(slot),
                _ => None,
            };
            let cur = slots[i].map_or(0, |s| self.held(s).rights);
            let unknown_op = 2 + self.rng.below(8) as u32;
            let op = self.rng.pick(&[
                ch::HANDLE_OP_MOVE,
                ch::HANDLE_OP_MOVE,
                ch::HANDLE_OP_DUPLICATE,
                unknown_op,
            ]);
            let ty = self.rng.pick(&[
                obj_type::NONE,
                obj_type::NONE,
                obj_type::VMO,
                obj_type::VMAR,
                obj_type::CHANNEL,
            ]);
            let rights = self.rights_for(cur);
            list[i] = zx::HandleDisposition {
                operation: op,
                handle: value,
                obj_type: ty,
                rights,
                result: 0,
            };
        }
        let len = self.rng.pick(&[0u64, 4, 16, 65537]);
        let (buf, class) = self.ptr(len.min(16), Dir::In, 1);
        let early = if len > 65536 {
            Some(OutOfRange)
        } else if len > 0 && class == Class::Bad {
            Some(InvalidArgs)
        } else if len > 0 && class == Class::Unknown {
            return; // Whether the handles were consumed would not be known.
        } else {
            None
        };
        // Predict each entry in order; `gone` marks slots taken by an
        // earlier entry.
        let mut gone = [false; MAX_LIVE];
        let mut results = [0i32; 3];
        let mut first = None;
        for i in 0..n {
            let d = list[i];
            let live = slots[i].filter(|&s| !gone[s]);
            let status = match live {
                None => Some(BadHandle),
                Some(slot) => {
                    let held = self.held(slot);
                    let checks = if held.rights & rights::TRANSFER == 0 {
                        Some(AccessDenied)
                    } else if d.obj_type != obj_type::NONE && d.obj_type != self.obj_type_of(slot) {
                        Some(WrongType)
                    } else if !Self::rights_valid(d.rights, held.rights) {
                        Some(InvalidArgs)
                    } else {
                        None
                    };
                    if d.operation == ch::HANDLE_OP_DUPLICATE {
                        checks.or(if held.rights & rights::DUPLICATE == 0 {
                            Some(AccessDenied)
                        } else {
                            None
                        })
                    } else {
                        gone[slot] = true;
                        if d.operation == ch::HANDLE_OP_MOVE {
                            checks
                        } else {
                            Some(InvalidArgs)
                        }
                    }
                }
            };
            if let Some(st) = status {
                results[i] = st.raw();
                first.get_or_insert(st);
            }
        }
        let exp = match early {
            Some(e) => Expect::exact(e),
            None => match first {
                Some(e) => Expect::exact(e),
                None if peer_closed => Expect::exact(PeerClosed),
                None => Expect::ok(),
            },
        };
        self.issue(
            Call::channel_write_etc,
            sys::CHANNEL_WRITE_ETC,
            [
                a as u64,
                0,
                buf,
                len,
                list.as_mut_ptr() as u64,
                n as u64,
                0,
                0,
            ],
            exp,
        );
        if early.is_none() && first.is_some() {
            for (i, d) in list[..n].iter().enumerate() {
                if d.result != results[i] {
                    self.mismatch(
                        Call::channel_write_etc,
                        &[a as u64, 0, buf, len, 0, n as u64, 0, 0],
                        format_args!(
                            "entry {} result {} where {} was due",
                            i, d.result, results[i]
                        ),
                    );
                }
            }
        }
        // Moved (and unknown-operation) handles are gone whatever happened;
        // duplicated sources stay.
        let mut dropped = [false; MAX_LIVE];
        for i in 0..n {
            if let Some(slot) = slots[i] {
                if list[i].operation != ch::HANDLE_OP_DUPLICATE && !dropped[slot] {
                    dropped[slot] = true;
                    self.drop_handle(slot);
                }
            }
        }
    }

    /// `zx_channel_call_noretry` with a deadline in the past (it never
    /// blocks: TIMED_OUT once the request is written), then
    /// `zx_channel_call_finish`, which has no interrupted call to finish.
    fn channel_call_one(&mut self, a: Handle, b: Handle, peer_closed: bool) {
        let mut values = [0 as Handle; 3];
        let (n, handle_err, live) = self.channel_handle_list(&mut values, [a, b]);
        let len = self.rng.pick(&[0u32, 3, 4, 16]);
        let req = [0u8; 16];
        let mut rep = [0u8; 16];
        let args = zx::ChannelCallArgs {
            wr_bytes: req.as_ptr() as u64,
            wr_handles: values.as_ptr() as u64,
            rd_bytes: rep.as_mut_ptr() as u64,
            rd_handles: 0,
            wr_num_bytes: len,
            wr_num_handles: n as u32,
            rd_num_bytes: rep.len() as u32,
            rd_num_handles: 0,
        };
        let good = &args as *const zx::ChannelCallArgs as u64;
        // Good or bad only: whether the handles were consumed must be known.
        let (args_ptr, args_class) = match self.rng.chance(85) {
            true => (good, Class::Good),
            false => match self.ptr(size_of::<zx::ChannelCallArgs>() as u64, Dir::In, 8) {
                (p, Class::Bad) => (p, Class::Bad),
                _ => (good, Class::Good),
            },
        };
        let deadline = self.rng.pick(&[zx::ZX_TIME_INFINITE_PAST, 0, 1]);
        let (mut nb, mut nh) = (0u32, 0u32);
        let exp = match args_class {
            Class::Bad => Expect::exact(InvalidArgs),
            Class::Unknown => Expect::any(),
            Class::Good if len < 4 => Expect::exact(InvalidArgs),
            Class::Good => match handle_err {
                Some(e) => Expect::exact(e),
                None if peer_closed => Expect::exact(PeerClosed),
                None => Expect::exact(TimedOut),
            },
        };
        self.issue(
            Call::channel_call_noretry,
            sys::CHANNEL_CALL_NORETRY,
            [
                a as u64,
                0,
                deadline as u64,
                args_ptr,
                &mut nb as *mut u32 as u64,
                &mut nh as *mut u32 as u64,
                0,
                0,
            ],
            exp,
        );
        if args_class == Class::Good {
            // Consumed whatever the status (arguments that cannot be read
            // leave them alone).
            for slot in live.iter().flatten() {
                self.drop_handle(*slot);
            }
        }
        let exp = match args_class {
            Class::Good => Expect::exact(BadState),
            Class::Bad => Expect::exact(InvalidArgs),
            Class::Unknown => Expect::narrow(Statuses::only(&[BadState, InvalidArgs])),
        };
        self.issue(
            Call::channel_call_finish,
            sys::CHANNEL_CALL_FINISH,
            [
                deadline as u64,
                args_ptr,
                &mut nb as *mut u32 as u64,
                &mut nh as *mut u32 as u64,
                0,
                0,
                0,
                0,
            ],
            exp,
        );
    }

    // ----- whole-run management --------------------------------------------

    /// Closes every handle and unmaps every range the fuzzer mapped.
    fn purge(&mut self) {
        self.purges += 1;
        for slot in 0..MAX_LIVE {
            if self.handles[slot].is_some() {
                self.close_slot(slot);
            }
        }
        let root = Picked {
            value: self.root,
            who: Who::Root,
        };
        let in_range = || Expect::narrow(Statuses::ok_or(&[NotFound]));
        for i in 0..self.n_maps {
            let m = self.maps[i];
            self.unmap_call(root, m.addr, m.len, in_range());
        }
        self.n_maps = 0;
        self.unmap_call(root, REGION_LO, REGION_HI - REGION_LO, in_range());
    }

    fn free_pages(&mut self) -> u64 {
        self.calls += 1;
        self.counts[Call::kernel_stats as usize][0] += 1;
        zx::kernel_stats()[stats::FREE_PAGES]
    }

    fn step(&mut self) {
        if self.live < 4 {
            self.vmo_create();
            return;
        }
        let w = [
            3, 8, 7, 4, 5, 5, 5, 6, 9, 6, 8, 7, 7, 4, 4, 9, 7, 3, 2, 3, 3, 4, 2, 3, 1, 8,
            // Channels.
            6,
        ];
        match self.rng.weighted(&w) {
            20 => self.handle_close_many(),
            21 => self.object_signal(),
            0 => self.debug_write(),
            1 => self.handle_close(),
            2 => self.handle_duplicate(),
            3 => self.handle_replace(),
            4 => self.object_wait_one(),
            5 => self.object_get_property(),
            6 => self.object_set_property(),
            7 => self.object_get_info(),
            8 => self.vmar_map(),
            9 => self.vmar_unmap(),
            10 => self.vmo_create(),
            11 => self.vmo_read_write(false),
            12 => self.vmo_read_write(true),
            13 => self.vmo_get_size(),
            14 => self.vmo_set_size(),
            15 => self.vmo_op_range(),
            16 => self.vmo_create_child(),
            17 => self.vmo_replace_as_executable(),
            18 => self.kernel_stats(),
            19 => self.unknown(),
            22 => self.futex_wake(),
            23 => self.futex_wait(),
            24 => self.sleep_and_clock(),
            26 => self.channel_ops(),
            _ => {
                for _ in 0..4 {
                    self.touch();
                }
            }
        }
    }

    fn report(&self, ticks: u64) {
        let ns = ticks_to_ns_i64(ticks) as u64;
        zx::println!(
            "fuzz: seed {:#x}: {} calls and {} memory touches in {}.{:03} s, {} purges, 0 violations",
            self.seed,
            self.calls,
            self.touches,
            ns / 1_000_000_000,
            ns / 1_000_000 % 1000,
            self.purges
        );
        let mut w = zx::DebugWriter::new();
        use core::fmt::Write;
        let _ = write!(w, "fuzz: calls:");
        for (c, spec) in SPECS.iter().enumerate() {
            let n: u64 = self.counts[c].iter().map(|&x| x as u64).sum();
            let _ = write!(w, " {} {}", spec.name.trim_start_matches("zx_"), n);
        }
        let _ = writeln!(w);
        let _ = write!(w, "fuzz: statuses:");
        for bit in 0..32 {
            let n: u64 = self.counts.iter().map(|c| c[bit] as u64).sum();
            if n > 0 {
                let _ = write!(w, " {} {}", status_name(-(bit as i64)), n);
            }
        }
        let _ = writeln!(w);
        for (c, spec) in SPECS.iter().enumerate() {
            let _ = write!(w, "fuzz:   {}:", spec.name);
            for bit in 0..32 {
                if self.counts[c][bit] > 0 {
                    let _ = write!(
                        w,
                        " {} {}",
                        status_name(-(bit as i64)).trim_start_matches("ZX_ERR_"),
                        self.counts[c][bit]
                    );
                }
            }
            let _ = writeln!(w);
        }
    }
}

fn main(root: Handle) -> i64 {
    // The fuzzer's state lives in `run`'s frame, below the part of the
    // stack touched here.
    prefault_stack();
    // The model knows one start handle, the root VMAR: the process and
    // thread handles go, so that every other value is one it predicts.
    zx::handle_close(zx::process_self()).expect("close the process handle");
    zx::handle_close(zx::first_thread()).expect("close the thread handle");
    run(root)
}

#[inline(never)]
fn run(root: Handle) -> i64 {
    let seed = parse(option_env!("FUZZ_SEED"), DEFAULT_SEED);
    let target = parse(option_env!("FUZZ_CALLS"), DEFAULT_CALLS);
    let start = zx::kernel_stats();
    zx::println!(
        "fuzz: seed {:#x}, {} calls ({} free pages, {} live VMOs)",
        seed,
        target,
        start[stats::FREE_PAGES],
        start[stats::LIVE_VMOS]
    );
    let fx = Fixtures::new(root);
    let mut f = Fuzz {
        rng: Rng::new(seed),
        seed,
        root,
        fx,
        handles: [None; MAX_LIVE],
        live: 0,
        objs: [Obj::default(); MAX_OBJS],
        stale: [0x1234_5677; STALE],
        stale_next: 0,
        maps: [MapRec::default(); MAX_MAPS],
        n_maps: 0,
        calls: 0,
        touches: 0,
        purges: 0,
        last_clock: 0,
        counts: [[0; 32]; N_CALLS],
        base_free: 0,
    };
    f.objs[0] = Obj {
        refs: 1,
        vmar: true,
        size: ROOT_VMAR_SIZE,
        ..Obj::default()
    };
    f.base_free = f.free_pages();
    let t0 = zx::counter();
    let progress = (target / 10).max(1);
    let mut next_progress = progress;
    let mut steps = 0u64;
    while f.calls < target {
        f.step();
        steps += 1;
        if steps.is_multiple_of(32) {
            let free = f.free_pages();
            if f.base_free.saturating_sub(free) > PAGE_BUDGET {
                f.purge();
            }
        }
        if f.calls >= next_progress {
            next_progress += progress;
            zx::println!(
                "fuzz: {} calls, {} handles, {} mappings, {} free pages",
                f.calls,
                f.live,
                f.n_maps,
                zx::free_pages()
            );
        }
    }
    f.purge();
    let ticks = zx::counter() - t0;
    f.report(ticks);
    let Fuzz { fx, .. } = f;
    fx.release();
    let end = zx::kernel_stats();
    assert_eq!(
        end[stats::LIVE_VMOS],
        start[stats::LIVE_VMOS],
        "fuzz: live VMOs after closing everything (a handle or mapping leaked)"
    );
    assert_eq!(
        end[stats::FREE_PAGES],
        start[stats::FREE_PAGES],
        "fuzz: free pages after closing everything"
    );
    0
}

zx::entry!(main);

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
    child_opt, obj_type, port, prop, rights, signals, socket_opt, stats, stream_opt, sys, topic,
    vm_opt, vmo_op, vmo_opt, ArgKind, Handle, SyscallArg,
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
    /// Its cache policy is not CACHED: the kernel refuses to read or write
    /// it (BAD_STATE).
    uncached: bool,
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

/// A port call's handle argument: one of the step's own ports (with its
/// rights) or a handle from the pool.
#[derive(Clone, Copy)]
enum PortArg {
    Port(u32),
    Pool(Picked),
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
        if self.fx.handles().contains(&value) || value == zx::default_job() {
            // The fixtures' handles (and the default job, which the
            // process calls use) stay out of the fuzzer's reach.
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
            9 => self.rng.pick(&[
                0,
                3,
                7,
                19,
                0x4000_0017,
                0x3000_0018,
                0x17 | 0xf000_0000,
                topic::PROCESS_MAPS,
                topic::PROCESS_VMOS,
            ]),
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
            9 => self.rng.pick(&[1, 8, 0x10, 0x20, 0x8000_0000, 0x14, 0x12]),
            10 => self.rng.next_u32(),
            _ => u32::MAX,
        };
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let known = vmo_opt::RESIZABLE | vmo_opt::DISCARDABLE;
        let unbounded = options & vmo_opt::UNBOUNDED != 0;
        let exp = if options & !(known | vmo_opt::UNBOUNDED) != 0
            || (unbounded && options & vmo_opt::RESIZABLE != 0)
        {
            Expect::exact(InvalidArgs)
        } else if (unbounded && size > VMO_MAX_SIZE)
            || (!unbounded && zx::vmo_round_size(size).is_none())
        {
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
                size: if unbounded {
                    VMO_MAX_SIZE
                } else {
                    zx::vmo_round_size(size).unwrap_or(0)
                },
                resizable,
                discardable: options & vmo_opt::DISCARDABLE != 0,
                had_child: false,
                uncached: false,
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
            _ if o.is_some_and(|o| o.uncached) => Expect::exact(BadState),
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
        if r == 0 && options & child_opt::REFERENCE != 0 {
            // Stray bits may make a reference (0x40, random options).
            self.adopt_reference(h, options, &a, out);
        } else if r == 0 {
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
                uncached: false,
            });
            self.add_handle(new, obj, r);
        }
    }

    /// `zx_vmo_create_child` with `ZX_VMO_CHILD_REFERENCE`: mostly offset
    /// and size 0, sometimes a range, a second kind of child or stray bits
    /// (never OK then). A reference is its parent's object in the model:
    /// one size (a resize through either is one), one resizability.
    fn vmo_create_reference(&mut self) {
        self.room_for_handle();
        let h = self.pick_vmo();
        let r = child_opt::REFERENCE;
        let options = match self.rng.below(10) {
            0..=4 => r,
            5 | 6 => r | child_opt::RESIZABLE,
            7 => r | child_opt::NO_WRITE,
            8 => {
                r | self.rng.pick(&[
                    child_opt::SNAPSHOT,
                    child_opt::SLICE,
                    child_opt::SNAPSHOT_MODIFIED,
                    child_opt::NO_WRITE | child_opt::RESIZABLE,
                    1 << 1,
                ])
            }
            _ => r | self.rng.next_u32(),
        };
        let psize = self.obj_of(h).map_or(P, |o| o.size);
        let (offset, size) = if self.rng.chance(80) {
            (0, 0)
        } else {
            match self.rng.below(3) {
                0 => (self.rng.range(1, 4) * P, 0),
                1 => (0, self.around(psize)),
                _ => (self.rng.next_u64(), self.rng.next_u64()),
            }
        };
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let allowed = r | child_opt::RESIZABLE | child_opt::NO_WRITE;
        let both = child_opt::NO_WRITE | child_opt::RESIZABLE;
        let parent = self.obj_of(h);
        let exp = Expect::any()
            .no_ok_if(
                class == Class::Bad,
                "succeeded with an out-pointer it cannot write",
            )
            .no_ok_if(offset != 0 || size != 0, "a reference with a range")
            .no_ok_if(
                options & !allowed != 0 || options & both == both,
                "a reference with other options",
            )
            .no_ok_if(
                options & child_opt::RESIZABLE != 0 && parent.is_some_and(|o| !o.resizable),
                "a resizable reference of a VMO that is not resizable",
            )
            .no_ok_if(
                parent.is_some_and(|o| o.discardable),
                "a reference of a discardable VMO",
            );
        if let Who::Live(i) = h.who {
            let obj = self.held(i).obj;
            self.objs[obj].had_child = true;
        }
        let a = [h.value as u64, options as u64, offset, size, out, 0, 0, 0];
        let ret = self.issue(Call::vmo_create_child, sys::VMO_CREATE_CHILD, a, exp);
        if ret == 0 {
            self.adopt_reference(h, options, &a, out);
        }
    }

    /// Records the reference a successful `zx_vmo_create_child` of `h`
    /// with `options` left at `out`: a handle to the parent's model object.
    fn adopt_reference(&mut self, h: Picked, options: u32, a: &[u64; 8], out: u64) {
        let new = self.new_handle_at(Call::vmo_create_child, a, out);
        let Who::Live(i) = h.who else {
            self.mismatch(
                Call::vmo_create_child,
                a,
                format_args!("a reference of something not a live VMO"),
            );
        };
        // The parent handle's rights minus RESIZE plus the property
        // rights; RESIZE only if asked for; no WRITE added.
        let mut granted =
            (self.rights_of(h) & !rights::RESIZE) | rights::GET_PROPERTY | rights::SET_PROPERTY;
        if options & child_opt::RESIZABLE != 0 {
            granted |= rights::RESIZE;
        }
        if options & child_opt::NO_WRITE != 0 {
            granted &= !rights::WRITE;
        }
        let obj = self.held(i).obj;
        self.add_handle(new, obj, granted);
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

    // ----- streams -----------------------------------------------------------

    fn vmo_stream_size(&mut self) {
        let h = self.pick_vmo();
        if self.rng.chance(50) {
            let (out, class) = self.out_ptr(8, 8);
            let exp = match h.who {
                Who::Bad => Expect::exact(BadHandle),
                _ if self.is_vmar(h) => Expect::exact(WrongType),
                _ if class == Class::Bad => Expect::exact(InvalidArgs),
                _ => Expect::ok(),
            };
            let a = [h.value as u64, out, 0, 0, 0, 0, 0, 0];
            self.issue(Call::vmo_get_stream_size, sys::VMO_GET_STREAM_SIZE, a, exp);
            return;
        }
        let size = self.obj_of(h).map_or(P, |o| o.size);
        let value = if self.rng.chance(80) {
            self.around(size)
        } else {
            self.rng.next_u64()
        };
        let exp = match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if self.is_vmar(h) => Expect::exact(WrongType),
            _ if self.rights_of(h) & rights::WRITE == 0 => Expect::exact(AccessDenied),
            // OK only if it already is the stream size (which may pass the
            // VMO's size through ZX_PROP_VMO_CONTENT_SIZE).
            _ if value > size => Expect::narrow(Statuses::ok_or(&[OutOfRange])),
            _ => Expect::narrow(Statuses::ok_or(&[NoMemory])),
        };
        let a = [h.value as u64, value, 0, 0, 0, 0, 0, 0];
        self.issue(Call::vmo_set_stream_size, sys::VMO_SET_STREAM_SIZE, a, exp);
    }

    /// A stream over a picked handle, a few operations on it (and on other
    /// handles, which are not streams), then it is closed: the model never
    /// holds a stream.
    fn stream_session(&mut self) {
        self.room_for_handle();
        let v = self.pick_vmo();
        let modes = match self.rng.below(10) {
            0..=7 => self.rng.below(8) as u32,
            8 => 1 << self.rng.range(3, 31),
            _ => self.rng.next_u32(),
        };
        let vsize = self.obj_of(v).map_or(P, |o| o.size);
        let at = self.around(vsize);
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let mut need = 0;
        if modes & stream_opt::MODE_READ != 0 {
            need |= rights::READ;
        }
        if modes & stream_opt::MODE_WRITE != 0 {
            need |= rights::WRITE;
        }
        let exp = if modes & !stream_opt::CREATE_MASK != 0 {
            Expect::exact(InvalidArgs)
        } else {
            match v.who {
                Who::Bad => Expect::exact(BadHandle),
                _ if self.is_vmar(v) => Expect::exact(WrongType),
                _ if self.rights_of(v) & need != need => Expect::exact(AccessDenied),
                _ if class == Class::Bad => {
                    Expect::narrow(Statuses::only(&[InvalidArgs, NoMemory]))
                }
                _ => Expect::narrow(Statuses::ok_or(&[NoMemory])),
            }
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with an out-pointer it cannot write",
        );
        let a = [modes as u64, v.value as u64, at, out, 0, 0, 0, 0];
        if self.issue(Call::stream_create, sys::STREAM_CREATE, a, exp) != 0 {
            return;
        }
        let s = self.new_handle_at(Call::stream_create, &a, out);
        let mut srights = rights::DEFAULT_STREAM;
        if modes & stream_opt::MODE_READ != 0 {
            srights |= rights::READ;
        }
        if modes & stream_opt::MODE_WRITE != 0 {
            srights |= rights::WRITE;
        }
        let ops = self.rng.range(1, 8);
        for _ in 0..ops {
            self.stream_op(s, srights);
        }
        self.issue(
            Call::handle_close,
            sys::HANDLE_CLOSE,
            [s as u64, 0, 0, 0, 0, 0, 0, 0],
            Expect::ok(),
        );
        // Writes may have grown a resizable VMO.
        if let Who::Live(i) = v.who {
            if let Ok(size) = zx::vmo_get_size(v.value) {
                let obj = self.held(i).obj;
                self.objs[obj].size = size;
            }
        }
    }

    /// A buffer for one vector: never one of the fuzzer's own (possibly
    /// huge) mappings, so that a transfer stays small.
    fn stream_buffer(&mut self, capacity: u64, dir: Dir) -> (u64, Class) {
        loop {
            let (a, c) = self.ptr(capacity.min(2 * P), dir, 1);
            if c != Class::Unknown {
                return (a, c);
            }
        }
    }

    /// Writes a vector array into scratch memory (or picks a bad place for
    /// it); returns its address, count and whether the kernel can read it.
    fn stream_vectors(&mut self, dir: Dir) -> (u64, u64, bool) {
        let some = self.rng.below(64);
        let count = self.rng.pick(&[0, 1, 1, 1, 2, 2, 3, 8, some, 1 << 20]);
        if self.rng.chance(15) {
            let (a, c) = self.ptr(16 * count.min(64), Dir::In, 8);
            return (a, count, c != Class::Bad);
        }
        let room = (Fixtures::RW_LEN as u64 / 2) / 16;
        let n = count.min(room);
        let base_off = self.rng.below(Fixtures::RW_LEN as u64 / 2 / 8) * 8;
        for i in 0..n {
            let small = self.rng.below(256);
            let any = self.rng.next_u64();
            let capacity = if self.rng.chance(10) {
                self.rng.pick(&[i64::MAX as u64, u64::MAX, any])
            } else {
                self.rng.pick(&[0, 1, 7, 16, P, 3 * P, small])
            };
            let (buffer, _) = self.stream_buffer(capacity, dir);
            let off = (base_off + 16 * i) as usize;
            for (j, b) in buffer.to_le_bytes().iter().enumerate() {
                self.fx.write_u8(off + j, *b);
            }
            for (j, b) in capacity.to_le_bytes().iter().enumerate() {
                self.fx.write_u8(off + 8 + j, *b);
            }
        }
        // Past what was written the kernel reads whatever scratch holds.
        (FIXTURE_BASE as u64 + base_off, count, true)
    }

    fn stream_op(&mut self, s: Handle, srights: u32) {
        // Mostly the stream; sometimes a handle that is not one.
        let (target, who) = if self.rng.chance(90) {
            (s, None)
        } else {
            let h = self.pick_handle(false);
            (h.value, Some(h.who))
        };
        let handle_exp = |needed: u32| match who {
            Some(Who::Bad) => Some(Expect::exact(BadHandle)),
            Some(_) => Some(Expect::exact(WrongType)),
            None if srights & needed == 0 => Some(Expect::exact(AccessDenied)),
            None => None,
        };
        match self.rng.below(7) {
            k @ 0..=3 => {
                let write = k >= 2;
                let at = k % 2 == 1;
                let dir = if write { Dir::In } else { Dir::Out };
                let (vectors, count, readable) = self.stream_vectors(dir);
                let vectors = if self.rng.chance(5) { 0 } else { vectors };
                let options = match self.rng.below(20) {
                    0..=15 => 0,
                    16 | 17 if write && !at => stream_opt::APPEND,
                    _ => self.rng.next_u32(),
                };
                let valid = if write && !at { stream_opt::APPEND } else { 0 };
                let (actual, aclass) = self.opt_ptr(8, 8);
                let near = self.rng.pick(&[0, P, VMO_MAX_SIZE, 1 << 50]);
                let offset = self.around(near);
                let needed = if write { rights::WRITE } else { rights::READ };
                let exp = if options & !valid != 0 || vectors == 0 {
                    Expect::exact(InvalidArgs)
                } else if let Some(e) = handle_exp(needed) {
                    e
                } else {
                    Expect::any()
                        .no_ok_if(aclass == Class::Bad, "succeeded with a bad actual pointer")
                        .no_ok_if(
                            !readable && count > 0,
                            "succeeded with vectors it cannot read",
                        )
                };
                let (call, number, a) = match k {
                    0 => (
                        Call::stream_readv,
                        sys::STREAM_READV,
                        [
                            target as u64,
                            options as u64,
                            vectors,
                            count,
                            actual,
                            0,
                            0,
                            0,
                        ],
                    ),
                    1 => (
                        Call::stream_readv_at,
                        sys::STREAM_READV_AT,
                        [
                            target as u64,
                            options as u64,
                            offset,
                            vectors,
                            count,
                            actual,
                            0,
                            0,
                        ],
                    ),
                    2 => (
                        Call::stream_writev,
                        sys::STREAM_WRITEV,
                        [
                            target as u64,
                            options as u64,
                            vectors,
                            count,
                            actual,
                            0,
                            0,
                            0,
                        ],
                    ),
                    _ => (
                        Call::stream_writev_at,
                        sys::STREAM_WRITEV_AT,
                        [
                            target as u64,
                            options as u64,
                            offset,
                            vectors,
                            count,
                            actual,
                            0,
                            0,
                        ],
                    ),
                };
                self.issue(call, number, a, exp);
            }
            4 => {
                let any = self.rng.next_u32();
                let whence = self.rng.pick(&[0, 1, 2, 0, 1, 2, 3, any]);
                let any = self.rng.next_u64() as i64;
                let offset =
                    self.rng
                        .pick(&[0, 1, -1, P as i64, -(P as i64), i64::MAX, i64::MIN, any]);
                let (out, class) = self.opt_ptr(8, 8);
                let exp = if let Some(e) = handle_exp(rights::READ | rights::WRITE) {
                    e
                } else if whence > stream_opt::SEEK_ORIGIN_END
                    || (whence == stream_opt::SEEK_ORIGIN_START && offset < 0)
                {
                    Expect::exact(InvalidArgs)
                } else {
                    Expect::narrow(Statuses::ok_or(&[InvalidArgs]))
                        .no_ok_if(class == Class::Bad, "succeeded with a bad out-pointer")
                };
                let a = [target as u64, whence as u64, offset as u64, out, 0, 0, 0, 0];
                self.issue(Call::stream_seek, sys::STREAM_SEEK, a, exp);
            }
            5 => {
                let size = self.rng.pick(&[0, 23, 24, 25, P]);
                let (buf, class) = self.ptr(size.min(24), Dir::Out, 1);
                let exp = match who {
                    Some(Who::Bad) => Expect::exact(BadHandle),
                    Some(_) => Expect::any(),
                    None if size < 24 => Expect::exact(BufferTooSmall),
                    None => Expect::narrow(Statuses::ok_or(&[InvalidArgs]))
                        .no_ok_if(class == Class::Bad, "succeeded with a bad buffer"),
                };
                let a = [target as u64, topic::STREAM as u64, buf, size, 0, 0, 0, 0];
                self.issue(Call::object_get_info, sys::OBJECT_GET_INFO, a, exp);
            }
            _ => {
                let (value, class) = self.ptr(1, Dir::In, 1);
                let size = self.rng.pick(&[0, 1, 1, 8]);
                let exp = match who {
                    Some(Who::Bad) if value != 0 => Expect::exact(BadHandle),
                    Some(_) => Expect::any(),
                    None if value == 0 => Expect::exact(InvalidArgs),
                    None if size == 0 => Expect::exact(BufferTooSmall),
                    None => Expect::narrow(Statuses::ok_or(&[InvalidArgs]))
                        .no_ok_if(class == Class::Bad, "succeeded with a bad value pointer"),
                };
                let a = [
                    target as u64,
                    prop::STREAM_MODE_APPEND as u64,
                    value,
                    size,
                    0,
                    0,
                    0,
                    0,
                ];
                self.issue(Call::object_set_property, sys::OBJECT_SET_PROPERTY, a, exp);
            }
        }
    }

    // ----- ports -----------------------------------------------------------

    /// A handle for a port argument or a waited object: one of the step's
    /// own port handles (`ports`, value and rights), or anything the pool
    /// gives (never a value equal to one of those ports).
    fn port_arg(&mut self, ports: &[(Handle, u32)], own: u64) -> (Handle, PortArg) {
        if !ports.is_empty() && self.rng.chance(own) {
            let (h, r) = self.rng.pick(ports);
            return (h, PortArg::Port(r));
        }
        loop {
            let p = self.pick_handle(false);
            if !ports.iter().any(|(h, _)| *h == p.value) {
                return (p.value, PortArg::Pool(p));
            }
        }
    }

    /// The checks every port call makes of its port argument, in Zircon's
    /// order: a handle, a port, with `right`.
    fn port_checks(&self, arg: PortArg, right: u32) -> Option<Expect> {
        match arg {
            PortArg::Pool(p) if p.who == Who::Bad => Some(Expect::exact(BadHandle)),
            PortArg::Pool(_) => Some(Expect::exact(WrongType)),
            PortArg::Port(r) if r & right == 0 => Some(Expect::exact(AccessDenied)),
            PortArg::Port(_) => None,
        }
    }

    /// The checks of a waited object (`zx_object_wait_async`'s handle,
    /// `zx_port_cancel`'s source): a handle with WAIT, waitable.
    fn waited_checks(&self, arg: PortArg) -> Option<Expect> {
        match arg {
            PortArg::Pool(p) if p.who == Who::Bad => Some(Expect::exact(BadHandle)),
            PortArg::Pool(p) if self.rights_of(p) & rights::WAIT == 0 => {
                Some(Expect::exact(AccessDenied))
            }
            PortArg::Pool(p) if self.is_vmar(p) => Some(Expect::exact(NotSupported)),
            PortArg::Pool(_) => None,
            // Ports have no WAIT right (and are not waitable).
            PortArg::Port(_) => Some(Expect::exact(AccessDenied)),
        }
    }

    /// A port of the step's own, never in the pool and closed before the
    /// step ends: `zx_port_create` with any options and out pointer, then
    /// queues, waits with deadlines already past (the fuzzer never
    /// blocks), waits armed on the pool's objects, and cancels, with
    /// garbage, the pool's handles and reduced rights in every position.
    /// The model knows how many packets are queued until a wait is armed
    /// (it may match at once, or later).
    fn ports(&mut self) {
        self.room_for_handle();
        let options = match self.rng.below(6) {
            0..=2 => 0,
            3 => port::BIND_TO_INTERRUPT,
            4 => self.rng.pick(&[2, 3, 0x8000_0000]),
            _ => self.rng.next_u32(),
        };
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let exp = if options > port::BIND_TO_INTERRUPT {
            Expect::exact(InvalidArgs)
        } else if class == Class::Bad {
            Expect::narrow(Statuses::only(&[InvalidArgs, NoMemory]))
        } else {
            Expect::narrow(Statuses::ok_or(&[NoMemory]))
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with an out-pointer it cannot write",
        );
        let a = [options as u64, out, 0, 0, 0, 0, 0, 0];
        if self.issue(Call::port_create, sys::PORT_CREATE, a, exp) != 0 {
            return;
        }
        let full = self.new_handle_at(Call::port_create, &a, out);
        let mut ports = [(full, rights::DEFAULT_PORT); 2];
        let mut n_ports = 1;
        if self.rng.chance(40) {
            let r = self
                .rng
                .pick(&[rights::READ, rights::WRITE, rights::INSPECT, 0]);
            if let Ok(h) = zx::handle_duplicate(full, r) {
                ports[1] = (h, r);
                n_ports = 2;
            }
        }
        let ports = &ports[..n_ports];
        let mut known: Option<u64> = Some(0);
        for _ in 0..self.rng.range(1, 12) {
            match self.rng.below(4) {
                0 => known = self.port_queue(ports, known),
                1 => known = self.port_wait(ports, known),
                2 => {
                    if self.wait_async(ports) {
                        known = None;
                    }
                }
                _ => {
                    if self.port_cancel(ports) {
                        known = None;
                    }
                }
            }
        }
        for (h, _) in ports {
            self.issue(
                Call::handle_close,
                sys::HANDLE_CLOSE,
                [*h as u64, 0, 0, 0, 0, 0, 0, 0],
                Expect::ok(),
            );
        }
    }

    fn port_queue(&mut self, ports: &[(Handle, u32)], known: Option<u64>) -> Option<u64> {
        let (h, arg) = self.port_arg(ports, 80);
        let (packet, class) = self.ptr(48, Dir::In, 8);
        let exp = match self.port_checks(arg, rights::WRITE) {
            Some(e) => e,
            None => match class {
                Class::Bad => Expect::exact(InvalidArgs),
                Class::Good => Expect::narrow(Statuses::ok_or(&[NoMemory])),
                Class::Unknown => Expect::narrow(Statuses::ok_or(&[InvalidArgs, NoMemory])),
            },
        };
        let a = [h as u64, packet, 0, 0, 0, 0, 0, 0];
        let r = self.issue(Call::port_queue, sys::PORT_QUEUE, a, exp);
        known.map(|n| n + u64::from(r == 0))
    }

    fn port_wait(&mut self, ports: &[(Handle, u32)], known: Option<u64>) -> Option<u64> {
        let (h, arg) = self.port_arg(ports, 80);
        let now = now_ns();
        let deadline = match self.rng.below(5) {
            0 => 0,
            1 => ZX_TIME_INFINITE_PAST,
            2 => -1 - self.rng.below(1 << 40) as i64,
            _ => now - self.rng.below(1_000_000) as i64,
        };
        let (out, class) = self.out_ptr(48, 8);
        let exp = match (self.port_checks(arg, rights::READ), known) {
            (Some(e), _) => e,
            (None, Some(0)) => Expect::exact(TimedOut),
            (None, Some(_)) if class == Class::Good => Expect::ok(),
            (None, Some(_)) => Expect::exact(InvalidArgs),
            (None, None) if class == Class::Good => Expect::narrow(Statuses::ok_or(&[TimedOut])),
            (None, None) => Expect::narrow(Statuses::only(&[InvalidArgs, TimedOut])),
        }
        .no_ok_if(
            class == Class::Bad,
            "succeeded with a packet pointer it cannot write",
        );
        let a = [h as u64, deadline as u64, out, 0, 0, 0, 0, 0];
        let r = self.issue(Call::port_wait, sys::PORT_WAIT, a, exp);
        if r == 0 {
            let packet_type = self.read_back_u32(out + 8);
            if packet_type != port::PKT_TYPE_USER && packet_type != port::PKT_TYPE_SIGNAL_ONE {
                self.mismatch(
                    Call::port_wait,
                    &a,
                    format_args!("a packet of type {packet_type:#x}"),
                );
            }
        }
        match (arg, known) {
            // A packet was taken (or lost to the bad pointer).
            (PortArg::Port(r), Some(n)) if r & rights::READ != 0 && n > 0 => Some(n - 1),
            _ => known,
        }
    }

    /// True if a wait was armed.
    fn wait_async(&mut self, ports: &[(Handle, u32)]) -> bool {
        let (object, object_arg) = self.port_arg(ports, 10);
        let (port_h, port_arg) = self.port_arg(ports, 85);
        let options = match self.rng.below(8) {
            0..=2 => 0,
            3 => port::WAIT_ASYNC_TIMESTAMP,
            4 => port::WAIT_ASYNC_EDGE,
            5 => port::WAIT_ASYNC_BOOT_TIMESTAMP | port::WAIT_ASYNC_EDGE,
            6 => port::WAIT_ASYNC_TIMESTAMP | port::WAIT_ASYNC_BOOT_TIMESTAMP,
            _ => self.rng.next_u32(),
        };
        let sigs = match self.rng.below(4) {
            0 => signals::VMO_ZERO_CHILDREN,
            1 => 0,
            2 => u32::MAX,
            _ => self.rng.next_u32(),
        };
        let known =
            port::WAIT_ASYNC_TIMESTAMP | port::WAIT_ASYNC_EDGE | port::WAIT_ASYNC_BOOT_TIMESTAMP;
        let both = port::WAIT_ASYNC_TIMESTAMP | port::WAIT_ASYNC_BOOT_TIMESTAMP;
        let exp = if options & !known != 0 || options & both == both {
            Expect::exact(InvalidArgs)
        } else if let Some(e) = self.port_checks(port_arg, rights::WRITE) {
            e
        } else if let Some(e) = self.waited_checks(object_arg) {
            e
        } else {
            Expect::narrow(Statuses::ok_or(&[NoMemory]))
        };
        let key = self.rng.below(4);
        let a = [
            object as u64,
            port_h as u64,
            key,
            sigs as u64,
            options as u64,
            0,
            0,
            0,
        ];
        self.issue(Call::object_wait_async, sys::OBJECT_WAIT_ASYNC, a, exp) == 0
    }

    /// True if something was canceled.
    fn port_cancel(&mut self, ports: &[(Handle, u32)]) -> bool {
        let (port_h, port_arg) = self.port_arg(ports, 85);
        let (source, source_arg) = self.port_arg(ports, 10);
        let exp = if let Some(e) = self.port_checks(port_arg, rights::WRITE) {
            e
        } else if let Some(e) = self.waited_checks(source_arg) {
            e
        } else {
            Expect::narrow(Statuses::ok_or(&[NotFound]))
        };
        let key = self.rng.below(4);
        let a = [port_h as u64, source as u64, key, 0, 0, 0, 0, 0];
        self.issue(Call::port_cancel, sys::PORT_CANCEL, a, exp) == 0
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

    /// `zx_vmo_set_cache_policy` on a random handle: only an idle VMO (no
    /// mapping, page or relative) takes it; the fuzzer's byte-sized touches
    /// work on any memory type.
    fn vmo_set_cache_policy(&mut self) {
        let h = self.pick_vmo();
        let policy = match self.rng.below(6) {
            0..=2 => zx::cache_policy::CACHED,
            3 => zx::cache_policy::WRITE_COMBINING,
            4 => zx::cache_policy::UNCACHED,
            _ => self.rng.next_u32(),
        };
        let exp = match h.who {
            _ if policy & !zx::cache_policy::MASK != 0 => Expect::exact(InvalidArgs),
            Who::Bad => Expect::exact(BadHandle),
            _ if self.is_vmar(h) => Expect::narrow(Statuses::only(&[WrongType, AccessDenied])),
            _ => Expect::any(),
        };
        let a = [h.value as u64, policy as u64, 0, 0, 0, 0, 0, 0];
        let r = self.issue(
            Call::vmo_set_cache_policy,
            sys::VMO_SET_CACHE_POLICY,
            a,
            exp,
        );
        if let (0, Who::Live(slot)) = (r, h.who) {
            let obj = self.held(slot).obj;
            self.objs[obj].uncached = policy != zx::cache_policy::CACHED;
        }
    }

    /// `zx_vmo_transfer_data` between two random handles (often one VMO
    /// twice), page-aligned ranges mostly inside both.
    fn vmo_transfer_data(&mut self) {
        let dst = self.pick_vmo();
        let src = if self.rng.chance(20) {
            dst
        } else {
            self.pick_vmo()
        };
        let dst_size = self.obj_of(dst).map_or(P, |o| o.size);
        let src_size = self.obj_of(src).map_or(P, |o| o.size);
        let pages = |s: u64| (s / P).max(1);
        // Copies commit destination pages: keep it small.
        let len = self
            .rng
            .below(pages(dst_size.min(src_size)).min(MAX_COMMIT / P) + 1)
            * P;
        let mut offset = self.rng.below(pages(dst_size)) * P;
        let mut src_offset = self.rng.below(pages(src_size)) * P;
        // Mostly inside both.
        if self.rng.chance(70) {
            offset = offset.min(dst_size.saturating_sub(len));
            src_offset = src_offset.min(src_size.saturating_sub(len));
        }
        let options = if self.rng.chance(90) {
            0
        } else {
            self.rng.next_u32()
        };
        if self.rng.chance(10) {
            offset += 1 + self.rng.below(P - 1);
        }
        if self.rng.chance(10) {
            src_offset = self.rng.next_u64();
        }
        // Zircon's order: options and alignment, then the destination's
        // handle, then the source's.
        let misaligned = [offset, len, src_offset]
            .iter()
            .any(|v| !v.is_multiple_of(P));
        let exp = if options != 0 || misaligned {
            Expect::exact(InvalidArgs)
        } else if dst.who == Who::Bad {
            Expect::exact(BadHandle)
        } else {
            Expect::any()
        };
        let a = [
            dst.value as u64,
            options as u64,
            offset,
            len,
            src.value as u64,
            src_offset,
            0,
            0,
        ];
        self.issue(Call::vmo_transfer_data, sys::VMO_TRANSFER_DATA, a, exp);
    }

    /// `zx_vmar_allocate` with a random parent, options, offset and size;
    /// a region it makes is probed with `zx_vmar_protect` and
    /// `zx_vmar_op_range` (it holds no mapping), destroyed, probed again
    /// (BAD_STATE), and its handle closed, so the model never holds one.
    fn vmar_allocate(&mut self) {
        let parent = if self.rng.chance(70) {
            Picked {
                value: self.root,
                who: Who::Root,
            }
        } else {
            self.pick_handle(false)
        };
        let caps = vm_opt::CAN_MAP_READ | vm_opt::CAN_MAP_WRITE | vm_opt::CAN_MAP_SPECIFIC;
        let options = match self.rng.below(8) {
            0..=2 => caps,
            3 => caps | vm_opt::SPECIFIC,
            4 => vm_opt::OFFSET_IS_UPPER_LIMIT | vm_opt::CAN_MAP_READ,
            5 => self.rng.pick(&[
                vm_opt::PERM_READ,
                vm_opt::SPECIFIC_OVERWRITE,
                1 << 15,
                1 << 24,
            ]),
            _ => self.rng.next_u32(),
        };
        let offset = match self.rng.below(4) {
            0 => 0,
            1 => REGION_HI - ROOT_BASE as u64 + self.rng.below(64) * P,
            2 => self.rng.below(ROOT_VMAR_SIZE),
            _ => self.rng.next_u64(),
        };
        let size = match self.rng.below(4) {
            0 => 0,
            1 => self.rng.range(1, 64) * P,
            2 => self.rng.range(1, 3 * P),
            _ => self.rng.next_u64(),
        };
        let (child_out, child_class) = self.out_ptr(4, 4);
        let (addr_out, addr_class) = self.out_ptr(8, 8);
        self.prepare_out(child_out, child_class);
        let exp = match parent.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if !self.is_vmar(parent) => {
                Expect::narrow(Statuses::only(&[WrongType, AccessDenied]))
            }
            _ => Expect::any(),
        }
        .no_ok_if(
            child_class == Class::Bad || addr_class == Class::Bad,
            "succeeded with an out-pointer it cannot write",
        );
        let a = [
            parent.value as u64,
            options as u64,
            offset,
            size,
            child_out,
            addr_out,
            0,
            0,
        ];
        if self.issue(Call::vmar_allocate, sys::VMAR_ALLOCATE, a, exp) != 0 {
            return;
        }
        let child = self.new_handle_at(Call::vmar_allocate, &a, child_out) as u64;
        let base = self.read_back_u64(addr_out);
        let size = round_up(size).unwrap_or(0);
        if !base.is_multiple_of(P)
            || base < ROOT_BASE as u64
            || base.saturating_add(size) > USER_END as u64
        {
            self.mismatch(
                Call::vmar_allocate,
                &a,
                format_args!("a region at {:#x}", base),
            );
        }
        let empty = Expect::narrow(Statuses::only(&[NotFound, AccessDenied]));
        let r = [child, vm_opt::PERM_READ as u64, base, P, 0, 0, 0, 0];
        self.issue(Call::vmar_protect, sys::VMAR_PROTECT, r, empty);
        let outside = [child, vm_opt::PERM_READ as u64, base + size, P, 0, 0, 0, 0];
        let refused = Expect::narrow(Statuses::only(&[InvalidArgs, AccessDenied]));
        self.issue(Call::vmar_protect, sys::VMAR_PROTECT, outside, refused);
        let op = [child, zx::vmar_op::COMMIT as u64, base, P, 0, 0, 0, 0];
        self.issue(
            Call::vmar_op_range,
            sys::VMAR_OP_RANGE,
            op,
            Expect::exact(BadState),
        );
        let d = [child, 0, 0, 0, 0, 0, 0, 0];
        self.issue(Call::vmar_destroy, sys::VMAR_DESTROY, d, Expect::ok());
        self.issue(
            Call::vmar_destroy,
            sys::VMAR_DESTROY,
            d,
            Expect::exact(BadState),
        );
        self.issue(
            Call::vmar_protect,
            sys::VMAR_PROTECT,
            r,
            Expect::exact(BadState),
        );
        self.issue(Call::handle_close, sys::HANDLE_CLOSE, d, Expect::ok());
    }

    /// `zx_vmar_destroy`, `zx_vmar_protect` and `zx_vmar_op_range` on a
    /// random handle with arguments none of them may accept: the root
    /// cannot be destroyed, and protect and op_range get an unaligned
    /// address, a bad option or operation, or a buffer.
    fn vmar_calls_refused(&mut self) {
        let h = self.pick_handle(false);
        let not_vmar = !self.is_vmar(h) && h.who != Who::Root;
        let typed = |e: ZxStatus| match h.who {
            Who::Bad => Expect::exact(BadHandle),
            _ if not_vmar => Expect::narrow(Statuses::only(&[WrongType, AccessDenied])),
            _ => Expect::narrow(Statuses::only(&[e, AccessDenied])),
        };
        let addr = REGION_LO + self.rng.below(64) * P;
        match self.rng.below(4) {
            0 => {
                let a = [h.value as u64, 0, 0, 0, 0, 0, 0, 0];
                self.issue(
                    Call::vmar_destroy,
                    sys::VMAR_DESTROY,
                    a,
                    typed(NotSupported),
                );
            }
            1 => {
                let a = [
                    h.value as u64,
                    vm_opt::PERM_READ as u64,
                    addr + 1,
                    P,
                    0,
                    0,
                    0,
                    0,
                ];
                self.issue(Call::vmar_protect, sys::VMAR_PROTECT, a, typed(InvalidArgs));
            }
            2 => {
                let bad = self
                    .rng
                    .pick(&[vm_opt::PERM_WRITE, vm_opt::SPECIFIC, 1 << 15]);
                let a = [h.value as u64, bad as u64, addr, P, 0, 0, 0, 0];
                self.issue(Call::vmar_protect, sys::VMAR_PROTECT, a, typed(InvalidArgs));
            }
            _ => {
                let (op, buf, len) = match self.rng.below(3) {
                    0 => (self.rng.pick(&[0, 4, 11, 14, u32::MAX]), 0, 0),
                    1 => (zx::vmar_op::MAP_RANGE, FIXTURE_BASE as u64, 8),
                    _ => (zx::vmar_op::DONT_NEED, 0, 1),
                };
                let a = [h.value as u64, op as u64, addr, P, buf, len, 0, 0];
                self.issue(
                    Call::vmar_op_range,
                    sys::VMAR_OP_RANGE,
                    a,
                    typed(InvalidArgs),
                );
            }
        }
    }

    fn free_pages(&mut self) -> u64 {
        self.calls += 1;
        self.counts[Call::kernel_stats as usize][0] += 1;
        zx::kernel_stats()[stats::FREE_PAGES]
    }

    // ----- peered objects: event pairs and sockets ---------------------------
    //
    // A session of its own: the pair's handles never enter the model's table
    // (whose calls expect VMOs and VMARs), and all are closed before the
    // session returns. The session keeps a model of the pair (which sides
    // still have handles, the shutdown flags) and checks the signals against
    // it and against ZX_INFO_SOCKET.

    /// A handle of the session, and its index; sometimes (and when the
    /// session has none left) a value the process does not hold.
    fn peer_handle(&mut self, s: &PeerSession) -> (Handle, Option<usize>) {
        if s.n == 0 || self.rng.chance(5) {
            let any = self.rng.next_u32();
            let v = self.rng.pick(&[0x1234_5677, zx::ZX_HANDLE_INVALID, any]);
            let held = s.index_of(v).is_some()
                || self.classify(v) != Who::Bad
                || self.fx.handles().contains(&v);
            return (if held { zx::ZX_HANDLE_INVALID } else { v }, None);
        }
        let i = self.rng.below(s.n as u64) as usize;
        (s.hs[i].0, Some(i))
    }

    /// Socket calls on the model's own handles: a VMO or VMAR is the wrong
    /// type (after the argument checks), anything else a bad handle.
    fn socket_call_on_model(&mut self) {
        let h = self.pick_handle(false);
        let wrong = match h.who {
            Who::Bad => BadHandle,
            _ => WrongType,
        };
        let (buf, _) = self.ptr(4, Dir::In, 1);
        let len = if buf == 0 { 0 } else { 4 };
        let (c, number, a) = match self.rng.below(4) {
            0 => (
                Call::socket_write,
                sys::SOCKET_WRITE,
                [h.value as u64, 0, buf, len, 0, 0, 0, 0],
            ),
            1 => (
                Call::socket_read,
                sys::SOCKET_READ,
                [h.value as u64, 0, buf, len, 0, 0, 0, 0],
            ),
            2 => (
                Call::socket_shutdown,
                sys::SOCKET_SHUTDOWN,
                [h.value as u64, 1, 0, 0, 0, 0, 0, 0],
            ),
            _ => {
                // No handle the model holds has SIGNAL_PEER.
                let exp = match h.who {
                    Who::Bad => Expect::exact(BadHandle),
                    _ => Expect::exact(AccessDenied),
                };
                let a = [h.value as u64, 0, signals::USER_0 as u64, 0, 0, 0, 0, 0];
                self.issue(Call::object_signal_peer, sys::OBJECT_SIGNAL_PEER, a, exp);
                return;
            }
        };
        self.issue(c, number, a, Expect::exact(wrong));
    }

    fn peered(&mut self) {
        if self.rng.chance(25) {
            self.socket_call_on_model();
            return;
        }
        let socket = self.rng.chance(70);
        let any = self.rng.next_u32();
        let (c, number, options) = if socket {
            let o = self.rng.pick(&[
                socket_opt::STREAM,
                socket_opt::STREAM,
                socket_opt::DATAGRAM,
                socket_opt::DATAGRAM,
                2,
                1 << 31,
                any,
            ]);
            (Call::socket_create, sys::SOCKET_CREATE, o)
        } else {
            (
                Call::eventpair_create,
                sys::EVENTPAIR_CREATE,
                self.rng.pick(&[0, 0, 0, 1, any]),
            )
        };
        let (p0, c0) = self.out_ptr(4, 4);
        let (mut p1, mut c1) = self.out_ptr(4, 4);
        if p1 == p0 {
            // Two distinct slots, so that both handles can be read back.
            let spare = FIXTURE_BASE as u64 + PEER_SCRATCH + 128;
            p1 = if p0 == spare { spare + 4 } else { spare };
            c1 = Class::Good;
        }
        self.prepare_out(p0, c0);
        self.prepare_out(p1, c1);
        let bad_options = if socket {
            options & !socket_opt::DATAGRAM != 0
        } else {
            options != 0
        };
        let exp = if bad_options {
            Expect::exact(if socket { InvalidArgs } else { NotSupported })
        } else if c0 == Class::Bad || c1 == Class::Bad {
            Expect::exact(InvalidArgs)
        } else {
            Expect::narrow(Statuses::ok_or(&[NoMemory]))
        };
        let a = [options as u64, p0, p1, 0, 0, 0, 0, 0];
        if self.issue(c, number, a, exp) != 0 {
            return;
        }
        let h0 = self.new_handle_at(c, &a, p0);
        let h1 = self.new_handle_at(c, &a, p1);
        if h0 == h1 {
            self.mismatch(c, &a, format_args!("both endpoints got handle {:#x}", h0));
        }
        let full = if socket {
            rights::DEFAULT_SOCKET
        } else {
            rights::DEFAULT_EVENTPAIR
        };
        let mut s = PeerSession {
            socket,
            datagram: options & socket_opt::DATAGRAM != 0,
            hs: [(0, 0, 0); PeerSession::MAX],
            n: 0,
            pwd: [false; 2],
            wd: [false; 2],
        };
        s.push(h0, 0, full);
        s.push(h1, 1, full);
        for _ in 0..self.rng.range(1, 10) {
            match self.rng.weighted(&[5, 6, 6, 2, 2, 3, 2]) {
                0 => self.peer_signal(&s),
                1 => self.peer_write(&s),
                2 => self.peer_read(&s),
                3 => self.peer_shutdown(&mut s),
                4 => self.peer_duplicate(&mut s),
                5 => self.peer_check(&s),
                _ if s.n > 0 => {
                    let i = self.rng.below(s.n as u64) as usize;
                    self.peer_close(&mut s, i);
                }
                _ => {}
            }
        }
        self.peer_check(&s);
        while s.n > 0 {
            let last = s.n - 1;
            self.peer_close(&mut s, last);
        }
    }

    fn peer_signal(&mut self, s: &PeerSession) {
        let (h, i) = self.peer_handle(s);
        let mut mask = || match self.rng.below(5) {
            0 => 0,
            1 => signals::USER_ALL,
            2 => signals::USER_0 << self.rng.below(8),
            3 => 1 << self.rng.below(32),
            _ => self.rng.next_u32(),
        };
        let (clear, set) = (mask(), mask());
        let allowed = if s.socket {
            signals::USER_ALL
        } else {
            signals::USER_ALL | signals::EVENTPAIR_SIGNALED
        };
        let exp = match i {
            None => Expect::exact(BadHandle),
            Some(i) if s.hs[i].2 & rights::SIGNAL_PEER == 0 => Expect::exact(AccessDenied),
            Some(_) if (clear | set) & !allowed != 0 => Expect::exact(InvalidArgs),
            Some(i) if !s.open(1 - s.hs[i].1) => Expect::exact(PeerClosed),
            Some(_) => Expect::ok(),
        };
        let a = [h as u64, clear as u64, set as u64, 0, 0, 0, 0, 0];
        self.issue(Call::object_signal_peer, sys::OBJECT_SIGNAL_PEER, a, exp);
    }

    /// A length for a socket read or write: small ones, one past any
    /// socket buffer (`big`), and ones past 32 bits.
    fn peer_len(&mut self, big: bool) -> u64 {
        let small = self.rng.below(64);
        let past = if big { 300_000 } else { 4096 };
        self.rng
            .pick(&[0, 1, 5, 100, 4096, past, 1 << 32, u64::MAX, small])
    }

    /// `zx_socket_write`. A session writes at most ten times 4 KiB into a
    /// stream (a larger datagram is refused before any copy), far below the
    /// buffer's size, so a write copies all it is given: one through a
    /// pointer it cannot read must fail.
    fn peer_write(&mut self, s: &PeerSession) {
        let (h, i) = self.peer_handle(s);
        let any = self.rng.next_u32();
        let options = self.rng.pick(&[0, 0, 0, 0, 1, socket_opt::PEEK, any]);
        let len = self.peer_len(s.datagram);
        let (buf, bclass) = self.ptr(len.min(1 << 20), Dir::In, 1);
        let (actual, aclass) = self.opt_ptr(8, 8);
        let exp = match i {
            _ if len > 0 && buf == 0 => Expect::exact(InvalidArgs),
            _ if options != 0 => Expect::exact(InvalidArgs),
            None => Expect::exact(BadHandle),
            Some(_) if !s.socket => Expect::exact(WrongType),
            Some(i) if s.hs[i].2 & rights::WRITE == 0 => Expect::exact(AccessDenied),
            Some(i) if !s.open(1 - s.hs[i].1) => Expect::exact(PeerClosed),
            Some(i) if s.wd[s.hs[i].1] => Expect::exact(BadState),
            Some(_) if len == 0 && aclass == Class::Good => Expect::ok(),
            Some(_) if len > u32::MAX as u64 => Expect::exact(InvalidArgs),
            Some(_) if s.datagram => Expect::narrow(Statuses::ok_or(&[
                ShouldWait,
                OutOfRange,
                InvalidArgs,
                NoMemory,
            ])),
            Some(_) => Expect::narrow(Statuses::ok_or(&[ShouldWait, InvalidArgs, NoMemory])),
        }
        .no_ok_if(
            len > 0 && bclass == Class::Bad,
            "wrote from a buffer it cannot read",
        )
        .no_ok_if(
            aclass == Class::Bad,
            "succeeded with an actual it cannot write",
        );
        let a = [h as u64, options as u64, buf, len, actual, 0, 0, 0];
        self.issue(Call::socket_write, sys::SOCKET_WRITE, a, exp);
    }

    /// `zx_socket_read`. A buffer that runs off its mapping may still
    /// succeed (fewer bytes were waiting), so only the checks before the
    /// copy are exact.
    fn peer_read(&mut self, s: &PeerSession) {
        let (h, i) = self.peer_handle(s);
        let any = self.rng.next_u32();
        let options = self
            .rng
            .pick(&[0, 0, 0, socket_opt::PEEK, socket_opt::PEEK, 1, any]);
        let len = self.peer_len(true);
        let (buf, _) = self.ptr(len.min(1 << 20), Dir::Out, 1);
        let (actual, aclass) = self.opt_ptr(8, 8);
        let exp = match i {
            _ if len > 0 && buf == 0 => Expect::exact(InvalidArgs),
            _ if options & !socket_opt::PEEK != 0 => Expect::exact(InvalidArgs),
            None => Expect::exact(BadHandle),
            Some(_) if !s.socket => Expect::exact(WrongType),
            Some(i) if s.hs[i].2 & rights::READ == 0 => Expect::exact(AccessDenied),
            Some(_) if len > u32::MAX as u64 => Expect::exact(InvalidArgs),
            Some(i) => {
                let side = s.hs[i].1;
                let mut st = Statuses::ok_or(&[ShouldWait, InvalidArgs, NoMemory]);
                if !s.open(1 - side) {
                    st = st.with(&[PeerClosed]);
                }
                if s.pwd[side] {
                    st = st.with(&[BadState]);
                }
                Expect::narrow(st)
            }
        }
        .no_ok_if(
            aclass == Class::Bad,
            "succeeded with an actual it cannot write",
        );
        let a = [h as u64, options as u64, buf, len, actual, 0, 0, 0];
        self.issue(Call::socket_read, sys::SOCKET_READ, a, exp);
    }

    /// `zx_socket_shutdown`, with the model following Zircon's rules.
    fn peer_shutdown(&mut self, s: &mut PeerSession) {
        let (h, i) = self.peer_handle(s);
        let any = self.rng.next_u32();
        let how = self.rng.pick(&[
            socket_opt::SHUTDOWN_WRITE,
            socket_opt::SHUTDOWN_READ,
            socket_opt::SHUTDOWN_WRITE | socket_opt::SHUTDOWN_READ,
            0,
            4,
            any,
        ]);
        let exp = match i {
            _ if how & !(socket_opt::SHUTDOWN_WRITE | socket_opt::SHUTDOWN_READ) != 0 => {
                Expect::exact(InvalidArgs)
            }
            None => Expect::exact(BadHandle),
            Some(_) if !s.socket => Expect::exact(WrongType),
            Some(i) if s.hs[i].2 & rights::WRITE == 0 => Expect::exact(AccessDenied),
            Some(_) => Expect::ok(),
        };
        let a = [h as u64, how as u64, 0, 0, 0, 0, 0, 0];
        if self.issue(Call::socket_shutdown, sys::SOCKET_SHUTDOWN, a, exp) != 0 {
            return;
        }
        let side = s.hs[i.expect("a session handle")].1;
        let (read, write) = (
            how & socket_opt::SHUTDOWN_READ != 0,
            how & socket_opt::SHUTDOWN_WRITE != 0,
        );
        if (read, write) == (s.pwd[side], s.wd[side]) {
            return; // Already so: Zircon changes nothing.
        }
        let peer = s.open(1 - side);
        if read {
            s.pwd[side] = true;
            if peer {
                s.wd[1 - side] = true;
            }
        }
        if write {
            s.wd[side] = true;
            if peer {
                s.pwd[1 - side] = true;
            }
        }
    }

    fn peer_duplicate(&mut self, s: &mut PeerSession) {
        if s.n == 0 || s.n >= PeerSession::MAX {
            return;
        }
        let i = self.rng.below(s.n as u64) as usize;
        let (h, side, cur) = s.hs[i];
        let req = self.rights_for(cur);
        let out = FIXTURE_BASE as u64 + PEER_SCRATCH;
        self.prepare_out(out, Class::Good);
        let exp = if cur & rights::DUPLICATE == 0 {
            Expect::exact(AccessDenied)
        } else if !Self::rights_valid(req, cur) {
            Expect::exact(InvalidArgs)
        } else {
            Expect::narrow(Statuses::ok_or(&[NoMemory]))
        };
        let a = [h as u64, req as u64, out, 0, 0, 0, 0, 0];
        if self.issue(Call::handle_duplicate, sys::HANDLE_DUPLICATE, a, exp) == 0 {
            let new = self.new_handle_at(Call::handle_duplicate, &a, out);
            s.push(
                new,
                side,
                if req == rights::SAME_RIGHTS { cur } else { req },
            );
        }
    }

    fn peer_close(&mut self, s: &mut PeerSession, i: usize) {
        let (h, _, _) = s.hs[i];
        let a = [h as u64, 0, 0, 0, 0, 0, 0, 0];
        self.issue(Call::handle_close, sys::HANDLE_CLOSE, a, Expect::ok());
        s.hs[i] = s.hs[s.n - 1];
        s.n -= 1;
    }

    /// Checks each side's signals, through a handle that may wait and
    /// inspect, against the model and (sockets) ZX_INFO_SOCKET.
    fn peer_check(&mut self, s: &PeerSession) {
        for side in 0..2 {
            let Some(i) = (0..s.n).find(|&i| {
                s.hs[i].1 == side
                    && s.hs[i].2 & (rights::WAIT | rights::INSPECT)
                        == rights::WAIT | rights::INSPECT
            }) else {
                continue;
            };
            let h = s.hs[i].0;
            let scratch = FIXTURE_BASE as u64 + PEER_SCRATCH;
            let observed = scratch + 64;
            let a = [
                h as u64,
                0,
                ZX_TIME_INFINITE_PAST as u64,
                observed,
                0,
                0,
                0,
                0,
            ];
            self.issue(
                Call::object_wait_one,
                sys::OBJECT_WAIT_ONE,
                a,
                Expect::exact(TimedOut),
            );
            let seen = self.read_back_u32(observed);
            let peer_closed = !s.open(1 - side);
            let mut wrong = None;
            if (seen & signals::PEER_CLOSED != 0) != peer_closed {
                wrong = Some("PEER_CLOSED is not whether the peer has handles");
            }
            if s.socket {
                let info = [h as u64, topic::SOCKET as u64, scratch, 48, 0, 0, 0, 0];
                self.issue(
                    Call::object_get_info,
                    sys::OBJECT_GET_INFO,
                    info,
                    Expect::ok(),
                );
                let rx_size = self.read_back_u64(scratch + 16);
                let tx_max = self.read_back_u64(scratch + 32);
                let tx_size = self.read_back_u64(scratch + 40);
                let writable = !peer_closed && !s.wd[side] && tx_size < tx_max;
                let checks = [
                    (
                        (seen & signals::SOCKET_READABLE != 0) == (rx_size > 0),
                        "READABLE is not whether bytes are waiting",
                    ),
                    (
                        (tx_max == 0) == peer_closed,
                        "tx_buf_max is not 0 exactly when the peer is closed",
                    ),
                    (
                        (seen & signals::SOCKET_WRITABLE != 0) == writable,
                        "WRITABLE is not: peer open, writes enabled, room left",
                    ),
                    (
                        (seen & signals::SOCKET_WRITE_DISABLED != 0) == s.wd[side],
                        "WRITE_DISABLED differs from the shutdowns",
                    ),
                    (
                        (seen & signals::SOCKET_PEER_WRITE_DISABLED != 0) == s.pwd[side],
                        "PEER_WRITE_DISABLED differs from the shutdowns",
                    ),
                ];
                if let Some((_, why)) = checks.iter().find(|(ok, _)| !ok) {
                    wrong = wrong.or(Some(why));
                }
            }
            if let Some(why) = wrong {
                self.mismatch(
                    Call::object_wait_one,
                    &a,
                    format_args!(
                        "side {} of a {}: signals {:#x}: {}",
                        side,
                        if s.socket { "socket" } else { "event pair" },
                        seen,
                        why
                    ),
                );
            }
        }
    }

    fn step(&mut self) {
        if self.live < 4 {
            self.vmo_create();
            return;
        }
        // Each generator with its weight: how often it runs, relatively.
        type Step = fn(&mut Fuzz);
        const STEPS: &[(u32, Step)] = &[
            (3, |f| f.debug_write()),
            (8, |f| f.handle_close()),
            (7, |f| f.handle_duplicate()),
            (4, |f| f.handle_replace()),
            (5, |f| f.object_wait_one()),
            (5, |f| f.object_get_property()),
            (5, |f| f.object_set_property()),
            (6, |f| f.object_get_info()),
            (9, |f| f.vmar_map()),
            (6, |f| f.vmar_unmap()),
            (8, |f| f.vmo_create()),
            (7, |f| f.vmo_read_write(false)),
            (7, |f| f.vmo_read_write(true)),
            (4, |f| f.vmo_get_size()),
            (4, |f| f.vmo_set_size()),
            (9, |f| f.vmo_op_range()),
            (7, |f| f.vmo_create_child()),
            (3, |f| f.vmo_create_reference()),
            (3, |f| f.vmo_replace_as_executable()),
            (2, |f| f.kernel_stats()),
            (3, |f| f.unknown()),
            (3, |f| f.handle_close_many()),
            (4, |f| f.object_signal()),
            (2, |f| f.futex_wake()),
            (3, |f| f.futex_wait()),
            (1, |f| f.sleep_and_clock()),
            (8, |f| {
                for _ in 0..4 {
                    f.touch();
                }
            }),
            // VMARs and the VMO surface.
            (3, |f| f.vmar_allocate()),
            (2, |f| f.vmar_calls_refused()),
            (3, |f| f.vmo_transfer_data()),
            (2, |f| f.vmo_set_cache_policy()),
            // Streams.
            (3, |f| f.vmo_stream_size()),
            (4, |f| f.stream_session()),
            // Ports.
            (3, |f| f.ports()),
            // Sockets and event pairs.
            (6, |f| f.peered()),
            // Processes and jobs.
            (2, |f| f.job_create()),
            (2, |f| f.process_calls()),
            // Channels.
            (6, |f| f.channel_ops()),
            // Exceptions.
            (3, |f| f.exception_calls()),
        ];
        let weights: [u32; STEPS.len()] = core::array::from_fn(|i| STEPS[i].0);
        let pick = self.rng.weighted(&weights);
        (STEPS[pick].1)(self);
    }

    // ----- processes and jobs -----------------------------------------------
    // What these make is closed again at once (the model never holds a
    // process or a job), and no process is ever started: every
    // `zx_process_start` they make must fail.

    /// A job handle (the default job) or a picked one, and whether it is
    /// the job.
    fn pick_job(&mut self) -> (Picked, bool) {
        if self.rng.chance(60) {
            let job = Picked {
                value: zx::default_job(),
                who: Who::Bad,
            };
            return (job, true);
        }
        (self.pick_handle(false), false)
    }

    /// The status a call on a picked non-job handle must give: BAD_HANDLE
    /// for one the program does not hold, else WRONG_TYPE (it holds VMOs
    /// and VMARs only).
    fn not_a_job(p: Picked) -> ZxStatus {
        match p.who {
            Who::Bad => BadHandle,
            _ => WrongType,
        }
    }

    /// `zx_job_create` with a random parent, options and out-pointer.
    fn job_create(&mut self) {
        let (parent, is_job) = self.pick_job();
        let any = u64::from(self.rng.next_u32());
        let options = self.rng.pick(&[0, 0, 0, 1, 1 << 31, any]);
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let exp = if options != 0 {
            Expect::exact(InvalidArgs)
        } else if !is_job {
            Expect::exact(Self::not_a_job(parent))
        } else if class == Class::Bad {
            Expect::exact(InvalidArgs)
        } else {
            Expect::ok()
        };
        let a = [parent.value as u64, options, out, 0, 0, 0, 0, 0];
        if self.issue(Call::job_create, sys::JOB_CREATE, a, exp) == 0 {
            let h = self.new_handle_at(Call::job_create, &a, out);
            let _ = zx::handle_close(h);
        }
    }

    /// `zx_process_create` with random arguments; a process it makes is
    /// probed with `zx_process_read_memory`/`_write_memory` (nothing is
    /// mapped in it) and `zx_process_start` (with a thread of another
    /// process, or an entry past user space), then closed.
    fn process_calls(&mut self) {
        let (job, is_job) = self.pick_job();
        let any = self.rng.below(1 << 20);
        let name_size = self.rng.pick(&[0, 1, 5, 31, 32, 100, any]);
        let (name, name_class) = self.ptr(name_size.min(31), Dir::In, 1);
        let any = u64::from(self.rng.next_u32());
        let options = self.rng.pick(&[0, 0, 0, 1, any]);
        let (p_out, p_class) = self.out_ptr(4, 4);
        let (v_out, v_class) = loop {
            let (a, c) = self.out_ptr(4, 4);
            if a.abs_diff(p_out) >= 4 {
                break (a, c);
            }
        };
        self.prepare_out(p_out, p_class);
        self.prepare_out(v_out, v_class);
        let exp = if name_size > 0 && name_class == Class::Unknown {
            Expect::any()
        } else if (name_size > 0 && name_class == Class::Bad) || options != 0 {
            Expect::exact(InvalidArgs)
        } else if !is_job {
            Expect::exact(Self::not_a_job(job))
        } else if p_class == Class::Bad || v_class == Class::Bad {
            Expect::exact(InvalidArgs)
        } else {
            Expect::ok()
        };
        let a = [
            job.value as u64,
            name,
            name_size,
            options,
            p_out,
            v_out,
            0,
            0,
        ];
        if self.issue(Call::process_create, sys::PROCESS_CREATE, a, exp) != 0 {
            return;
        }
        let process = self.new_handle_at(Call::process_create, &a, p_out);
        let vmar = self.new_handle_at(Call::process_create, &a, v_out);
        self.process_memory(process);
        self.process_start_refused(process);
        let _ = zx::handle_close(vmar);
        let _ = zx::handle_close(process);
    }

    /// `zx_process_read_memory` or `_write_memory` on `process`, which has
    /// nothing mapped.
    fn process_memory(&mut self, process: Handle) {
        let write = self.rng.chance(50);
        let any = self.rng.next_u64();
        let max = zx::PROCESS_MEMORY_MAX as u64;
        let size = self.rng.pick(&[0, 1, P, max, max + 1, any]);
        let dir = if write { Dir::In } else { Dir::Out };
        let (buf, _) = self.ptr(size.min(P), dir, 1);
        let (actual, _) = self.out_ptr(8, 8);
        let any = self.rng.next_u64();
        let vaddr = self
            .rng
            .pick(&[0, ROOT_BASE as u64, REGION_LO, USER_END as u64, any]);
        let exp = if size == 0 || size > zx::PROCESS_MEMORY_MAX as u64 {
            Expect::exact(InvalidArgs)
        } else {
            Expect::exact(NoMemory)
        };
        let a = [process as u64, vaddr, buf, size, actual, 0, 0, 0];
        if write {
            self.issue(
                Call::process_write_memory,
                sys::PROCESS_WRITE_MEMORY,
                a,
                exp,
            );
        } else {
            self.issue(Call::process_read_memory, sys::PROCESS_READ_MEMORY, a, exp);
        }
    }

    /// `zx_process_start` on `process` that must fail: with a thread of
    /// another new process, or with its own thread and an entry past user
    /// space.
    fn process_start_refused(&mut self, process: Handle) {
        let stack = self.rng.next_u64();
        let arg2 = self.rng.next_u64();
        let other = if self.rng.chance(50) {
            zx::process::process_create(zx::default_job(), "fuzz-other").ok()
        } else {
            None
        };
        let owner = other.map_or(process, |(p, _)| p);
        if let Ok(thread) = zx::thread_create(owner, "fuzz") {
            let (entry, exp) = if other.is_some() {
                (self.rng.next_u64(), AccessDenied)
            } else {
                (USER_END as u64 | self.rng.next_u64(), InvalidArgs)
            };
            let a = [process as u64, thread as u64, entry, stack, 0, arg2, 0, 0];
            self.issue(
                Call::process_start,
                sys::PROCESS_START,
                a,
                Expect::exact(exp),
            );
            let _ = zx::handle_close(thread);
        }
        if let Some((p, vmar)) = other {
            let _ = zx::handle_close(vmar);
            let _ = zx::handle_close(p);
        }
    }

    // ----- exceptions ----------------------------------------------------------
    // Channels are bound on a new, never started process, its unstarted
    // thread, or the default job, and closed again at once; no thread ever
    // runs, so the state calls must all refuse.

    /// `zx_task_create_exception_channel` with a random task, options and
    /// out-pointer; then the exception and state calls on what it made.
    fn exception_calls(&mut self) {
        let Ok((process, vmar)) = zx::process::process_create(zx::default_job(), "fuzz-exc") else {
            return;
        };
        let _ = zx::handle_close(vmar);
        let Ok(thread) = zx::thread_create(process, "fuzz-exception") else {
            let _ = zx::handle_close(process);
            return;
        };
        let k = self.rng.below(4);
        let (task, kind) = match k {
            0 => (thread, Some(obj_type::THREAD)),
            1 => (process, Some(obj_type::PROCESS)),
            2 => (zx::default_job(), Some(obj_type::JOB)),
            _ => {
                let p = self.pick_handle(false);
                (
                    p.value,
                    if matches!(p.who, Who::Bad) {
                        None
                    } else {
                        Some(0)
                    },
                )
            }
        };
        let any = u64::from(self.rng.next_u32());
        let options = self.rng.pick(&[0, 0, 1, 2, any]);
        let (out, class) = self.out_ptr(4, 4);
        self.prepare_out(out, class);
        let exp = if options & !1 != 0 {
            Expect::exact(InvalidArgs)
        } else {
            match kind {
                None => Expect::exact(BadHandle),
                // A VMO or VMAR lacks the rights, which come first.
                Some(0) => Expect::exact(AccessDenied),
                Some(obj_type::THREAD) if options != 0 => Expect::exact(InvalidArgs),
                _ if class == Class::Bad => Expect::exact(InvalidArgs),
                _ => Expect::ok(),
            }
        };
        let a = [task as u64, options, out, 0, 0, 0, 0, 0];
        if self.issue(
            Call::task_create_exception_channel,
            sys::TASK_CREATE_EXCEPTION_CHANNEL,
            a,
            exp,
        ) == 0
        {
            let ch = self.new_handle_at(Call::task_create_exception_channel, &a, out);
            // A channel is no exception.
            let (o, _) = self.out_ptr(4, 4);
            let a = [ch as u64, o, 0, 0, 0, 0, 0, 0];
            let call = if self.rng.chance(50) {
                (Call::exception_get_thread, sys::EXCEPTION_GET_THREAD)
            } else {
                (Call::exception_get_process, sys::EXCEPTION_GET_PROCESS)
            };
            self.issue(call.0, call.1, a, Expect::exact(WrongType));
            let _ = zx::handle_close(ch);
        }
        self.thread_state_refused(thread);
        let _ = zx::handle_close(thread);
        let _ = zx::handle_close(process);
    }

    /// `zx_thread_read_state`/`_write_state` on a thread that is not
    /// stopped: every answer is a refusal.
    fn thread_state_refused(&mut self, thread: Handle) {
        let write = self.rng.chance(50);
        let any = self.rng.next_u32();
        use zx::exception as x;
        let kind = self.rng.pick(&[
            x::THREAD_STATE_GENERAL_REGS,
            x::THREAD_STATE_GENERAL_REGS,
            x::THREAD_STATE_FP_REGS,
            x::THREAD_STATE_VECTOR_REGS,
            x::THREAD_STATE_DEBUG_REGS,
            x::THREAD_STATE_SINGLE_STEP,
            3,
            any,
        ]);
        let regs = size_of::<zx::GeneralRegs>() as u64;
        let max = x::THREAD_STATE_MAX_SIZE as u64;
        let any = self.rng.below(1 << 16);
        let size = self
            .rng
            .pick(&[0, 8, regs - 1, regs, regs + 1, max, max + 1, any]);
        let dir = if write { Dir::In } else { Dir::Out };
        // The kernel touches only the registers' bytes.
        let (buf, class) = self.ptr(size.min(regs), dir, 1);
        let exp = if size > max {
            Expect::exact(InvalidArgs)
        } else if matches!(
            kind,
            x::THREAD_STATE_FP_REGS
                | x::THREAD_STATE_VECTOR_REGS
                | x::THREAD_STATE_DEBUG_REGS
                | x::THREAD_STATE_SINGLE_STEP
        ) {
            Expect::exact(NotSupported)
        } else if kind != x::THREAD_STATE_GENERAL_REGS {
            Expect::exact(InvalidArgs)
        } else if size < regs {
            Expect::exact(BufferTooSmall)
        } else if write && class == Class::Unknown {
            Expect::any()
        } else if write && class == Class::Bad {
            Expect::exact(InvalidArgs)
        } else {
            Expect::exact(BadState)
        };
        let a = [thread as u64, u64::from(kind), buf, size, 0, 0, 0, 0];
        if write {
            self.issue(Call::thread_write_state, sys::THREAD_WRITE_STATE, a, exp);
        } else {
            self.issue(Call::thread_read_state, sys::THREAD_READ_STATE, a, exp);
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

/// Where in the read-write fixture pages the peered-object session puts
/// the records it reads back (the second page; other calls' scratch use is
/// random and never read back across a call).
const PEER_SCRATCH: u64 = P + 512;

/// The fuzzer's model of one event pair or socket pair (`Fuzz::peered`).
struct PeerSession {
    socket: bool,
    datagram: bool,
    /// Handles: value, side (0 or 1), rights.
    hs: [(Handle, usize, u32); PeerSession::MAX],
    n: usize,
    /// Per side: `ZX_SOCKET_PEER_WRITE_DISABLED` (reads end once empty).
    pwd: [bool; 2],
    /// Per side: `ZX_SOCKET_WRITE_DISABLED`.
    wd: [bool; 2],
}

impl PeerSession {
    const MAX: usize = 6;

    fn push(&mut self, h: Handle, side: usize, rights: u32) {
        self.hs[self.n] = (h, side, rights);
        self.n += 1;
    }

    /// Whether `side` still has a handle.
    fn open(&self, side: usize) -> bool {
        self.hs[..self.n].iter().any(|&(_, s, _)| s == side)
    }

    fn index_of(&self, h: Handle) -> Option<usize> {
        self.hs[..self.n].iter().position(|&(v, _, _)| v == h)
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

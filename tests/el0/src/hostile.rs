//! Tools for the hostile programs (the system-call fuzzer, the user-pointer
//! sweep and the memory-pressure programs): a seeded random-number
//! generator, a raw `svc` that passes all eight argument registers and
//! reports whether x1-x7 and x16 came back unchanged, sets of statuses, and
//! a fixed layout of mappings that yields pointers which are bad in every
//! way a user pointer can be bad (read-only, running off the end of a
//! mapping into unmapped space, past the end of the mapped VMO).

use crate::{close, vmo, write, zx, Mapping, PAGE, ROOT_BASE, RW};
use core::arch::asm;
use core::fmt;
use zx::{vm_opt, Handle, ZxStatus};

/// A small, fast, seeded generator (SplitMix64): the same seed gives the
/// same sequence on every run, so a failure can be replayed.
pub struct Rng {
    state: u64,
}

impl Rng {
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A value in `[0, n)`; 0 when `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            ((self.next_u64() as u128 * n as u128) >> 64) as u64
        }
    }

    /// A value in `[lo, hi]`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// True once in `n` times.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An index chosen with the given weights (not all zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| w as u64).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < w as u64 {
                return i;
            }
            x -= w as u64;
        }
        weights.len() - 1
    }
}

/// The Zircon name of a status value.
pub fn status_name(raw: i64) -> &'static str {
    if raw == 0 {
        return "ZX_OK";
    }
    match i32::try_from(raw).ok().and_then(ZxStatus::from_raw) {
        Some(s) => s.name(),
        None => "(not a zx_status_t)",
    }
}

/// A set of statuses: bit 0 is `ZX_OK`, bit k is the status -k (k < 64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statuses(pub u64);

impl Statuses {
    pub const NONE: Self = Self(0);

    /// `ZX_OK` and the errors listed.
    pub const fn ok_or(errors: &[ZxStatus]) -> Self {
        Self(1).with(errors)
    }

    /// Exactly the errors listed (no `ZX_OK`).
    pub const fn only(errors: &[ZxStatus]) -> Self {
        Self(0).with(errors)
    }

    pub const fn with(self, errors: &[ZxStatus]) -> Self {
        let mut bits = self.0;
        let mut i = 0;
        while i < errors.len() {
            bits |= 1 << (-(errors[i] as i32)) as u32;
            i += 1;
        }
        Self(bits)
    }

    /// The set holding only `raw`.
    pub const fn just(raw: i64) -> Self {
        match Self::bit(raw) {
            Some(b) => Self(1 << b),
            None => Self(0),
        }
    }

    const fn bit(raw: i64) -> Option<u32> {
        if raw <= 0 && raw > -64 {
            Some((-raw) as u32)
        } else {
            None
        }
    }

    pub const fn contains(self, raw: i64) -> bool {
        match Self::bit(raw) {
            Some(b) => self.0 & (1 << b) != 0,
            None => false,
        }
    }

    pub const fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }
}

impl fmt::Display for Statuses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for bit in 0..64u32 {
            if self.0 & (1 << bit) != 0 {
                if !first {
                    f.write_str(" | ")?;
                }
                first = false;
                f.write_str(status_name(-(bit as i64)))?;
            }
        }
        if first {
            f.write_str("(nothing)")?;
        }
        Ok(())
    }
}

/// What a raw system call returned.
#[derive(Clone, Copy, Debug)]
pub struct SvcResult {
    /// x0 after the call.
    pub ret: i64,
    /// The first of x1-x7, x16 (as 16) that did not come back unchanged.
    pub clobbered: Option<usize>,
}

/// `svc #0` with number `n` in x16 and `a` in x0-x7.
///
/// # Safety
/// The kernel may read and write any memory the arguments name: the caller
/// must pass only pointers the kernel may use (or that no Rust value lives
/// behind).
pub unsafe fn svc(n: u64, a: &[u64; 8]) -> SvcResult {
    let (r0, r1, r2, r3, r4, r5, r6, r7, r16): (u64, u64, u64, u64, u64, u64, u64, u64, u64);
    // SAFETY: the caller vouches for the memory the arguments name; the
    // kernel changes no register but x0, and every register the block
    // names is declared.
    unsafe {
        asm!(
            "svc #0",
            inout("x0") a[0] => r0,
            inout("x1") a[1] => r1,
            inout("x2") a[2] => r2,
            inout("x3") a[3] => r3,
            inout("x4") a[4] => r4,
            inout("x5") a[5] => r5,
            inout("x6") a[6] => r6,
            inout("x7") a[7] => r7,
            inout("x16") n => r16,
            options(nostack),
        );
    }
    let after = [r1, r2, r3, r4, r5, r6, r7];
    let mut clobbered = (1..8).find(|&i| after[i - 1] != a[i]);
    if clobbered.is_none() && r16 != n {
        clobbered = Some(16);
    }
    SvcResult {
        ret: r0 as i64,
        clobbered,
    }
}

/// Where [`Fixtures`] live: far above anything the kernel places without
/// `ZX_VM_SPECIFIC` (it allocates upward from 0x10_0000_0000) and far below
/// the stack (near 0x7fff_0000_0000).
pub const FIXTURE_BASE: usize = 0x4000_0000_0000;

/// A fixed layout of mappings for pointers that are bad in a known way:
///
/// | pages | what |
/// |---|---|
/// | 0-1 | read-write, a two-page VMO, committed: [`rw`](Self::rw) |
/// | 2 | unmapped: [`hole`](Self::hole) |
/// | 3 | read-only, a one-page VMO, committed: [`ro`](Self::ro) |
/// | 4 | unmapped |
/// | 5-6 | read-write mapping of a one-page VMO: page 6 lies past the VMO's end ([`beyond`](Self::beyond)) |
/// | 7 | unmapped |
///
/// The read-write pages double as scratch memory for the kernel to write
/// into.
pub struct Fixtures {
    rw_vmo: Handle,
    ro_vmo: Handle,
    short_vmo: Handle,
    maps: [Mapping; 3],
}

impl Fixtures {
    #[track_caller]
    pub fn new(root: Handle) -> Self {
        let specific = |page: usize| FIXTURE_BASE + page * PAGE - ROOT_BASE;
        let rw_vmo = vmo(2 * PAGE as u64, 0);
        write(rw_vmo, &[0; PAGE], 0);
        write(rw_vmo, &[0; PAGE], PAGE as u64);
        let ro_vmo = vmo(PAGE as u64, 0);
        write(ro_vmo, &[0x2E; PAGE], 0);
        let short_vmo = vmo(PAGE as u64, 0);
        write(short_vmo, &[0; PAGE], 0);
        let maps = [
            Mapping::at(
                root,
                specific(0),
                rw_vmo,
                0,
                2 * PAGE,
                RW | vm_opt::SPECIFIC,
            ),
            Mapping::at(
                root,
                specific(3),
                ro_vmo,
                0,
                PAGE,
                vm_opt::PERM_READ | vm_opt::SPECIFIC,
            ),
            Mapping::at(
                root,
                specific(5),
                short_vmo,
                0,
                2 * PAGE,
                RW | vm_opt::SPECIFIC,
            ),
        ];
        // Fault the mapped pages in now, so that later page counts are
        // stable.
        maps[0].write_u8(0, 0);
        maps[0].write_u8(PAGE, 0);
        assert_eq!(maps[1].read_u8(0), 0x2E, "read-only fixture page");
        maps[2].write_u8(0, 0);
        Self {
            rw_vmo,
            ro_vmo,
            short_vmo,
            maps,
        }
    }

    /// The first byte of the two read-write pages.
    pub fn rw(&self) -> usize {
        FIXTURE_BASE
    }

    /// Bytes of read-write memory at [`rw`](Self::rw).
    pub const RW_LEN: usize = 2 * PAGE;

    /// The first byte after the read-write pages: unmapped.
    pub fn rw_end(&self) -> usize {
        FIXTURE_BASE + Self::RW_LEN
    }

    /// An unmapped page.
    pub fn hole(&self) -> usize {
        FIXTURE_BASE + 2 * PAGE
    }

    /// A read-only page (its bytes are `.`), followed by an unmapped page.
    pub fn ro(&self) -> usize {
        FIXTURE_BASE + 3 * PAGE
    }

    /// The first byte after the read-only page: unmapped.
    pub fn ro_end(&self) -> usize {
        FIXTURE_BASE + 4 * PAGE
    }

    /// A read-write page whose VMO holds it (the page before
    /// [`beyond`](Self::beyond)).
    pub fn short(&self) -> usize {
        FIXTURE_BASE + 5 * PAGE
    }

    /// A mapped page past the end of its VMO: any access faults.
    pub fn beyond(&self) -> usize {
        FIXTURE_BASE + 6 * PAGE
    }

    /// The fixtures' own VMO handles (which other code must leave alone).
    pub fn handles(&self) -> [Handle; 3] {
        [self.rw_vmo, self.ro_vmo, self.short_vmo]
    }

    /// Byte `off` of the read-write pages, read back with a volatile load.
    pub fn read_u8(&self, off: usize) -> u8 {
        self.maps[0].read_u8(off)
    }

    pub fn write_u8(&self, off: usize, v: u8) {
        self.maps[0].write_u8(off, v)
    }

    /// Unmaps everything and closes the VMOs.
    #[track_caller]
    pub fn release(self) {
        for m in self.maps {
            m.unmap();
        }
        close(self.rw_vmo);
        close(self.ro_vmo);
        close(self.short_vmo);
    }
}

/// A pointer the kernel must refuse, and why.
#[derive(Clone, Copy, Debug)]
pub struct BadPointer {
    pub what: &'static str,
    pub addr: usize,
}

/// Kernel-half addresses.
pub const KERNEL_POINTERS: [usize; 2] = [0xffff_0000_0000_0000, 0xffff_ffff_8000_0000];

/// The first address past user space (2^48).
pub const USER_END: usize = 1 << 48;

impl Fixtures {
    /// Pointers to `len` bytes (`len` ≥ 2) the kernel can neither read nor
    /// write: NULL, kernel space, unmapped, past user space, and valid
    /// starts that run off the end of a mapping (into unmapped space, past
    /// the end of user space, past the end of the mapped VMO).
    pub fn unreadable(&self, len: usize) -> [BadPointer; 9] {
        let half = len / 2;
        [
            BadPointer {
                what: "NULL",
                addr: 0,
            },
            BadPointer {
                what: "kernel 0xffff_0000_0000_0000",
                addr: KERNEL_POINTERS[0],
            },
            BadPointer {
                what: "kernel 0xffff_ffff_8000_0000",
                addr: KERNEL_POINTERS[1],
            },
            BadPointer {
                what: "unmapped",
                addr: self.hole(),
            },
            BadPointer {
                what: "past user space (1 << 48)",
                addr: USER_END,
            },
            BadPointer {
                what: "straddling the end of user space",
                addr: USER_END - half,
            },
            BadPointer {
                what: "straddling a mapping's end into unmapped space",
                addr: self.rw_end() - half,
            },
            BadPointer {
                what: "straddling the mapped VMO's end",
                addr: self.beyond() - half,
            },
            BadPointer {
                what: "mapped, past the VMO's end",
                addr: self.beyond(),
            },
        ]
    }

    /// [`unreadable`](Self::unreadable) plus read-only memory: a read-only
    /// mapping and one straddling from it into unmapped space.
    pub fn unwritable(&self, len: usize) -> [BadPointer; 11] {
        let u = self.unreadable(len);
        [
            u[0],
            u[1],
            u[2],
            u[3],
            u[4],
            u[5],
            u[6],
            u[7],
            u[8],
            BadPointer {
                what: "read-only mapping",
                addr: self.ro(),
            },
            BadPointer {
                what: "straddling a read-only mapping's end",
                addr: self.ro_end() - len / 2,
            },
        ]
    }

    /// Pointers to one naturally aligned `size`-byte value (2 ≤ `size` ≤ 8)
    /// that the kernel must refuse to write: everything in
    /// [`unwritable`](Self::unwritable) for `size` bytes, plus
    /// misaligned ones in the read-write pages (by one byte, and by half the
    /// size: a `u64` at a 4-byte boundary).
    pub fn bad_out(&self, size: usize) -> [BadPointer; 13] {
        let u = self.unwritable(size);
        [
            u[0],
            u[1],
            u[2],
            u[3],
            u[4],
            u[5],
            u[6],
            u[7],
            u[8],
            u[9],
            u[10],
            BadPointer {
                what: "misaligned by 1",
                addr: self.rw() + 1,
            },
            BadPointer {
                what: "misaligned by half its size",
                addr: self.rw() + size / 2,
            },
        ]
    }
}

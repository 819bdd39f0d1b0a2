//! Physical memory: typed physical addresses, the kernel's linear map, and
//! every raw access to the contents of a page.
//!
//! This is the crate's only module allowed `unsafe`. It holds two kinds of
//! code: the raw accesses themselves, and the few entry points whose callers
//! must vouch for physical memory ([`init`], [`FrameAllocator::add_range`],
//! [`FrameAllocator::dealloc`], [`Frame::from_raw`]). Those last three are
//! methods of types defined in [`crate::frame`]; they are declared here so
//! that every `unsafe` contract in the crate can be read in one file.
//!
//! # Why the safe accessors are sound
//!
//! The accessors ([`zero_page`], [`copy_page`], [`read`], [`write()`],
//! [`zero`]) take a [`Frame`], not a [`PhysAddr`]. A `Frame` is the sole owner
//! of one page: the allocator hands every page out at most once
//! ([`FrameAllocator::add_range`] is given memory nobody else uses, and
//! [`FrameAllocator::dealloc`] and [`Frame::from_raw`] are only given pages
//! that nobody uses any more), a `Frame` cannot be cloned, and dropping it is
//! the only safe way to give the page back. So `&mut Frame` is exclusive
//! access to the page's bytes and `&Frame` is shared access, exactly like a
//! `Box<[u8; 4096]>`. [`init`] promises that the page is mapped at
//! `pa + offset`.
//!
//! Page memory is never turned into a Rust reference: it is only touched
//! through raw-pointer copies. A page the kernel has also mapped into a user
//! address space can change under a read; the copy then sees torn data, which
//! is the user's problem, not undefined behaviour the kernel relies on.

use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use zx_abi::{ZxStatus, PAGE_SIZE};

pub use crate::addr::PhysAddr;
use crate::frame::{Frame, FrameAllocator};

/// `PAGE_SIZE` as a `usize`, for lengths and in-page offsets.
const PAGE_BYTES: usize = PAGE_SIZE as usize;

/// Physical address `pa` is mapped at virtual `pa + LINEAR_OFFSET` (wrapping:
/// on the host the "offset" can be negative).
static LINEAR_OFFSET: AtomicU64 = AtomicU64::new(0);

/// The kernel's page-zeroing routine as a type-erased pointer; null means
/// "use `write_bytes`". Only ever holds a `unsafe fn(*mut u8)` (see `init`).
static ZERO_PAGE_FN: AtomicPtr<()> = AtomicPtr::new(ptr::null_mut());

/// Sets up the linear map: physical address `pa` is accessible at virtual
/// address `pa.wrapping_add(offset)`. `zero_page` is a fast routine that
/// zeroes one page (the kernel's uses `dc zva`); `None` zeroes with
/// `core::ptr::write_bytes`. May be called again (e.g. when the kernel moves
/// from an identity map to its high linear map).
///
/// # Safety
///
/// - Every physical page that is, or will be, given to a [`FrameAllocator`]
///   is mapped readable and writable as normal memory at `pa + offset` for as
///   long as any [`Frame`] or [`PhysAddr`] from that allocator is in use.
/// - `zero_page`, if given, accepts any page-aligned pointer into that
///   mapping and writes zero to exactly the [`PAGE_SIZE`] bytes there and
///   nothing else; it may be called wherever frames are allocated.
/// - No access through the linear map is in progress on any CPU, and this
///   call happens-before every later access (call it on the boot CPU before
///   any other CPU starts, or publish it with a barrier).
pub unsafe fn init(offset: u64, zero_page: Option<unsafe fn(*mut u8)>) {
    let zero = match zero_page {
        Some(f) => f as *mut (),
        None => ptr::null_mut(),
    };
    ZERO_PAGE_FN.store(zero, Ordering::Release);
    LINEAR_OFFSET.store(offset, Ordering::Release);
}

/// The offset [`init`] installed: `virt = phys + offset` (wrapping).
#[inline]
pub fn linear_offset() -> u64 {
    LINEAR_OFFSET.load(Ordering::Acquire)
}

/// Where the byte at `pa` is in the kernel's linear map. For the kernel's own
/// user-copy and page-table code; creating the pointer is safe, using it is
/// the caller's `unsafe` (it must own the page, e.g. through a locked VMO that
/// holds the [`Frame`]).
#[inline]
pub fn page_ptr(pa: PhysAddr) -> *mut u8 {
    pa.as_u64().wrapping_add(linear_offset()) as usize as *mut u8
}

/// Writes zero to the whole page `frame` owns.
pub fn zero_page(frame: &mut Frame) {
    let page = page_ptr(frame.pa());
    let hook = ZERO_PAGE_FN.load(Ordering::Acquire);
    if hook.is_null() {
        // SAFETY: `&mut Frame` is exclusive ownership of the page (module
        // docs), which `init` maps writable at `page`.
        unsafe { ptr::write_bytes(page, 0, PAGE_BYTES) };
    } else {
        // SAFETY: `init` stores only `unsafe fn(*mut u8)` values in
        // ZERO_PAGE_FN, and function pointers round-trip through `*mut ()`.
        let zero: unsafe fn(*mut u8) = unsafe { core::mem::transmute(hook) };
        // SAFETY: `page` is the page-aligned linear-map address of a page we
        // own exclusively; `init`'s contract says the routine zeroes exactly
        // that page.
        unsafe { zero(page) };
    }
}

/// Copies the whole page `src` owns into the page `dst` owns.
pub fn copy_page(dst: &mut Frame, src: &Frame) {
    // SAFETY: both pages are mapped (`init`); `dst` is exclusively ours and
    // `src` is at least shared. They are different pages, because one owner
    // cannot be borrowed as `&mut` and `&` at once, so they do not overlap.
    unsafe {
        ptr::copy_nonoverlapping(page_ptr(src.pa()), page_ptr(dst.pa()), PAGE_BYTES);
    }
}

/// Panics unless `[offset, offset + len)` lies inside one page.
fn check_in_page(offset: usize, len: usize) {
    assert!(
        offset <= PAGE_BYTES && len <= PAGE_BYTES - offset,
        "page access out of bounds: offset {offset:#x} len {len:#x}"
    );
}

/// Copies `buf.len()` bytes starting `offset` bytes into `frame`'s page.
///
/// # Panics
///
/// If the range leaves the page.
pub fn read(frame: &Frame, offset: usize, buf: &mut [u8]) {
    check_in_page(offset, buf.len());
    // SAFETY: the range is inside the page (checked above), which `frame`
    // owns (shared is enough to read) and `init` maps. `buf` is a live Rust
    // borrow, so it cannot cover this page: no reference to page memory is
    // ever made, and the page is `frame`'s alone.
    unsafe {
        ptr::copy_nonoverlapping(
            page_ptr(frame.pa()).add(offset),
            buf.as_mut_ptr(),
            buf.len(),
        );
    }
}

/// Copies `buf` into `frame`'s page starting `offset` bytes in.
///
/// # Panics
///
/// If the range leaves the page.
pub fn write(frame: &mut Frame, offset: usize, buf: &[u8]) {
    check_in_page(offset, buf.len());
    // SAFETY: the range is inside the page (checked above), which `frame`
    // owns exclusively and `init` maps writable; `buf` cannot overlap it (see
    // `read`).
    unsafe {
        ptr::copy_nonoverlapping(buf.as_ptr(), page_ptr(frame.pa()).add(offset), buf.len());
    }
}

/// Copies `len` bytes from `src`'s page at `src_offset` into `dst`'s page at
/// `dst_offset`.
///
/// # Panics
///
/// If either range leaves its page.
pub fn copy_between(
    dst: &mut Frame,
    dst_offset: usize,
    src: &Frame,
    src_offset: usize,
    len: usize,
) {
    check_in_page(dst_offset, len);
    check_in_page(src_offset, len);
    // SAFETY: both ranges are inside their pages (checked above); `dst` owns
    // its page exclusively and `src` owns a different one (a `&mut Frame` and
    // a `&Frame` cannot be the same frame), so the ranges do not overlap; both
    // are mapped by `init`.
    unsafe {
        ptr::copy_nonoverlapping(
            page_ptr(src.pa()).add(src_offset),
            page_ptr(dst.pa()).add(dst_offset),
            len,
        );
    }
}

/// Writes zero to `len` bytes of `frame`'s page starting `offset` bytes in.
///
/// # Panics
///
/// If the range leaves the page.
pub fn zero(frame: &mut Frame, offset: usize, len: usize) {
    check_in_page(offset, len);
    // SAFETY: the range is inside the page (checked above), which we own
    // exclusively and which `init` maps writable.
    unsafe { ptr::write_bytes(page_ptr(frame.pa()).add(offset), 0, len) };
}

impl FrameAllocator {
    /// Gives the allocator the pages in `[start, end)`, shrunk inward to page
    /// boundaries (an empty or inverted range adds nothing).
    ///
    /// # Safety
    ///
    /// The range is RAM that [`init`] maps, that nothing else uses now or
    /// later (not the kernel image, the heap, the device tree, a reserved
    /// region or another allocator), and that was not added before.
    pub unsafe fn add_range(&self, start: PhysAddr, end: PhysAddr) {
        self.add_trusted_range(start, end);
    }

    /// Returns the `2^order` pages at `pa`, which [`FrameAllocator::alloc`]
    /// gave out with the same `order`.
    ///
    /// # Safety
    ///
    /// Nothing uses the pages any more: no [`Frame`] owns them (a `Frame` is
    /// freed by dropping it), no mapping or pointer reaches them, and they
    /// are not freed twice. Freeing a page this allocator does not manage,
    /// or with a misaligned `pa`, panics; a double free panics in debug
    /// builds.
    pub unsafe fn dealloc(&self, pa: PhysAddr, order: usize) {
        self.free_trusted(pa, order);
    }
}

impl Frame {
    /// Allocates one page from `frames` and zeroes it.
    ///
    /// # Errors
    ///
    /// [`ZxStatus::NoMemory`] when `frames` is exhausted.
    pub fn alloc_zeroed(frames: &'static FrameAllocator) -> Result<Frame, ZxStatus> {
        let pa = frames.alloc(0)?;
        let mut frame = Frame::from_owned_page(pa, frames);
        zero_page(&mut frame);
        Ok(frame)
    }

    /// Rebuilds the `Frame` that [`Frame::into_raw`] turned into `pa`.
    ///
    /// # Safety
    ///
    /// `pa` came from `Frame::into_raw` on a frame of `frames`, and since then
    /// nothing else has rebuilt it or freed it, and nothing that still uses the
    /// page outlives the returned `Frame`.
    pub unsafe fn from_raw(pa: PhysAddr, frames: &'static FrameAllocator) -> Frame {
        Frame::from_owned_page(pa, frames)
    }
}

/// Host-test support: real memory standing in for physical RAM.
///
/// One arena serves the whole test process, because the linear-map offset is
/// global and tests run on parallel threads. Each test carves a private,
/// naturally aligned range from it and builds its own leaked allocator, so
/// tests do not see each other's page counts.
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    use core::sync::atomic::{AtomicU64, Ordering};
    use std::alloc::{alloc, Layout};
    use std::boxed::Box;
    use std::sync::Once;

    use super::{init, PhysAddr, PAGE_BYTES};
    use crate::frame::FrameAllocator;
    use zx_abi::PAGE_SIZE;

    /// The fake physical address of the arena's first byte. Not zero, so that
    /// a stray zero address is never valid, and 1 GiB aligned, so that carved
    /// ranges can be aligned to their (power-of-two) size.
    pub const FAKE_BASE: u64 = 0x4000_0000;
    /// Bytes of fake RAM. Reserved but only touched as tests use it.
    pub const ARENA_BYTES: u64 = 256 << 20;

    static INIT: Once = Once::new();
    /// Next uncarved fake physical address.
    static NEXT: AtomicU64 = AtomicU64::new(FAKE_BASE);

    /// Backs `[FAKE_BASE, FAKE_BASE + ARENA_BYTES)` with leaked memory and
    /// points the linear map at it. The first call in a process decides
    /// `zero_page` (later calls change nothing); [`carve`] calls this with
    /// `None`.
    pub fn init_arena(zero_page: Option<unsafe fn(*mut u8)>) {
        INIT.call_once(|| {
            let layout =
                Layout::from_size_align(ARENA_BYTES as usize, PAGE_BYTES).expect("arena layout");
            // SAFETY: the layout has a non-zero size.
            let arena = unsafe { alloc(layout) };
            assert!(!arena.is_null(), "cannot allocate the fake RAM arena");
            // SAFETY: the arena is never freed, is readable and writable, and
            // covers exactly the fake physical range every test allocator is
            // built from. `zero_page` is a test's own routine honouring the
            // contract. This runs once, before any test touches a frame
            // (`carve` waits on the `Once`).
            unsafe { init((arena as u64).wrapping_sub(FAKE_BASE), zero_page) };
        });
    }

    /// A fresh, unused range of `pages` fake-physical pages, aligned to
    /// `pages` rounded up to a power of two (so a buddy allocator over it can
    /// hand out one block of all of it when `pages` is a power of two).
    ///
    /// # Panics
    ///
    /// When the arena is exhausted.
    pub fn carve(pages: u64) -> (PhysAddr, PhysAddr) {
        init_arena(None);
        let align = pages.next_power_of_two() * PAGE_SIZE;
        let bytes = pages * PAGE_SIZE;
        let mut start = 0;
        NEXT.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |next| {
            start = next.next_multiple_of(align);
            Some(start + bytes)
        })
        .expect("the closure never refuses");
        assert!(
            start + bytes <= FAKE_BASE + ARENA_BYTES,
            "test arena exhausted: raise ARENA_BYTES"
        );
        (PhysAddr::new(start), PhysAddr::new(start + bytes))
    }

    /// A leaked allocator that owns a freshly carved range of `pages` pages.
    pub fn allocator(pages: u64) -> &'static FrameAllocator {
        allocator_with_range(pages).0
    }

    /// Like [`allocator`], also returning the range `[start, end)` it owns.
    pub fn allocator_with_range(pages: u64) -> (&'static FrameAllocator, PhysAddr, PhysAddr) {
        let frames: &'static FrameAllocator = Box::leak(Box::new(FrameAllocator::new()));
        let (start, end) = carve(pages);
        // SAFETY: `carve` hands each arena range out once, and `init_arena`
        // has mapped the arena; nothing else uses the range.
        unsafe { frames.add_range(start, end) };
        (frames, start, end)
    }
}

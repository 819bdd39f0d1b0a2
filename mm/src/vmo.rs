//! The core of a Zircon VM object: a resizable, sparsely committed array of
//! pages with Zircon's argument rules for `zx_vmo_create`, `read`, `write`,
//! `set_size` and `op_range` (COMMIT, DECOMMIT, ZERO).
//!
//! Handles, rights, locking, mappings and signals are the kernel's. Whatever
//! maps a VMO's pages must unmap them before an operation here frees them:
//! [`Vmo::set_size`] (shrinking), [`Vmo::decommit`], [`Vmo::zero`] and
//! [`Vmo::discard`] return pages to the allocator before they return.
//!
//! Copy-on-write snapshots ([`Vmo::snapshot`]) share frames by reference
//! count: the child gets a reference to each of the parent's committed pages,
//! which become shared in the parent too. Every write path goes through
//! [`Vmo::page_for_write`], which copies a shared frame first (or takes it back
//! if no relative holds it any more). No VMO refers to another, so closing a
//! parent before its child, or nesting snapshots, needs no special case: a
//! frame is freed when its last reference goes. Whenever a page's frame is
//! replaced or removed, [`Vmo::generation`] changes, telling the kernel that
//! page-table entries for the VMO may be stale.
//!
//! Memory attribution ([`Vmo::attribution`]) follows from the same sharing:
//! a frame's reference count is the number of VMOs that can reach it, so a
//! page counts in full to the committed bytes of each of them, privately to
//! none of them while shared, and `PAGE_SIZE / N` to each one's scaled bytes.
//!
//! Offsets accumulate through a chain of snapshots: each VMO records where
//! its offset 0 falls in the VMO at the chain's root ([`Vmo::root_offset`]),
//! and, as in Zircon, no VMO may reach past 2^64 there (`ZX_ERR_INVALID_ARGS`
//! from [`Vmo::snapshot`], [`Vmo::snapshot_window`] and [`Vmo::set_size`]).
//! Every sum of caller-supplied offsets is checked.

use crate::sync::Arc;
use alloc::vec::Vec;

use bitflags::bitflags;
use zx_abi::{vmo_opt, vmo_round_size, ZxStatus, PAGE_SIZE, ZX_MAX_NAME_LEN};

use crate::attribution::Attribution;
use crate::frame::{Frame, FrameAllocator};
use crate::page_list::{Page, PageList};
use crate::phys::{self, PhysAddr};

bitflags! {
    /// The `zx_vmo_create` options this kernel accepts.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct VmoOptions: u32 {
        /// `ZX_VMO_RESIZABLE`: `set_size` is allowed.
        const RESIZABLE = vmo_opt::RESIZABLE;
        /// `ZX_VMO_DISCARDABLE`: the kernel may drop the pages while the VMO
        /// is unlocked. Recorded only; discarding comes with memory pressure.
        const DISCARDABLE = vmo_opt::DISCARDABLE;
    }
}

/// `PAGE_SIZE` as a `usize`, for in-page offsets and lengths.
const PAGE_BYTES: usize = PAGE_SIZE as usize;

/// A VM object: `size` bytes (a page multiple) of memory that reads as zero
/// until written, backed page by page, on first write, by frames from one
/// allocator. Dropping it returns every page.
pub struct Vmo {
    frames: &'static FrameAllocator,
    /// Page-rounded size in bytes: what `zx_vmo_get_size` reports.
    size: u64,
    /// The unrounded size given to `create` or `set_size`.
    content_size: u64,
    options: VmoOptions,
    /// The committed pages, by page index. Sparse, so an untouched VMO of
    /// any size costs nothing.
    pages: PageList,
    /// NUL-padded; the last byte is always NUL.
    name: [u8; ZX_MAX_NAME_LEN],
    /// Bumped whenever a committed page's frame is replaced or removed.
    generation: u64,
    /// Lock state of a discardable VMO.
    discard: DiscardState,
    /// Where offset 0 of this VMO lies in the root of its snapshot chain
    /// (0 for a VMO made by `create`); `root_offset + size` never overflows.
    root_offset: u64,
}

/// Where a discardable VMO is in its lock/reclaim life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscardState {
    /// Never locked: not eligible for reclaim yet (Zircon's rule).
    Unreclaimable,
    /// Locked this many times.
    Locked(u32),
    /// Unlocked; eligible for reclaim. The value orders candidates (the
    /// kernel passes a sequence number: oldest first).
    Reclaimable(u64),
    /// The kernel dropped the pages while unlocked.
    Discarded,
}

impl Vmo {
    /// `zx_vmo_create`: a VMO of `size` bytes rounded up to a page (0 is
    /// allowed), drawing pages from `frames`. Commits nothing.
    ///
    /// # Errors
    ///
    /// - [`ZxStatus::OutOfRange`]: rounding `size` up overflows or exceeds
    ///   [`zx_abi::VMO_MAX_SIZE`]. Checked before the options, as Zircon does.
    /// - [`ZxStatus::InvalidArgs`]: `options` has a bit other than
    ///   `ZX_VMO_RESIZABLE` and `ZX_VMO_DISCARDABLE`.
    #[inline]
    pub fn create(
        frames: &'static FrameAllocator,
        size: u64,
        options: u32,
    ) -> Result<Vmo, ZxStatus> {
        let rounded = vmo_round_size(size).ok_or(ZxStatus::OutOfRange)?;
        let options = VmoOptions::from_bits(options).ok_or(ZxStatus::InvalidArgs)?;
        Ok(Vmo {
            frames,
            size: rounded,
            content_size: size,
            options,
            pages: PageList::new(),
            name: [0; ZX_MAX_NAME_LEN],
            generation: 0,
            discard: DiscardState::Unreclaimable,
            root_offset: 0,
        })
    }

    /// `zx_vmo_create` with `ZX_VMO_UNBOUNDED`: a VMO of the largest size a
    /// VMO may have ([`zx_abi::VMO_MAX_SIZE`]), not resizable, whose content
    /// (stream) size starts at `content_size`. Commits nothing.
    ///
    /// # Errors
    ///
    /// - [`ZxStatus::OutOfRange`]: `content_size` exceeds the VMO's size.
    /// - [`ZxStatus::InvalidArgs`]: `options` has a bit other than
    ///   `ZX_VMO_DISCARDABLE` (an unbounded VMO is never resizable).
    pub fn create_unbounded(
        frames: &'static FrameAllocator,
        content_size: u64,
        options: u32,
    ) -> Result<Vmo, ZxStatus> {
        if options & !vmo_opt::DISCARDABLE != 0 {
            return Err(ZxStatus::InvalidArgs);
        }
        let mut vmo = Self::create(frames, zx_abi::VMO_MAX_SIZE, options)?;
        if content_size > vmo.size {
            return Err(ZxStatus::OutOfRange);
        }
        vmo.content_size = content_size;
        Ok(vmo)
    }

    /// Changes whenever a committed page's frame is replaced or removed; the
    /// kernel compares it around an operation to know whether page-table
    /// entries must go.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether page `index` is shared with a snapshot relative (a mapping
    /// must then map it read-only, so that a write faults and copies).
    pub fn is_page_shared(&self, index: u64) -> bool {
        self.pages.get(index).is_some_and(Page::is_shared)
    }

    /// Pages this VMO alone holds (its own, and shared ones whose relatives
    /// are all gone).
    pub fn private_pages(&self) -> usize {
        self.pages.iter().filter(|(_, p)| !p.is_shared()).count()
    }

    /// The frame behind page `index`, owned by this VMO and so writable:
    /// committed zero-filled if absent, copied if shared with a relative (or
    /// taken back if this VMO holds the last reference).
    ///
    /// # Errors
    ///
    /// [`ZxStatus::NoMemory`] when a page cannot be allocated.
    #[inline]
    fn page_for_write(&mut self, index: u64) -> Result<&mut Frame, ZxStatus> {
        let frames = self.frames;
        let page = self
            .pages
            .get_or_try_insert(index, || Frame::alloc_zeroed(frames).map(Page::Owned))?;
        if matches!(page, Page::Shared(_)) {
            self.unshare(index)?;
        }
        match self.pages.get_mut(index) {
            Some(Page::Owned(frame)) => Ok(frame),
            _ => unreachable!("the page is this VMO's own"),
        }
    }

    /// Makes the shared page `index` this VMO's own: a copy, unless no
    /// relative holds the frame any more (then it is taken back).
    #[inline(never)]
    fn unshare(&mut self, index: u64) -> Result<(), ZxStatus> {
        let Some(Page::Shared(arc)) = self.pages.get(index) else {
            unreachable!("the page was just seen shared")
        };
        // A copy unless no relative holds the frame any more. The count
        // cannot rise meanwhile: only a holder can clone it, and with a
        // count of one the only holder is this VMO, borrowed mutably.
        let copy = if Arc::strong_count(arc) == 1 {
            None
        } else {
            let mut copy = Frame::alloc_zeroed(self.frames)?;
            phys::copy_page(&mut copy, arc);
            Some(copy)
        };
        let Some(Page::Shared(arc)) = self.pages.remove(index) else {
            unreachable!("the page was just seen shared")
        };
        let frame = match copy {
            Some(copy) => {
                // A new frame: page-table entries of the old one are stale.
                self.generation += 1;
                copy
            }
            None => Arc::try_unwrap(arc).map_err(|_| ZxStatus::Internal)?,
        };
        self.pages.insert(index, Page::Owned(frame));
        Ok(())
    }

    /// Size in bytes, a page multiple.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The unrounded size last given to `create` or `set_size`.
    pub fn content_size(&self) -> u64 {
        self.content_size
    }

    /// The options the VMO was created with.
    pub fn options(&self) -> VmoOptions {
        self.options
    }

    /// Whether `set_size` is allowed.
    pub fn is_resizable(&self) -> bool {
        self.options.contains(VmoOptions::RESIZABLE)
    }

    /// The allocator the VMO's pages come from.
    pub fn allocator(&self) -> &'static FrameAllocator {
        self.frames
    }

    /// Pages currently backed by a frame.
    pub fn committed_pages(&self) -> usize {
        self.pages.len()
    }

    /// True when dropping the VMO would free nothing: its page list is the
    /// only field that owns memory.
    #[inline(always)]
    pub fn owns_nothing(&self) -> bool {
        self.pages.owns_nothing()
    }

    /// Zircon's range rule: `[offset, offset + len)` must not overflow and
    /// must end at or before `size` (so `len == 0` needs `offset <= size`).
    /// Returns the end, `offset + len`.
    fn check_range(&self, offset: u64, len: u64) -> Result<u64, ZxStatus> {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(end),
            _ => Err(ZxStatus::OutOfRange),
        }
    }

    /// `zx_vmo_read`: fills `buf` from `offset`. Uncommitted pages read as
    /// zero and stay uncommitted.
    ///
    /// # Errors
    ///
    /// [`ZxStatus::OutOfRange`] when the range overflows or passes the end;
    /// nothing is copied then.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), ZxStatus> {
        self.check_range(offset, buf.len() as u64)?;
        for (index, in_page, chunk) in page_chunks(offset, buf.len()) {
            let dst = &mut buf[chunk];
            match self.pages.get(index) {
                Some(page) => phys::read(page.frame(), in_page, dst),
                None => dst.fill(0),
            }
        }
        Ok(())
    }

    /// `zx_vmo_write`: copies `buf` in at `offset`, committing zero-filled
    /// pages as needed. All or nothing: the pages are committed before any
    /// byte is copied, so a failure leaves the VMO as it was.
    ///
    /// # Errors
    ///
    /// - [`ZxStatus::OutOfRange`] when the range overflows or passes the end.
    /// - [`ZxStatus::NoMemory`] when a page cannot be allocated; the pages
    ///   this call allocated are freed again.
    pub fn write(&mut self, offset: u64, buf: &[u8]) -> Result<(), ZxStatus> {
        let end = self.check_range(offset, buf.len() as u64)?;
        if buf.is_empty() {
            return Ok(());
        }
        let (first, last) = page_span(offset, end);
        self.commit_pages(first, last)?;
        for (index, in_page, chunk) in page_chunks(offset, buf.len()) {
            let frame = self.page_for_write(index)?;
            phys::write(frame, in_page, &buf[chunk]);
        }
        Ok(())
    }

    /// Copies `len` bytes of `src` from `src_offset` into this VMO at
    /// `offset`, page to page with no intermediate buffer (the kernel's
    /// `zx_vmo_read`/`zx_vmo_write` between a VMO and user memory, which is
    /// itself a mapped VMO). Uncommitted source pages read as zero. All or
    /// nothing, like [`write`](Self::write).
    ///
    /// # Errors
    ///
    /// - [`ZxStatus::OutOfRange`] when either range overflows or passes the
    ///   end of its VMO; nothing is copied then.
    /// - [`ZxStatus::NoMemory`] when a destination page cannot be allocated.
    pub fn copy_from(
        &mut self,
        offset: u64,
        src: &Vmo,
        src_offset: u64,
        len: u64,
    ) -> Result<(), ZxStatus> {
        let end = self.check_range(offset, len)?;
        src.check_range(src_offset, len)?;
        if len == 0 {
            return Ok(());
        }
        let (first, last) = page_span(offset, end);
        self.commit_pages(first, last)?;
        let mut done = 0u64;
        while done < len {
            // Both sums stay below their range's end, checked above.
            let (dst_pos, src_pos) = (offset + done, src_offset + done);
            let dst_in = (dst_pos % PAGE_SIZE) as usize;
            let src_in = (src_pos % PAGE_SIZE) as usize;
            let n = (PAGE_BYTES - dst_in)
                .min(PAGE_BYTES - src_in)
                .min((len - done) as usize);
            let dst = self.page_for_write(dst_pos / PAGE_SIZE)?;
            match src.pages.get(src_pos / PAGE_SIZE) {
                Some(page) => phys::copy_between(dst, dst_in, page.frame(), src_in, n),
                None => phys::zero(dst, dst_in, n),
            }
            done += n as u64;
        }
        Ok(())
    }

    /// The frame behind page `index`, allocating a zeroed one on first use.
    /// For the kernel's page-fault handler and direct user copies; the
    /// address stays valid while the VMO keeps the page (until a shrink,
    /// decommit, zero or drop), so the caller must hold the VMO's lock across
    /// any use of it.
    ///
    /// # Errors
    ///
    /// - [`ZxStatus::OutOfRange`] when `index` is at or past the end.
    /// - [`ZxStatus::NoMemory`] when no page can be allocated.
    #[inline]
    pub fn commit_page(&mut self, index: u64) -> Result<PhysAddr, ZxStatus> {
        self.commit_page_from(index, &mut None).map(Page::pa)
    }

    /// The fault's commit, with one look at the page list: page `index`,
    /// committed if absent with the zero-filled frame `spare` holds (taken
    /// out of it), or with a fresh one when `spare` is empty. A write must
    /// make a page that is not [`Page::Owned`] its own first, with
    /// [`commit_page_for_write`](Self::commit_page_for_write). The kernel
    /// zeroes the spare before it takes the VMO's lock, so that the lock
    /// covers only the insert. A spare must come from this VMO's allocator.
    ///
    /// # Errors
    ///
    /// As [`commit_page`](Self::commit_page).
    #[inline]
    pub fn commit_page_from(
        &mut self,
        index: u64,
        spare: &mut Option<Frame>,
    ) -> Result<&Page, ZxStatus> {
        if index >= self.size / PAGE_SIZE {
            return Err(ZxStatus::OutOfRange);
        }
        let frames = self.frames;
        let page = self.pages.get_or_try_insert(index, || {
            let frame = match spare.take() {
                Some(frame) => {
                    debug_assert!(core::ptr::eq(frame.allocator(), frames));
                    frame
                }
                None => Frame::alloc_zeroed(frames)?,
            };
            Ok(Page::Owned(frame))
        })?;
        Ok(page)
    }

    /// Like [`commit_page`](Self::commit_page), but the page is made this
    /// VMO's own (copied if shared): for a write fault.
    ///
    /// # Errors
    ///
    /// As [`commit_page`](Self::commit_page).
    #[inline]
    pub fn commit_page_for_write(&mut self, index: u64) -> Result<PhysAddr, ZxStatus> {
        if index >= self.size / PAGE_SIZE {
            return Err(ZxStatus::OutOfRange);
        }
        Ok(self.page_for_write(index)?.pa())
    }

    /// The frame behind page `index` if it is committed and this VMO's
    /// alone, so writable in place as it is: what `commit_page_for_write`
    /// would return for it, found with one look at the page list.
    #[inline]
    pub fn owned_page(&self, index: u64) -> Option<PhysAddr> {
        match self.pages.get(index) {
            Some(Page::Owned(frame)) => Some(frame.pa()),
            _ => None,
        }
    }

    /// The frame behind page `index`, if committed; never allocates. The same
    /// lifetime rule as [`commit_page`](Self::commit_page) applies.
    #[inline]
    pub fn lookup_page(&self, index: u64) -> Option<PhysAddr> {
        self.pages.get(index).map(Page::pa)
    }

    /// `zx_vmo_set_size`: the size becomes `new_size` rounded up to a page,
    /// the content size `new_size`. Pages past the new end are freed and the
    /// bytes in `[new_size, rounded)` become zero.
    ///
    /// # Errors
    ///
    /// - [`ZxStatus::OutOfRange`] when rounding `new_size` up overflows.
    /// - [`ZxStatus::Unavailable`] when the VMO is not resizable.
    /// - [`ZxStatus::OutOfRange`] when the rounded size exceeds
    ///   [`zx_abi::VMO_MAX_SIZE`].
    /// - [`ZxStatus::InvalidArgs`] when the VMO's end would pass 2^64 as
    ///   projected onto the root of its snapshot chain
    ///   ([`root_offset`](Self::root_offset) plus the rounded size
    ///   overflows). Nothing changes then.
    ///
    /// (That order is Zircon's: the dispatcher checks the rounding, then the
    /// VMO checks resizability, then the limit, then its pages' offsets.)
    pub fn set_size(&mut self, new_size: u64) -> Result<(), ZxStatus> {
        if new_size.checked_add(PAGE_SIZE - 1).is_none() {
            return Err(ZxStatus::OutOfRange);
        }
        if !self.is_resizable() {
            return Err(ZxStatus::Unavailable);
        }
        let rounded = vmo_round_size(new_size).ok_or(ZxStatus::OutOfRange)?;
        if self.root_offset.checked_add(rounded).is_none() {
            return Err(ZxStatus::InvalidArgs);
        }
        let tail = (new_size % PAGE_SIZE) as usize;
        if tail != 0 && self.pages.contains(new_size / PAGE_SIZE) {
            // A shared tail page is copied first: relatives keep their bytes.
            let frame = self.page_for_write(new_size / PAGE_SIZE)?;
            phys::zero(frame, tail, PAGE_BYTES - tail);
        }
        self.free_pages(rounded / PAGE_SIZE, u64::MAX);
        self.size = rounded;
        self.content_size = new_size;
        Ok(())
    }

    /// `ZX_VMO_OP_COMMIT`: backs every page that `[offset, offset + len)`
    /// touches. Pages are committed in order; on failure the ones already
    /// committed stay (they belong to the VMO, nothing leaks), as in Zircon.
    ///
    /// # Errors
    ///
    /// - [`ZxStatus::OutOfRange`] when the range overflows or passes the end.
    /// - [`ZxStatus::NoMemory`] when a page cannot be allocated.
    pub fn commit(&mut self, offset: u64, len: u64) -> Result<(), ZxStatus> {
        let end = self.check_range(offset, len)?;
        if len == 0 {
            return Ok(());
        }
        let (first, last) = page_span(offset, end);
        for index in first..=last {
            self.commit_page(index)?;
        }
        Ok(())
    }

    /// `ZX_VMO_OP_DECOMMIT`: frees the pages of `[offset, offset + len)`,
    /// which then read as zero.
    ///
    /// # Errors
    ///
    /// - [`ZxStatus::OutOfRange`] when the range overflows or passes the end.
    /// - [`ZxStatus::InvalidArgs`] when `offset` or `len` is not a page
    ///   multiple.
    pub fn decommit(&mut self, offset: u64, len: u64) -> Result<(), ZxStatus> {
        let end = self.check_range(offset, len)?;
        if !offset.is_multiple_of(PAGE_SIZE) || !len.is_multiple_of(PAGE_SIZE) {
            return Err(ZxStatus::InvalidArgs);
        }
        self.free_pages(offset / PAGE_SIZE, end / PAGE_SIZE);
        Ok(())
    }

    /// `ZX_VMO_OP_ZERO`: exactly the bytes of `[offset, offset + len)` become
    /// zero. Pages the range covers whole are freed rather than cleared;
    /// partly covered pages are cleared only if committed. Never allocates.
    ///
    /// # Errors
    ///
    /// [`ZxStatus::OutOfRange`] when the range overflows or passes the end.
    pub fn zero(&mut self, offset: u64, len: u64) -> Result<(), ZxStatus> {
        let end = self.check_range(offset, len)?;
        if len == 0 {
            return Ok(());
        }
        let first_whole = offset.div_ceil(PAGE_SIZE);
        let end_whole = end / PAGE_SIZE;
        if first_whole > end_whole {
            // Inside one page, touching neither of its edges.
            return self.zero_in_page(offset, end);
        }
        if !offset.is_multiple_of(PAGE_SIZE) {
            self.zero_in_page(offset, first_whole * PAGE_SIZE)?;
        }
        self.free_pages(first_whole, end_whole);
        if !end.is_multiple_of(PAGE_SIZE) {
            self.zero_in_page(end_whole * PAGE_SIZE, end)?;
        }
        Ok(())
    }

    /// `ZX_PROP_VMO_CONTENT_SIZE`: the bytes from the new content size to the
    /// end of the VMO become zero. As in Zircon the content size may exceed
    /// the size (there is then nothing to zero).
    ///
    /// # Errors
    ///
    /// [`ZxStatus::NoMemory`] when zeroing needs a copy of a shared page.
    pub fn set_content_size(&mut self, content_size: u64) -> Result<(), ZxStatus> {
        if content_size < self.size {
            self.zero(content_size, self.size - content_size)?;
        }
        self.content_size = content_size;
        Ok(())
    }

    /// Records `content_size` as the content (stream) size and changes no
    /// byte: for a stream write that grew the content over bytes it wrote
    /// itself (and zeroed any gap before them).
    pub fn record_content_size(&mut self, content_size: u64) {
        self.content_size = content_size;
    }

    /// A copy-on-write snapshot of `[offset, offset + size)`: a new VMO of
    /// `size` bytes (rounded up; it may extend past this VMO's end, where it
    /// reads zero) whose pages are shared with this VMO until either writes.
    /// Commits no page. `options` are the child's `zx_vmo_create` options.
    /// The child's [`root_offset`](Self::root_offset) is this VMO's plus
    /// `offset`.
    ///
    /// # Errors
    ///
    /// In this order (Zircon's):
    /// - [`ZxStatus::OutOfRange`] when `size` is too large.
    /// - [`ZxStatus::InvalidArgs`] when `options` has an unknown bit or
    ///   `offset` is not page-aligned.
    /// - [`ZxStatus::OutOfRange`] when `offset + size` overflows.
    /// - [`ZxStatus::InvalidArgs`] when the child's range, projected onto the
    ///   root of the snapshot chain, passes 2^64.
    pub fn snapshot(&mut self, offset: u64, size: u64, options: u32) -> Result<Vmo, ZxStatus> {
        let visible = self.size;
        self.snapshot_window(0, visible, offset, size, options)
    }

    /// A copy-on-write snapshot of `[offset, offset + size)` of the window
    /// `[base, base + window_size)` of this VMO: what a snapshot of a slice
    /// is, when the slice is a window onto this VMO. The child sees the
    /// window's bytes and zero past the window's end (or past this VMO's
    /// end, if sooner). Its [`root_offset`](Self::root_offset) is this VMO's
    /// plus `base + offset`. `snapshot(o, s, opts)` is
    /// `snapshot_window(0, size(), o, s, opts)`.
    ///
    /// # Errors
    ///
    /// As [`snapshot`](Self::snapshot), where "projected onto the root"
    /// includes `base`: a window near 2^64 whose `base + offset` (or that
    /// plus `size`) overflows gives [`ZxStatus::InvalidArgs`]. A window that
    /// is not page-aligned or whose end overflows is
    /// [`ZxStatus::InvalidArgs`] too.
    pub fn snapshot_window(
        &mut self,
        base: u64,
        window_size: u64,
        offset: u64,
        size: u64,
        options: u32,
    ) -> Result<Vmo, ZxStatus> {
        let mut child = Vmo::create(self.frames, size, options)?;
        if !offset.is_multiple_of(PAGE_SIZE) || !base.is_multiple_of(PAGE_SIZE) {
            return Err(ZxStatus::InvalidArgs);
        }
        if offset.checked_add(child.size).is_none() {
            return Err(ZxStatus::OutOfRange);
        }
        let window_end = base
            .checked_add(window_size)
            .ok_or(ZxStatus::InvalidArgs)?
            .min(self.size);
        // Where the child starts in this VMO and in the root; both it and
        // its end must be representable.
        let start = base.checked_add(offset).ok_or(ZxStatus::InvalidArgs)?;
        let root_offset = self
            .root_offset
            .checked_add(start)
            .ok_or(ZxStatus::InvalidArgs)?;
        root_offset
            .checked_add(child.size)
            .ok_or(ZxStatus::InvalidArgs)?;
        // root_offset >= start and root_offset + child.size fits: no overflow.
        let end = start + child.size;
        let first = start / PAGE_SIZE;
        let end_page = end.min(window_end) / PAGE_SIZE;
        let mut shared_any = false;
        self.pages.share_range(first, end_page, |index, frame| {
            child.pages.insert(index - first, Page::Shared(frame));
            shared_any = true;
        });
        if shared_any {
            // Writable mappings of these pages must go: writes now copy.
            self.generation += 1;
        }
        child.name = self.name;
        child.root_offset = root_offset;
        Ok(child)
    }

    /// Where this VMO's offset 0 lies in the VMO at the root of its
    /// snapshot chain (Zircon's "root parent offset"): 0 for a VMO made by
    /// [`create`](Self::create), the parent's plus the child's offset for a
    /// snapshot. `root_offset() + size()` never overflows.
    pub fn root_offset(&self) -> u64 {
        self.root_offset
    }

    /// Zircon's attribution of the whole VMO (the `ZX_INFO_VMO` fields):
    /// each committed page counts in full to `committed_bytes`, to the
    /// private bytes when no relative shares it, and `PAGE_SIZE / N` to the
    /// scaled bytes when `N` VMOs share it; `metadata_bytes` is the heap the
    /// page list holds. A relative that writes, shrinks or closes at the
    /// same moment may or may not be seen (their locks are not this one).
    pub fn attribution(&self) -> Attribution {
        let mut a = self.attribution_in_range(0, self.size);
        a.metadata_bytes = self.metadata_bytes();
        a
    }

    /// The attribution of the pages that `[offset, offset + len)` touches,
    /// with the range cut at the VMO's end as Zircon cuts it (so an offset
    /// at or past the end, or an empty range, counts nothing; a range that
    /// overflows counts to the end). For a mapping's share of a VMO.
    /// `metadata_bytes` is 0: metadata belongs to the whole VMO.
    pub fn attribution_in_range(&self, offset: u64, len: u64) -> Attribution {
        let mut a = Attribution::default();
        if offset < self.size && len > 0 {
            let len = len.min(self.size - offset);
            // offset + len <= size: no overflow.
            let (first, last) = page_span(offset, offset + len);
            for (_, page) in self.pages.iter_range(first, last + 1) {
                a.add_page(PAGE_SIZE, page.sharers() as u64);
            }
        }
        a.populate_from_committed();
        a
    }

    /// Kernel heap held for this VMO's page bookkeeping: the page-list
    /// nodes (Zircon's `metadata_bytes`). See [`PageList::heap_bytes`].
    pub fn metadata_bytes(&self) -> u64 {
        self.pages.heap_bytes()
    }

    /// Where the discardable VMO is in its lock/reclaim life.
    pub fn discard_state(&self) -> DiscardState {
        self.discard
    }

    fn require_discardable(&self) -> Result<(), ZxStatus> {
        if self.options.contains(VmoOptions::DISCARDABLE) {
            Ok(())
        } else {
            Err(ZxStatus::NotSupported)
        }
    }

    /// `ZX_VMO_OP_LOCK` (`try_only` false) or `ZX_VMO_OP_TRY_LOCK` (true).
    /// Returns whether the pages had been discarded since the last unlock
    /// (they read as zero then).
    ///
    /// # Errors
    ///
    /// - [`ZxStatus::NotSupported`] for a VMO that is not discardable.
    /// - [`ZxStatus::Unavailable`] for `TRY_LOCK` after a discard; the VMO
    ///   stays unlocked.
    pub fn lock(&mut self, try_only: bool) -> Result<bool, ZxStatus> {
        self.require_discardable()?;
        let (next, discarded) = match self.discard {
            DiscardState::Locked(n) => (DiscardState::Locked(n.saturating_add(1)), false),
            DiscardState::Discarded if try_only => return Err(ZxStatus::Unavailable),
            DiscardState::Discarded => (DiscardState::Locked(1), true),
            DiscardState::Unreclaimable | DiscardState::Reclaimable(_) => {
                (DiscardState::Locked(1), false)
            }
        };
        self.discard = next;
        Ok(discarded)
    }

    /// `ZX_VMO_OP_UNLOCK`; when the last lock goes the VMO becomes
    /// reclaimable, ordered by `sequence` (smaller is reclaimed first).
    ///
    /// # Errors
    ///
    /// - [`ZxStatus::NotSupported`] for a VMO that is not discardable.
    /// - [`ZxStatus::BadState`] when it is not locked.
    pub fn unlock(&mut self, sequence: u64) -> Result<(), ZxStatus> {
        self.require_discardable()?;
        self.discard = match self.discard {
            DiscardState::Locked(1) => DiscardState::Reclaimable(sequence),
            DiscardState::Locked(n) => DiscardState::Locked(n - 1),
            _ => return Err(ZxStatus::BadState),
        };
        Ok(())
    }

    /// Drops every page of an unlocked, reclaimable VMO; returns how many
    /// were freed (0 if the VMO may not be discarded now).
    pub fn discard(&mut self) -> usize {
        if !matches!(self.discard, DiscardState::Reclaimable(_)) {
            return 0;
        }
        let freed = self.pages.len();
        self.free_pages(0, u64::MAX);
        self.discard = DiscardState::Discarded;
        freed
    }

    /// The name, NUL-padded (`ZX_PROP_NAME`); the last byte is always NUL.
    pub fn name(&self) -> &[u8; ZX_MAX_NAME_LEN] {
        &self.name
    }

    /// Sets the name from `name`, cut at its first NUL and at
    /// `ZX_MAX_NAME_LEN - 1` bytes, and padded with NULs.
    pub fn set_name(&mut self, name: &[u8]) {
        let len = name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(name.len())
            .min(ZX_MAX_NAME_LEN - 1);
        self.name = [0; ZX_MAX_NAME_LEN];
        self.name[..len].copy_from_slice(&name[..len]);
    }

    /// Commits pages `first..=last`, all or none: fresh frames are collected
    /// first and inserted only once every allocation has succeeded.
    fn commit_pages(&mut self, first: u64, last: u64) -> Result<(), ZxStatus> {
        let mut fresh = Vec::new();
        for index in first..=last {
            if !self.pages.contains(index) {
                // On failure `fresh` drops here and frees what it holds.
                fresh.push((index, Frame::alloc_zeroed(self.frames)?));
            }
        }
        for (index, frame) in fresh {
            self.pages.insert(index, Page::Owned(frame));
        }
        Ok(())
    }

    /// Frees the committed pages with index in `[first, end)`.
    fn free_pages(&mut self, first: u64, end: u64) {
        if self.pages.remove_range(first, end) > 0 {
            self.generation += 1;
        }
    }

    /// Zeroes the bytes `[start, end)` of one page, if it is committed (a
    /// shared page is copied first).
    fn zero_in_page(&mut self, start: u64, end: u64) -> Result<(), ZxStatus> {
        debug_assert!(start < end && (end - 1) / PAGE_SIZE == start / PAGE_SIZE);
        if self.pages.contains(start / PAGE_SIZE) {
            let frame = self.page_for_write(start / PAGE_SIZE)?;
            phys::zero(frame, (start % PAGE_SIZE) as usize, (end - start) as usize);
        }
        Ok(())
    }
}

impl core::fmt::Debug for Vmo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let name_len = self.name.iter().position(|&b| b == 0).unwrap_or(0);
        f.debug_struct("Vmo")
            .field(
                "name",
                &core::str::from_utf8(&self.name[..name_len]).unwrap_or("?"),
            )
            .field("size", &self.size)
            .field("content_size", &self.content_size)
            .field("options", &self.options)
            .field("committed_pages", &self.pages.len())
            .finish()
    }
}

/// The first and last page index that the non-empty byte range
/// `[offset, end)` touches (`end > offset`, so `end - 1` cannot wrap).
fn page_span(offset: u64, end: u64) -> (u64, u64) {
    debug_assert!(end > offset);
    (offset / PAGE_SIZE, (end - 1) / PAGE_SIZE)
}

/// Splits the byte range `[offset, offset + len)` at page boundaries into
/// `(page index, offset in page, range within the caller's buffer)`.
fn page_chunks(
    offset: u64,
    len: usize,
) -> impl Iterator<Item = (u64, usize, core::ops::Range<usize>)> {
    let mut done = 0;
    core::iter::from_fn(move || {
        if done == len {
            return None;
        }
        let pos = offset + done as u64;
        let in_page = (pos % PAGE_SIZE) as usize;
        let n = (PAGE_BYTES - in_page).min(len - done);
        let chunk = done..done + n;
        done += n;
        Some((pos / PAGE_SIZE, in_page, chunk))
    })
}

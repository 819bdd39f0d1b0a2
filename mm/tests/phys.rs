//! Host tests of `mm::phys`: address arithmetic, the linear map, the
//! kernel-supplied zeroing routine, and the bounds of the frame accessors.
//!
//! This file is its own test process, so it can install a counting
//! `zero_page` routine without disturbing the other test files.

use std::cell::Cell;

use mm::phys::{self, testing};
use mm::{Frame, PhysAddr, PAGE_SIZE};

thread_local! {
    /// Pages zeroed by `counting_zero` on this thread (tests run on parallel
    /// threads; a thread-local count is exact for the test reading it).
    static ZEROED: Cell<usize> = const { Cell::new(0) };
}

/// Stands in for the kernel's `dc zva` routine.
///
/// # Safety
///
/// `page` is a page-aligned, writable page the caller owns.
unsafe fn counting_zero(page: *mut u8) {
    assert_eq!(
        page as usize % PAGE_SIZE as usize,
        0,
        "handed an unaligned page"
    );
    ZEROED.with(|z| z.set(z.get() + 1));
    // SAFETY: the caller's contract.
    unsafe { std::ptr::write_bytes(page, 0, PAGE_SIZE as usize) };
}

/// Every test here calls this first, so the hook is installed whichever test
/// runs first.
fn frames(pages: u64) -> &'static mm::FrameAllocator {
    testing::init_arena(Some(counting_zero));
    testing::allocator(pages)
}

#[test]
fn phys_addr_arithmetic() {
    let pa = PhysAddr::new(0x4000_1234);
    assert_eq!(pa.as_u64(), 0x4000_1234);
    assert_eq!(pa.page_number(), 0x40001);
    assert_eq!(pa.page_offset(), 0x234);
    assert!(!pa.is_page_aligned());
    assert_eq!(pa.align_down(), PhysAddr::new(0x4000_1000));
    assert_eq!(pa.align_up(), Some(PhysAddr::new(0x4000_2000)));
    assert_eq!(
        PhysAddr::new(0x4000_2000).align_up(),
        Some(PhysAddr::new(0x4000_2000))
    );
    assert_eq!(PhysAddr::new(u64::MAX).align_up(), None);
    assert_eq!(
        PhysAddr::from_page_number(0x40001),
        PhysAddr::new(0x4000_1000)
    );
    assert_eq!(pa.checked_add(0x10), Some(PhysAddr::new(0x4000_1244)));
    assert_eq!(PhysAddr::new(u64::MAX).checked_add(1), None);
    assert!(PhysAddr::new(1) < PhysAddr::new(2));
    assert_eq!(format!("{pa:?} {pa}"), "PhysAddr(0x40001234) 0x40001234");
}

#[test]
fn frames_are_zeroed_by_the_installed_routine() {
    let frames = frames(4);
    let before = ZEROED.with(Cell::get);
    let frame = Frame::alloc_zeroed(frames).unwrap();
    assert_eq!(ZEROED.with(Cell::get), before + 1);
    let mut page = [0xffu8; 4096];
    phys::read(&frame, 0, &mut page);
    assert!(page.iter().all(|&b| b == 0));

    let mut frame = frame;
    phys::write(&mut frame, 0, &[3; 4096]);
    phys::zero_page(&mut frame);
    assert_eq!(ZEROED.with(Cell::get), before + 2);
    phys::read(&frame, 0, &mut page);
    assert!(page.iter().all(|&b| b == 0));
}

#[test]
fn accessors_and_page_ptr_see_the_same_memory() {
    let frames = frames(4);
    let mut a = Frame::alloc_zeroed(frames).unwrap();
    let mut b = Frame::alloc_zeroed(frames).unwrap();
    phys::write(&mut a, 4090, &[1, 2, 3, 4, 5, 6]);
    let ptr = phys::page_ptr(a.pa());
    // SAFETY: `a` owns the page and is not accessed while `ptr` is used.
    let tail = unsafe { std::slice::from_raw_parts(ptr.add(4090), 6) }.to_vec();
    assert_eq!(tail, [1, 2, 3, 4, 5, 6]);
    assert_eq!(
        phys::page_ptr(a.pa().checked_add(7).unwrap()) as usize,
        ptr as usize + 7
    );

    phys::copy_page(&mut b, &a);
    let mut copied = [0u8; 6];
    phys::read(&b, 4090, &mut copied);
    assert_eq!(copied, [1, 2, 3, 4, 5, 6]);

    phys::zero(&mut b, 4091, 4);
    phys::read(&b, 4090, &mut copied);
    assert_eq!(copied, [1, 0, 0, 0, 0, 6]);
    // Empty accesses at the very end of the page are in bounds.
    phys::read(&b, 4096, &mut []);
    phys::write(&mut b, 4096, &[]);
}

#[test]
#[should_panic(expected = "page access out of bounds")]
fn reading_past_the_page_panics() {
    let frame = Frame::alloc_zeroed(frames(1)).unwrap();
    phys::read(&frame, 4090, &mut [0; 7]);
}

#[test]
#[should_panic(expected = "page access out of bounds")]
fn writing_past_the_page_panics() {
    let mut frame = Frame::alloc_zeroed(frames(1)).unwrap();
    phys::write(&mut frame, 4097, &[]);
}

#[test]
#[should_panic(expected = "page access out of bounds")]
fn zeroing_past_the_page_panics() {
    let mut frame = Frame::alloc_zeroed(frames(1)).unwrap();
    phys::zero(&mut frame, 1, usize::MAX);
}

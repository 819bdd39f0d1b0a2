//! Host tests of the page allocator and owned frames: every page handed out
//! once, coalescing, exhaustion, alignment, exact counts across the
//! single-page cache, the reclaim hook, and caught bad frees.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use mm::frame::MAX_ORDER;
use mm::phys::{self, testing};
use mm::{Frame, FrameAllocator, PhysAddr, ZxStatus, PAGE_SIZE};

/// Allocates single pages until the allocator refuses.
fn drain(frames: &FrameAllocator) -> Vec<PhysAddr> {
    let mut pages = Vec::new();
    while let Ok(pa) = frames.alloc(0) {
        pages.push(pa);
    }
    pages
}

/// Frees raw pages that `drain` (or `alloc`) handed out.
fn give_back(frames: &FrameAllocator, pages: &[PhysAddr], order: usize) {
    for &pa in pages {
        // SAFETY: each page came from `frames.alloc(order)` and nothing uses it.
        unsafe { frames.dealloc(pa, order) };
    }
}

#[test]
fn a_new_allocator_is_empty() {
    static EMPTY: FrameAllocator = FrameAllocator::new();
    assert_eq!(EMPTY.total_pages(), 0);
    assert_eq!(EMPTY.free_pages(), 0);
    assert_eq!(EMPTY.alloc(0), Err(ZxStatus::NoMemory));
    assert_eq!(
        Frame::alloc_zeroed(&EMPTY).map(|f| f.pa()),
        Err(ZxStatus::NoMemory)
    );
}

#[test]
fn add_range_counts_whole_pages_only() {
    let frames: &'static FrameAllocator = Box::leak(Box::new(FrameAllocator::new()));
    let (start, end) = testing::carve(8);
    // Shrunk inward: the partial first and last pages are not added.
    // SAFETY: the carved range is fake RAM nobody else uses.
    unsafe {
        frames.add_range(
            start.checked_add(1).unwrap(),
            PhysAddr::new(end.as_u64() - 1),
        )
    };
    assert_eq!(frames.total_pages(), 6);
    assert_eq!(frames.free_pages(), 6);
    // An empty or inverted range adds nothing.
    // SAFETY: both ranges are empty.
    unsafe {
        frames.add_range(end, end);
        frames.add_range(end, start);
    }
    assert_eq!(frames.total_pages(), 6);
    let pages = drain(frames);
    assert_eq!(pages.len(), 6);
    for pa in &pages {
        assert!(*pa > start && *pa < PhysAddr::new(end.as_u64() - PAGE_SIZE));
    }
    give_back(frames, &pages, 0);
}

#[test]
fn every_page_is_handed_out_exactly_once() {
    let (frames, start, end) = testing::allocator_with_range(300);
    assert_eq!(frames.total_pages(), 300);
    let pages = drain(frames);
    let distinct: HashSet<PhysAddr> = pages.iter().copied().collect();
    assert_eq!(pages.len(), 300, "pages lost");
    assert_eq!(distinct.len(), 300, "a page was handed out twice");
    for pa in &pages {
        assert!(pa.is_page_aligned());
        assert!(*pa >= start && *pa < end, "{pa:?} is not ours");
    }
    assert_eq!(frames.free_pages(), 0);
    assert_eq!(frames.alloc(0), Err(ZxStatus::NoMemory));
    give_back(frames, &pages, 0);
    assert_eq!(frames.free_pages(), 300);
}

#[test]
fn freeing_everything_coalesces_back_to_one_block() {
    let (frames, start, _) = testing::allocator_with_range(256);
    let pages = drain(frames);
    assert_eq!(frames.alloc(0), Err(ZxStatus::NoMemory));
    // Free in an order that is neither the allocation order nor its reverse.
    let (evens, odds): (Vec<_>, Vec<_>) = pages.iter().partition(|pa| pa.page_number() % 2 == 0);
    give_back(frames, &odds, 0);
    give_back(frames, &evens, 0);
    assert_eq!(frames.free_pages(), 256);
    // 256 pages = one order-8 block, possible only if every buddy pair
    // merged (including the pages parked in the single-page cache).
    assert_eq!(frames.alloc(8), Ok(start));
    assert_eq!(frames.free_pages(), 0);
    give_back(frames, &[start], 8);
    assert_eq!(frames.free_pages(), 256);
}

#[test]
fn exhaustion_is_no_memory() {
    let frames = testing::allocator(16);
    assert_eq!(frames.alloc(5), Err(ZxStatus::NoMemory), "32 pages of 16");
    assert_eq!(frames.alloc(MAX_ORDER + 1), Err(ZxStatus::NoMemory));
    assert_eq!(frames.alloc(usize::MAX), Err(ZxStatus::NoMemory));
    let all = frames.alloc(4).expect("all 16 pages");
    assert_eq!(frames.alloc(0), Err(ZxStatus::NoMemory));
    assert_eq!(frames.free_pages(), 0);
    give_back(frames, &[all], 4);
    assert_eq!(frames.free_pages(), 16);
}

#[test]
fn higher_orders_are_naturally_aligned_and_disjoint() {
    let frames = testing::allocator(1024);
    let mut owned = HashSet::new();
    let mut blocks = Vec::new();
    let mut used = 0;
    for round in 0..3 {
        for order in 0..=6usize {
            let pa = frames.alloc(order).expect("enough memory");
            let block = PAGE_SIZE << order;
            assert_eq!(pa.as_u64() % block, 0, "order {order} in round {round}");
            for i in 0..(1u64 << order) {
                assert!(owned.insert(pa.page_number() + i), "page handed out twice");
            }
            used += 1usize << order;
            assert_eq!(frames.free_pages(), 1024 - used);
            blocks.push((pa, order));
        }
    }
    for (pa, order) in blocks {
        give_back(frames, &[pa], order);
    }
    assert_eq!(frames.free_pages(), 1024);
    assert!(frames.alloc(10).is_ok(), "everything coalesced");
}

#[test]
fn counts_stay_exact_across_the_page_cache() {
    let frames = testing::allocator(128);
    let one = Frame::alloc_zeroed(frames).unwrap();
    assert_eq!(frames.free_pages(), 127);
    assert!(
        frames.cached_pages() > 0,
        "a refill parks pages in the cache"
    );
    assert!(frames.cached_pages() <= frames.free_pages());
    drop(one);
    assert_eq!(frames.free_pages(), 128);

    // Overflow the cache (capacity 64) in both directions.
    let many: Vec<Frame> = (0..100)
        .map(|_| Frame::alloc_zeroed(frames).unwrap())
        .collect();
    assert_eq!(frames.free_pages(), 28);
    drop(many);
    assert_eq!(frames.free_pages(), 128);
    assert!(frames.cached_pages() > 0 && frames.cached_pages() <= 64);

    // A block needing the cached pages still succeeds: the cache drains.
    let all = frames.alloc(7).expect("all 128 pages as one block");
    assert_eq!(frames.cached_pages(), 0);
    assert_eq!(frames.free_pages(), 0);
    give_back(frames, &[all], 7);
    assert_eq!(frames.free_pages(), 128);
}

#[test]
fn frames_are_zeroed_and_return_home() {
    let frames = testing::allocator(8);
    let mut frame = Frame::alloc_zeroed(frames).unwrap();
    let pa = frame.pa();
    assert!(std::ptr::eq(frame.allocator(), frames));
    phys::write(&mut frame, 0, &[0xa5; 4096]);
    drop(frame);
    assert_eq!(frames.free_pages(), 8);
    // The cache is LIFO, so this is the same, now dirty, page: it must come
    // back zeroed.
    let again = Frame::alloc_zeroed(frames).unwrap();
    assert_eq!(again.pa(), pa);
    let mut contents = [0xffu8; 4096];
    phys::read(&again, 0, &mut contents);
    assert!(contents.iter().all(|&b| b == 0));
}

#[test]
fn into_raw_and_from_raw_keep_ownership() {
    let frames = testing::allocator(4);
    let frame = Frame::alloc_zeroed(frames).unwrap();
    let pa = frame.into_raw();
    assert_eq!(frames.free_pages(), 3, "into_raw does not free");
    // SAFETY: `pa` came from `into_raw` on a frame of `frames` just above.
    let frame = unsafe { Frame::from_raw(pa, frames) };
    assert_eq!(frame.pa(), pa);
    drop(frame);
    assert_eq!(frames.free_pages(), 4);
}

/// State for `reclaim_hook_runs_when_memory_runs_out` (hooks take no
/// arguments, so they reach their test through statics).
static RECLAIMABLE: Mutex<Vec<Frame>> = Mutex::new(Vec::new());
static RECLAIM_CALLS: AtomicUsize = AtomicUsize::new(0);

fn reclaim_one() -> bool {
    RECLAIM_CALLS.fetch_add(1, Ordering::SeqCst);
    // Dropping the frame frees it, which takes the allocator's lock: this
    // only works because the hook runs unlocked.
    RECLAIMABLE.lock().unwrap().pop().is_some()
}

#[test]
fn reclaim_hook_runs_when_memory_runs_out() {
    let frames = testing::allocator(4);
    let mut held: Vec<Frame> = (0..4)
        .map(|_| Frame::alloc_zeroed(frames).unwrap())
        .collect();
    assert_eq!(frames.alloc(0), Err(ZxStatus::NoMemory), "no hook yet");
    assert_eq!(RECLAIM_CALLS.load(Ordering::SeqCst), 0);

    frames.set_reclaim(reclaim_one);
    RECLAIMABLE.lock().unwrap().push(held.pop().unwrap());
    let rescued = Frame::alloc_zeroed(frames).expect("the hook freed a page");
    assert_eq!(RECLAIM_CALLS.load(Ordering::SeqCst), 1);

    // Nothing left to give: the hook says so and the allocation fails.
    assert_eq!(frames.alloc(0), Err(ZxStatus::NoMemory));
    assert_eq!(RECLAIM_CALLS.load(Ordering::SeqCst), 2);

    drop(rescued);
    drop(held);
    assert_eq!(frames.free_pages(), 4);
}

#[test]
fn parallel_alloc_and_free_lose_nothing() {
    let frames = testing::allocator(512);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for round in 0..200 {
                    let held: Vec<Frame> = (0..(round % 37 + 1))
                        .map(|_| Frame::alloc_zeroed(frames).unwrap())
                        .collect();
                    drop(held);
                }
            });
        }
    });
    assert_eq!(frames.free_pages(), 512);
    assert!(frames.alloc(9).is_ok(), "everything coalesced");
}

#[test]
#[should_panic(expected = "not a block of this allocator")]
fn freeing_a_foreign_page_panics() {
    let frames = testing::allocator(4);
    let (elsewhere, _) = testing::carve(1);
    // SAFETY: deliberately wrong; the allocator must refuse before using it.
    unsafe { frames.dealloc(elsewhere, 0) };
}

#[test]
#[should_panic(expected = "not a block of this allocator")]
fn freeing_a_misaligned_block_panics() {
    let frames = testing::allocator(8);
    let pa = frames.alloc(1).unwrap();
    // SAFETY: deliberately wrong; the allocator must refuse before using it.
    unsafe { frames.dealloc(PhysAddr::from_page_number(pa.page_number() + 1), 1) };
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "double free")]
fn double_free_of_a_page_panics() {
    let frames = testing::allocator(4);
    let pa = frames.alloc(0).unwrap();
    give_back(frames, &[pa], 0);
    give_back(frames, &[pa], 0);
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "double free")]
fn double_free_of_a_block_panics() {
    let frames = testing::allocator(16);
    let pa = frames.alloc(2).unwrap();
    give_back(frames, &[pa], 2);
    give_back(frames, &[pa], 2);
}

#[cfg(debug_assertions)]
#[test]
fn a_caught_double_free_leaves_the_allocator_intact() {
    let frames = testing::allocator(16);
    let pa = frames.alloc(2).unwrap();
    give_back(frames, &[pa], 2);
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| give_back(frames, &[pa], 2)));
    assert!(caught.is_err());
    assert_eq!(frames.free_pages(), 16);
    assert!(frames.alloc(4).is_ok(), "the probe was undone");
}

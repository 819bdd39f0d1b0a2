//! Copy-on-write snapshots, discardable lock states and content size, on the
//! host: page counts prove what is shared, copied and freed.

use mm::phys::testing;
use mm::vmo::DiscardState;
use mm::{Vmo, ZxStatus};
use zx_abi::vmo_opt;

const P: u64 = 4096;

fn read_vec(vmo: &Vmo, offset: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    vmo.read(offset, &mut buf).unwrap();
    buf
}

#[test]
fn snapshot_shares_pages_until_written() {
    let frames = testing::allocator(32);
    let mut parent = Vmo::create(frames, 4 * P, 0).unwrap();
    parent.write(0, &[1u8; 4 * 4096]).unwrap();
    let free = frames.free_pages();
    let g = parent.generation();

    let mut child = parent.snapshot(0, 4 * P, 0).unwrap();
    assert_eq!(frames.free_pages(), free, "a snapshot commits no page");
    assert_ne!(parent.generation(), g, "parent pages became shared");
    assert_eq!(read_vec(&child, 0, 4 * 4096), vec![1u8; 4 * 4096]);
    assert!(child.is_page_shared(0) && parent.is_page_shared(0));
    assert_eq!(child.private_pages(), 0);

    child.write(10, &[2u8; 5]).unwrap();
    assert_eq!(
        frames.free_pages(),
        free - 1,
        "one page copied for the child"
    );
    assert_eq!(read_vec(&parent, 10, 5), vec![1u8; 5], "parent unchanged");
    assert_eq!(read_vec(&child, 8, 9), vec![1, 1, 2, 2, 2, 2, 2, 1, 1]);

    parent.write(P, &[3u8; 1]).unwrap();
    assert_eq!(
        frames.free_pages(),
        free - 2,
        "one page copied for the parent"
    );
    assert_eq!(read_vec(&child, P, 1), vec![1u8], "child unchanged");

    drop(parent);
    // Pages 2 and 3 are now held by the child alone; writing one takes the
    // frame back without a copy.
    let before = frames.free_pages();
    child.write(2 * P, &[4u8; 1]).unwrap();
    assert_eq!(frames.free_pages(), before, "the last reference is reused");
    assert_eq!(read_vec(&child, 2 * P, 2), vec![4, 1]);
    drop(child);
    assert_eq!(frames.free_pages(), 32);
}

#[test]
fn nested_snapshots_and_parent_closed_first() {
    let frames = testing::allocator(32);
    let mut a = Vmo::create(frames, 2 * P, 0).unwrap();
    a.write(0, b"aaaa").unwrap();
    let mut b = a.snapshot(0, 2 * P, 0).unwrap();
    b.write(0, b"bb").unwrap();
    let mut c = b.snapshot(0, 2 * P, 0).unwrap();
    c.write(3, b"c").unwrap();
    a.write(1, b"A").unwrap();
    assert_eq!(read_vec(&a, 0, 4), b"aAaa");
    assert_eq!(read_vec(&b, 0, 4), b"bbaa");
    assert_eq!(read_vec(&c, 0, 4), b"bbac");
    drop(b);
    drop(a);
    assert_eq!(read_vec(&c, 0, 4), b"bbac");
    drop(c);
    assert_eq!(frames.free_pages(), 32);
}

#[test]
fn snapshot_window_offset_and_past_the_end() {
    let frames = testing::allocator(16);
    let mut parent = Vmo::create(frames, 2 * P, 0).unwrap();
    parent.write(P, b"second").unwrap();
    let child = parent.snapshot(P, 3 * P, vmo_opt::RESIZABLE).unwrap();
    assert_eq!(child.size(), 3 * P);
    assert!(child.is_resizable());
    assert_eq!(read_vec(&child, 0, 6), b"second");
    assert_eq!(
        read_vec(&child, P, 8),
        vec![0u8; 8],
        "past the parent: zero"
    );
    assert_eq!(parent.snapshot(1, P, 0).err(), Some(ZxStatus::InvalidArgs));
    assert_eq!(
        parent.snapshot(u64::MAX - P + 1, 2 * P, 0).err(),
        Some(ZxStatus::OutOfRange)
    );
}

#[test]
fn zeroing_or_shrinking_a_shared_page_keeps_relatives_intact() {
    let frames = testing::allocator(16);
    let mut parent = Vmo::create(frames, 2 * P, vmo_opt::RESIZABLE).unwrap();
    parent.write(0, &[7u8; 8192]).unwrap();
    let child = parent.snapshot(0, 2 * P, 0).unwrap();
    parent.zero(100, 10).unwrap();
    assert_eq!(
        read_vec(&parent, 98, 14),
        [vec![7, 7], vec![0; 10], vec![7, 7]].concat()
    );
    parent.set_size(P + 50).unwrap();
    assert_eq!(
        read_vec(&parent, P + 40, 20),
        [vec![7; 10], vec![0; 10]].concat()
    );
    assert_eq!(read_vec(&child, 0, 8192), vec![7u8; 8192]);
    drop(parent);
    drop(child);
    assert_eq!(frames.free_pages(), 16);
}

#[test]
fn discardable_lock_states() {
    let frames = testing::allocator(16);
    let mut plain = Vmo::create(frames, P, 0).unwrap();
    assert_eq!(plain.lock(false), Err(ZxStatus::NotSupported));
    assert_eq!(plain.unlock(0), Err(ZxStatus::NotSupported));

    let mut v = Vmo::create(frames, 2 * P, vmo_opt::DISCARDABLE).unwrap();
    v.write(0, &[9u8; 8192]).unwrap();
    assert_eq!(v.discard(), 0, "never locked: not reclaimable");
    assert_eq!(v.unlock(1), Err(ZxStatus::BadState));
    assert_eq!(v.lock(false), Ok(false));
    assert_eq!(v.lock(true), Ok(false));
    assert_eq!(v.discard_state(), DiscardState::Locked(2));
    assert_eq!(v.discard(), 0, "locked: not reclaimable");
    v.unlock(5).unwrap();
    v.unlock(6).unwrap();
    assert_eq!(v.discard_state(), DiscardState::Reclaimable(6));
    assert_eq!(v.discard(), 2);
    assert_eq!(frames.free_pages(), 16);
    assert_eq!(v.lock(true), Err(ZxStatus::Unavailable));
    assert_eq!(v.discard_state(), DiscardState::Discarded);
    assert_eq!(v.lock(false), Ok(true), "LOCK reports the discard");
    assert_eq!(read_vec(&v, 0, 8192), vec![0u8; 8192]);
    assert_eq!(v.unlock(7), Ok(()));
    assert_eq!(v.unlock(8), Err(ZxStatus::BadState));
}

#[test]
fn content_size() {
    let frames = testing::allocator(16);
    let mut v = Vmo::create(frames, 5000, 0).unwrap();
    assert_eq!((v.size(), v.content_size()), (2 * P, 5000));
    v.write(0, &[0xaa; 8192]).unwrap();
    v.set_content_size(100).unwrap();
    assert_eq!(v.content_size(), 100);
    assert_eq!(read_vec(&v, 98, 4), vec![0xaa, 0xaa, 0, 0]);
    assert_eq!(read_vec(&v, P, 4), vec![0; 4]);
    assert_eq!(
        v.set_content_size(2 * P + 1),
        Ok(()),
        "may pass the size, as in Zircon"
    );
    assert_eq!((v.content_size(), v.size()), (2 * P + 1, 2 * P));
    assert_eq!(v.committed_pages(), 1, "the whole zeroed page was freed");
}

//! Host tests of the VMO core against Zircon's rules: creation limits and
//! options, lazy commit, read/write range checks, resizing, op_range
//! COMMIT/DECOMMIT/ZERO, names, and a page count that proves nothing leaks,
//! including when allocation fails part-way.

use mm::phys::testing;
use mm::{Vmo, VmoOptions, ZxStatus, PAGE_SIZE};
use zx_abi::{vmo_opt, VMO_MAX_SIZE, ZX_MAX_NAME_LEN};

const P: u64 = PAGE_SIZE;
const TIB: u64 = 1 << 40;

/// Bytes that differ from page to page and from zero.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ seed | 1).collect()
}

fn read_vec(vmo: &Vmo, offset: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0xeeu8; len];
    vmo.read(offset, &mut buf).expect("in range");
    buf
}

#[test]
fn create_rounds_the_size_and_keeps_the_content_size() {
    let frames = testing::allocator(1);
    for (size, rounded) in [(0, 0), (1, P), (P, P), (P + 1, 2 * P), (10 * P - 3, 10 * P)] {
        let vmo = Vmo::create(frames, size, 0).unwrap();
        assert_eq!(vmo.size(), rounded, "size {size}");
        assert_eq!(vmo.content_size(), size);
        assert_eq!(vmo.committed_pages(), 0);
    }
}

#[test]
fn create_enforces_the_max_size() {
    let frames = testing::allocator(1);
    assert_eq!(VMO_MAX_SIZE, 0xFFFF_FFFF_FFFE_0000);
    let largest = Vmo::create(frames, 0xFFFF_FFFF_FFFE_0000, 0).unwrap();
    assert_eq!(largest.size(), VMO_MAX_SIZE);
    let rounds_to_largest = Vmo::create(frames, 0xFFFF_FFFF_FFFD_F001, 0).unwrap();
    assert_eq!(rounds_to_largest.size(), VMO_MAX_SIZE);
    for size in [
        0xFFFF_FFFF_FFFE_0001,
        u64::MAX - P,
        u64::MAX - P + 1,
        u64::MAX,
    ] {
        assert_eq!(
            Vmo::create(frames, size, 0).map(|v| v.size()),
            Err(ZxStatus::OutOfRange),
            "size {size:#x}"
        );
    }
}

#[test]
fn create_accepts_only_known_options() {
    let frames = testing::allocator(1);
    for ok in [
        0,
        vmo_opt::RESIZABLE,
        vmo_opt::DISCARDABLE,
        vmo_opt::RESIZABLE | vmo_opt::DISCARDABLE,
    ] {
        let vmo = Vmo::create(frames, P, ok).unwrap();
        assert_eq!(vmo.options().bits(), ok);
    }
    assert!(Vmo::create(frames, P, vmo_opt::RESIZABLE)
        .unwrap()
        .options()
        .contains(VmoOptions::RESIZABLE));
    for bad in [1, 1 << 3, 1 << 4, 1 << 31, u32::MAX, vmo_opt::RESIZABLE | 1] {
        assert_eq!(
            Vmo::create(frames, P, bad).map(|v| v.size()),
            Err(ZxStatus::InvalidArgs),
            "options {bad:#x}"
        );
    }
    // Zircon checks the size before leftover option bits.
    assert_eq!(
        Vmo::create(frames, u64::MAX, 1).map(|v| v.size()),
        Err(ZxStatus::OutOfRange)
    );
}

#[test]
fn a_huge_vmo_costs_nothing_until_touched() {
    let frames = testing::allocator(16);
    let free = frames.free_pages();
    let mut vmo = Vmo::create(frames, TIB, 0).unwrap();
    assert_eq!(vmo.size(), TIB);
    assert_eq!(vmo.committed_pages(), 0);
    assert_eq!(frames.free_pages(), free);

    // Reading untouched memory gives zeros and commits nothing.
    assert_eq!(
        read_vec(&vmo, TIB / 2 - 10, 3 * P as usize),
        vec![0; 3 * P as usize]
    );
    assert_eq!(vmo.committed_pages(), 0);
    assert_eq!(frames.free_pages(), free);

    // One byte near the top commits exactly one page.
    vmo.write(TIB - 1, &[7]).unwrap();
    assert_eq!(vmo.committed_pages(), 1);
    assert_eq!(frames.free_pages(), free - 1);
    assert_eq!(read_vec(&vmo, TIB - 2, 2), vec![0, 7]);
    drop(vmo);
    assert_eq!(frames.free_pages(), free);
}

#[test]
fn writes_read_back_across_page_boundaries() {
    let frames = testing::allocator(16);
    let mut vmo = Vmo::create(frames, 8 * P, 0).unwrap();
    let data = pattern(10_000, 0x40);
    vmo.write(4000, &data).unwrap();
    // Bytes 4000..14000 touch pages 0..=3.
    assert_eq!(vmo.committed_pages(), 4);
    assert_eq!(read_vec(&vmo, 4000, data.len()), data);
    assert_eq!(read_vec(&vmo, 0, 4000), vec![0; 4000]);
    assert_eq!(
        read_vec(&vmo, 14_000, (4 * P - 14_000) as usize),
        vec![0; 2384]
    );
    // An unaligned read that straddles written and untouched pages.
    let mut expected = data[6000..].to_vec();
    expected.resize(expected.len() + 2 * P as usize, 0);
    assert_eq!(read_vec(&vmo, 10_000, expected.len()), expected);

    // Overwrite part of it; the rest keeps its bytes.
    vmo.write(5000, &[0xab; 100]).unwrap();
    let mut updated = data.clone();
    updated[1000..1100].fill(0xab);
    assert_eq!(read_vec(&vmo, 4000, data.len()), updated);
    assert_eq!(vmo.committed_pages(), 4);
}

#[test]
fn reads_and_writes_past_the_end_are_out_of_range() {
    let frames = testing::allocator(4);
    let mut vmo = Vmo::create(frames, 2 * P, 0).unwrap();
    let end = vmo.size();
    // Ending exactly at the end is fine, as is an empty access at the end.
    vmo.write(end - 3, &[1, 2, 3]).unwrap();
    assert_eq!(read_vec(&vmo, end - 3, 3), vec![1, 2, 3]);
    vmo.read(end, &mut []).unwrap();
    vmo.write(end, &[]).unwrap();

    let committed = vmo.committed_pages();
    let cases: [(u64, usize); 5] = [
        (end - 2, 3),
        (end, 1),
        (end + 1, 0),
        (u64::MAX, 0),
        (u64::MAX - 1, 4),
    ];
    for (offset, len) in cases {
        let mut buf = vec![0x5a; len];
        assert_eq!(
            vmo.read(offset, &mut buf),
            Err(ZxStatus::OutOfRange),
            "{offset:#x}+{len}"
        );
        assert!(buf.iter().all(|&b| b == 0x5a), "nothing copied on failure");
        assert_eq!(
            vmo.write(offset, &buf),
            Err(ZxStatus::OutOfRange),
            "{offset:#x}+{len}"
        );
    }
    assert_eq!(
        vmo.committed_pages(),
        committed,
        "a failed write commits nothing"
    );
}

#[test]
fn an_empty_vmo_has_no_pages_to_touch() {
    let frames = testing::allocator(1);
    let mut vmo = Vmo::create(frames, 0, 0).unwrap();
    assert_eq!(vmo.size(), 0);
    vmo.read(0, &mut []).unwrap();
    vmo.write(0, &[]).unwrap();
    assert_eq!(vmo.read(0, &mut [0]), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.write(0, &[0]), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.read(1, &mut []), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.commit_page(0), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.lookup_page(0), None);
    assert_eq!(frames.free_pages(), 1);
}

#[test]
fn the_largest_vmo_can_be_written_at_its_last_byte() {
    let frames = testing::allocator(2);
    let mut vmo = Vmo::create(frames, VMO_MAX_SIZE, 0).unwrap();
    vmo.write(VMO_MAX_SIZE - 1, &[9]).unwrap();
    assert_eq!(read_vec(&vmo, VMO_MAX_SIZE - 1, 1), vec![9]);
    assert_eq!(vmo.write(VMO_MAX_SIZE, &[9]), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.commit_page(VMO_MAX_SIZE / P), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.committed_pages(), 1);
}

#[test]
fn commit_page_and_lookup_page_agree() {
    let frames = testing::allocator(8);
    let mut vmo = Vmo::create(frames, 4 * P, 0).unwrap();
    assert_eq!(vmo.lookup_page(2), None);
    let pa = vmo.commit_page(2).unwrap();
    assert!(pa.is_page_aligned());
    assert_eq!(
        vmo.commit_page(2),
        Ok(pa),
        "a second commit finds the same page"
    );
    assert_eq!(vmo.lookup_page(2), Some(pa));
    assert_eq!(vmo.committed_pages(), 1);
    assert_eq!(frames.free_pages(), 7);
    assert_eq!(read_vec(&vmo, 2 * P, P as usize), vec![0; P as usize]);
    // A write lands in the very page the fault handler would map.
    vmo.write(2 * P + 8, &[1, 2]).unwrap();
    assert_eq!(vmo.lookup_page(2), Some(pa));
    assert_eq!(vmo.commit_page(4), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.commit_page(u64::MAX), Err(ZxStatus::OutOfRange));
}

#[test]
fn set_size_needs_a_resizable_vmo() {
    let frames = testing::allocator(1);
    let mut vmo = Vmo::create(frames, P, 0).unwrap();
    assert_eq!(vmo.set_size(2 * P), Err(ZxStatus::Unavailable));
    assert_eq!(vmo.set_size(0), Err(ZxStatus::Unavailable));
    // Zircon's dispatcher rejects a size whose rounding overflows first.
    assert_eq!(vmo.set_size(u64::MAX), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.set_size(VMO_MAX_SIZE + 1), Err(ZxStatus::Unavailable));
    assert_eq!(vmo.size(), P);
}

#[test]
fn set_size_grows_shrinks_and_frees() {
    let frames = testing::allocator(16);
    let free = frames.free_pages();
    let mut vmo = Vmo::create(frames, P, vmo_opt::RESIZABLE).unwrap();
    assert!(vmo.is_resizable());

    vmo.set_size(4 * P - 100).unwrap();
    assert_eq!((vmo.size(), vmo.content_size()), (4 * P, 4 * P - 100));
    let data = pattern(4 * P as usize, 0x11);
    vmo.write(0, &data).unwrap();
    assert_eq!(frames.free_pages(), free - 4);

    // Shrink into the middle of page 1: pages 2 and 3 go back, and page 1
    // is zero from byte 5000 on.
    vmo.set_size(5000).unwrap();
    assert_eq!((vmo.size(), vmo.content_size()), (2 * P, 5000));
    assert_eq!(vmo.committed_pages(), 2);
    assert_eq!(frames.free_pages(), free - 2);
    assert_eq!(vmo.read(2 * P, &mut [0]), Err(ZxStatus::OutOfRange));

    // Growing back exposes zeros, not the old bytes.
    vmo.set_size(4 * P).unwrap();
    let mut expected = data[..5000].to_vec();
    expected.resize(4 * P as usize, 0);
    assert_eq!(read_vec(&vmo, 0, 4 * P as usize), expected);
    assert_eq!(vmo.committed_pages(), 2);

    // Limits, which leave the VMO alone.
    assert_eq!(vmo.set_size(VMO_MAX_SIZE + 1), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.set_size(u64::MAX), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.size(), 4 * P);
    vmo.set_size(VMO_MAX_SIZE).unwrap();
    assert_eq!(vmo.size(), VMO_MAX_SIZE);

    vmo.set_size(0).unwrap();
    assert_eq!(
        (vmo.size(), vmo.content_size(), vmo.committed_pages()),
        (0, 0, 0)
    );
    assert_eq!(frames.free_pages(), free);
}

#[test]
fn commit_rounds_out_to_pages() {
    let frames = testing::allocator(16);
    let mut vmo = Vmo::create(frames, 8 * P, 0).unwrap();
    vmo.commit(100, 0).unwrap();
    assert_eq!(vmo.committed_pages(), 0);
    // Bytes 100..5100 touch pages 0 and 1.
    vmo.commit(100, 5000).unwrap();
    assert_eq!(vmo.committed_pages(), 2);
    assert!(vmo.lookup_page(0).is_some() && vmo.lookup_page(1).is_some());
    assert_eq!(read_vec(&vmo, 0, 2 * P as usize), vec![0; 2 * P as usize]);
    // Committing again allocates nothing new.
    vmo.commit(0, 8 * P).unwrap();
    assert_eq!(vmo.committed_pages(), 8);
    assert_eq!(frames.free_pages(), 8);
    assert_eq!(vmo.commit(8 * P - 1, 2), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.commit(8 * P + 1, 0), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.commit(P, u64::MAX), Err(ZxStatus::OutOfRange));
}

#[test]
fn decommit_needs_whole_pages_and_frees_them() {
    let frames = testing::allocator(16);
    let free = frames.free_pages();
    let mut vmo = Vmo::create(frames, 4 * P, 0).unwrap();
    vmo.write(0, &pattern(4 * P as usize, 3)).unwrap();
    assert_eq!(frames.free_pages(), free - 4);

    assert_eq!(vmo.decommit(1, P), Err(ZxStatus::InvalidArgs));
    assert_eq!(vmo.decommit(P, 1), Err(ZxStatus::InvalidArgs));
    assert_eq!(vmo.decommit(4 * P, P), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.decommit(P, u64::MAX - P + 1), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.committed_pages(), 4);

    vmo.decommit(P, 2 * P).unwrap();
    assert_eq!(vmo.committed_pages(), 2);
    assert_eq!(frames.free_pages(), free - 2);
    assert_eq!(read_vec(&vmo, P, 2 * P as usize), vec![0; 2 * P as usize]);
    assert_eq!(vmo.lookup_page(1), None);
    // Decommitting uncommitted pages, or nothing, is fine.
    vmo.decommit(0, 4 * P).unwrap();
    vmo.decommit(4 * P, 0).unwrap();
    assert_eq!(frames.free_pages(), free);
}

#[test]
fn zero_is_byte_exact_and_frees_whole_pages() {
    let frames = testing::allocator(16);
    let free = frames.free_pages();
    let mut vmo = Vmo::create(frames, 4 * P, 0).unwrap();
    let data = pattern(4 * P as usize, 0x77);
    vmo.write(0, &data).unwrap();

    // [100, 100 + 2P) covers page 1 whole and parts of pages 0 and 2.
    vmo.zero(100, 2 * P).unwrap();
    let mut expected = data.clone();
    expected[100..(100 + 2 * P) as usize].fill(0);
    assert_eq!(read_vec(&vmo, 0, 4 * P as usize), expected);
    assert_eq!(vmo.lookup_page(1), None, "the whole page was freed");
    assert_eq!(vmo.committed_pages(), 3);
    assert_eq!(frames.free_pages(), free - 3);

    // Inside one page, and up to a page's end.
    vmo.zero(3 * P + 10, 5).unwrap();
    expected[(3 * P + 10) as usize..(3 * P + 15) as usize].fill(0);
    vmo.zero(3 * P - 1, 1).unwrap();
    expected[(3 * P - 1) as usize] = 0;
    assert_eq!(read_vec(&vmo, 0, 4 * P as usize), expected);

    // Zeroing uncommitted memory commits nothing; empty ranges are fine.
    vmo.zero(P, P).unwrap();
    vmo.zero(4 * P, 0).unwrap();
    assert_eq!(vmo.committed_pages(), 3);
    assert_eq!(vmo.zero(4 * P - 1, 2), Err(ZxStatus::OutOfRange));
    assert_eq!(vmo.zero(1, u64::MAX), Err(ZxStatus::OutOfRange));

    vmo.zero(0, 4 * P).unwrap();
    assert_eq!(vmo.committed_pages(), 0);
    assert_eq!(frames.free_pages(), free);
}

#[test]
fn a_huge_zero_or_decommit_is_cheap() {
    let frames = testing::allocator(4);
    let mut vmo = Vmo::create(frames, VMO_MAX_SIZE, 0).unwrap();
    vmo.write(TIB, &[1]).unwrap();
    vmo.write(VMO_MAX_SIZE - 1, &[1]).unwrap();
    // These walk committed pages, not the 2^52 pages of the range.
    vmo.zero(1, VMO_MAX_SIZE - 2).unwrap();
    assert_eq!(
        vmo.committed_pages(),
        1,
        "the last page is only partly covered"
    );
    vmo.decommit(0, VMO_MAX_SIZE).unwrap();
    assert_eq!(vmo.committed_pages(), 0);
    assert_eq!(frames.free_pages(), 4);
}

#[test]
fn dropping_a_vmo_returns_every_page() {
    let frames = testing::allocator(64);
    let start = frames.free_pages();
    {
        let mut a = Vmo::create(frames, 100 * P, vmo_opt::RESIZABLE).unwrap();
        let mut b = Vmo::create(frames, TIB, 0).unwrap();
        a.write(P / 2, &pattern(10 * P as usize, 1)).unwrap();
        a.commit(20 * P, 5 * P).unwrap();
        a.set_size(50 * P + 7).unwrap();
        a.zero(3 * P, 2 * P).unwrap();
        for i in 0..10 {
            b.commit_page(i * 1000).unwrap();
        }
        b.decommit(0, P).unwrap();
        assert!(frames.free_pages() < start);
        assert_eq!(
            frames.free_pages(),
            start - a.committed_pages() - b.committed_pages()
        );
    }
    assert_eq!(frames.free_pages(), start, "a page leaked");
}

#[test]
fn running_out_of_memory_mid_write_changes_and_leaks_nothing() {
    let frames = testing::allocator(4);
    let mut vmo = Vmo::create(frames, 16 * P, 0).unwrap();
    vmo.write(0, &[0x42; 10]).unwrap();
    assert_eq!(frames.free_pages(), 3);

    // Pages 0..=4 need four new pages; only three exist.
    let big = pattern(5 * P as usize, 9);
    assert_eq!(vmo.write(0, &big), Err(ZxStatus::NoMemory));
    assert_eq!(vmo.committed_pages(), 1);
    assert_eq!(
        frames.free_pages(),
        3,
        "the pages allocated before failing came back"
    );
    assert_eq!(read_vec(&vmo, 0, 10), vec![0x42; 10], "no byte was written");
    assert_eq!(vmo.lookup_page(1), None);

    // COMMIT is not all-or-nothing (neither is Zircon's): it commits in
    // order until memory runs out, and what it committed stays the VMO's.
    assert_eq!(vmo.commit(0, 5 * P), Err(ZxStatus::NoMemory));
    assert_eq!((vmo.committed_pages(), frames.free_pages()), (4, 0));
    assert_eq!(read_vec(&vmo, 0, 10), vec![0x42; 10], "committed data kept");
    assert_eq!(vmo.commit_page(5), Err(ZxStatus::NoMemory));
    assert_eq!(vmo.write(6 * P, &[1]), Err(ZxStatus::NoMemory));
    assert_eq!(vmo.committed_pages(), 4);
    drop(vmo);
    assert_eq!(frames.free_pages(), 4);
}

#[test]
fn names_are_cut_and_padded() {
    let frames = testing::allocator(1);
    let mut vmo = Vmo::create(frames, P, 0).unwrap();
    assert_eq!(vmo.name(), &[0; ZX_MAX_NAME_LEN]);

    vmo.set_name(b"heap");
    assert_eq!(&vmo.name()[..5], b"heap\0");
    assert!(vmo.name()[4..].iter().all(|&b| b == 0));

    let long = [b'x'; 40];
    vmo.set_name(&long);
    assert_eq!(&vmo.name()[..31], &long[..31]);
    assert_eq!(vmo.name()[31], 0, "always NUL-terminated");

    vmo.set_name(b"ab\0cd");
    assert_eq!(&vmo.name()[..3], b"ab\0");
    assert!(
        vmo.name()[2..].iter().all(|&b| b == 0),
        "nothing after the NUL"
    );

    vmo.set_name(b"");
    assert_eq!(vmo.name(), &[0; ZX_MAX_NAME_LEN]);
}

#[test]
fn copy_from_moves_bytes_page_to_page_at_any_alignment() {
    let frames = testing::allocator(64);
    let mut src = Vmo::create(frames, 3 * 4096, 0).unwrap();
    let pattern: Vec<u8> = (0..3 * 4096u32).map(|i| (i * 7 % 251) as u8).collect();
    src.write(0, &pattern).unwrap();
    let mut dst = Vmo::create(frames, 4 * 4096, 0).unwrap();
    dst.copy_from(4096 + 100, &src, 333, 2 * 4096 + 5).unwrap();
    let mut back = vec![0u8; 2 * 4096 + 5];
    dst.read(4096 + 100, &mut back).unwrap();
    assert_eq!(&back[..], &pattern[333..333 + 2 * 4096 + 5]);
    let mut before = [1u8; 100];
    dst.read(4096, &mut before).unwrap();
    assert_eq!(before, [0u8; 100]);
}

#[test]
fn copy_from_uncommitted_source_zeroes_and_checks_both_ranges() {
    let frames = testing::allocator(16);
    let src = Vmo::create(frames, 2 * 4096, 0).unwrap();
    let mut dst = Vmo::create(frames, 2 * 4096, 0).unwrap();
    dst.write(0, &[9u8; 8192]).unwrap();
    dst.copy_from(10, &src, 4000, 500).unwrap();
    let mut got = [1u8; 500];
    dst.read(10, &mut got).unwrap();
    assert_eq!(got, [0u8; 500]);
    assert_eq!(src.committed_pages(), 0);
    assert_eq!(dst.copy_from(8000, &src, 0, 500), Err(ZxStatus::OutOfRange));
    assert_eq!(dst.copy_from(0, &src, 8000, 500), Err(ZxStatus::OutOfRange));
    assert_eq!(
        dst.copy_from(0, &src, u64::MAX, 2),
        Err(ZxStatus::OutOfRange)
    );
}

#[test]
fn copy_from_without_memory_leaves_destination_unchanged() {
    let frames = testing::allocator(2);
    let mut src = Vmo::create(frames, 4096, 0).unwrap();
    src.write(0, &[3u8; 4096]).unwrap();
    let mut dst = Vmo::create(frames, 3 * 4096, 0).unwrap();
    let free = frames.free_pages();
    assert_eq!(dst.copy_from(0, &src, 0, 4096).map(|_| ()), Ok(()));
    assert_eq!(dst.copy_from(4096, &src, 0, 4096), Err(ZxStatus::NoMemory));
    assert_eq!(frames.free_pages(), free - 1);
    assert_eq!(dst.committed_pages(), 1);
}

#[test]
fn unbounded_vmos_are_as_large_as_a_vmo_can_be() {
    let frames = testing::allocator(1);
    let vmo = Vmo::create_unbounded(frames, 5000, 0).unwrap();
    assert_eq!((vmo.size(), vmo.content_size()), (VMO_MAX_SIZE, 5000));
    assert!(!vmo.is_resizable());
    assert_eq!(vmo.committed_pages(), 0);
    let largest = Vmo::create_unbounded(frames, VMO_MAX_SIZE, vmo_opt::DISCARDABLE).unwrap();
    assert_eq!(largest.content_size(), VMO_MAX_SIZE);
    assert_eq!(
        Vmo::create_unbounded(frames, VMO_MAX_SIZE + 1, 0).err(),
        Some(ZxStatus::OutOfRange)
    );
    assert_eq!(
        Vmo::create_unbounded(frames, u64::MAX, 0).err(),
        Some(ZxStatus::OutOfRange)
    );
    assert_eq!(
        Vmo::create_unbounded(frames, 0, vmo_opt::RESIZABLE).err(),
        Some(ZxStatus::InvalidArgs)
    );
}

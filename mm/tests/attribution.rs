//! Zircon's memory attribution on the host: the sequences of the core tests
//! (zircon/system/utest/core/vmo/vmo-clone2.cc, with the scaled-attribution
//! helpers of helpers.h) replayed on `mm::Vmo` snapshots, checking the exact
//! byte figures Zircon expects as clones are created, written, closed
//! (merged into their survivors) and resized; plus the fixed-point fraction,
//! "sums to one" over random sequences, range queries and metadata bytes.
//!
//! `populated(v)` is what the core tests' `VmoPopulatedBytes` reads on a
//! kernel with scaled attribution: `populated_scaled_bytes`.

use mm::attribution::FRACTION_ONE;
use mm::page_list::{FANOUT, NODE_BYTES, NODE_ENTRY_BYTES};
use mm::phys::testing;
use mm::{Attribution, ScaledBytes, Vmo};
use zx_abi::vmo_opt;

const P: u64 = 4096;
const THIRD: u64 = FRACTION_ONE / 3;

fn populated(v: &Vmo) -> u64 {
    v.attribution().populated_scaled_bytes
}

fn fraction(v: &Vmo) -> u64 {
    v.attribution().populated_fractional_scaled_bytes
}

/// `VmoWrite`: a u32 at `offset`.
fn put(v: &mut Vmo, value: u32, offset: u64) {
    v.write(offset, &value.to_le_bytes()).unwrap();
}

/// `VmoCheck`: the u32 at `offset`.
fn get(v: &Vmo, offset: u64) -> u32 {
    let mut b = [0u8; 4];
    v.read(offset, &mut b).unwrap();
    u32::from_le_bytes(b)
}

/// `InitPageTaggedVmo`: `pages` pages, resizable, page i holding i + 1.
fn tagged(frames: &'static mm::FrameAllocator, pages: u32) -> Vmo {
    let mut v = Vmo::create(frames, u64::from(pages) * P, vmo_opt::RESIZABLE).unwrap();
    for i in 0..pages {
        put(&mut v, i + 1, u64::from(i) * P);
    }
    v
}

fn snap(v: &mut Vmo, offset: u64, size: u64) -> Vmo {
    v.snapshot(offset, size, 0).unwrap()
}

fn snap_resizable(v: &mut Vmo, offset: u64, size: u64) -> Vmo {
    v.snapshot(offset, size, vmo_opt::RESIZABLE).unwrap()
}

/// Calls `f` with every permutation of `0..n` (the core tests'
/// `CallPermutations`).
fn permutations(n: usize, f: &mut dyn FnMut(&[usize])) {
    fn go(n: usize, prefix: &mut Vec<usize>, f: &mut dyn FnMut(&[usize])) {
        if prefix.len() == n {
            f(prefix);
            return;
        }
        for i in 0..n {
            if !prefix.contains(&i) {
                prefix.push(i);
                go(n, prefix, f);
                prefix.pop();
            }
        }
    }
    go(n, &mut Vec::new(), f);
}

#[test]
fn a_lone_vmo_owns_its_pages_outright() {
    let frames = testing::allocator(8);
    let mut v = Vmo::create(frames, 4 * P, 0).unwrap();
    assert_eq!(v.attribution(), Attribution::default());
    v.write(P, &[1; 10]).unwrap();
    v.commit(2 * P, 2 * P).unwrap();
    let a = v.attribution();
    assert_eq!(a.committed_bytes, 3 * P);
    assert_eq!(a.committed_private_bytes, 3 * P);
    assert_eq!(a.committed_scaled(), ScaledBytes::whole(3 * P));
    assert_eq!(
        (a.populated_bytes, a.populated_private_bytes),
        (3 * P, 3 * P)
    );
    assert_eq!(a.populated_scaled(), ScaledBytes::whole(3 * P));
    v.decommit(2 * P, P).unwrap();
    assert_eq!(populated(&v), 2 * P);
}

/// vmo-clone2.cc `ObjMemAccounting`.
#[test]
fn obj_mem_accounting() {
    let frames = testing::allocator(16);
    let mut vmo = Vmo::create(frames, 2 * P, 0).unwrap();
    put(&mut vmo, 1, 0);
    put(&mut vmo, 1, P);
    assert_eq!(populated(&vmo), 2 * P);

    // Each sees both shared pages (RSS), owns none (USS), and half of each.
    let mut clone = snap(&mut vmo, 0, 2 * P);
    for v in [&vmo, &clone] {
        let a = v.attribution();
        assert_eq!(a.committed_bytes, 2 * P);
        assert_eq!(a.committed_private_bytes, 0);
        assert_eq!(a.populated_scaled(), ScaledBytes::whole(P));
    }

    // The original forks page 0: its copy is its own, and the old frame is
    // the clone's alone.
    put(&mut vmo, 2, 0);
    assert_eq!(populated(&vmo), 3 * P / 2);
    assert_eq!(populated(&clone), 3 * P / 2);
    assert_eq!(vmo.attribution().committed_private_bytes, P);
    assert_eq!(clone.attribution().committed_private_bytes, P);

    put(&mut clone, 2, P);
    assert_eq!(populated(&vmo), 2 * P);
    assert_eq!(populated(&clone), 2 * P);

    // Writes to pages already private change nothing.
    put(&mut vmo, 2, P);
    put(&mut clone, 2, 0);
    assert_eq!(populated(&vmo), 2 * P);
    assert_eq!(populated(&clone), 2 * P);
    for v in [&vmo, &clone] {
        let a = v.attribution();
        assert_eq!(
            (a.committed_bytes, a.committed_private_bytes),
            (2 * P, 2 * P)
        );
        assert_eq!(v.private_pages() as u64 * P, a.committed_private_bytes);
    }
}

/// vmo-clone2.cc `ZeroPageWrite`.
#[test]
fn zero_page_write() {
    let frames = testing::allocator(8);
    let mut v0 = Vmo::create(frames, P, 0).unwrap();
    let mut v1 = snap(&mut v0, 0, P);
    let mut v2 = snap(&mut v0, 0, P);
    let mut v3 = snap(&mut v1, 0, P);
    for i in 0..4u32 {
        let vmos = [&mut v0, &mut v1, &mut v2, &mut v3];
        put(vmos[i as usize], i + 1, 0);
        for (j, v) in vmos.iter().enumerate() {
            let j = j as u32;
            assert_eq!(get(v, 0), if j <= i { j + 1 } else { 0 });
            assert_eq!(populated(v), if j <= i { P } else { 0 });
        }
    }
}

/// vmo-clone2.cc `SplitPageClosure`.
#[test]
fn split_page_closure() {
    let frames = testing::allocator(8);
    let mut vmo = tagged(frames, 1);
    let mut clone1 = snap(&mut vmo, 0, P);
    let mut clone2 = snap(&mut clone1, 0, P);
    put(&mut clone1, 3, 0);
    put(&mut clone2, 4, 0);
    for v in [&vmo, &clone1, &clone2] {
        assert_eq!(populated(v), P);
    }
    drop(vmo);
    assert_eq!((get(&clone1, 0), get(&clone2, 0)), (3, 4));
    assert_eq!((populated(&clone1), populated(&clone2)), (P, P));
    drop(clone1);
    assert_eq!((get(&clone2, 0), populated(&clone2)), (4, P));
    assert_eq!(frames.free_pages(), 7);
}

/// vmo-clone2.cc `Offset`.
#[test]
fn offset() {
    let frames = testing::allocator(8);
    let mut vmo = tagged(frames, 3);
    let mut clone = snap(&mut vmo, P, 3 * P);
    assert_eq!(populated(&vmo), 2 * P, "1 + 1/2 + 1/2");
    assert_eq!(populated(&clone), P, "1/2 + 1/2");
    assert_eq!(
        (get(&clone, 0), get(&clone, P), get(&clone, 2 * P)),
        (2, 3, 0)
    );
    put(&mut clone, 4, P);
    drop(vmo);
    assert_eq!(
        (get(&clone, 0), get(&clone, P), get(&clone, 2 * P)),
        (2, 4, 0)
    );
    // The last page is a zero page: not retained, not attributed.
    assert_eq!(populated(&clone), 3 * P - P);
    assert_eq!(frames.free_pages(), 6);
}

/// vmo-clone2.cc `OffsetTest2`.
#[test]
fn offset_test2() {
    let frames = testing::allocator(16);
    let mut vmo = tagged(frames, 4);
    let mut offset_clone = snap(&mut vmo, P, 3 * P);
    let clone1 = snap(&mut offset_clone, 0, 2 * P);
    let clone2 = snap(&mut offset_clone, 2 * P, P);
    assert_eq!(
        (get(&clone1, 0), get(&clone1, P), get(&clone2, 0)),
        (2, 3, 4)
    );
    put(&mut offset_clone, 4, P);
    drop(offset_clone);
    assert_eq!(
        (get(&clone1, 0), get(&clone1, P), get(&clone2, 0)),
        (2, 3, 4)
    );
    assert_eq!(populated(&vmo), 5 * P / 2, "1 + 1/2 + 1/2 + 1/2");
    assert_eq!(populated(&clone1), P, "1/2 + 1/2");
    assert_eq!(populated(&clone2), P / 2);
    drop(clone1);
    assert_eq!(populated(&vmo), 7 * P / 2, "1 + 1 + 1 + 1/2");
    assert_eq!(populated(&clone2), P / 2);
    drop(clone2);
    assert_eq!(populated(&vmo), 4 * P);
    assert_eq!(frames.free_pages(), 12);
}

/// vmo-clone2.cc `OffsetProgressiveWrite`.
#[test]
fn offset_progressive_write() {
    let frames = testing::allocator(8);
    let mut vmo = tagged(frames, 2);
    let mut clone = snap(&mut vmo, P, 2 * P);
    assert_eq!(get(&clone, 0), 2);
    put(&mut clone, 3, 0);
    assert_eq!((get(&clone, 0), get(&vmo, 0), get(&vmo, P)), (3, 1, 2));
    assert_eq!((populated(&vmo), populated(&clone)), (2 * P, P));

    let clone2 = snap(&mut clone, P, P);
    // clone2 cannot see the page, so the write needs no copy.
    let free = frames.free_pages();
    put(&mut clone, 4, 0);
    assert_eq!(frames.free_pages(), free);
    assert_eq!(
        (populated(&vmo), populated(&clone), populated(&clone2)),
        (2 * P, P, 0)
    );
    drop(vmo);
    assert_eq!(get(&clone, 0), 4);
    drop(clone2);
    assert_eq!(get(&clone, 0), 4);
    assert_eq!(populated(&clone), 2 * P - P);
}

/// vmo-clone2.cc `Overflow`, including its fractional-byte checks: a page
/// shared three ways is 1365 bytes and a third to each.
#[test]
fn overflow_with_fractional_thirds() {
    let frames = testing::allocator(16);
    let mut vmo = tagged(frames, 1);
    let mut clone = snap(&mut vmo, 0, 2 * P);
    assert_eq!((get(&clone, 0), get(&clone, P)), (1, 0));
    assert_eq!((populated(&vmo), populated(&clone)), (P / 2, P / 2));

    put(&mut clone, 2, P);
    let mut clone2 = snap(&mut clone, 0, 3 * P);
    assert_eq!(
        (get(&clone2, 0), get(&clone2, P), get(&clone2, 2 * P)),
        (1, 2, 0)
    );
    assert_eq!(populated(&vmo), P / 3, "1/3");
    assert_eq!(populated(&clone), 5 * P / 6, "1/3 + 1/2");
    assert_eq!(populated(&clone2), 5 * P / 6, "1/3 + 1/2 + 0");
    for v in [&vmo, &clone, &clone2] {
        assert_eq!(fraction(v), THIRD);
        assert_eq!(fraction(v), 0x8000_0000_0000_0000 / 3);
    }
    // The thirds leave one byte (less a hair) over, as in Zircon.
    assert_eq!(
        populated(&vmo) + populated(&clone) + populated(&clone2) + 1,
        2 * P
    );

    put(&mut clone2, 3, 2 * P);
    assert_eq!(get(&clone2, 2 * P), 3);
    assert_eq!(populated(&vmo), P / 3);
    assert_eq!(populated(&clone), 5 * P / 6);
    assert_eq!(populated(&clone2), 11 * P / 6, "1/3 + 1/2 + 1");
    for v in [&vmo, &clone, &clone2] {
        assert_eq!(fraction(v), THIRD);
    }

    put(&mut clone2, 4, 0);
    put(&mut clone2, 5, P);
    assert_eq!((get(&vmo, 0), get(&clone, 0), get(&clone, P)), (1, 1, 2));
    assert_eq!(
        (get(&clone2, 0), get(&clone2, P), get(&clone2, 2 * P)),
        (4, 5, 3)
    );
    assert_eq!(populated(&vmo), P / 2);
    assert_eq!(populated(&clone), 3 * P / 2);
    assert_eq!(populated(&clone2), 3 * P);
    for v in [&vmo, &clone, &clone2] {
        assert_eq!(fraction(v), 0, "halves and wholes are exact");
    }

    drop(clone);
    assert_eq!(get(&vmo, 0), 1);
    assert_eq!((populated(&vmo), populated(&clone2)), (P, 3 * P));
}

/// vmo-clone2.cc `OutOfBounds`.
#[test]
fn out_of_bounds() {
    let frames = testing::allocator(8);
    let mut vmo = tagged(frames, 1);
    let mut clone = snap(&mut vmo, 2 * P, 2 * P);
    assert_eq!((get(&clone, 0), get(&clone, P)), (0, 0));
    assert_eq!((populated(&vmo), populated(&clone)), (P, 0));

    put(&mut clone, 2, P);
    let mut clone2 = snap(&mut clone, 0, 3 * P);
    assert_eq!(
        (get(&clone2, 0), get(&clone2, P), get(&clone2, 2 * P)),
        (0, 2, 0)
    );
    assert_eq!(
        (populated(&vmo), populated(&clone), populated(&clone2)),
        (P, P / 2, P / 2)
    );
    put(&mut clone2, 3, 2 * P);
    assert_eq!(
        (populated(&vmo), populated(&clone), populated(&clone2)),
        (P, P / 2, 3 * P / 2)
    );
}

/// vmo-clone2.cc `SmallClone`.
#[test]
fn small_clone() {
    let frames = testing::allocator(8);
    let mut vmo = tagged(frames, 3);
    let clone = snap(&mut vmo, P, P);
    assert_eq!(get(&clone, 0), 2);
    assert_eq!((populated(&vmo), populated(&clone)), (5 * P / 2, P / 2));
    // Writes outside the clone's window need no copy.
    let free = frames.free_pages();
    put(&mut vmo, 4, 0);
    put(&mut vmo, 5, 2 * P);
    assert_eq!(frames.free_pages(), free);
    assert_eq!((populated(&vmo), populated(&clone)), (5 * P / 2, P / 2));
    drop(vmo);
    assert_eq!(get(&clone, 0), 2);
    assert_eq!(populated(&clone), P);
    assert_eq!(frames.free_pages(), 7);
}

/// vmo-clone2.cc `SmallClones`: closing the original migrates its shared
/// pages to the survivors and frees what none of them can see.
#[test]
fn small_clones() {
    let frames = testing::allocator(8);
    let mut vmo = tagged(frames, 3);
    let mut clone = snap(&mut vmo, P, 2 * P);
    put(&mut clone, 4, P);
    let clone2 = snap(&mut vmo, 0, P);
    assert_eq!(get(&clone, 0), 2);
    assert_eq!(populated(&vmo), 2 * P, "1/2 + 1/2 + 1");
    assert_eq!(populated(&clone), 3 * P / 2, "1/2 + 1");
    assert_eq!(populated(&clone2), P / 2);
    drop(vmo);
    assert_eq!((populated(&clone), populated(&clone2)), (2 * P, P));
    assert_eq!(frames.free_pages(), 8 - 3);
}

/// vmo-clone2.cc `DisjointCloneEarlyClose` and `DisjointCloneLateClose`.
#[test]
fn disjoint_clones() {
    for early_close in [true, false] {
        let frames = testing::allocator(16);
        let mut vmo = tagged(frames, 4);
        let mut clone = snap(&mut vmo, P, 2 * P);
        let mut leaves = [
            snap(&mut vmo, 0, P),
            snap(&mut clone, 0, P),
            snap(&mut clone, P, P),
            snap(&mut vmo, 3 * P, P),
        ];
        let mut parents = Some((vmo, clone));
        if early_close {
            parents = None;
        }
        for (i, leaf) in leaves.iter_mut().enumerate() {
            assert_eq!(get(leaf, 0), i as u32 + 1);
            put(leaf, i as u32 + 5, 0);
        }
        drop(parents);
        for (i, leaf) in leaves.iter().enumerate() {
            assert_eq!(get(leaf, 0), i as u32 + 5);
            assert_eq!(populated(leaf), P, "early close {early_close}");
        }
        assert_eq!(frames.free_pages(), 16 - 4, "nothing retained");
    }
}

/// vmo-clone2.cc `DisjointCloneTest2`: closing unwritten disjoint clones in
/// every order.
#[test]
fn disjoint_clone_close_orders() {
    let frames = testing::allocator(16);
    permutations(4, &mut |perm| {
        let mut vmo = tagged(frames, 4);
        let mut clone = snap(&mut vmo, P, 2 * P);
        let mut leaves: Vec<Option<Vmo>> = vec![
            Some(snap(&mut vmo, 0, P)),
            Some(snap(&mut clone, 0, P)),
            Some(snap(&mut clone, P, P)),
            Some(snap(&mut vmo, 3 * P, P)),
        ];
        drop(vmo);
        drop(clone);
        for &closing in perm {
            leaves[closing] = None;
            for (j, leaf) in leaves.iter().enumerate() {
                if let Some(leaf) = leaf {
                    assert_eq!(get(leaf, 0), j as u32 + 1);
                    assert_eq!(populated(leaf), P, "order {perm:?}");
                }
            }
        }
        assert_eq!(frames.free_pages(), 16);
    });
}

/// vmo-clone2.cc `ResizeChild` and `ResizeOriginal`.
#[test]
fn resize_child_and_original() {
    for resize_child in [true, false] {
        let frames = testing::allocator(16);
        let mut vmo = Vmo::create(frames, 4 * P, vmo_opt::RESIZABLE).unwrap();
        for i in 0..4u32 {
            put(&mut vmo, i + 1, u64::from(i) * P);
        }
        let mut clone = snap_resizable(&mut vmo, 0, 4 * P);
        put(&mut vmo, 5, P);
        put(&mut clone, 5, 2 * P);
        assert_eq!(populated(&vmo), 3 * P, "1/2 + 1 + 1 + 1/2");
        assert_eq!(populated(&clone), 3 * P);

        let (target, other) = if resize_child {
            (&mut clone, &mut vmo)
        } else {
            (&mut vmo, &mut clone)
        };
        target.set_size(P).unwrap();
        let written = if resize_child { 1 } else { 2 };
        for i in 0..4u32 {
            let expected = if i == written { 5 } else { i + 1 };
            assert_eq!(get(other, u64::from(i) * P), expected);
        }
        assert_eq!(get(target, 0), 1);
        assert_eq!(populated(other), 7 * P / 2, "1/2 + 1 + 1 + 1");
        assert_eq!(populated(target), P / 2);

        // Growing the shrunk VMO exposes zeros, not the relative's pages.
        target.set_size(2 * P).unwrap();
        assert_eq!(get(target, P), 0);
        let free = frames.free_pages();
        put(other, 6, 3 * P);
        assert_eq!(frames.free_pages(), free, "no copy needed");
        assert_eq!(populated(other), 7 * P / 2);
        assert_eq!(populated(target), P / 2);

        // Closing the other frees what the resized one cannot see.
        if resize_child {
            drop(vmo);
            assert_eq!(get(&clone, 0), 1);
            assert_eq!(populated(&clone), P, "1 + 0");
        } else {
            drop(clone);
            assert_eq!(get(&vmo, 0), 1);
            assert_eq!(populated(&vmo), P);
        }
        assert_eq!(frames.free_pages(), 15);
    }
}

/// vmo-clone2.cc `ResizeGrow`.
#[test]
fn resize_grow() {
    let frames = testing::allocator(8);
    let mut vmo = tagged(frames, 2);
    let mut clone = snap_resizable(&mut vmo, 0, P);
    assert_eq!(get(&clone, 0), 1);
    clone.set_size(2 * P).unwrap();
    assert_eq!(get(&clone, P), 0);
    put(&mut vmo, 3, P);
    assert_eq!(get(&clone, P), 0);
    assert_eq!(populated(&vmo), 3 * P / 2, "1/2 + 1");
    assert_eq!(populated(&clone), P / 2, "1/2 + 0");
}

/// vmo-clone2.cc `ResizeOffsetChild`.
#[test]
fn resize_offset_child() {
    let frames = testing::allocator(8);
    let mut vmo = tagged(frames, 3);
    let clone = snap(&mut vmo, P, P);
    vmo.set_size(0).unwrap();
    assert_eq!(get(&clone, 0), 2);
    assert_eq!((populated(&vmo), populated(&clone)), (0, P));
    assert_eq!(frames.free_pages(), 7);
}

/// vmo-clone2.cc `ResizeDisjointChild`, every order.
#[test]
fn resize_disjoint_child() {
    let frames = testing::allocator(8);
    permutations(3, &mut |perm| {
        let mut vmo = tagged(frames, 3);
        let mut clones: Vec<Vmo> = (0..3).map(|i| snap_resizable(&mut vmo, i * P, P)).collect();
        for (i, c) in clones.iter().enumerate() {
            assert_eq!(get(c, 0), i as u32 + 1);
        }
        assert_eq!(populated(&vmo), 3 * P / 2);
        for c in &clones {
            assert_eq!(populated(c), P / 2);
        }
        clones[perm[0]].set_size(0).unwrap();
        clones[perm[1]].set_size(0).unwrap();
        vmo.set_size(0).unwrap();
        assert_eq!(get(&clones[perm[2]], 0), perm[2] as u32 + 1);
        assert_eq!(populated(&vmo), 0);
        assert_eq!(populated(&clones[perm[0]]), 0);
        assert_eq!(populated(&clones[perm[1]]), 0);
        assert_eq!(populated(&clones[perm[2]]), P);
        clones[perm[2]].set_size(0).unwrap();
        assert_eq!(populated(&clones[perm[2]]), 0);
        assert_eq!(frames.free_pages(), 8, "order {perm:?}");
    });
}

/// vmo-clone2.cc `ResizeMultipleProgressive`.
#[test]
fn resize_multiple_progressive() {
    let frames = testing::allocator(8);
    let mut vmo = tagged(frames, 3);
    let mut clone = snap_resizable(&mut vmo, 0, 2 * P);
    put(&mut vmo, 4, 0);
    put(&mut clone, 5, P);
    assert_eq!((get(&vmo, 0), get(&vmo, P), get(&vmo, 2 * P)), (4, 2, 3));
    assert_eq!((get(&clone, 0), get(&clone, P)), (1, 5));
    let clone2 = snap(&mut vmo, 0, P);
    assert_eq!(get(&clone2, 0), 4);

    clone.set_size(0).unwrap();
    assert_eq!((get(&vmo, 0), get(&vmo, P), get(&vmo, 2 * P)), (4, 2, 3));
    assert_eq!(get(&clone2, 0), 4);
    assert_eq!(populated(&vmo), 5 * P / 2, "1/2 + 1 + 1");
    assert_eq!(populated(&clone), 0);
    assert_eq!(populated(&clone2), P / 2);

    vmo.set_size(0).unwrap();
    assert_eq!(get(&clone2, 0), 4);
    assert_eq!(
        (populated(&vmo), populated(&clone), populated(&clone2)),
        (0, 0, P)
    );
    assert_eq!(frames.free_pages(), 7);
}

/// vmo-clone2.cc `ManyCloneMappingOffset` (its reads through mappings are
/// reads here: they commit nothing).
#[test]
fn many_clone_mapping_offset() {
    let frames = testing::allocator(8);
    let mut v0 = Vmo::create(frames, 2 * P, 0).unwrap();
    put(&mut v0, 1, 0);
    let mut v1 = snap(&mut v0, 0, 2 * P);
    let v2 = snap(&mut v0, P, P);
    let mut v3 = snap(&mut v0, 0, 2 * P);
    for v in [&v0, &v1, &v3] {
        assert_eq!(get(v, 0), 1);
    }
    put(&mut v3, 2, 0);
    put(&mut v1, 3, 0);
    assert_eq!((get(&v1, 0), get(&v3, 0), get(&v0, 0)), (3, 2, 1));
    for (i, v) in [&v0, &v1, &v2, &v3].into_iter().enumerate() {
        assert_eq!(populated(v), u64::from(i != 2) * P);
    }
}

/// vmo-clone2.cc `ProgressiveCloneClose` and `ProgressiveCloneTruncate`:
/// six VMOs sharing pages five and six ways, with the fractions carrying.
#[test]
fn progressive_clone_discard() {
    const N: u64 = 6;
    for close in [true, false] {
        let frames = testing::allocator(64);
        let mut original = tagged(frames, N as u32);
        assert_eq!(populated(&original), N * P);
        let mut clones = Vec::new();
        for i in 1..N {
            let mut c = snap_resizable(&mut original, 0, N * P);
            put(&mut c, N as u32 + 2, i * P);
            clones.push(c);
        }
        let mut vmos: Vec<Option<Vmo>> = core::iter::once(Some(original))
            .chain(clones.into_iter().map(Some))
            .collect();
        for (i, v) in vmos.iter().enumerate() {
            let v = v.as_ref().unwrap();
            for j in 0..N as usize {
                let expected = if i != 0 && j == i {
                    N + 2
                } else {
                    j as u64 + 1
                };
                assert_eq!(u64::from(get(v, j as u64 * P)), expected);
            }
        }
        // Original: 1/6 + 5 * 1/5. Each clone: 1/6 + 1 + 4 * 1/5.
        let original_bytes = 7 * P / 6;
        let all_clones = 59 * P / 6;
        assert_eq!(populated(vmos[0].as_ref().unwrap()), original_bytes);
        assert_eq!(original_bytes, 4778);
        for v in &vmos[1..] {
            assert_eq!(populated(v.as_ref().unwrap()), all_clones / (N - 1));
        }
        assert_eq!(all_clones / (N - 1), 8055);

        let discard = |v: &mut Option<Vmo>| {
            if close {
                *v = None;
            } else {
                v.as_mut().unwrap().set_size(0).unwrap();
            }
        };
        discard(&mut vmos[0]);
        for (i, v) in vmos.iter().enumerate().skip(1) {
            let v = v.as_ref().unwrap();
            for j in 0..N as usize {
                let expected = if j == i { N + 2 } else { j as u64 + 1 };
                assert_eq!(u64::from(get(v, j as u64 * P)), expected);
            }
        }
        // Each: 1 + 1/5 + 4 * 1/4.
        let total2 = (2 * N - 1) * P;
        for v in &vmos[1..] {
            assert_eq!(populated(v.as_ref().unwrap()), total2 / (N - 1));
        }

        for v in vmos.iter_mut().take(N as usize - 2).skip(1) {
            discard(v);
        }
        // The last two: 4 * 1/2 + 1 + 1.
        let total3 = (N + 2) * P;
        for v in &vmos[N as usize - 2..] {
            assert_eq!(populated(v.as_ref().unwrap()), total3 / 2);
        }
        let live: u64 = vmos
            .iter()
            .flatten()
            .map(|v| v.attribution().committed_private_bytes)
            .sum();
        assert_eq!(live, 4 * P, "each of the two has two pages of its own");
    }
}

/// A tiny deterministic generator for the random sequences below.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

/// Zircon's "sums to one": over every live VMO the scaled bytes, fractions
/// carried, add up to the memory actually allocated (less under a byte per
/// shared page, the truncation Zircon has too); the private bytes never
/// exceed it and the committed bytes never fall below it.
#[test]
fn scaled_bytes_sum_to_the_memory_in_use() {
    const PAGES: usize = 256;
    let frames = testing::allocator(PAGES as u64);
    let mut rng = Lcg(0x5eed);
    let mut vmos: Vec<Vmo> = Vec::new();
    for step in 0..600 {
        match rng.next(6) {
            0 | 1 if !vmos.is_empty() => {
                let i = rng.next(vmos.len() as u64) as usize;
                let v = &mut vmos[i];
                let pages = v.size() / P;
                if pages > 0 {
                    let at = rng.next(pages) * P + rng.next(P - 3);
                    v.write(at, &[step as u8; 3]).ok();
                }
            }
            2 if vmos.len() < 12 => {
                if vmos.is_empty() || rng.next(3) == 0 {
                    let pages = 1 + rng.next(8);
                    vmos.push(Vmo::create(frames, pages * P, vmo_opt::RESIZABLE).unwrap());
                } else {
                    let i = rng.next(vmos.len() as u64) as usize;
                    let offset = rng.next(6) * P;
                    let size = (1 + rng.next(8)) * P;
                    let child = vmos[i].snapshot(offset, size, vmo_opt::RESIZABLE).unwrap();
                    vmos.push(child);
                }
            }
            3 if !vmos.is_empty() => {
                let i = rng.next(vmos.len() as u64) as usize;
                vmos.swap_remove(i);
            }
            4 if !vmos.is_empty() => {
                let i = rng.next(vmos.len() as u64) as usize;
                vmos[i].set_size(rng.next(9) * P).unwrap();
            }
            _ if !vmos.is_empty() => {
                let i = rng.next(vmos.len() as u64) as usize;
                let pages = vmos[i].size() / P;
                if pages > 0 {
                    vmos[i].decommit(rng.next(pages) * P, P).unwrap();
                }
            }
            _ => {}
        }
        let used = (PAGES - frames.free_pages()) as u64 * P;
        let mut total = Attribution::default();
        let mut shared_pages = 0u64;
        for v in &vmos {
            let a = v.attribution();
            assert_eq!(a.populated_scaled(), a.committed_scaled());
            assert!(a.committed_private_bytes <= a.committed_scaled_bytes);
            assert!(a.committed_scaled_bytes <= a.committed_bytes);
            shared_pages += (a.committed_bytes - a.committed_private_bytes) / P;
            total += &a;
        }
        let sum = total.committed_scaled();
        assert!(sum.integral <= used, "step {step}: {sum:?} > {used}");
        assert!(
            used - sum.integral <= u64::from(shared_pages > 0),
            "step {step}: {sum:?} vs {used}"
        );
        if shared_pages == 0 {
            assert_eq!(sum, ScaledBytes::whole(used));
        }
        assert!(total.committed_private_bytes <= used);
        assert!(total.committed_bytes >= used);
    }
    drop(vmos);
    assert_eq!(frames.free_pages(), PAGES);
}

#[test]
fn range_queries_count_the_pages_a_range_touches() {
    let frames = testing::allocator(16);
    let mut vmo = Vmo::create(frames, 8 * P, 0).unwrap();
    for i in 0..8 {
        put(&mut vmo, 1, i * P);
    }
    let _clone = snap(&mut vmo, 4 * P, 4 * P);
    let a = vmo.attribution_in_range(3 * P + 100, P);
    assert_eq!(a.committed_bytes, 2 * P, "pages 3 and 4");
    assert_eq!(a.committed_private_bytes, P);
    assert_eq!(a.committed_scaled(), ScaledBytes::whole(3 * P / 2));
    assert_eq!(a.populated_scaled(), a.committed_scaled());
    assert_eq!(a.metadata_bytes, 0);
    // Cut at the end, as Zircon trims; nothing at or past the end.
    assert_eq!(
        vmo.attribution_in_range(6 * P, u64::MAX).committed_bytes,
        2 * P
    );
    assert_eq!(vmo.attribution_in_range(8 * P, P), Attribution::default());
    assert_eq!(
        vmo.attribution_in_range(u64::MAX, u64::MAX),
        Attribution::default()
    );
    assert_eq!(vmo.attribution_in_range(P, 0), Attribution::default());
    let whole = vmo.attribution_in_range(0, u64::MAX);
    let mut halves = vmo.attribution_in_range(0, 4 * P);
    halves += vmo.attribution_in_range(4 * P, 4 * P);
    assert_eq!(halves, whole);
    assert_eq!(whole.committed_scaled(), ScaledBytes::whole(6 * P));
}

#[test]
fn metadata_bytes_are_the_page_list_nodes() {
    let node = NODE_BYTES + NODE_ENTRY_BYTES;
    let frames = testing::allocator(64);
    let mut vmo = Vmo::create(frames, 1 << 40, 0).unwrap();
    assert_eq!(vmo.attribution().metadata_bytes, 0);
    vmo.write(0, &[1]).unwrap();
    assert_eq!(vmo.attribution().metadata_bytes, node);
    vmo.write((FANOUT - 1) * P, &[1]).unwrap();
    assert_eq!(vmo.metadata_bytes(), node, "same 16-page node");
    vmo.write(FANOUT * P, &[1]).unwrap();
    vmo.write(1 << 39, &[1]).unwrap();
    assert_eq!(vmo.metadata_bytes(), 3 * node);
    // A snapshot's list has nodes of its own for the pages it shares.
    let child = snap(&mut vmo, 0, 2 * FANOUT * P);
    assert_eq!(child.metadata_bytes(), 2 * node);
    vmo.decommit(0, 2 * FANOUT * P).unwrap();
    assert_eq!(vmo.attribution().metadata_bytes, node);
    vmo.zero(0, 1 << 40).unwrap();
    assert_eq!(vmo.metadata_bytes(), 0);
    drop(child);
    assert_eq!(frames.free_pages(), 64);
}

#[test]
fn totals_over_vmos_carry_the_fractions() {
    // The `Overflow` state after the second clone: three thirds of a page
    // and two halves.
    let frames = testing::allocator(16);
    let mut vmo = tagged(frames, 1);
    let mut clone = snap(&mut vmo, 0, 2 * P);
    put(&mut clone, 2, P);
    let clone2 = snap(&mut clone, 0, 3 * P);
    let mut total = Attribution::default();
    for v in [&vmo, &clone, &clone2] {
        total += v.attribution();
    }
    assert_eq!(total.committed_bytes, P + 2 * P + 2 * P);
    assert_eq!(total.committed_private_bytes, 0);
    assert_eq!(total.committed_scaled_bytes, 2 * P - 1);
    assert_eq!(total.committed_fractional_scaled_bytes, 3 * THIRD);
    assert_eq!(
        total.metadata_bytes,
        vmo.metadata_bytes() + clone.metadata_bytes() + clone2.metadata_bytes()
    );
    assert_eq!(
        total.metadata_bytes,
        3 * (NODE_BYTES + NODE_ENTRY_BYTES),
        "one node each"
    );
    // A statement of the status quo the kernel relied on: a shared page is
    // not a private one.
    assert_eq!(clone2.private_pages(), 0);
    assert!(clone2.is_page_shared(0));
}

/// vmo-zero.cc `UnalignedUnCommitted` and `DecommitMiddle`.
#[test]
fn zero_commits_nothing_and_frees_whole_pages() {
    let frames = testing::allocator(8);
    let mut v = Vmo::create(frames, 2 * P, 0).unwrap();
    v.zero(P / 2, P).unwrap();
    assert_eq!(populated(&v), 0);
    let mut v = Vmo::create(frames, 3 * P, 0).unwrap();
    v.write(0, &[0xff; 3 * 4096]).unwrap();
    assert_eq!(populated(&v), 3 * P);
    v.zero(P / 2, 2 * P).unwrap();
    assert_eq!(populated(&v), 2 * P);
}

/// vmo-zero.cc `EmptyCowChildren`.
#[test]
fn zero_empty_cow_children() {
    let frames = testing::allocator(8);
    let mut parent = Vmo::create(frames, 2 * P, 0).unwrap();
    put(&mut parent, 1, 0);
    let mut child = snap(&mut parent, 0, 2 * P);
    assert_eq!(get(&child, 0), 1);
    assert_eq!((populated(&parent), populated(&child)), (P / 2, P / 2));
    child.zero(0, P).unwrap();
    assert_eq!(get(&child, 0), 0);
    assert_eq!((populated(&parent), populated(&child)), (P, 0));
    parent.zero(0, P).unwrap();
    assert_eq!(get(&parent, 0), 0);
    assert_eq!((populated(&parent), populated(&child)), (0, 0));
    assert_eq!(frames.free_pages(), 8);
}

/// vmo-zero.cc `MergeZeroChildren`.
#[test]
fn zero_merge_zero_children() {
    let frames = testing::allocator(8);
    let mut parent = Vmo::create(frames, 2 * P, 0).unwrap();
    put(&mut parent, 1, 0);
    let child = snap(&mut parent, 0, P);
    assert_eq!((populated(&parent), populated(&child)), (P / 2, P / 2));
    parent.zero(0, P).unwrap();
    assert_eq!((populated(&parent), populated(&child)), (0, P));
    drop(child);
    assert_eq!(populated(&parent), 0);
    assert_eq!(frames.free_pages(), 8);
}

/// vmo-zero.cc `AllocateAfterMerge`.
#[test]
fn zero_allocate_after_merge() {
    let frames = testing::allocator(8);
    let mut parent = tagged(frames, 2);
    let mut child = snap(&mut parent, 0, 2 * P);
    assert_eq!((get(&child, 0), get(&child, P)), (1, 2));
    assert_eq!((populated(&parent), populated(&child)), (P, P));
    child.zero(0, P).unwrap();
    assert_eq!((populated(&parent), populated(&child)), (3 * P / 2, P / 2));
    drop(parent);
    assert_eq!(populated(&child), P);
    assert_eq!((get(&child, 0), get(&child, P)), (0, 2));
    put(&mut child, 1, 64);
    assert_eq!(get(&child, 0), 0);
    assert_eq!(populated(&child), 2 * P);
}

/// vmo-zero.cc `AllocateAfterMergeMultipleChildren`: thirds and sixths.
#[test]
fn zero_allocate_after_merge_multiple_children() {
    let frames = testing::allocator(16);
    let mut parent = tagged(frames, 3);
    let mut child1 = snap(&mut parent, 0, 3 * P);
    assert_eq!(populated(&parent), 3 * P / 2);
    assert_eq!(populated(&child1), 3 * P / 2);

    parent.zero(0, P).unwrap();
    assert_eq!((populated(&parent), populated(&child1)), (P, 2 * P));

    let mut child2 = snap(&mut parent, 0, 3 * P);
    assert_eq!(populated(&parent), 2 * P / 3);
    assert_eq!(populated(&child1), 5 * P / 3);
    assert_eq!(populated(&child2), 2 * P / 3);
    assert_eq!(fraction(&parent), 2 * THIRD);

    child1.zero(P, P).unwrap();
    assert_eq!(populated(&parent), 5 * P / 6, "1/2 + 1/3");
    assert_eq!(populated(&child1), 4 * P / 3, "1 + 1/3");
    assert_eq!(populated(&child2), 5 * P / 6);
    assert_eq!(
        (get(&parent, 0), get(&parent, P), get(&parent, 2 * P)),
        (0, 2, 3)
    );
    assert_eq!(
        (get(&child1, 0), get(&child1, P), get(&child1, 2 * P)),
        (1, 0, 3)
    );
    assert_eq!(
        (get(&child2, 0), get(&child2, P), get(&child2, 2 * P)),
        (0, 2, 3)
    );

    drop(child1);
    assert_eq!(
        (get(&parent, 0), get(&parent, P), get(&parent, 2 * P)),
        (0, 2, 3)
    );
    assert_eq!(
        (get(&child2, 0), get(&child2, P), get(&child2, 2 * P)),
        (0, 2, 3)
    );
    assert_eq!((populated(&parent), populated(&child2)), (P, P));

    put(&mut parent, 1, 64);
    assert_eq!(get(&parent, 0), 0);
    assert_eq!((populated(&parent), populated(&child2)), (2 * P, P));

    put(&mut child2, 5, P + 64);
    assert_eq!((get(&child2, P), get(&parent, P + 64)), (2, 0));
    assert_eq!(get(&parent, P), 2);
    assert_eq!(populated(&parent), 5 * P / 2);
    assert_eq!(populated(&child2), 3 * P / 2);
}

/// vmo-zero.cc `WriteCowParent` and `ChildZeroThenWrite`.
#[test]
fn zero_after_cow_writes() {
    let frames = testing::allocator(8);
    let mut parent = Vmo::create(frames, 2 * P, 0).unwrap();
    put(&mut parent, 1, 0);
    let mut child = snap(&mut parent, 0, 2 * P);
    assert_eq!((populated(&parent), populated(&child)), (P / 2, P / 2));
    assert_eq!(get(&parent, 0), 1);
    put(&mut parent, 2, 0);
    assert_eq!((populated(&parent), populated(&child)), (P, P));
    assert_eq!(get(&child, 0), 1);
    child.zero(0, P).unwrap();
    assert_eq!((get(&child, 0), get(&parent, 0)), (0, 2));
    assert_eq!((populated(&parent), populated(&child)), (P, 0));
    drop(parent);
    assert_eq!((get(&child, 0), populated(&child)), (0, 0));
    put(&mut child, 1, 64);
    assert_eq!((get(&child, 0), populated(&child)), (0, P));

    let mut parent = Vmo::create(frames, 2 * P, 0).unwrap();
    put(&mut parent, 1, 0);
    let mut child = snap(&mut parent, 0, 2 * P);
    child.zero(0, P).unwrap();
    assert_eq!((populated(&parent), populated(&child)), (P, 0));
    put(&mut child, 1, 0);
    assert_eq!((populated(&parent), populated(&child)), (P, P));
    drop(parent);
    assert_eq!(populated(&child), P);
}

/// vmo-zero.cc `Nested`.
#[test]
fn zero_nested() {
    let frames = testing::allocator(8);
    let mut parent = Vmo::create(frames, 2 * P, 0).unwrap();
    put(&mut parent, 1, 0);
    let child1 = snap(&mut parent, 0, P);
    let child2 = snap(&mut parent, 0, P);
    for v in [&parent, &child1, &child2] {
        assert_eq!((populated(v), fraction(v)), (P / 3, THIRD));
    }
    parent.zero(0, P).unwrap();
    assert_eq!(populated(&parent), 0);
    assert_eq!((populated(&child1), populated(&child2)), (P / 2, P / 2));
}

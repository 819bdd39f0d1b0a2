//! Tests snapshots of snapshots (three levels) and siblings: each VMO sees
//! exactly the writes made to it or to its ancestors before it was
//! created, through vmo_read and mappings; info parent_koid/num_children
//! along the chain; closing in different orders (middle first, top first,
//! bottom first) keeps the survivors' data; nothing leaks at the end.
#![no_std]
#![no_main]

use el0_tests::{
    assert_no_leak, assert_vmo_bytes, child, close, koid, prefault_stack, read_byte, vmo, vmo_info,
    write, zx, Mapping, PAGE, RW,
};
use zx::{child_opt as c, Handle};

const P: u64 = 4096;
const PAGES: u64 = 4;

/// Fills page `page` of `h` with `v`.
fn fill_page(h: Handle, page: u64, v: u8) {
    write(h, &[v; PAGE], page * P);
}

/// Asserts every page of `h` holds the byte given for it.
#[track_caller]
fn expect_pages(h: Handle, pages: [u8; PAGES as usize], what: &str) {
    for (i, &v) in pages.iter().enumerate() {
        assert_vmo_bytes(h, i as u64 * P, P, v, what);
    }
}

/// Builds A -> B -> C:
/// A: pages A A A a (page 3 written after B was created)
/// B: pages A B A A (page 1 written before C was created)
/// C: pages A B C A (page 2 written in C)
fn build_chain() -> (Handle, Handle, Handle) {
    let a = vmo(PAGES * P, 0);
    for page in 0..PAGES {
        fill_page(a, page, b'A');
    }
    let b = child(a, c::SNAPSHOT, 0, PAGES * P);
    fill_page(b, 1, b'B');
    let cc = child(b, c::SNAPSHOT, 0, PAGES * P);
    fill_page(cc, 2, b'C');
    fill_page(a, 3, b'a');
    (a, b, cc)
}

const A: [u8; 4] = [b'A', b'A', b'A', b'a'];
const B: [u8; 4] = [b'A', b'B', b'A', b'A'];
const C: [u8; 4] = [b'A', b'B', b'C', b'A'];

fn three_levels(root: Handle) {
    let (a, b, cc) = build_chain();
    expect_pages(a, A, "A");
    expect_pages(b, B, "B");
    expect_pages(cc, C, "C");

    let (ka, kb, kc) = (koid(a), koid(b), koid(cc));
    let (ia, ib, ic) = (vmo_info(a), vmo_info(b), vmo_info(cc));
    assert_eq!(
        (ia.parent_koid, ia.num_children),
        (0, 1),
        "A's parent and children"
    );
    assert_eq!(
        (ib.parent_koid, ib.num_children),
        (ka, 1),
        "B's parent and children"
    );
    assert_eq!(
        (ic.parent_koid, ic.num_children),
        (kb, 0),
        "C's parent and children"
    );
    assert!(ka != kb && kb != kc && ka != kc, "koids differ");

    // Later writes at each level stay there.
    write(b, b"b2", 2 * P);
    write(cc, b"c0", 0);
    write(a, b"a1", P);
    let mut buf = [0u8; 2];
    el0_tests::read(a, &mut buf, 2 * P);
    assert_eq!(&buf, b"AA", "A page 2 after B's write");
    el0_tests::read(cc, &mut buf, 2 * P);
    assert_eq!(&buf, b"CC", "C page 2 after B's write");
    el0_tests::read(a, &mut buf, 0);
    assert_eq!(&buf, b"AA", "A page 0 after C's write");
    el0_tests::read(b, &mut buf, 0);
    assert_eq!(&buf, b"AA", "B page 0 after C's write");
    el0_tests::read(b, &mut buf, P);
    assert_eq!(&buf, b"BB", "B page 1 after A's write");
    el0_tests::read(cc, &mut buf, P);
    assert_eq!(&buf, b"BB", "C page 1 after A's write");

    // Through mappings.
    let ma = Mapping::new(root, a, PAGES as usize * PAGE, RW);
    let mb = Mapping::new(root, b, PAGES as usize * PAGE, RW);
    let mc = Mapping::new(root, cc, PAGES as usize * PAGE, RW);
    assert_eq!(
        [
            ma.read_u8(3 * PAGE),
            mb.read_u8(3 * PAGE),
            mc.read_u8(3 * PAGE)
        ],
        [b'a', b'A', b'A'],
        "page 3 through the three mappings"
    );
    mb.write_u8(3 * PAGE + 9, b'x');
    assert_eq!(ma.read_u8(3 * PAGE + 9), b'a', "A after B's mapping write");
    assert_eq!(mc.read_u8(3 * PAGE + 9), b'A', "C after B's mapping write");
    ma.write_u8(PAGE + 9, b'y');
    assert_eq!(mb.read_u8(PAGE + 9), b'B', "B after A's mapping write");
    assert_eq!(mc.read_u8(PAGE + 9), b'B', "C after A's mapping write");
    mc.write_u8(9, b'z');
    assert_eq!(ma.read_u8(9), b'A', "A after C's mapping write");
    assert_eq!(mb.read_u8(9), b'A', "B after C's mapping write");
    ma.unmap();
    mb.unmap();
    mc.unmap();
    close(cc);
    close(b);
    close(a);
    zx::println!("vmo_child_nested: three levels each see their own data, via read and mappings");
}

fn close_orders() {
    assert_no_leak("closing the middle first", || {
        let (a, b, cc) = build_chain();
        close(b);
        expect_pages(a, A, "A after B closed");
        expect_pages(cc, C, "C after B closed");
        write(cc, b"q", 3 * P);
        write(a, b"r", 0);
        assert_eq!(read_byte(a, 3 * P), b'a', "A page 3 after C's write");
        assert_eq!(read_byte(cc, 0), b'A', "C page 0 after A's write");
        close(a);
        assert_eq!(read_byte(cc, 3 * P), b'q', "C's own write after A closed");
        assert_vmo_bytes(cc, 3 * P + 1, P - 1, b'A', "C page 3 after A closed");
        for (page, v) in [(0, b'A'), (1, b'B'), (2, b'C')] {
            assert_vmo_bytes(cc, page * P, P, v, "C pages 0-2 after A closed");
        }
        close(cc);
    });
    assert_no_leak("closing the top first", || {
        let (a, b, cc) = build_chain();
        close(a);
        expect_pages(b, B, "B after A closed");
        expect_pages(cc, C, "C after A closed");
        close(cc);
        expect_pages(b, B, "B after A and C closed");
        close(b);
    });
    assert_no_leak("closing the bottom first", || {
        let (a, b, cc) = build_chain();
        close(cc);
        expect_pages(a, A, "A after C closed");
        expect_pages(b, B, "B after C closed");
        close(a);
        expect_pages(b, B, "B after C and A closed");
        close(b);
    });
    zx::println!("vmo_child_nested: closing in any order keeps the survivors' data, leaks nothing");
}

fn siblings() {
    let a = vmo(2 * P, 0);
    fill_page(a, 0, 1);
    let b1 = child(a, c::SNAPSHOT, 0, 2 * P);
    fill_page(a, 1, 2);
    let b2 = child(a, c::SNAPSHOT_AT_LEAST_ON_WRITE, 0, 2 * P);
    assert_eq!(vmo_info(a).num_children, 2, "A has two children");
    let ka = koid(a);
    assert_eq!(vmo_info(b1).parent_koid, ka, "first sibling's parent_koid");
    assert_eq!(vmo_info(b2).parent_koid, ka, "second sibling's parent_koid");
    expect2(b1, [1, 0], "first sibling");
    expect2(b2, [1, 2], "second sibling");
    fill_page(b1, 0, 3);
    fill_page(b2, 0, 4);
    fill_page(a, 0, 5);
    expect2(a, [5, 2], "A after all three wrote page 0");
    expect2(b1, [3, 0], "first sibling after all three wrote page 0");
    expect2(b2, [4, 2], "second sibling after all three wrote page 0");
    close(a);
    expect2(b1, [3, 0], "first sibling after A closed");
    expect2(b2, [4, 2], "second sibling after A closed");
    close(b2);
    expect2(b1, [3, 0], "first sibling alone");
    close(b1);
    zx::println!("vmo_child_nested: siblings are isolated from each other and the parent");
}

/// Asserts the two pages of `h` hold the given bytes.
#[track_caller]
fn expect2(h: Handle, pages: [u8; 2], what: &str) {
    assert_vmo_bytes(h, 0, P, pages[0], what);
    assert_vmo_bytes(h, P, P, pages[1], what);
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    assert_no_leak("vmo_child_nested", || {
        three_levels(root);
        close_orders();
        siblings();
    });
    0
}

zx::entry!(main);

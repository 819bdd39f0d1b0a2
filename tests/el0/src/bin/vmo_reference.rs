//! Tests reference children (`ZX_VMO_CHILD_REFERENCE`) against Zircon's
//! `vmo-reference` core tests and `zx_vmo_create_child`'s rules: writes,
//! commits, decommits and zeroes through either the parent or the reference
//! act on the same pages (also through mappings, and for nested
//! references); the size and stream size are shared (a resize through
//! either is seen by both; only a handle made with `ZX_VMO_CHILD_RESIZABLE`
//! gets `ZX_RIGHT_RESIZE`, and only a resizable parent may be asked for
//! one); the rights; `ZX_INFO_VMO` (not a copy-on-write clone, the parent's
//! koid, the shared size, nothing attributed to the reference, even with
//! the parent gone), `ZX_INFO_PROCESS_VMOS` and `ZX_INFO_PROCESS_MAPS`;
//! the documented errors;
//! snapshots, slices and streams of a reference; closing parent and
//! reference in both orders (with a mapping and nested references) with no
//! page, VMO or heap byte left; and four threads racing through the
//! reference and the parent (writes and resizes through one, reads,
//! decommits and zeroes through the other), best run with `--smp 4`.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use el0_tests::smp::{rounds, Group, Rng};
use el0_tests::{
    assert_err, assert_no_leak, assert_vmo_bytes, child, close, commit, committed, content_size,
    dup, info_vmo_flags as f, koid, op_range, pod_slice_bytes_mut, prefault_stack, read_byte,
    rights_of, set_content_size, set_name, size_of, touch_stack, vmo, vmo_info, write,
    zero_children, zx, Mapping, PAGE, RESIZABLE_VMO_RIGHTS, RW,
};
use zx::stream::{self, vmo_get_stream_size, vmo_set_stream_size};
use zx::{
    cache_policy, child_opt as c, maps_type, rights, stats, stream_opt, topic, vmo_op as op,
    vmo_opt, Handle, InfoMaps, InfoVmo, ZxStatus,
};

const P: u64 = PAGE as u64;
const REF: u32 = c::REFERENCE;

/// A reference of `h` (offset and size 0), which must succeed.
#[track_caller]
fn reference(h: Handle, extra: u32) -> Handle {
    child(h, REF | extra, 0, 0)
}

/// Runs `f` twice and checks, beyond [`assert_no_leak`]'s pages and VMOs,
/// that the second run leaves the kernel heap as it found it (the first
/// run may grow tables that stay, such as the handle table).
fn assert_no_leak_twice(what: &str, f: impl Fn()) {
    assert_no_leak(what, &f);
    touch_stack();
    let before = zx::kernel_stats();
    assert_no_leak(what, &f);
    let after = zx::kernel_stats();
    let alone = before[stats::LIVE_PROCESSES].max(after[stats::LIVE_PROCESSES]) <= 1
        && before[stats::PROGRAMS_LOADED] == after[stats::PROGRAMS_LOADED];
    if alone {
        assert_eq!(
            before[stats::HEAP_USED_BYTES],
            after[stats::HEAP_USED_BYTES],
            "{what}: kernel heap bytes before vs after a second run"
        );
    }
}

fn shared_pages(root: Handle) {
    assert_no_leak_twice("shared pages", || {
        let parent = vmo(4 * P, 0);
        assert!(zero_children(parent), "no child yet");
        let r = reference(parent, 0);
        assert!(!zero_children(parent), "the reference is a child");
        assert!(zero_children(r), "the reference has no child");
        assert_eq!(size_of(r), 4 * P, "the reference spans the parent");

        // Writes both ways.
        write(parent, &[0xaa], 0);
        assert_eq!(
            read_byte(r, 0),
            0xaa,
            "the reference sees the parent's write"
        );
        write(r, &[0xbb], P + 7);
        assert_eq!(
            read_byte(parent, P + 7),
            0xbb,
            "the parent sees the reference's write"
        );
        assert_eq!(committed(parent), 2 * P, "both pages are the parent's");
        assert_eq!(committed(r), 0, "nothing is attributed to a reference");

        // Commit through the reference, decommit through the parent, zero
        // through the reference: one page list.
        commit(r, 2 * P, 2 * P);
        assert_eq!(committed(parent), 4 * P, "committed through the reference");
        assert_eq!(op_range(parent, op::DECOMMIT, P, P), Ok(()));
        assert_eq!(read_byte(r, P + 7), 0, "decommitted through the parent");
        assert_eq!(committed(parent), 3 * P);
        write(parent, &[0xcc; 16], 2 * P);
        assert_eq!(op_range(r, op::ZERO, 2 * P + 4, 8), Ok(()));
        assert_vmo_bytes(parent, 2 * P, 4, 0xcc, "before the zeroed bytes");
        assert_vmo_bytes(parent, 2 * P + 4, 8, 0, "zeroed through the reference");
        assert_vmo_bytes(parent, 2 * P + 12, 4, 0xcc, "after the zeroed bytes");
        assert_eq!(op_range(r, op::DECOMMIT, 0, 4 * P), Ok(()));
        assert_eq!(committed(parent), 0, "decommitted through the reference");

        // A mapping of the reference shows the parent's pages, and loses
        // them when the parent decommits.
        let m = Mapping::new(root, r, 2 * PAGE, RW);
        write(parent, &[0x11], 0);
        assert_eq!(m.read_u8(0), 0x11, "the mapping of the reference");
        m.write_u8(PAGE + 3, 0x22);
        assert_eq!(
            read_byte(parent, P + 3),
            0x22,
            "a store through the mapping"
        );
        assert_eq!(op_range(parent, op::DECOMMIT, 0, 2 * P), Ok(()));
        assert_eq!(m.read_u8(0), 0, "the mapping after the parent's decommit");
        assert_eq!(m.read_u8(PAGE + 3), 0);
        m.unmap();

        // Nested references all show the root's pages.
        let r2 = reference(r, 0);
        let r3 = reference(r2, 0);
        assert_eq!(
            vmo_info(r2).parent_koid,
            koid(r),
            "a reference of a reference"
        );
        assert_eq!(vmo_info(r3).parent_koid, koid(r2));
        write(r3, &[0x33], 3 * P);
        assert_eq!(
            read_byte(parent, 3 * P),
            0x33,
            "written through the innermost"
        );
        write(parent, &[0x44], 3 * P);
        assert_eq!(read_byte(r3, 3 * P), 0x44);
        assert!(!zero_children(r) && !zero_children(r2) && zero_children(r3));
        close(r3);
        assert!(zero_children(r2), "its reference closed");
        close(r2);
        close(r);
        assert!(zero_children(parent), "the last child closed");
        close(parent);
    });
    zx::println!("vmo_reference: writes, commit, decommit, zero and mappings act on one page list, nested too; ZERO_CHILDREN follows");
}

fn errors() {
    assert_no_leak("errors", || {
        let parent = vmo(2 * P, 0);
        let bad_ranges = [(P, 0), (0, P), (P, P), (0, 1), (1, 0)];
        for (offset, size) in bad_ranges {
            assert_err(
                zx::vmo_create_child(parent, REF, offset, size),
                ZxStatus::InvalidArgs,
                "a reference with an offset or a size",
            );
        }
        assert_err(
            zx::vmo_create_child(parent, REF, 0, u64::MAX),
            ZxStatus::OutOfRange,
            "a size that cannot be rounded (checked first)",
        );
        for (options, what) in [
            (REF | c::SNAPSHOT, "REFERENCE | SNAPSHOT"),
            (REF | c::SLICE, "REFERENCE | SLICE"),
            (
                REF | c::SNAPSHOT_AT_LEAST_ON_WRITE,
                "REFERENCE | SNAPSHOT_AT_LEAST_ON_WRITE",
            ),
            (REF | c::SNAPSHOT_MODIFIED, "REFERENCE | SNAPSHOT_MODIFIED"),
            (
                REF | c::NO_WRITE | c::RESIZABLE,
                "REFERENCE | NO_WRITE | RESIZABLE",
            ),
            (REF | 1 << 1, "REFERENCE with an unknown bit"),
        ] {
            assert_err(
                zx::vmo_create_child(parent, options, 0, 0),
                ZxStatus::InvalidArgs,
                what,
            );
        }
        assert_err(
            zx::vmo_create_child(parent, REF | c::RESIZABLE, 0, 0),
            ZxStatus::NotSupported,
            "a resizable reference of a VMO that is not resizable",
        );
        assert_err(
            zx::vmo_create_child(parent, REF | c::RESIZABLE, P, 0),
            ZxStatus::InvalidArgs,
            "the range is checked before resizability",
        );
        let slice = child(parent, c::SLICE, P, P);
        assert_err(
            zx::vmo_create_child(slice, REF, 0, 0),
            ZxStatus::NotSupported,
            "a reference of a slice",
        );
        close(slice);
        let no_dup = dup(parent, rights::DEFAULT_VMO & !rights::DUPLICATE);
        assert_err(
            zx::vmo_create_child(no_dup, REF, 0, 0),
            ZxStatus::AccessDenied,
            "a handle without DUPLICATE",
        );
        close(no_dup);
        let no_read = dup(parent, rights::DEFAULT_VMO & !rights::READ);
        assert_err(
            zx::vmo_create_child(no_read, REF, 0, 0),
            ZxStatus::AccessDenied,
            "a handle without READ",
        );
        close(no_read);
        assert_err(
            zx::vmo_create_child(el0_tests::GARBAGE_HANDLE, REF, 0, 0),
            ZxStatus::BadHandle,
            "a bad handle",
        );
        assert_eq!(
            vmo_info(parent).num_children,
            0,
            "children after refused references"
        );
        assert!(zero_children(parent));
        close(parent);

        let discardable = vmo(P, vmo_opt::DISCARDABLE);
        assert_err(
            zx::vmo_create_child(discardable, REF, 0, 0),
            ZxStatus::NotSupported,
            "a reference of a discardable VMO",
        );
        assert_err(
            zx::vmo_create_child(discardable, REF, P, 0),
            ZxStatus::NotSupported,
            "discardable is checked before the range",
        );
        close(discardable);

        let uncached = vmo(P, 0);
        assert_eq!(
            zx::vmo_set_cache_policy(uncached, cache_policy::UNCACHED),
            Ok(())
        );
        assert_err(
            zx::vmo_create_child(uncached, REF, 0, 0),
            ZxStatus::BadState,
            "a reference of an uncached VMO",
        );
        close(uncached);

        // A reference has a parent: its cache policy is fixed; and it is
        // no slice, so a snapshot of it and a slice of it are fine.
        let parent = vmo(P, 0);
        let r = reference(parent, 0);
        assert_err(
            zx::vmo_set_cache_policy(r, cache_policy::UNCACHED),
            ZxStatus::BadState,
            "the cache policy of a reference",
        );
        assert_err(
            zx::vmo_set_cache_policy(parent, cache_policy::UNCACHED),
            ZxStatus::BadState,
            "the cache policy of a parent with a reference",
        );
        close(r);
        close(parent);
    });
    zx::println!("vmo_reference: range INVALID_ARGS, other kinds INVALID_ARGS, RESIZABLE of a fixed VMO, slices and discardables NOT_SUPPORTED, uncached BAD_STATE, rights ACCESS_DENIED");
}

fn handle_rights() {
    let parent = vmo(P, 0);
    let r = reference(parent, 0);
    assert_eq!(
        rights_of(r),
        rights::DEFAULT_VMO,
        "a reference of a default handle"
    );
    close(r);
    let r = reference(parent, c::NO_WRITE);
    assert_eq!(
        rights_of(r),
        rights::DEFAULT_VMO & !rights::WRITE,
        "NO_WRITE"
    );
    assert_err(
        zx::vmo_write(r, &[1], 0),
        ZxStatus::AccessDenied,
        "writing a NO_WRITE reference",
    );
    write(parent, &[9], 0);
    assert_eq!(read_byte(r, 0), 9, "a NO_WRITE reference still sees writes");
    close(r);
    // Unlike a snapshot, a reference adds no WRITE the parent's handle
    // lacked, and keeps its other rights (minus RESIZE) plus the property
    // rights.
    let narrow = dup(
        parent,
        rights::DUPLICATE | rights::READ | rights::MAP | rights::TRANSFER,
    );
    let r = reference(narrow, 0);
    assert_eq!(
        rights_of(r),
        rights::DUPLICATE
            | rights::READ
            | rights::MAP
            | rights::TRANSFER
            | rights::GET_PROPERTY
            | rights::SET_PROPERTY,
        "a reference of a read-only handle"
    );
    let s = child(narrow, c::SNAPSHOT, 0, P);
    assert!(rights_of(s) & rights::WRITE != 0, "a snapshot gets WRITE");
    close(s);
    close(r);
    close(narrow);
    close(parent);

    let resizable = vmo(2 * P, vmo_opt::RESIZABLE);
    assert_eq!(rights_of(resizable), RESIZABLE_VMO_RIGHTS);
    let r = reference(resizable, 0);
    assert_eq!(rights_of(r), rights::DEFAULT_VMO, "RESIZE is not passed on");
    let rr = reference(resizable, c::RESIZABLE);
    assert_eq!(
        rights_of(rr),
        RESIZABLE_VMO_RIGHTS,
        "RESIZABLE mints RESIZE"
    );
    // Even from a handle without RESIZE (the VMO is what must be resizable).
    let no_resize = dup(resizable, rights::DEFAULT_VMO);
    let minted = reference(no_resize, c::RESIZABLE);
    assert_eq!(
        rights_of(minted),
        RESIZABLE_VMO_RIGHTS,
        "minted from a handle without RESIZE"
    );
    assert_eq!(zx::vmo_set_size(minted, P), Ok(()));
    assert_eq!(
        size_of(resizable),
        P,
        "the minted handle resized the parent"
    );
    for h in [minted, no_resize, rr, r, resizable] {
        close(h);
    }
    zx::println!("vmo_reference: rights are the parent handle's minus RESIZE plus the property rights; RESIZE only with RESIZABLE; NO_WRITE drops WRITE");
}

fn sizes() {
    assert_no_leak("sizes", || {
        let parent = vmo(4 * P, vmo_opt::RESIZABLE);
        let r = reference(parent, c::RESIZABLE);
        assert!(
            vmo_info(r).flags & f::RESIZABLE != 0,
            "a reference of a resizable VMO is resizable"
        );

        // The parent resizes: the reference follows, stream size too.
        assert_eq!(zx::vmo_set_size(parent, 2 * P - 8), Ok(()));
        assert_eq!(
            size_of(r),
            2 * P,
            "the reference's size after the parent's resize"
        );
        assert_eq!(vmo_get_stream_size(r), Ok(2 * P - 8), "and its stream size");
        assert_eq!(vmo_info(r).size_bytes, 2 * P, "ZX_INFO_VMO's size");

        // The reference resizes: the parent follows.
        assert_eq!(zx::vmo_set_size(r, 3 * P - 8), Ok(()));
        assert_eq!(
            size_of(parent),
            3 * P,
            "the parent's size after the reference's resize"
        );
        assert_eq!(vmo_get_stream_size(parent), Ok(3 * P - 8));

        // A shrink through the reference frees the parent's pages.
        write(parent, &[5], 2 * P);
        assert_eq!(committed(parent), P);
        assert_eq!(zx::vmo_set_size(r, P), Ok(()));
        assert_eq!(committed(parent), 0, "the page past the new end is gone");
        assert_err(
            zx::vmo_write(parent, &[1], P),
            ZxStatus::OutOfRange,
            "past the new end",
        );
        assert_eq!(zx::vmo_set_size(parent, 3 * P), Ok(()));
        assert_eq!(read_byte(r, 2 * P), 0, "regrown: zero");

        // The stream size is one: set through either, seen by both.
        assert_eq!(vmo_set_stream_size(r, 100), Ok(()));
        assert_eq!(vmo_get_stream_size(parent), Ok(100));
        assert_eq!(set_content_size(parent, 200), Ok(()));
        assert_eq!(vmo_get_stream_size(r), Ok(200));
        assert_eq!(set_content_size(r, 300), Ok(()));
        assert_eq!(vmo_get_stream_size(parent), Ok(300));
        assert_eq!(content_size(r), 300, "the property through the reference");
        assert_eq!(content_size(parent), 300);

        // A reference without RESIZE may not resize, yet follows.
        let fixed = reference(parent, 0);
        assert_err(
            zx::vmo_set_size(fixed, P),
            ZxStatus::AccessDenied,
            "resizing through a reference without RESIZE",
        );
        assert_eq!(zx::vmo_set_size(parent, 2 * P), Ok(()));
        assert_eq!(size_of(fixed), 2 * P, "it still follows the parent");
        close(fixed);
        close(r);
        close(parent);

        // A reference of a VMO that is not resizable is not resizable.
        let parent = vmo(2 * P, 0);
        let r = reference(parent, 0);
        assert!(vmo_info(r).flags & f::RESIZABLE == 0);
        assert_err(
            zx::vmo_set_size(r, P),
            ZxStatus::Unavailable,
            "resizing a reference of a fixed VMO",
        );
        close(r);
        close(parent);
    });
    zx::println!("vmo_reference: size and stream size shared both ways; shrinking through the reference frees the parent's pages; ACCESS_DENIED without RESIZE, UNAVAILABLE when not resizable");
}

fn process_vmos() -> ([InfoVmo; 32], usize) {
    let mut out = [InfoVmo::default(); 32];
    let (actual, avail) = zx::object_get_info(
        zx::process_self(),
        topic::PROCESS_VMOS,
        pod_slice_bytes_mut(&mut out),
    )
    .expect("PROCESS_VMOS");
    assert_eq!(actual, avail, "every VMO fits");
    (out, actual)
}

fn process_maps() -> ([InfoMaps; 32], usize) {
    let mut out = [InfoMaps::default(); 32];
    let (actual, avail) = zx::object_get_info(
        zx::process_self(),
        topic::PROCESS_MAPS,
        pod_slice_bytes_mut(&mut out),
    )
    .expect("PROCESS_MAPS");
    assert_eq!(actual, avail, "every record fits");
    (out, actual)
}

fn info(root: Handle) {
    assert_no_leak("info", || {
        let parent = vmo(2 * P, 0);
        set_name(parent, b"ref-parent");
        let r = reference(parent, 0);
        let (pi, ri) = (vmo_info(parent), vmo_info(r));
        assert_eq!(ri.parent_koid, pi.koid, "parent_koid");
        assert_ne!(ri.koid, pi.koid, "a reference is an object of its own");
        assert_eq!(
            ri.flags & f::IS_COW_CLONE,
            0,
            "a reference is no copy-on-write clone"
        );
        assert_eq!(ri.flags & f::TYPE_PAGED, f::TYPE_PAGED);
        assert_eq!(&ri.name[..10], b"ref-parent", "the parent's name is copied");
        assert_eq!(pi.num_children, 1);
        assert_eq!(ri.size_bytes, 2 * P);

        write(parent, &[0xaa], 0);
        write(r, &[0xbb], P);
        assert_eq!(committed(parent), 2 * P, "the parent counts every page");
        let ri = vmo_info(r);
        assert_eq!(
            (
                ri.committed_bytes,
                ri.populated_bytes,
                ri.committed_private_bytes,
                ri.committed_scaled_bytes
            ),
            (0, 0, 0, 0),
            "nothing is attributed to a reference"
        );

        // PROCESS_VMOS: both by handle, the reference also by mapping.
        let m = Mapping::new(root, r, PAGE, RW);
        let (all, n) = process_vmos();
        let by_handle = |k: u64| {
            all[..n]
                .iter()
                .find(|v| v.koid == k && v.flags & f::VIA_HANDLE != 0)
                .copied()
                .expect("listed by handle")
        };
        assert_eq!(by_handle(pi.koid).committed_bytes, 2 * P);
        let rh = by_handle(ri.koid);
        assert_eq!((rh.committed_bytes, rh.parent_koid), (0, pi.koid));
        let rm = all[..n]
            .iter()
            .find(|v| v.koid == ri.koid && v.flags & f::VIA_MAPPING != 0)
            .expect("the reference listed by mapping");
        assert_eq!((rm.committed_bytes, rm.num_mappings), (0, 1));
        // PROCESS_MAPS: a mapping of the reference is attributed nothing,
        // one of the parent its pages.
        let mp = Mapping::new(root, parent, PAGE, RW);
        let (maps, n) = process_maps();
        let mapping_of = |k: u64| {
            maps[..n]
                .iter()
                .find(|e| e.r#type == maps_type::MAPPING && e.mapping.vmo_koid == k)
                .map(|e| (e.mapping.committed_bytes, e.mapping.committed_private_bytes))
                .expect("the mapping listed")
        };
        assert_eq!(mapping_of(ri.koid), (0, 0), "a mapping of the reference");
        assert_eq!(mapping_of(pi.koid), (P, P), "a mapping of the parent");
        mp.unmap();
        m.unmap();

        // The parent gone: still nothing attributed, still its pages.
        close(parent);
        let ri = vmo_info(r);
        assert_eq!(
            ri.committed_bytes, 0,
            "nothing attributed with the parent gone"
        );
        assert_eq!(ri.parent_koid, pi.koid, "parent_koid stays");
        assert_eq!((read_byte(r, 0), read_byte(r, P)), (0xaa, 0xbb));
        close(r);
    });
    zx::println!("vmo_reference: ZX_INFO_VMO: no COW flag, parent_koid, own koid, copied name, shared size, nothing attributed (with or without the parent); PROCESS_VMOS likewise");
}

fn children_of_a_reference() {
    assert_no_leak("children of a reference", || {
        let parent = vmo(P, 0);
        write(parent, &[0xaa], 0);
        let r = reference(parent, 0);

        let snap = child(r, c::SNAPSHOT, 0, P);
        assert_eq!(
            vmo_info(snap).parent_koid,
            koid(r),
            "a snapshot's parent is the reference"
        );
        assert!(!zero_children(r));
        assert_eq!(read_byte(snap, 0), 0xaa);
        write(parent, &[0xbb], 0);
        assert_eq!(
            read_byte(snap, 0),
            0xaa,
            "a snapshot of the reference keeps its bytes"
        );
        write(snap, &[0xcc], 0);
        assert_eq!((read_byte(parent, 0), read_byte(r, 0)), (0xbb, 0xbb));
        close(snap);

        let slice = child(r, c::SLICE, 0, P);
        assert_eq!(vmo_info(slice).parent_koid, koid(r));
        write(parent, &[0xdd], 0);
        assert_eq!(read_byte(slice, 0), 0xdd, "a slice of the reference");
        write(slice, &[0xee], 0);
        assert_eq!((read_byte(parent, 0), read_byte(r, 0)), (0xee, 0xee));
        close(slice);

        // A reference of a snapshot is that snapshot's pages: its writes
        // stay out of the snapshot's parent, and it cannot decommit (as the
        // snapshot cannot).
        let snap = child(parent, c::SNAPSHOT, 0, P);
        let rs = reference(snap, 0);
        write(rs, &[0x12], 0);
        assert_eq!(read_byte(snap, 0), 0x12, "written into the snapshot");
        assert_eq!(read_byte(parent, 0), 0xee, "not into its parent");
        assert_err(
            op_range(rs, op::DECOMMIT, 0, P),
            ZxStatus::NotSupported,
            "DECOMMIT through a reference of a snapshot",
        );
        assert_eq!(
            vmo_info(rs).flags & f::IS_COW_CLONE,
            0,
            "the reference is no clone"
        );
        close(snap);
        assert_eq!(read_byte(rs, 0), 0x12, "the snapshot outlives its handle");
        close(rs);

        // A slice of a reference of a resizable VMO is refused as one of
        // the VMO itself would be.
        let resizable = vmo(P, vmo_opt::RESIZABLE);
        let rr = reference(resizable, 0);
        assert_err(
            zx::vmo_create_child(rr, c::SLICE, 0, P),
            ZxStatus::NotSupported,
            "a slice of a reference of a resizable VMO",
        );
        close(rr);
        close(resizable);

        // Streams over two references share bytes and the stream size.
        let s1 = stream::create(stream_opt::MODE_READ, r, 0).expect("stream on a reference");
        let r2 = reference(parent, 0);
        let s2 = stream::create(stream_opt::MODE_WRITE, r2, 0).expect("stream on a reference");
        assert_eq!(stream::write(s2, b"xyz"), Ok(3));
        assert_vmo_bytes(parent, 1, 1, b'y', "the stream wrote the parent");
        let mut buf = [0u8; 3];
        assert_eq!(stream::read(s1, &mut buf), Ok(3));
        assert_eq!(&buf, b"xyz", "the other reference's stream reads it");
        for h in [s1, s2, r2, r, parent] {
            close(h);
        }
    });
    zx::println!("vmo_reference: snapshots and slices of a reference have it as parent and see the root's pages; streams over references share bytes");
}

/// `zx_vmo_transfer_data` between a reference and its parent moves bytes
/// within one page list: onto itself nothing changes; to another offset
/// the source reads zero afterwards, as within one VMO.
fn transfer() {
    assert_no_leak("transfer", || {
        let parent = vmo(2 * P, 0);
        let r = reference(parent, 0);
        write(parent, &[0x42], 0);
        assert_eq!(zx::vmo_transfer_data(parent, 0, 0, P, r, 0), Ok(()));
        assert_eq!(read_byte(parent, 0), 0x42, "moved onto itself");
        assert_eq!(zx::vmo_transfer_data(parent, 0, P, P, r, 0), Ok(()));
        assert_eq!(
            (read_byte(parent, 0), read_byte(parent, P), read_byte(r, P)),
            (0, 0x42, 0x42),
            "moved one page up"
        );
        close(r);
        close(parent);
    });
    zx::println!("vmo_reference: transfer_data between a reference and its parent moves within one page list");
}

fn lifetimes(root: Handle) {
    assert_no_leak_twice("parent closed first", || {
        let parent = vmo(2 * P, 0);
        write(parent, &[0x5a], P);
        let r = reference(parent, 0);
        let m = Mapping::new(root, r, 2 * PAGE, RW);
        close(parent);
        assert_eq!(
            m.read_u8(PAGE),
            0x5a,
            "the pages outlive the parent's handle"
        );
        m.write_u8(0, 0x6b);
        assert_eq!(read_byte(r, 0), 0x6b);
        assert_eq!(op_range(r, op::DECOMMIT, 0, 2 * P), Ok(()));
        assert_eq!(m.read_u8(PAGE), 0, "decommitted through the reference");
        m.unmap();
        close(r);
    });
    assert_no_leak_twice("reference closed first", || {
        let parent = vmo(2 * P, 0);
        let r = reference(parent, 0);
        let m = Mapping::new(root, parent, 2 * PAGE, RW);
        write(r, &[0x7c], 0);
        close(r);
        assert!(zero_children(parent));
        assert_eq!(m.read_u8(0), 0x7c);
        assert_eq!(op_range(parent, op::DECOMMIT, 0, P), Ok(()));
        assert_eq!(m.read_u8(0), 0);
        m.unmap();
        close(parent);
    });
    assert_no_leak_twice("nested references, middle and root closed", || {
        let parent = vmo(P, 0);
        let r1 = reference(parent, 0);
        let r2 = reference(parent, 0);
        let nested = reference(r1, 0);
        let m = Mapping::new(root, nested, PAGE, RW);
        let m2 = Mapping::new(root, r2, PAGE, RW);
        write(parent, &[0x8d], 0);
        assert_eq!((m.read_u8(0), m2.read_u8(0)), (0x8d, 0x8d));
        close(r1);
        assert!(
            !zero_children(parent),
            "the nested reference keeps its parent"
        );
        close(parent);
        assert_eq!(op_range(nested, op::DECOMMIT, 0, P), Ok(()));
        assert_eq!(
            (m.read_u8(0), m2.read_u8(0)),
            (0, 0),
            "every mapping lost the page"
        );
        m.write_u8(1, 0x9e);
        assert_eq!(m2.read_u8(1), 0x9e);
        m.unmap();
        m2.unmap();
        close(nested);
        close(r2);
    });
    zx::println!("vmo_reference: parent or reference closed first, nested references, mappings: pages live until both go; no page, VMO or heap byte left");
}

// ----- four threads: writes and resizes through the reference, reads,
// decommits and zeroes through the parent -------------------------------

const MAPPED: usize = 4;
const FULL: usize = 8;
const TAG: u64 = 0x5EF0;

static PARENT: AtomicU64 = AtomicU64::new(0);
static REFERENCE: AtomicU64 = AtomicU64::new(0);
static REF_ADDR: AtomicU64 = AtomicU64::new(0);
static PARENT_ADDR: AtomicU64 = AtomicU64::new(0);
static STOP: AtomicBool = AtomicBool::new(false);
static SEQ: AtomicU64 = AtomicU64::new(0);
static CHECKED: AtomicU64 = AtomicU64::new(0);
static REMOVALS: AtomicU64 = AtomicU64::new(0);
static RESIZES: AtomicU64 = AtomicU64::new(0);

fn tagged(page: usize, seq: u64) -> u64 {
    (TAG << 48) | ((page as u64) << 32) | (seq & 0xffff_ffff)
}

#[track_caller]
fn check(v: u64, page: usize, what: &str) {
    CHECKED.fetch_add(1, Ordering::Relaxed);
    let newest = SEQ.load(Ordering::Acquire);
    assert!(
        v == 0 || (v >> 48 == TAG && (v >> 32) & 0xffff == page as u64 && v & 0xffff_ffff <= newest),
        "{what}: page {page} holds {v:#x}, neither zero nor a value written to it (newest {newest})"
    );
}

fn word(base: &AtomicU64, page: usize) -> *mut u64 {
    (base.load(Ordering::Relaxed) as usize + page * PAGE) as *mut u64
}

/// Thread 0: writes each page's first word through the mapping of the
/// reference (pages the size never cuts off) and with `zx_vmo_write` on
/// the reference (pages the resizer cuts off and brings back).
fn writer(_: usize) {
    touch_stack();
    let r = REFERENCE.load(Ordering::Relaxed) as Handle;
    for _ in 0..rounds(400) {
        for page in 0..FULL {
            let seq = SEQ.fetch_add(1, Ordering::AcqRel) + 1;
            let v = tagged(page, seq);
            if page < MAPPED {
                // SAFETY: the mapping of MAPPED pages lives until every
                // thread is joined, and the size never drops below it.
                unsafe { core::ptr::write_volatile(word(&REF_ADDR, page), v) };
            } else {
                match zx::vmo_write(r, &v.to_le_bytes(), page as u64 * P) {
                    Ok(()) | Err(ZxStatus::OutOfRange) => {}
                    Err(e) => panic!("vmo_write through the reference: {}", e.name()),
                }
            }
        }
    }
}

/// Thread 1: reads every page through the parent, with `zx_vmo_read` and
/// through a mapping of the parent.
fn reader(_: usize) {
    touch_stack();
    let parent = PARENT.load(Ordering::Relaxed) as Handle;
    while !STOP.load(Ordering::Acquire) {
        for page in 0..FULL {
            let mut b = [0u8; 8];
            match zx::vmo_read(parent, &mut b, page as u64 * P) {
                Ok(()) => check(u64::from_le_bytes(b), page, "vmo_read of the parent"),
                Err(ZxStatus::OutOfRange) => assert!(page >= MAPPED, "page {page} cut off"),
                Err(e) => panic!("vmo_read of the parent: {}", e.name()),
            }
            if page < MAPPED {
                // SAFETY: as in `writer`, for the mapping of the parent.
                let v = unsafe { core::ptr::read_volatile(word(&PARENT_ADDR, page)) };
                check(v, page, "the mapping of the parent");
            }
        }
    }
}

/// Thread 2: decommits and zeroes random ranges through the parent.
fn remover(_: usize) {
    touch_stack();
    let parent = PARENT.load(Ordering::Relaxed) as Handle;
    let mut rng = Rng::new(0x7ef0_5eed);
    while !STOP.load(Ordering::Acquire) {
        let first = rng.below(FULL as u64);
        let pages = 1 + rng.below(FULL as u64 - first);
        let which = if rng.below(2) == 0 {
            op::DECOMMIT
        } else {
            op::ZERO
        };
        match op_range(parent, which, first * P, pages * P) {
            Ok(()) | Err(ZxStatus::OutOfRange) => {}
            Err(e) => panic!("op {which} through the parent: {}", e.name()),
        }
        REMOVALS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Thread 3: resizes through the reference, between MAPPED and FULL pages.
fn resizer(_: usize) {
    touch_stack();
    let r = REFERENCE.load(Ordering::Relaxed) as Handle;
    let sizes = [
        MAPPED * PAGE,
        FULL * PAGE,
        MAPPED * PAGE + 100,
        (MAPPED + 2) * PAGE,
    ];
    let mut i = 0;
    while !STOP.load(Ordering::Acquire) {
        let size = sizes[i % sizes.len()] as u64;
        assert_eq!(
            zx::vmo_set_size(r, size),
            Ok(()),
            "set_size through the reference"
        );
        RESIZES.fetch_add(1, Ordering::Relaxed);
        i += 1;
    }
}

fn four_threads(root: Handle) {
    assert_no_leak("four threads", || {
        let parent = vmo((FULL * PAGE) as u64, vmo_opt::RESIZABLE);
        let r = reference(parent, c::RESIZABLE);
        let mr = Mapping::new(root, r, MAPPED * PAGE, RW);
        let mp = Mapping::new(root, parent, MAPPED * PAGE, RW);
        PARENT.store(u64::from(parent), Ordering::Relaxed);
        REFERENCE.store(u64::from(r), Ordering::Relaxed);
        REF_ADDR.store(mr.addr as u64, Ordering::Relaxed);
        PARENT_ADDR.store(mp.addr as u64, Ordering::Relaxed);
        let mut busy = Group::new();
        busy.spawn("reader", reader, 0);
        busy.spawn("remover", remover, 0);
        busy.spawn("resizer", resizer, 0);
        let mut writers = Group::new();
        writers.spawn("writer", writer, 0);
        let cores = writers.join();
        STOP.store(true, Ordering::Release);
        let cores = cores.max(busy.join());
        // Afterwards both views agree word for word.
        assert_eq!(zx::vmo_set_size(parent, (FULL * PAGE) as u64), Ok(()));
        for page in 0..FULL {
            let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
            el0_tests::read(parent, &mut a, page as u64 * P);
            el0_tests::read(r, &mut b, page as u64 * P);
            assert_eq!(a, b, "page {page} through the parent and the reference");
            check(u64::from_le_bytes(a), page, "final contents");
        }
        zx::println!(
            "vmo_reference: {} writes and {} resizes through the reference raced {} reads and {} DECOMMIT/ZERO through the parent (threads last on {cores} cores): every value zero or written there",
            SEQ.load(Ordering::Relaxed),
            RESIZES.load(Ordering::Relaxed),
            CHECKED.load(Ordering::Relaxed),
            REMOVALS.load(Ordering::Relaxed)
        );
        mr.unmap();
        mp.unmap();
        close(r);
        close(parent);
    });
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    shared_pages(root);
    errors();
    handle_rights();
    sizes();
    info(root);
    children_of_a_reference();
    transfer();
    lifetimes(root);
    four_threads(root);
    zx::println!("vmo_reference: every page back");
    0
}

zx::entry!(main);

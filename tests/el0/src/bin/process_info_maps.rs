//! Tests `ZX_INFO_PROCESS_MAPS` and `ZX_INFO_PROCESS_VMOS` on the program's
//! own process: the address space, root VMAR, a sub-region and the
//! mappings in depth-first pre-order with their permissions, VMO koids,
//! offsets and the attribution of the mapped range (a page shared with a
//! snapshot counts half); the VMO list with VIA_HANDLE (and the handle's
//! rights) and VIA_MAPPING; the older record versions; a short buffer
//! (ZX_OK with actual < avail); the type and rights errors.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, dup, koid, pod_slice_bytes_mut, rights_of, set_name, vmo,
    zx, Mapping, PAGE, RW,
};
use zx::{
    child_opt, maps_type, rights, topic, vm_opt, vmo_info_flags, Handle, InfoMaps, InfoMapsV1,
    InfoMapsV2, InfoVmo, ZxStatus,
};

const MAX: usize = 24;

fn maps(process: Handle) -> ([InfoMaps; MAX], usize, usize) {
    let mut out = [InfoMaps::default(); MAX];
    let (actual, avail) =
        zx::object_get_info(process, topic::PROCESS_MAPS, pod_slice_bytes_mut(&mut out))
            .expect("PROCESS_MAPS");
    assert!(actual <= avail && actual <= MAX);
    (out, actual, avail)
}

fn vmos(process: Handle) -> ([InfoVmo; MAX], usize) {
    let mut out = [InfoVmo::default(); MAX];
    let (actual, avail) =
        zx::object_get_info(process, topic::PROCESS_VMOS, pod_slice_bytes_mut(&mut out))
            .expect("PROCESS_VMOS");
    assert_eq!(actual, avail, "all VMOs fit");
    (out, actual)
}

fn main(root: Handle) -> i64 {
    let me = zx::process_self();
    let main_addr = main as *const () as u64;
    let (all, n, avail) = maps(me);
    assert_eq!(n, avail);
    assert_eq!(
        (all[0].r#type, all[0].depth),
        (maps_type::ASPACE, 0),
        "the address space first"
    );
    assert_eq!(
        (all[1].r#type, all[1].depth),
        (maps_type::VMAR, 1),
        "then the root VMAR"
    );
    assert_eq!(all[1].base, el0_tests::ROOT_BASE as u64);
    let text = all[..n]
        .iter()
        .find(|m| {
            m.r#type == maps_type::MAPPING && m.base <= main_addr && main_addr < m.base + m.size
        })
        .expect("a mapping holds main");
    assert_eq!(
        text.mapping.mmu_flags,
        vm_opt::PERM_READ | vm_opt::PERM_EXECUTE,
        "text is R|X"
    );
    assert_eq!(text.depth, 2);
    for w in all[1..n].windows(2) {
        if w[0].depth == w[1].depth {
            assert!(w[0].base < w[1].base, "siblings in address order");
        }
    }
    zx::println!(
        "process_info_maps: {} entries; aspace, root VMAR, text R|X at depth 2",
        n
    );

    assert_no_leak("a sub-region's mapping", || {
        let h = vmo(4 * PAGE as u64, 0);
        set_name(h, b"maps-test");
        let (sub, sub_base) = zx::vmar_allocate(
            root,
            vm_opt::CAN_MAP_READ | vm_opt::CAN_MAP_WRITE,
            0,
            8 * PAGE,
        )
        .expect("allocate");
        let m = Mapping::at(sub, 0, h, PAGE as u64, 3 * PAGE, RW);
        m.write_u8(0, 1);
        m.write_u8(PAGE, 2);
        let (all, n, _) = maps(me);
        let at = all[..n]
            .iter()
            .position(|e| e.r#type == maps_type::VMAR && e.base == sub_base as u64)
            .expect("the sub-region");
        assert_eq!((all[at].depth, all[at].size), (2, 8 * PAGE as u64));
        let e = &all[at + 1];
        assert_eq!(
            (e.r#type, e.depth),
            (maps_type::MAPPING, 3),
            "its mapping right after it"
        );
        assert_eq!((e.base, e.size), (m.addr as u64, 3 * PAGE as u64));
        assert_eq!(&e.name[..10], b"maps-test\0");
        assert_eq!(e.mapping.vmo_koid, koid(h));
        assert_eq!(e.mapping.vmo_offset, PAGE as u64);
        assert_eq!(e.mapping.mmu_flags, RW);
        assert_eq!(e.mapping.committed_bytes, 2 * PAGE as u64);
        assert_eq!(e.mapping.committed_private_bytes, 2 * PAGE as u64);
        assert_eq!(e.mapping.committed_scaled_bytes, 2 * PAGE as u64);
        // A page shared with a snapshot counts half of it.
        let snap =
            zx::vmo_create_child(h, child_opt::SNAPSHOT, 0, 4 * PAGE as u64).expect("snapshot");
        let (all, n, _) = maps(me);
        let e = all[..n]
            .iter()
            .find(|e| e.mapping.vmo_koid == koid(h))
            .expect("again");
        assert_eq!(e.mapping.committed_bytes, 2 * PAGE as u64);
        assert_eq!(e.mapping.committed_private_bytes, 0);
        assert_eq!(e.mapping.committed_scaled_bytes, PAGE as u64);
        // Older versions: the same entries, pages instead of bytes.
        let mut v2 = [InfoMapsV2::default(); MAX];
        let (n2, _) = zx::object_get_info(me, topic::PROCESS_MAPS_V2, pod_slice_bytes_mut(&mut v2))
            .expect("V2");
        assert_eq!(n2, n);
        let e2 = v2[..n2]
            .iter()
            .find(|e| e.mapping.vmo_koid == koid(h))
            .expect("V2 entry");
        assert_eq!(
            (e2.mapping.committed_pages, e2.mapping.populated_pages),
            (2, 2)
        );
        let mut v1 = [InfoMapsV1::default(); MAX];
        let (n1, _) = zx::object_get_info(me, topic::PROCESS_MAPS_V1, pod_slice_bytes_mut(&mut v1))
            .expect("V1");
        assert_eq!(n1, n);
        // A short buffer is not an error.
        let mut one = [InfoMaps::default(); 1];
        assert_eq!(
            zx::object_get_info(me, topic::PROCESS_MAPS, pod_slice_bytes_mut(&mut one)),
            Ok((1, n))
        );
        assert_eq!(one[0].r#type, maps_type::ASPACE);
        assert_eq!(
            zx::object_get_info(me, topic::PROCESS_MAPS, &mut []),
            Ok((0, n))
        );

        // The VMO list: by handle (with its rights) and by mapping.
        let (list, count) = vmos(me);
        let by_handle = list[..count]
            .iter()
            .find(|v| v.koid == koid(h) && v.flags & vmo_info_flags::VIA_HANDLE != 0)
            .expect("by handle");
        assert_eq!(by_handle.handle_rights, rights_of(h));
        assert!(list[..count]
            .iter()
            .any(|v| v.koid == koid(h) && v.flags & vmo_info_flags::VIA_MAPPING != 0));
        assert!(list[..count].iter().any(|v| v.koid == koid(snap)));
        close(h);
        let (list, count) = vmos(me);
        let seen: usize = list[..count]
            .iter()
            .filter(|v| v.koid == e.mapping.vmo_koid)
            .count();
        assert_eq!(seen, 1, "only mapped now");
        let mut v1 = [0u8; 2 * 104];
        let (a, _) = zx::object_get_info(me, topic::PROCESS_VMOS_V1, &mut v1).expect("VMOS V1");
        assert_eq!(a, 2, "two 104-byte V1 records fit");
        zx::vmar_destroy(sub).expect("destroy");
        close(sub);
        close(snap);
    });
    zx::println!("process_info_maps: a sub-region's mapping with its VMO, offset and shared pages");

    let h = vmo(PAGE as u64, 0);
    let mut buf = [InfoMaps::default(); 2];
    assert_err(
        zx::object_get_info(h, topic::PROCESS_MAPS, pod_slice_bytes_mut(&mut buf)),
        ZxStatus::WrongType,
        "a VMO",
    );
    let blind = dup(me, rights::DEFAULT_PROCESS & !rights::INSPECT);
    for t in [topic::PROCESS_MAPS, topic::PROCESS_VMOS] {
        assert_err(
            zx::object_get_info(blind, t, pod_slice_bytes_mut(&mut buf)),
            ZxStatus::AccessDenied,
            "no INSPECT",
        );
    }
    close(blind);
    close(h);
    zx::println!("process_info_maps: WRONG_TYPE for a VMO, ACCESS_DENIED without INSPECT");
    0
}

zx::entry!(main);

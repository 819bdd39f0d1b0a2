//! Tests the `ZX_VMO_ZERO_CHILDREN` signal, polled with
//! `zx_object_wait_one`: active on a new VMO, inactive while a snapshot or
//! slice child exists (through its handle or only a mapping), active again
//! once the last child's last handle and mapping are gone; several
//! children; a grandchild does not change the grandparent's signal.
#![no_std]
#![no_main]

use el0_tests::{assert_no_leak, child, close, dup, vmo, zero_children, zx, Mapping, PAGE, RW};
use zx::{child_opt as c, rights, vm_opt, Handle};

const P: u64 = 4096;

fn new_vmo() {
    for options in [0, zx::vmo_opt::RESIZABLE] {
        let h = vmo(P, options);
        assert!(
            zero_children(h),
            "ZERO_CHILDREN on a new VMO (options {:#x})",
            options
        );
        let (s, observed) = zx::object_wait_one(h, zx::signals::VMO_ZERO_CHILDREN, 0);
        assert_eq!(s, Ok(()), "wait_one on an active signal");
        assert_eq!(
            observed & zx::signals::VMO_ZERO_CHILDREN,
            zx::signals::VMO_ZERO_CHILDREN,
            "observed signals {:#x}",
            observed
        );
        close(h);
    }
    zx::println!("vmo_zero_children: active on a new VMO");
}

fn one_child(options: u32, what: &str) {
    let parent = vmo(2 * P, 0);
    let ch = child(parent, options, 0, 2 * P);
    assert!(
        !zero_children(parent),
        "{}: ZERO_CHILDREN with a child",
        what
    );
    assert!(zero_children(ch), "{}: the child has no children", what);
    // A second handle to the child changes nothing.
    let d = dup(ch, rights::SAME_RIGHTS);
    close(ch);
    assert!(
        !zero_children(parent),
        "{}: child handle closed, duplicate left",
        what
    );
    close(d);
    assert!(
        zero_children(parent),
        "{}: after the child's last handle closed",
        what
    );
    close(parent);
}

fn child_handle_and_mapping(root: Handle) {
    for (options, what) in [(c::SNAPSHOT, "snapshot"), (c::SLICE, "slice")] {
        one_child(options, what);

        let parent = vmo(2 * P, 0);
        let ch = child(parent, options, 0, 2 * P);
        let m = Mapping::new(root, ch, 2 * PAGE, RW);
        m.write_u8(0, 1);
        close(ch);
        assert!(
            !zero_children(parent),
            "{}: child closed but still mapped",
            what
        );
        m.unmap();
        assert!(zero_children(parent), "{}: child closed and unmapped", what);

        // Unmapping first, then closing.
        let ch = child(parent, options, 0, 2 * P);
        let m = Mapping::new(root, ch, PAGE, vm_opt::PERM_READ);
        m.unmap();
        assert!(
            !zero_children(parent),
            "{}: child unmapped, handle open",
            what
        );
        close(ch);
        assert!(zero_children(parent), "{}: child unmapped and closed", what);
        close(parent);
    }
    zx::println!("vmo_zero_children: inactive until the child's last handle and mapping are gone");
}

fn several_children() {
    let parent = vmo(2 * P, 0);
    let a = child(parent, c::SNAPSHOT, 0, P);
    let b = child(parent, c::SLICE, P, P);
    let cc = child(parent, c::SNAPSHOT_AT_LEAST_ON_WRITE, 0, 2 * P);
    close(b);
    assert!(!zero_children(parent), "two children left");
    close(a);
    assert!(!zero_children(parent), "one child left");
    close(cc);
    assert!(zero_children(parent), "no children left");
    // And again.
    let a = child(parent, c::SNAPSHOT, 0, P);
    assert!(!zero_children(parent), "a new child");
    close(a);
    assert!(zero_children(parent), "the new child closed");
    close(parent);
    zx::println!("vmo_zero_children: active only when every child is gone");
}

fn grandchildren() {
    for (options, what) in [(c::SNAPSHOT, "snapshots"), (c::SLICE, "slices")] {
        let a = vmo(2 * P, 0);
        let b = child(a, options, 0, 2 * P);
        assert!(!zero_children(a), "{}: A with child B", what);
        let cc = child(b, options, 0, P);
        assert!(!zero_children(a), "{}: A with grandchild", what);
        assert!(!zero_children(b), "{}: B with child C", what);
        assert!(zero_children(cc), "{}: C has no children", what);
        close(cc);
        assert!(zero_children(b), "{}: B after C closed", what);
        assert!(!zero_children(a), "{}: A still has B", what);
        close(b);
        assert!(zero_children(a), "{}: A after B closed", what);
        close(a);
    }
    zx::println!("vmo_zero_children: a grandchild leaves the grandparent's signal alone");
}

/// A child closed while its own slice child lives is still a descendant:
/// the grandparent's signal stays off until the slice goes too.
fn child_closed_before_its_slice() {
    for (options, what) in [(c::SLICE, "slice"), (c::SNAPSHOT, "snapshot")] {
        let a = vmo(2 * P, 0);
        let b = child(a, options, 0, 2 * P);
        let s = child(b, c::SLICE, 0, P);
        close(b);
        assert!(
            !zero_children(a),
            "{}: A while B's slice lives (B's handle closed)",
            what
        );
        close(s);
        assert!(zero_children(a), "{}: A after the slice closed", what);
        close(a);
    }
    zx::println!("vmo_zero_children: a child's slice keeps the grandparent's signal off after the child closes");
}

fn main(root: Handle) -> i64 {
    assert_no_leak("vmo_zero_children", || {
        new_vmo();
        child_handle_and_mapping(root);
        several_children();
        grandchildren();
        child_closed_before_its_slice();
    });
    0
}

zx::entry!(main);

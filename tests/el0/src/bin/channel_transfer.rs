//! Tests handles moving through channels: a handle without TRANSFER is
//! ACCESS_DENIED, the channel's own handle NOT_SUPPORTED (and closed, so
//! its peer sees PEER_CLOSED), a handle listed twice BAD_HANDLE; on any
//! failure every handle of the list is closed and nothing is sent.
//! `zx_channel_write_etc`: MOVE with reduced rights (TRANSFER may go),
//! DUPLICATE keeps the source, type checks (WRONG_TYPE), rights that are
//! not a subset (INVALID_ARGS), DUPLICATE without the DUPLICATE right
//! (ACCESS_DENIED), unknown operations (INVALID_ARGS), each failed entry's
//! status in its `result`. `zx_channel_read_etc` reports type and rights.
//! Messages stranded in a closed endpoint close their handles, recursively
//! (a channel inside a message inside a channel; 200 deep), and nothing is
//! leaked (pages, VMOs, the kernel heap).
#![no_std]
#![no_main]

#[allow(dead_code)] // each program uses part of it
#[path = "../peer_leak.rs"]
mod leak;

use el0_tests::{assert_err, close, dup, handle_basic, zx};
use zx::channel::{
    channel_create, channel_read, channel_read_etc, channel_write, channel_write_etc,
};
use zx::{
    channel as ch, obj_type, rights, signals, Handle, HandleDisposition, HandleInfo, ZxStatus,
    ZX_TIME_INFINITE_PAST,
};

fn observed(h: Handle) -> u32 {
    let (s, seen) = zx::object_wait_one(h, 0, ZX_TIME_INFINITE_PAST);
    assert_eq!(s, Err(ZxStatus::TimedOut), "a poll times out");
    seen
}

fn is_valid(h: Handle) -> bool {
    zx::object_get_info(h, zx::topic::HANDLE_VALID, &mut []).is_ok()
}

fn handle_count(h: Handle) -> u32 {
    let mut c = [0u8; 4];
    zx::object_get_info(h, zx::topic::HANDLE_COUNT, &mut c).unwrap();
    u32::from_le_bytes(c)
}

fn disposition(op: u32, handle: Handle, obj_type: u32, rights: u32) -> HandleDisposition {
    HandleDisposition {
        operation: op,
        handle,
        obj_type,
        rights,
        result: 0,
    }
}

fn write_failures() {
    let (a, b) = channel_create().unwrap();
    // No TRANSFER.
    let e = zx::event_create().unwrap();
    let weak = dup(e, rights::DEFAULT_EVENT & !rights::TRANSFER);
    assert_err(
        channel_write(a, b"", &[weak]),
        ZxStatus::AccessDenied,
        "no TRANSFER",
    );
    assert!(!is_valid(weak), "closed");
    // Twice in the list: BAD_HANDLE, and gone.
    assert_err(
        channel_write(a, b"", &[e, e]),
        ZxStatus::BadHandle,
        "listed twice",
    );
    assert!(!is_valid(e));
    // A failure in the middle closes the valid ones too.
    let (x, y) = (zx::event_create().unwrap(), zx::event_create().unwrap());
    let keep = dup(y, rights::SAME_RIGHTS);
    assert_err(
        channel_write(a, b"", &[x, el0_tests::GARBAGE_HANDLE, y]),
        ZxStatus::BadHandle,
        "a bad handle in the middle",
    );
    assert!(!is_valid(x) && !is_valid(y), "every handle closed");
    assert_eq!(handle_count(keep), 1, "no handle in transit either");
    close(keep);
    assert_eq!(observed(b), signals::CHANNEL_WRITABLE, "nothing was sent");
    // Its own handle: NOT_SUPPORTED, closed, so the peer is closed.
    assert_err(
        channel_write(a, b"", &[a]),
        ZxStatus::NotSupported,
        "the channel itself",
    );
    assert!(!is_valid(a));
    assert_eq!(observed(b), signals::CHANNEL_PEER_CLOSED);
    close(b);
    zx::println!("channel: a failed write closes every handle of its list");
}

/// An endpoint may travel through its peer, even into its own queue: then
/// nothing can ever read it (its one handle is inside), a cycle Zircon
/// leaks too, so this runs outside the leak checks.
fn peer_through_itself() {
    let (a, b) = channel_create().unwrap();
    channel_write(a, b"", &[b]).unwrap();
    assert!(!is_valid(b));
    close(a);
}

fn write_etc() {
    let (a, b) = channel_create().unwrap();
    let e = zx::event_create().unwrap();
    let v = el0_tests::vmo(4096, 0);
    let src_koid = handle_basic(v).koid;
    let mut list = [
        disposition(ch::HANDLE_OP_MOVE, e, obj_type::EVENT, rights::WAIT),
        disposition(
            ch::HANDLE_OP_DUPLICATE,
            v,
            obj_type::VMO,
            rights::SAME_RIGHTS,
        ),
        disposition(
            ch::HANDLE_OP_DUPLICATE,
            v,
            obj_type::NONE,
            rights::READ | rights::TRANSFER,
        ),
    ];
    channel_write_etc(a, b"etc", &mut list).unwrap();
    assert!(!is_valid(e), "moved");
    assert!(is_valid(v), "duplicated: the source stays");
    let mut infos = [HandleInfo::default(); 3];
    let (s, n) = channel_read_etc(b, 0, &mut [0; 3], &mut infos);
    assert_eq!((s, n.handles), (Ok(()), 3));
    assert_eq!(
        (infos[0].obj_type, infos[0].rights),
        (obj_type::EVENT, rights::WAIT),
        "moved with reduced rights, TRANSFER gone"
    );
    assert_eq!(
        (infos[1].obj_type, infos[1].rights),
        (obj_type::VMO, rights::DEFAULT_VMO)
    );
    assert_eq!(infos[2].rights, rights::READ | rights::TRANSFER);
    assert_eq!(handle_basic(infos[1].handle).koid, src_koid);
    assert_eq!(handle_basic(infos[2].handle).rights, infos[2].rights);
    assert_eq!(infos[0].unused, 0);
    // A handle without TRANSFER cannot go on (and is consumed trying).
    assert_err(
        channel_write(b, b"", &[infos[0].handle]),
        ZxStatus::AccessDenied,
        "TRANSFER was removed",
    );
    assert!(!is_valid(infos[0].handle));
    close(infos[1].handle);
    close(infos[2].handle);

    // Failures: every entry is tried, each gets its status, the first is
    // returned; moved handles are closed, duplicated ones stay.
    let e1 = zx::event_create().unwrap();
    let e2 = zx::event_create().unwrap();
    let e3 = zx::event_create().unwrap();
    let nodup = dup(e3, rights::DEFAULT_EVENT & !rights::DUPLICATE);
    let e4 = zx::event_create().unwrap();
    let mut list = [
        disposition(ch::HANDLE_OP_MOVE, e1, obj_type::VMO, rights::SAME_RIGHTS),
        disposition(ch::HANDLE_OP_MOVE, e2, obj_type::EVENT, rights::READ),
        disposition(
            ch::HANDLE_OP_DUPLICATE,
            nodup,
            obj_type::NONE,
            rights::SAME_RIGHTS,
        ),
        disposition(7, e4, obj_type::NONE, rights::SAME_RIGHTS),
        disposition(
            ch::HANDLE_OP_DUPLICATE,
            v,
            obj_type::NONE,
            rights::SAME_RIGHTS,
        ),
    ];
    assert_err(
        channel_write_etc(a, b"", &mut list),
        ZxStatus::WrongType,
        "the first failure",
    );
    let results: [i32; 5] = core::array::from_fn(|i| list[i].result);
    assert_eq!(
        results,
        [
            ZxStatus::WrongType.raw(),
            ZxStatus::InvalidArgs.raw(),
            ZxStatus::AccessDenied.raw(),
            ZxStatus::InvalidArgs.raw(),
            0
        ]
    );
    assert!(
        !is_valid(e1) && !is_valid(e2) && !is_valid(e4),
        "moves closed"
    );
    assert!(is_valid(nodup) && is_valid(v), "duplicated sources stay");
    assert_eq!(handle_count(v), 1, "the duplicate made was closed");
    assert_eq!(observed(b), signals::CHANNEL_WRITABLE, "nothing was sent");
    // Its own handle, duplicated: NOT_SUPPORTED, and it stays.
    let mut list = [disposition(
        ch::HANDLE_OP_DUPLICATE,
        a,
        obj_type::NONE,
        rights::SAME_RIGHTS,
    )];
    assert_err(
        channel_write_etc(a, b"", &mut list),
        ZxStatus::NotSupported,
        "itself",
    );
    assert_eq!(list[0].result, ZxStatus::NotSupported.raw());
    assert!(is_valid(a));
    for h in [nodup, e3, v, a, b] {
        close(h);
    }
    zx::println!("channel: write_etc moves, duplicates, checks types and reduces rights");
}

fn nesting() {
    let (a0, b0) = channel_create().unwrap();
    let mut pairs = [(0 as Handle, 0 as Handle); 200];
    for p in pairs.iter_mut() {
        *p = channel_create().unwrap();
    }
    // Each pair goes into the one before it, the first into (a0, b0).
    for i in (0..pairs.len()).rev() {
        let (a, b) = pairs[i];
        let into = if i == 0 { a0 } else { pairs[i - 1].0 };
        channel_write(into, b"", &[a, b]).unwrap();
    }
    let mut buf = [0u8; 1];
    assert_eq!(
        channel_read(b0, 0, &mut buf, &mut []).0,
        Err(ZxStatus::BufferTooSmall),
        "b0 holds the first pair"
    );
    close(a0);
    close(b0);
}

fn main(_root: Handle) -> i64 {
    write_failures();
    peer_through_itself();
    write_etc();
    stranded_chain();
    nesting();
    leak::check("channel: failed writes", write_failures);
    leak::check("channel: write_etc", write_etc);
    leak::check("channel: stranded", stranded_chain);
    leak::check("channel: nesting", nesting);
    zx::println!("channel: stranded messages close their handles, 200 deep; nothing leaked");
    0
}

/// A channel inside a message inside a channel: closing the outer one
/// closes the inner endpoint, whose peer sees PEER_CLOSED, and so on down.
fn stranded_chain() {
    let (outer_a, outer_b) = channel_create().unwrap();
    let (inner_a, inner_b) = channel_create().unwrap();
    let (deep_a, deep_b) = channel_create().unwrap();
    let e = zx::event_create().unwrap();
    let watch = dup(e, rights::SAME_RIGHTS);
    channel_write(deep_a, b"deep", &[e]).unwrap();
    channel_write(inner_a, b"inner", &[deep_b]).unwrap();
    channel_write(outer_a, b"outer", &[inner_b]).unwrap();
    assert_eq!(observed(deep_a) & signals::CHANNEL_PEER_CLOSED, 0);
    assert_eq!(handle_count(watch), 2, "one handle in transit");
    close(outer_b);
    assert_eq!(
        observed(inner_a),
        signals::CHANNEL_PEER_CLOSED,
        "the endpoint in the stranded message was closed"
    );
    assert_eq!(
        observed(deep_a),
        signals::CHANNEL_PEER_CLOSED,
        "and the one inside it"
    );
    assert_eq!(handle_count(watch), 1, "and the event inside that");
    for h in [watch, outer_a, inner_a, deep_a] {
        close(h);
    }
}

zx::entry!(main);

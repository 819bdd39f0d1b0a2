//! ASIDs on two cores: whatever the interleaving of activations, roll-overs
//! and deactivations, two cores never run different address spaces with the
//! same ASID, and cores that run the same address space run it with the same
//! ASID (the one its shootdowns name).
//!
//! Each core's "hardware" (the ASID in its TTBR0) is kept in a monitor. As
//! in the kernel, TTBR0 holds a user table only while EL0 runs (and during
//! user copies): a core enters the kernel (TTBR0 empty, ASID 0), switches
//! with `activate` (which also names the table for the next EL0 entry),
//! and returns to EL0 with the ASID `activate` gave. Cores never call
//! `deactivate` (the kernel does not): the last space a core ran keeps its
//! ASID reserved. The monitor has its own lock: it is the checker, not part
//! of the protocol.

use super::check;
use crate::sync::{Arc, Mutex};
use crate::vm::asid::{Asid, AsidSpace};
use loom::thread;

/// ASIDs 1..=3 for two cores: roll-overs come quickly.
const COUNT: usize = 4;

fn flush_all() {}
fn flush_asid(_: u16) {}

/// What each core runs: (address space, ASID).
type Hardware = Mutex<[Option<(usize, u16)>; 2]>;

/// Core `cpu` loads address space `id` with `asid`: checked against what
/// the other core runs at this moment.
fn load(hw: &Hardware, cpu: usize, id: usize, asid: u16) {
    let mut cores = hw.lock();
    if let Some((other, other_asid)) = cores[1 - cpu] {
        if other == id {
            assert_eq!(
                asid, other_asid,
                "space {id} runs with ASID {asid} on core {cpu} and {other_asid} on the other"
            );
        } else {
            assert_ne!(
                asid, other_asid,
                "spaces {id} and {other} both run with ASID {asid}"
            );
        }
    }
    cores[cpu] = Some((id, asid));
}

/// Core `cpu` enters the kernel: its TTBR0 is the empty table.
fn unload(hw: &Hardware, cpu: usize) {
    hw.lock()[cpu] = None;
}

struct World {
    space: AsidSpace,
    spaces: [Asid; 5],
    hw: Hardware,
}

impl World {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            space: AsidSpace::new(COUNT, flush_all, flush_asid),
            spaces: core::array::from_fn(|_| Asid::default()),
            hw: Mutex::new([None, None]),
        })
    }

    /// Core `cpu`, in the kernel, switches to a thread of space `id` and
    /// runs it at EL0 until the next exception.
    fn run(&self, cpu: usize, id: usize) {
        let asid = self.spaces[id].activate(&self.space, cpu);
        assert_ne!(asid, 0);
        load(&self.hw, cpu, id, asid);
        unload(&self.hw, cpu);
    }
}

#[test]
fn loom_asid_two_cores_never_share_an_asid() {
    check("asid two cores", || {
        let w = World::new();
        let w1 = w.clone();
        // Core 1 runs spaces 0 and 1; core 0 runs 2, 3, 4 (a roll-over).
        let core1 = thread::spawn(move || {
            w1.run(1, 0);
            w1.run(1, 1);
        });
        w.run(0, 2);
        w.run(0, 3);
        w.run(0, 4);
        core1.join().unwrap();
    });
}

#[test]
fn loom_asid_one_space_on_two_cores_through_roll_overs() {
    check("asid shared space", || {
        let w = World::new();
        let w1 = w.clone();
        // Core 1 keeps running space 0 (one thread of it) across whatever
        // roll-overs core 0 causes, then re-enters it (an interrupt return).
        let core1 = thread::spawn(move || {
            let asid = w1.spaces[0].activate(&w1.space, 1);
            load(&w1.hw, 1, 0, asid);
            thread::yield_now();
            // An exception, and back to the same thread.
            unload(&w1.hw, 1);
            let again = w1.spaces[0].activate(&w1.space, 1);
            assert_eq!(again, asid, "a running space keeps its ASID");
            load(&w1.hw, 1, 0, again);
        });
        // Core 0 runs other spaces and, in between, another thread of
        // space 0.
        for id in [1, 2, 0, 3, 4, 0, 1, 0] {
            w.run(0, id);
        }
        core1.join().unwrap();
    });
}

//! The handle table as a process uses it (behind one lock, objects dropped
//! after the lock is released): close, duplicate and lookup of the same
//! handle value at once never reach a freed object, and the objects' handle
//! counts stay exact, also when two tables (two processes) hold handles to
//! one object.

use super::check;
use crate::kernel_object;
use crate::object::{HandleTable, ObjectBase, ObjectType};
use crate::sync::{Arc, Mutex};
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use loom::thread;
use zx_abi::rights::SAME_RIGHTS;
use zx_abi::{Rights, ZxStatus};

/// An object that records its own drop in a flag outside it, so a thread
/// holding what it believes is a live reference can check that without
/// touching the object.
#[repr(C)]
struct Probe {
    base: ObjectBase,
    dropped: loom::sync::Arc<AtomicBool>,
}
kernel_object!(Probe, 3, RIGHTS);

impl Drop for Probe {
    fn drop(&mut self) {
        assert!(!self.dropped.swap(true, SeqCst), "object dropped twice");
    }
}

fn probe() -> (Arc<Probe>, loom::sync::Arc<AtomicBool>) {
    let dropped = loom::sync::Arc::new(AtomicBool::new(false));
    let p = Arc::new(Probe {
        base: ObjectBase::default(),
        dropped: dropped.clone(),
    });
    (p, dropped)
}

const RIGHTS: Rights = Rights::READ.union(Rights::DUPLICATE);

/// Under the table's lock: the table's handles are all the object's
/// handles (one table, one object).
fn counts_agree(t: &HandleTable, p: &Probe) {
    assert_eq!(p.base().handle_count() as usize, t.len());
}

#[test]
fn loom_handle_close_vs_duplicate_vs_lookup() {
    check("handle close/duplicate/lookup", || {
        let (p, dropped) = probe();
        let table = Arc::new(Mutex::new(HandleTable::new()));
        let h = table.lock().add(p, RIGHTS).unwrap();

        let t = table.clone();
        let closer = thread::spawn(move || {
            let entry = t.lock().remove(h);
            // Dropped outside the lock, as the process does.
            drop(entry.expect("the handle was open until this close"));
        });

        let t = table.clone();
        let d = dropped.clone();
        let duplicator = thread::spawn(move || {
            let dup = t.lock().duplicate(h, SAME_RIGHTS);
            match dup {
                Ok(dup) => {
                    let (obj, rights) = {
                        let g = t.lock();
                        let r = g
                            .get::<Probe>(dup, Rights::READ)
                            .expect("the new handle works");
                        counts_agree(&g, &r.0);
                        r
                    };
                    assert_eq!(rights, RIGHTS);
                    assert!(!d.load(SeqCst), "duplicate reached a freed object");
                    assert!(obj.base().handle_count() >= 1);
                    drop(obj);
                    let entry = t.lock().remove(dup).expect("the duplicate was open");
                    drop(entry);
                }
                Err(s) => assert_eq!(s, ZxStatus::BadHandle, "duplicate of a closed handle"),
            }
        });

        let t = table.clone();
        let d = dropped.clone();
        let looker = thread::spawn(move || {
            let got = {
                let g = t.lock();
                let r = g.get::<Probe>(h, Rights::READ);
                if let Ok((obj, _)) = &r {
                    counts_agree(&g, obj);
                }
                r
            };
            match got {
                Ok((obj, _)) => {
                    // Still alive here, after the lock, whatever the closer did.
                    assert!(!d.load(SeqCst), "lookup reached a freed object");
                    assert_eq!(obj.koid(), obj.base().koid);
                }
                Err(s) => assert_eq!(s, ZxStatus::BadHandle),
            }
        });

        closer.join().unwrap();
        duplicator.join().unwrap();
        looker.join().unwrap();
        let t = table.lock();
        assert!(t.is_empty(), "every handle was closed");
        assert!(dropped.load(SeqCst), "the object died with its last handle");
    });
}

#[test]
fn loom_handle_counts_across_two_tables() {
    check("handle counts across tables", || {
        let (p, dropped) = probe();
        let a = Arc::new(Mutex::new(HandleTable::new()));
        let b = Arc::new(Mutex::new(HandleTable::new()));
        let ha = a.lock().add(p.clone(), RIGHTS).unwrap();
        let hb = b.lock().add(p.clone(), RIGHTS).unwrap();
        assert_eq!(p.base().handle_count(), 2);

        // Process A duplicates its handle, then closes the original.
        let t = a.clone();
        let in_a = thread::spawn(move || {
            let d = t.lock().duplicate(ha, SAME_RIGHTS).unwrap();
            drop(t.lock().remove(ha).unwrap());
            d
        });
        // Process B closes its handle, then makes a new one from a lookup.
        let t = b.clone();
        let in_b = thread::spawn(move || {
            let e = t.lock().remove(hb).unwrap();
            let h = t.lock().add_entry(e.clone()).unwrap();
            drop(e);
            h
        });
        let da = in_a.join().unwrap();
        let hb2 = in_b.join().unwrap();
        assert_eq!(p.base().handle_count(), 2, "one handle in each table");
        drop(a.lock().remove(da).unwrap());
        drop(b.lock().take_all());
        assert_eq!(p.base().handle_count(), 0);
        assert_eq!(b.lock().entry(hb2).err(), Some(ZxStatus::BadHandle));
        drop(p);
        assert!(dropped.load(SeqCst));
    });
}

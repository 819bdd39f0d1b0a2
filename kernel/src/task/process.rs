//! A process: an address space and a handle table, shared by its threads.
//! Created from an ELF image: each `PT_LOAD` segment becomes a VMO mapped at
//! its link address with the segment's permissions, and the stack is a VMO
//! with a guard page below; the first thread starts at the entry point with
//! x0 = the root VMAR, x1 = the process, x2 = the thread, x3 = its default
//! job. Or created empty (`zx_process_create`: no mappings, no threads) in
//! a job, and started by its creator (`zx_process_start`).
//!
//! The process ends when its last started thread has been reaped: its end
//! (the first exit or kill asked for, else exit 0) is recorded, threads
//! that never started end too, its handles close, its address space goes,
//! and `ZX_PROCESS_TERMINATED` is asserted.
//!
//! Locks: the handle table's lock is taken alone (no other lock is held
//! while it is, and objects taken out of it are dropped after it is
//! released). The task lock (threads and counts) may be taken under an
//! object's signal lock (a waiter woken there leaves the forever count);
//! under it only run-queue locks are taken.

use super::job::Job;
use super::thread::Thread;
use crate::elf::{Elf, ElfError};
use crate::manifest::FaultKind;
use crate::memory::FRAMES;
use crate::object::exception::Exceptionate;
use crate::object::handle::Entry;
use crate::object::vmar::VmarObject;
use crate::object::{HandleTable, ObjectBase, ObjectRef, ObjectType};
use crate::sync::spin_lock::Mutex;
use crate::vm::aspace::Placement;
use crate::vm::{AddressSpace, VmoObject};
use alloc::format;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use mm::vmo::Vmo;
use platform::arch::user_pt::UserPerms;
use platform::println;
use zx_abi::{
    obj_type, Handle, Rights, Signals, ZxStatus, INITIAL_STACK_SIZE, PAGE_SIZE, ROOT_VMAR_BASE,
    ROOT_VMAR_SIZE,
};

/// Where the initial stack goes: well above any link address we promise to
/// load at (2^39) and the kernel's default placement region.
const STACK_TOP: u64 = 0x7fff_0000_0000;

/// Mappings the kernel places itself go at or above this address.
pub const DEFAULT_MAP_BASE: u64 = 0x10_0000_0000;

#[repr(C)]
pub struct Process {
    base: ObjectBase,
    pub name: String,
    pub aspace: Arc<AddressSpace>,
    handles: Mutex<HandleTable>,
    tasks: Mutex<Tasks>,
    /// How the process ended or must end: the first request wins.
    end: Mutex<Option<Stop>>,
    /// Counter value by which it must have ended (u64::MAX: no limit).
    deadline: AtomicU64,
    /// That limit in seconds, for the report.
    limit_seconds: AtomicU64,
    /// Set once the process has ended and given everything back (its
    /// handles and address space): what waiters for its end look at.
    finished: AtomicBool,
    /// What its threads run (see `load`).
    thread_body: fn(&Thread),
    /// The job it belongs to.
    pub job: Arc<Job>,
    /// Counted in [`LIVE`] (a program the runner loaded, not a process a
    /// program created).
    counted: bool,
    /// Monotonic time its first thread started (ns; 0 before).
    start_time: AtomicI64,
    /// Its exception channels: the process's own, and its debugger's.
    pub exceptionate: Exceptionate,
    pub debug_exceptionate: Exceptionate,
}

/// Programs loaded by the runner whose process object still exists (its
/// last thread reaped and its memory freed once it is gone).
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// Programs the runner has started to load since boot (never decreases).
static LOADED: AtomicUsize = AtomicUsize::new(0);

/// A runner-loaded program's place in [`LIVE`] and [`LOADED`], taken when
/// its load starts: loading allocates (the address space, the segments'
/// pages, the stack) before the process exists, and a program checking
/// for leaks trusts the counts to say that nobody else allocates or frees.
/// A failed load gives the place back after what it allocated is freed (the
/// guard is its first local, so it drops last); a loaded process takes it
/// over and gives it back in its own drop.
struct LoadCount;

impl LoadCount {
    fn begin() -> Self {
        LIVE.fetch_add(1, Ordering::Relaxed);
        LOADED.fetch_add(1, Ordering::Relaxed);
        Self
    }

    /// The process holds the place from here on (`counted`).
    fn hand_over(self) {
        core::mem::forget(self);
    }
}

impl Drop for LoadCount {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Programs loaded by the runner whose process is not yet gone (the processes they
/// create are not counted: `KERNEL_STATS` tells programs running in
/// parallel apart with it).
pub fn live_count() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Programs the runner has started to load since boot.
pub fn loaded_count() -> usize {
    LOADED.load(Ordering::Relaxed)
}

/// Why a process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `zx_process_exit` with this code (or every thread exited: 0).
    Exit(i64),
    /// Killed: the kind (None for a fault of no kind the test manifest
    /// names) and the reason the report gave.
    Kill(Option<FaultKind>, String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No thread started yet.
    Initial,
    Running,
    /// An end was asked for; threads are stopping.
    Dying,
    Dead,
}

struct Tasks {
    phase: Phase,
    /// Started threads not yet reaped.
    threads: Vec<Arc<Thread>>,
    /// Threads not started yet: held by their handles only, so that a
    /// thread (and a process) nobody can start any more goes away.
    unstarted: Vec<Weak<Thread>>,
    /// Started threads not yet reaped.
    running: usize,
    /// Of those, the ones in a wait with no deadline that nothing woke.
    waiting_forever: usize,
    /// The program's count, which these two are also added to.
    group: Group,
}

impl Tasks {
    /// `t` leaves the forever count, if it was in it.
    fn stop_waiting_forever(&mut self, t: &Thread) {
        if t.forever.swap(false, Ordering::AcqRel) {
            self.waiting_forever -= 1;
            self.group.fetch_sub(ONE_WAITING, Ordering::AcqRel);
        }
    }
}

/// A program's processes (the one the runner loaded and every process made
/// below it) share one count: their started, not yet reaped threads (high
/// half) and how many of those wait with no deadline (low half), in one
/// word so that one load sees both at one instant. Only these processes can
/// hold each other's objects (programs share no handle), so only they can
/// wake each other.
pub type Group = Arc<AtomicU64>;
const ONE_RUNNING: u64 = 1 << 32;
const ONE_WAITING: u64 = 1;

/// Whether every thread of the group waits with no deadline: then nothing
/// can wake any of them (only a running thread, or a process's end, wakes a
/// waiter; a process's last thread leaves the count only once its end has
/// been signalled).
fn nobody_can_wake(group: &AtomicU64) -> bool {
    let v = group.load(Ordering::Acquire);
    v >> 32 == v & 0xffff_ffff
}

crate::kernel_object!(Process, obj_type::PROCESS, Rights::DEFAULT_PROCESS);

/// Where a new process's first thread starts.
pub struct StartState {
    pub entry: u64,
    pub stack_top: u64,
    /// x0 at start: the root VMAR handle.
    pub root_vmar: Handle,
}

/// Why a program could not be started.
#[derive(Debug)]
pub enum LoadError {
    Elf(ElfError),
    /// A segment overlaps another, or lies outside the user range.
    BadLayout(u64),
    /// A segment is both writable and executable.
    WritableAndExecutable(u64),
    Kernel(ZxStatus),
}

impl From<ZxStatus> for LoadError {
    fn from(s: ZxStatus) -> Self {
        Self::Kernel(s)
    }
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Elf(e) => write!(f, "bad ELF: {}", e.describe()),
            Self::BadLayout(a) => write!(
                f,
                "segment at {a:#x} overlaps another or lies outside user space"
            ),
            Self::WritableAndExecutable(a) => {
                write!(f, "segment at {a:#x} is writable and executable")
            }
            Self::Kernel(s) => write!(f, "kernel error {}", s.name()),
        }
    }
}

impl Process {
    /// Loads `image` into a fresh address space, ready for its first thread.
    /// Its threads run `body` on their kernel stacks (the EL0 loop).
    pub fn load(
        name: &str,
        image: &[u8],
        job: &Arc<Job>,
        body: fn(&Thread),
    ) -> Result<(Arc<Self>, StartState), LoadError> {
        let count = LoadCount::begin();
        let elf = Elf::parse(image).map_err(LoadError::Elf)?;
        let aspace = AddressSpace::new()?;
        for seg in elf.segments() {
            let seg = seg.map_err(LoadError::Elf)?;
            if seg.mem_size == 0 {
                continue;
            }
            if seg.write && seg.execute {
                return Err(LoadError::WritableAndExecutable(seg.vaddr));
            }
            let start = seg.vaddr & !(PAGE_SIZE - 1);
            let end = (seg.vaddr + seg.mem_size).next_multiple_of(PAGE_SIZE);
            if start < ROOT_VMAR_BASE || end > ROOT_VMAR_BASE + ROOT_VMAR_SIZE {
                return Err(LoadError::BadLayout(seg.vaddr));
            }
            let mut vmo = Vmo::create(&FRAMES, end - start, 0)?;
            vmo.write(seg.vaddr - start, seg.data)?;
            let perms = UserPerms {
                read: seg.read,
                write: seg.write,
                execute: seg.execute,
                ..Default::default()
            };
            aspace
                .map(
                    VmoObject::new(vmo),
                    0,
                    end - start,
                    perms,
                    Placement::Specific(start),
                )
                .map_err(|e| match e {
                    ZxStatus::AlreadyExists => LoadError::BadLayout(seg.vaddr),
                    other => LoadError::Kernel(other),
                })?;
        }

        let stack = VmoObject::new(Vmo::create(&FRAMES, INITIAL_STACK_SIZE, 0)?);
        let rw = UserPerms {
            read: true,
            write: true,
            ..Default::default()
        };
        // The page below the stack stays unmapped: an overflow faults there.
        let stack_base = STACK_TOP - INITIAL_STACK_SIZE;
        aspace.map(
            stack,
            0,
            INITIAL_STACK_SIZE,
            rw,
            Placement::Specific(stack_base),
        )?;

        let root = VmarObject::new(
            aspace.clone(),
            crate::vm::vmar::ROOT,
            ROOT_VMAR_BASE,
            ROOT_VMAR_SIZE,
        );
        let process = Self::new(name, aspace, job.clone(), body, true, Group::default());
        count.hand_over();
        job.add_process(&process)?;
        let root_handle = process.add_handle(root, Rights::ROOT_VMAR)?;
        let start = StartState {
            entry: elf.entry,
            stack_top: STACK_TOP,
            root_vmar: root_handle,
        };
        Ok((process, start))
    }

    /// The object, not yet in its job (`counted`: in [`LIVE`], whose place
    /// the caller's [`LoadCount`] hands over).
    fn new(
        name: &str,
        aspace: Arc<AddressSpace>,
        job: Arc<Job>,
        body: fn(&Thread),
        counted: bool,
        group: Group,
    ) -> Arc<Self> {
        Arc::new(Self {
            base: ObjectBase::new(Signals::empty()),
            name: String::from(name),
            aspace,
            handles: Mutex::new(HandleTable::new()),
            tasks: Mutex::new(Tasks {
                phase: Phase::Initial,
                threads: Vec::new(),
                unstarted: Vec::new(),
                running: 0,
                waiting_forever: 0,
                group,
            }),
            end: Mutex::new(None),
            deadline: AtomicU64::new(u64::MAX),
            limit_seconds: AtomicU64::new(0),
            finished: AtomicBool::new(false),
            thread_body: body,
            job,
            counted,
            start_time: AtomicI64::new(0),
            exceptionate: Exceptionate::new(zx_abi::exception::CHANNEL_TYPE_PROCESS),
            debug_exceptionate: Exceptionate::new(zx_abi::exception::CHANNEL_TYPE_DEBUGGER),
        })
    }

    /// `zx_process_create`: an empty process of `job` (no mappings, no
    /// handles, no threads), and its root VMAR. Its threads run what the
    /// creator's run, and it has the creator's time limit (a core running
    /// it must give the runner its turn when the program's time is up).
    pub fn create(
        name: &str,
        job: &Arc<Job>,
        creator: &Process,
    ) -> Result<(Arc<Self>, Arc<VmarObject>), ZxStatus> {
        let body = creator.thread_body;
        let aspace = AddressSpace::new()?;
        let root = VmarObject::new(
            aspace.clone(),
            crate::vm::vmar::ROOT,
            ROOT_VMAR_BASE,
            ROOT_VMAR_SIZE,
        );
        let group = creator.tasks.lock().group.clone();
        let process = Self::new(name, aspace, job.clone(), body, false, group);
        process.set_time_limit(creator.deadline(), creator.time_limit_seconds());
        job.add_process(&process)?;
        Ok((process, root))
    }

    /// Starts the first thread, with handles to the process, to the thread
    /// (Zircon's default rights) and to its job (`ZX_DEFAULT_JOB_RIGHTS`)
    /// in x1, x2 and x3.
    pub fn start(self: &Arc<Self>, start: &StartState) -> Result<(), ZxStatus> {
        let thread = self.new_thread(String::from("initial-thread"))?;
        self.add_handle(self.clone(), Rights::DEFAULT_PROCESS)
            .and_then(|p| Ok((p, self.add_handle(thread.clone(), Rights::DEFAULT_THREAD)?)))
            .and_then(|(p, t)| {
                Ok((
                    p,
                    t,
                    self.add_handle(self.job.clone(), Rights::DEFAULT_JOB)?,
                ))
            })
            .and_then(|(p, t, j)| {
                thread.start(
                    start.entry,
                    start.stack_top,
                    &[
                        u64::from(start.root_vmar),
                        u64::from(p),
                        u64::from(t),
                        u64::from(j),
                    ],
                    true,
                )
            })
    }

    /// A new thread of this process, not started (`BadState` once the
    /// process is ending).
    pub fn new_thread(self: &Arc<Self>, name: String) -> Result<Arc<Thread>, ZxStatus> {
        let thread = Thread::new(self.clone(), name, self.thread_body)?;
        let mut tasks = self.tasks.lock();
        if matches!(tasks.phase, Phase::Dying | Phase::Dead) {
            return Err(ZxStatus::BadState);
        }
        tasks.unstarted.retain(|w| w.strong_count() > 0);
        tasks
            .unstarted
            .try_reserve(1)
            .map_err(|_| ZxStatus::NoMemory)?;
        tasks.unstarted.push(Arc::downgrade(&thread));
        Ok(thread)
    }

    /// A thread is starting: the first one (`initial`) only while no
    /// thread has started, any other only after (`BadState` otherwise, and
    /// once the process is ending), as in Zircon.
    pub(crate) fn thread_started(&self, t: &Thread, initial: bool) -> Result<(), ZxStatus> {
        let mut tasks = self.tasks.lock();
        tasks
            .threads
            .try_reserve(1)
            .map_err(|_| ZxStatus::NoMemory)?;
        match (tasks.phase, initial) {
            (Phase::Initial, true) => {
                let now = crate::sched::ticks_to_ns(platform::arch::cpu::counter());
                self.start_time.store(now.max(1), Ordering::Relaxed);
            }
            (Phase::Running, false) => {}
            _ => return Err(ZxStatus::BadState),
        }
        tasks.phase = Phase::Running;
        tasks.running += 1;
        tasks.group.fetch_add(ONE_RUNNING, Ordering::AcqRel);
        tasks.threads.push(t.arc());
        tasks.unstarted.retain(|w| !core::ptr::eq(w.as_ptr(), t));
        Ok(())
    }

    /// Whether a thread of it was ever started.
    pub fn has_started(&self) -> bool {
        self.start_time.load(Ordering::Relaxed) != 0
    }

    /// `ZX_INFO_PROCESS`: return code (once it has ended), start time
    /// (0 before), and the STARTED, EXITED and DEBUGGER_ATTACHED flags.
    pub fn info(&self) -> zx_abi::InfoProcess {
        use zx_abi::info_process_flags::{DEBUGGER_ATTACHED, EXITED, STARTED};
        let start_time = self.start_time.load(Ordering::Relaxed);
        let mut flags = 0;
        if start_time != 0 {
            flags |= STARTED;
        }
        if self.debug_exceptionate.is_bound() {
            flags |= DEBUGGER_ATTACHED;
        }
        let return_code = match self.end() {
            Some(end) => {
                flags |= EXITED;
                match end {
                    Stop::Exit(code) => code,
                    Stop::Kill(..) => zx_abi::TASK_RETCODE_EXCEPTION_KILL,
                }
            }
            None => 0,
        };
        zx_abi::InfoProcess {
            return_code,
            start_time,
            flags,
            ..Default::default()
        }
    }

    /// Where `zx_process_read_memory` and `zx_process_write_memory` at
    /// `vaddr` go: the root VMO and offset behind the one mapping at
    /// `vaddr` (whatever its protection), and how many of `len` bytes lie
    /// in that mapping and its VMO. `BadState` once the process has ended,
    /// `NoMemory` if nothing is mapped at `vaddr` (or its VMO ends first).
    pub fn memory_at(&self, vaddr: u64, len: u64) -> Result<(Arc<VmoObject>, u64, u64), ZxStatus> {
        if self.tasks.lock().phase == Phase::Dead {
            return Err(ZxStatus::BadState);
        }
        let end = ROOT_VMAR_BASE + ROOT_VMAR_SIZE;
        if !(ROOT_VMAR_BASE..end).contains(&vaddr) {
            return Err(ZxStatus::NoMemory);
        }
        let len = len.min(end - vaddr);
        let (segments, _) = self
            .aspace
            .segments(crate::vm::vmar::ROOT, vaddr, len)
            .map_err(|_| ZxStatus::NoMemory)?;
        let Some(seg) = segments.first().filter(|s| s.va == vaddr) else {
            return Err(ZxStatus::NoMemory);
        };
        let object_size = seg.object.size();
        if seg.object_offset >= object_size {
            return Err(ZxStatus::NoMemory);
        }
        let n = seg.len.min(object_size - seg.object_offset);
        let (root, offset) = seg.object.root(seg.object_offset);
        Ok((root, offset, n))
    }

    /// Ends the process: records `stop` (unless an end was asked for
    /// already) and stops every thread.
    pub fn kill(&self, stop: Stop) {
        self.record_end(stop);
        self.stop_threads();
    }

    /// Records how the process ends, if nothing was recorded yet; true if
    /// this was the first.
    fn record_end(&self, stop: Stop) -> bool {
        let mut end = self.end.lock();
        let first = end.is_none();
        if first {
            *end = Some(stop);
        }
        first
    }

    fn stop_threads(&self) {
        let threads: Vec<Arc<Thread>> = {
            let mut tasks = self.tasks.lock();
            if tasks.phase == Phase::Dead {
                return;
            }
            if tasks.running == 0 && tasks.phase == Phase::Initial {
                // No thread ever started: nothing will be reaped, so it
                // ends here.
                let orphans = self.mark_dead(&mut tasks);
                drop(tasks);
                self.finish(orphans);
                return;
            }
            tasks.phase = Phase::Dying;
            tasks.threads.clone()
        };
        // Unstarted threads cannot start any more (the phase says so);
        // they end with the process.
        for t in &threads {
            t.request_stop();
        }
    }

    /// The process is dead (under its task lock): its threads that never
    /// started, to end.
    fn mark_dead(&self, tasks: &mut Tasks) -> Vec<Arc<Thread>> {
        tasks.phase = Phase::Dead;
        let mut orphans = core::mem::take(&mut tasks.threads);
        orphans.extend(tasks.unstarted.drain(..).filter_map(|w| w.upgrade()));
        orphans
    }

    /// The end of a dead process: its unstarted threads end, its end is
    /// recorded (exit 0 unless something else was), its handles and
    /// address space go, and `ZX_PROCESS_TERMINATED` is asserted.
    fn finish(&self, orphans: Vec<Arc<Thread>>) {
        for o in &orphans {
            o.end_unstarted();
        }
        drop(orphans);
        {
            let mut end = self.end.lock();
            if end.is_none() {
                *end = Some(Stop::Exit(0));
            }
        }
        self.terminate();
        self.exceptionate.shutdown();
        self.debug_exceptionate.shutdown();
        if self.counted {
            // A program's children end with it (docs/syscall-abi.md).
            self.job.kill();
        }
        self.finished.store(true, Ordering::Release);
        self.base
            .signals
            .update(Signals::empty(), Signals::TASK_TERMINATED);
        // The boot core's runner waits for processes to end.
        crate::sched::kick(0);
    }

    /// The process overran its time limit (the boot core and the
    /// thread's own core may both notice: one report).
    pub fn time_limit_reached(&self) {
        let reason = format!("time limit exceeded ({} s)", self.time_limit_seconds());
        if self.record_end(Stop::Kill(Some(FaultKind::TimeLimit), reason.clone())) {
            println!("[kill] {}: {reason}", self.name);
        }
        self.stop_threads();
    }

    fn time_limit_seconds(&self) -> u64 {
        self.limit_seconds.load(Ordering::Relaxed)
    }

    /// Sets the counter value by which the process must have ended.
    pub fn set_time_limit(&self, deadline: u64, seconds: u64) {
        self.limit_seconds.store(seconds, Ordering::Relaxed);
        self.deadline.store(deadline, Ordering::Relaxed);
    }

    /// The counter value by which the process must have ended.
    pub fn deadline(&self) -> u64 {
        self.deadline.load(Ordering::Relaxed)
    }

    /// Whether the process has ended and its resources are gone (its
    /// last thread's core may still be tearing it down when the phase says
    /// dead: this waits for the end of that).
    pub fn is_dead(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// How it ended (None while it runs).
    pub fn end(&self) -> Option<Stop> {
        if self.is_dead() {
            self.end.lock().clone()
        } else {
            None
        }
    }

    /// The running thread `t` waits with no deadline, unless `woken()`
    /// says something already ended that wait (looked at under the task
    /// lock, which wakers take to leave the count, so a wake-up either is
    /// seen here or comes after and takes the thread out again). If every
    /// thread of the process now waits so, and so does every thread of
    /// every other process (any of which could hold the process's objects),
    /// nothing can ever wake them, and it is killed. When other processes
    /// still run, the runner looks again as they end
    /// ([`Self::check_blocked_forever`]).
    pub(crate) fn wait_forever(&self, t: &Thread, woken: &dyn Fn() -> bool) {
        let all = {
            let mut tasks = self.tasks.lock();
            // A stop requested since the caller last looked ends the wait
            // too: `request_stop` stores the flag before it takes this lock
            // to take the thread out of the count, so either it sees the
            // thread counted here or this sees the flag. Without the check a
            // thread killed just before it waits counted itself again, and
            // with its killer joining it the process was "blocked forever".
            if woken() || t.stop_requested() {
                return;
            }
            if !t.forever.swap(true, Ordering::AcqRel) {
                tasks.waiting_forever += 1;
                tasks.group.fetch_add(ONE_WAITING, Ordering::AcqRel);
            }
            tasks.waiting_forever == tasks.running && nobody_can_wake(&tasks.group)
        };
        if all {
            t.kill(
                Some(FaultKind::BlockedForever),
                String::from(
                    "blocked forever: every thread waits with no deadline for what none of them can do",
                ),
            );
        }
    }

    /// Kills the process as blocked forever if every thread of it, and of
    /// every other process, waits with no deadline (the runner asks as
    /// processes end).
    pub fn check_blocked_forever(&self) {
        let stuck = {
            let tasks = self.tasks.lock();
            tasks.running > 0
                && tasks.waiting_forever == tasks.running
                && nobody_can_wake(&tasks.group)
        };
        if stuck {
            self.kill(Stop::Kill(
                Some(FaultKind::BlockedForever),
                String::from(
                    "blocked forever: every thread waits with no deadline for what no thread anywhere can do",
                ),
            ));
        }
    }

    /// `t` no longer waits forever (woken, or its wait ended).
    pub(crate) fn wait_forever_ended(&self, t: &Thread) {
        self.tasks.lock().stop_waiting_forever(t);
    }

    /// The scheduler reaped `t`; the last started thread ends the process.
    pub(crate) fn thread_reaped(&self, t: &Thread) {
        let (ended, orphans, all_waiting) = {
            let mut tasks = self.tasks.lock();
            tasks.stop_waiting_forever(t);
            tasks.threads.retain(|x| !core::ptr::eq(Arc::as_ptr(x), t));
            tasks.running -= 1;
            if tasks.running == 0 {
                // Still counted in EVERYONE until the end is signalled:
                // waiters elsewhere may be waiting for exactly that.
                (true, self.mark_dead(&mut tasks), false)
            } else {
                tasks.group.fetch_sub(ONE_RUNNING, Ordering::AcqRel);
                let all = tasks.waiting_forever == tasks.running && nobody_can_wake(&tasks.group);
                (false, Vec::new(), all)
            }
        };
        if all_waiting {
            // The rest waits for what only this thread could have done.
            self.kill(Stop::Kill(
                Some(FaultKind::BlockedForever),
                String::from("blocked forever: the threads left wait for what none of them can do"),
            ));
        }
        if ended {
            self.finish(orphans);
            let group = self.tasks.lock().group.clone();
            group.fetch_sub(ONE_RUNNING, Ordering::AcqRel);
            // The runner looks at who is left.
            crate::sched::kick(0);
        }
    }

    /// The `T` behind `h` if the handle has every right in `needed`, and the
    /// handle's rights (`BadHandle`, `WrongType`, `AccessDenied`).
    #[inline]
    pub fn get<T: ObjectType>(
        &self,
        h: Handle,
        needed: Rights,
    ) -> Result<(Arc<T>, Rights), ZxStatus> {
        self.handles.lock().get::<T>(h, needed)
    }

    /// The object behind `h` (any type) if the handle has `needed`.
    #[inline]
    pub fn get_any(&self, h: Handle, needed: Rights) -> Result<(ObjectRef, Rights), ZxStatus> {
        self.handles.lock().get_any(h, needed)
    }

    /// Installs a handle to a `T`.
    #[inline]
    pub fn add_handle<T: ObjectType>(
        &self,
        object: Arc<T>,
        rights: Rights,
    ) -> Result<Handle, ZxStatus> {
        self.handles.lock().add(object, rights)
    }

    /// Installs a handle for what another handle held.
    #[inline]
    pub fn add_entry(&self, entry: Entry) -> Result<Handle, ZxStatus> {
        self.handles.lock().add_entry(entry)
    }

    /// Runs `f` on the handle table; what it returns for dropping is
    /// dropped after the lock is released.
    #[inline]
    pub fn with_handles<R>(&self, f: impl FnOnce(&mut HandleTable) -> R) -> R {
        f(&mut self.handles.lock())
    }

    /// Removes a handle; what it held is dropped by the caller, outside the
    /// table's lock.
    #[inline]
    pub fn remove_handle(&self, h: Handle) -> Result<Entry, ZxStatus> {
        let entry = self.handles.lock().remove(h)?;
        self.handle_gone(h, &entry.object);
        Ok(entry)
    }

    /// Closes handle `h`. What it held is dropped here, after the table's
    /// lock is released (`Entry::release`).
    /// Always inlined: with several callers the compiler would otherwise
    /// keep it apart, and `zx_handle_close` pays for the call.
    #[inline(always)]
    pub fn close_handle(&self, h: Handle) -> Result<(), ZxStatus> {
        let entry = self.handles.lock().remove(h)?;
        self.handle_gone(h, &entry.object);
        entry.release();
        Ok(())
    }

    /// Handle `h` to `object` no longer exists: waits through it end
    /// (`ZX_ERR_CANCELED`).
    pub fn handle_gone(&self, h: Handle, object: &ObjectRef) {
        object.base().signals.handle_closed(self.key(), h);
    }

    /// This process as a key for waiters.
    pub fn key(&self) -> usize {
        self as *const Self as usize
    }

    /// Handles the process holds.
    pub fn handle_count(&self) -> usize {
        self.handles.lock().len()
    }

    /// The process has ended: its handles close and its address space is
    /// torn down (mappings, tables, ASID).
    pub fn terminate(&self) {
        let entries = self.handles.lock().take_all();
        drop(entries);
        // May run inside a reap (a process object dropped with a message):
        // the nested form, which never waits for a reap.
        crate::object::channel::reap_nested();
        self.aspace.destroy();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.terminate();
        if self.counted {
            // Only now: a dead process still frees memory after it is
            // marked dead (its address space in `finish`, its last
            // thread's kernel stack when that thread is reaped, and each
            // thread holds the process), and a program checking for leaks
            // trusts the count to say nobody else is freeing.
            LIVE.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

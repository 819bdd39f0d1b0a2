//! A job: a node of the task tree. It knows its child jobs and its
//! processes (weakly: a child lives while handles, threads or its own
//! children keep it alive, and holds its parent job), and killing it kills
//! everything below it. The runner owns the root job; every program gets a
//! default job under it (x3 at start), which the runner kills when the
//! program ends, so that nothing a program started outlives it.
//!
//! Locks: a job's children lock is taken alone; processes are killed after
//! it is released.

use super::process::{Process, Stop};
use crate::object::exception::Exceptionate;
use crate::object::ObjectBase;
use crate::sync::spin_lock::Mutex;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use zx_abi::{obj_type, Rights, Signals, ZxStatus, TASK_RETCODE_SYSCALL_KILL};

/// Zircon's job height limit: the root job is at this height, and a job at
/// height 0 can have no child job (`ZX_ERR_OUT_OF_RANGE`).
pub const MAX_JOB_HEIGHT: u32 = 32;

#[repr(C)]
pub struct Job {
    base: ObjectBase,
    parent: Option<Arc<Job>>,
    /// How many more levels of jobs may go below this one.
    height: u32,
    children: Mutex<Children>,
    /// Its exception channel (faults no thread or process handler took).
    pub exceptionate: Exceptionate,
    /// Its debuggers' channels (`ZX_EXCP_PROCESS_STARTING` only), at most
    /// `JOB_DEBUGGER_MAX_COUNT` bound at once.
    debuggers: Mutex<Vec<Arc<Exceptionate>>>,
}

struct Children {
    /// Killed: no new child, and the return code is
    /// `ZX_TASK_RETCODE_SYSCALL_KILL`.
    killed: bool,
    jobs: Vec<Weak<Job>>,
    processes: Vec<Weak<Process>>,
}

crate::kernel_object!(Job, obj_type::JOB, Rights::DEFAULT_JOB);

impl Job {
    /// A root job (no parent).
    pub fn new_root() -> Arc<Self> {
        Arc::new(Self::with_parent(None, MAX_JOB_HEIGHT))
    }

    fn with_parent(parent: Option<Arc<Job>>, height: u32) -> Self {
        Self {
            base: ObjectBase::new(Signals::empty()),
            parent,
            height,
            children: Mutex::new(Children {
                killed: false,
                jobs: Vec::new(),
                processes: Vec::new(),
            }),
            exceptionate: Exceptionate::new(zx_abi::exception::CHANNEL_TYPE_JOB),
            debuggers: Mutex::new(Vec::new()),
        }
    }

    /// A child job (`BadState` once this one is killed, `OutOfRange` past
    /// the height limit).
    pub fn create_child(self: &Arc<Self>) -> Result<Arc<Job>, ZxStatus> {
        if self.height == 0 {
            return Err(ZxStatus::OutOfRange);
        }
        let child = Arc::new(Self::with_parent(Some(self.clone()), self.height - 1));
        let mut c = self.children.lock();
        if c.killed {
            return Err(ZxStatus::BadState);
        }
        c.jobs.retain(|j| j.strong_count() > 0);
        c.jobs.try_reserve(1).map_err(|_| ZxStatus::NoMemory)?;
        c.jobs.push(Arc::downgrade(&child));
        Ok(child)
    }

    /// Records a new process of this job (`BadState` once it is killed).
    pub(crate) fn add_process(&self, p: &Arc<Process>) -> Result<(), ZxStatus> {
        let mut c = self.children.lock();
        if c.killed {
            return Err(ZxStatus::BadState);
        }
        c.processes.retain(|p| p.strong_count() > 0);
        c.processes.try_reserve(1).map_err(|_| ZxStatus::NoMemory)?;
        c.processes.push(Arc::downgrade(p));
        Ok(())
    }

    /// Kills every process and job below this one, and this one
    /// (`ZX_JOB_TERMINATED`); the processes end as `zx_task_kill` ends them.
    pub fn kill(&self) {
        let (jobs, processes) = {
            let mut c = self.children.lock();
            c.killed = true;
            let jobs: Vec<Arc<Job>> = c.jobs.iter().filter_map(Weak::upgrade).collect();
            let processes: Vec<Arc<Process>> =
                c.processes.iter().filter_map(Weak::upgrade).collect();
            (jobs, processes)
        };
        for p in &processes {
            p.kill(Stop::Exit(TASK_RETCODE_SYSCALL_KILL));
        }
        for j in &jobs {
            j.kill();
        }
        self.exceptionate.shutdown();
        let debuggers = core::mem::take(&mut *self.debuggers.lock());
        for d in &debuggers {
            d.shutdown();
        }
        drop(debuggers);
        self.base
            .signals
            .update(Signals::empty(), Signals::TASK_TERMINATED);
    }

    /// Whether the job was killed.
    pub fn is_killed(&self) -> bool {
        self.children.lock().killed
    }

    /// Whether every process below this job has ended and given its
    /// resources back (the runner waits for this after a kill).
    pub fn all_dead(&self) -> bool {
        let (jobs, processes) = {
            let c = self.children.lock();
            let jobs: Vec<Arc<Job>> = c.jobs.iter().filter_map(Weak::upgrade).collect();
            let processes: Vec<Arc<Process>> =
                c.processes.iter().filter_map(Weak::upgrade).collect();
            (jobs, processes)
        };
        processes.iter().all(|p| p.is_dead()) && jobs.iter().all(|j| j.all_dead())
    }

    /// A new debugger channel (`ZX_EXCEPTION_CHANNEL_DEBUGGER` on a job):
    /// `NO_RESOURCES` with `JOB_DEBUGGER_MAX_COUNT` bound, `BAD_STATE` once
    /// the job is killed.
    pub fn create_debug_channel(
        &self,
        thread_rights: Rights,
        process_rights: Rights,
    ) -> Result<Arc<crate::object::channel::Channel>, ZxStatus> {
        if self.is_killed() {
            return Err(ZxStatus::BadState);
        }
        let slot = Arc::new(Exceptionate::new(
            zx_abi::exception::CHANNEL_TYPE_JOB_DEBUGGER,
        ));
        let user = slot.create_channel(thread_rights, process_rights)?;
        // What leaves the list is dropped after its lock (a channel's drop
        // may reap messages).
        let (gone, refused) = {
            let mut list = self.debuggers.lock();
            let (live, gone): (Vec<_>, Vec<_>) = list.drain(..).partition(|d| d.is_bound());
            *list = live;
            let refused = if list.len() >= zx_abi::exception::JOB_DEBUGGER_MAX_COUNT {
                Some((ZxStatus::NoResources, slot))
            } else if list.try_reserve(1).is_err() {
                Some((ZxStatus::NoMemory, slot))
            } else {
                list.push(slot);
                None
            };
            (gone, refused)
        };
        for d in &gone {
            d.shutdown();
        }
        match refused {
            Some((status, slot)) => {
                slot.shutdown();
                Err(status)
            }
            None => Ok(user),
        }
    }

    /// Its debuggers' channels bound now.
    pub fn debuggers(&self) -> Vec<Arc<Exceptionate>> {
        self.debuggers
            .lock()
            .iter()
            .filter(|d| d.is_bound())
            .cloned()
            .collect()
    }

    /// The job above this one (None for a root).
    pub fn parent(&self) -> Option<&Arc<Job>> {
        self.parent.as_ref()
    }
}

//! Tasks: processes (an address space and handles, shared), threads (a
//! register context, a kernel stack, a state), the kernel stacks they run
//! on, and the cores that come online to run them.

pub mod cpus;
pub mod exception;
pub mod job;
pub mod kstack;
pub mod process;
pub mod thread;

pub use job::Job;
pub use process::{LoadError, Process, StartState, Stop};
pub use thread::Thread;

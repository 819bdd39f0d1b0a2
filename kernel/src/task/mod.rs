//! Tasks: processes (an address space and handles, shared), threads (a
//! register context, a kernel stack, a state) and the kernel stacks they run
//! on.

pub mod kstack;
pub mod process;
pub mod thread;

pub use process::{LoadError, Process, StartState};
pub use thread::{Stop, Thread, TimeLimit};

//! Blocking calls: waiting for objects' signals (`objects`), futexes
//! (`futex`) and port packets (`port`), all built on the scheduler's
//! sleep/wake protocol (`crate::sched`) for threads (`crate::task`). A
//! wait with no deadline tells the thread's process, which kills itself
//! when every one of its threads waits for ever.

pub mod futex;
pub mod objects;
pub mod port;

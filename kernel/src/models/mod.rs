//! Model checks of the kernel's portable concurrency protocols under `loom`,
//! which runs each model's threads in every interleaving (and, for atomics,
//! every value the memory model allows a load to see) up to a preemption
//! bound. Built only for `cargo test` with `--cfg loom`
//! (`scripts/loom.sh`); what each model asserts is listed in
//! `docs/concurrency.md`.
//!
//! The bound comes from `LOOM_MAX_PREEMPTIONS` (the suite's quick run uses
//! a low one), else [`DEFAULT_PREEMPTIONS`]; every model prints how many
//! interleavings it explored.

mod asid;
mod handle;
mod park;
mod signals;

use std::sync::atomic::{AtomicUsize, Ordering};

/// Preemptions per execution when `LOOM_MAX_PREEMPTIONS` is not set.
const DEFAULT_PREEMPTIONS: usize = 3;

/// Runs `model` under loom in every interleaving within the bound, and
/// checks that it ran more than one (a model whose threads never meet
/// checks nothing).
fn check(name: &str, model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(DEFAULT_PREEMPTIONS);
    }
    let bound = builder.preemption_bound;
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        model();
    });
    let runs = runs.load(Ordering::Relaxed);
    std::println!("loom {name}: {runs} interleavings (preemption bound {bound:?})");
    assert!(runs > 1, "{name}: only {runs} interleaving explored");
}

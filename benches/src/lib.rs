//! Workloads shared by the criterion benches (`cargo bench -p benches`) and the probe
//! binary that `cargo xtask bench` runs under callgrind for repeatable instruction counts.
//!
//! A workload is a name and a setup function returning the closure that performs exactly
//! one operation (one message parsed and applied, one signature, ...). Inputs come from the
//! venues' documentation examples or are built deterministically.

mod core_paths;

use std::hint::black_box;

/// One measured operation, prepared by its setup.
pub type Operation = Box<dyn FnMut()>;

/// A named benchmark.
#[derive(Clone, Copy)]
pub struct Workload {
    /// Stable name; the baseline is keyed by it.
    pub name: &'static str,
    /// What one iteration does, for the report.
    pub what: &'static str,
    /// Builds the operation (allocations and warm-up happen here, not in the loop).
    pub setup: fn() -> Operation,
}

impl std::fmt::Debug for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload")
            .field("name", &self.name)
            .finish()
    }
}

/// Every workload, in report order.
pub fn workloads() -> Vec<Workload> {
    let mut all = Vec::new();
    all.extend(core_paths::workloads());
    all
}

/// Runs `op` `iterations` times. Callgrind counts instructions only inside this function
/// (`--toggle-collect=*measured_loop*`), so setup cost is excluded.
#[inline(never)]
pub fn measured_loop(op: &mut dyn FnMut(), iterations: u64) {
    let mut done = 0u64;
    for _ in 0..iterations {
        op();
        done += 1;
    }
    // Also keeps this function distinct from `warm_up`, so the linker cannot fold the two.
    black_box(done);
}

/// The same loop under another name, for warm-up outside the counted region.
#[inline(never)]
pub fn warm_up(op: &mut dyn FnMut(), iterations: u64) {
    for _ in 0..iterations {
        op();
    }
    black_box(());
}

/// When the environment variable `BENCH_SLOWDOWN` names this workload, each iteration
/// does extra work. It exists only to show that the regression gate fails when a path
/// gets slower (see docs/BENCHMARKS.md).
pub fn maybe_slow_down(name: &str, op: Operation) -> Operation {
    match std::env::var("BENCH_SLOWDOWN") {
        Ok(target) if target == name => {
            let mut op = op;
            Box::new(move || {
                op();
                let mut x = 0u64;
                for i in 0..black_box(200u64) {
                    x = x.wrapping_mul(31).wrapping_add(i);
                }
                black_box(x);
            })
        }
        _ => op,
    }
}

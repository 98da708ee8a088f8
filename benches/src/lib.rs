//! Workloads shared by the criterion benches (`cargo bench -p benches`) and the probe
//! binary that `cargo xtask bench` runs under callgrind for repeatable instruction counts.
//!
//! A workload is a name and a setup function returning the closure that performs exactly
//! one operation (one message parsed and applied, one signature, ...). Inputs come from the
//! venues' documentation examples or are built deterministically ([`data`]).
//!
//! Every hot path of ours is paired with a *baseline* workload doing the same job the way
//! most Rust connectors do it ([`baseline`]: `serde_json::Value` then mapping for Gate.io,
//! prost's generated decoder with owned `String`s for MEXC), so that `cargo xtask bench`
//! reports ratios measured in the same run. Workloads also carry the targets they are
//! held to and whether they must run without allocating.
//!
//! Operations that cycle through several inputs use a power-of-two cycle, and the probe
//! runs power-of-two iteration counts, so an instruction count covers whole cycles and is
//! the same from run to run.

pub mod baseline;
pub mod baseline_simd;
mod core_paths;
pub mod data;
mod gateio_paths;
mod handler_paths;
mod mexc_futures_paths;
mod mexc_paths;
pub mod replies;

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
    /// Which of the refactoring plan's per-message budgets applies.
    pub kind: Kind,
    /// The name of the workload doing the same job the straightforward way
    /// (`serde_json::Value` / prost), when there is one.
    pub baseline: Option<&'static str>,
    /// The budget for one operation, in nanoseconds, when one was set.
    pub target_ns: Option<f64>,
    /// Must not touch the heap in steady state; the allocation check fails otherwise.
    pub alloc_free: bool,
}

impl Workload {
    /// A workload with no baseline, no issue target, allowed to allocate.
    pub const fn new(
        name: &'static str,
        what: &'static str,
        kind: Kind,
        setup: fn() -> Operation,
    ) -> Workload {
        Workload {
            name,
            what,
            setup,
            kind,
            baseline: None,
            target_ns: None,
            alloc_free: false,
        }
    }

    /// Compared with the workload `name`.
    pub const fn baseline(mut self, name: &'static str) -> Workload {
        self.baseline = Some(name);
        self
    }

    /// Held to `ns` nanoseconds per operation.
    pub const fn target_ns(mut self, ns: f64) -> Workload {
        self.target_ns = Some(ns);
        self
    }

    /// Must not allocate.
    pub const fn alloc_free(mut self) -> Workload {
        self.alloc_free = true;
        self
    }
}

impl std::fmt::Debug for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The refactoring plan's categories, each with its per-message budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Message-type detection and dispatch (plan: < 10 µs).
    Detection,
    /// Order-book parse and/or apply (plan: < 50 µs).
    OrderBook,
    /// Trades (plan: < 30 µs).
    Trade,
    /// Best bid/ask (plan: < 20 µs).
    Ticker,
    /// Signing, queues, decimals: no plan budget.
    Other,
    /// A baseline client's path, measured for the ratio only.
    Baseline,
}

impl Kind {
    /// The plan's budget in nanoseconds.
    pub const fn plan_target_ns(self) -> Option<f64> {
        match self {
            Kind::Detection => Some(10_000.0),
            Kind::OrderBook => Some(50_000.0),
            Kind::Trade => Some(30_000.0),
            Kind::Ticker => Some(20_000.0),
            Kind::Other | Kind::Baseline => None,
        }
    }

    /// Lower-case name for the listing.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Detection => "detection",
            Kind::OrderBook => "order_book",
            Kind::Trade => "trade",
            Kind::Ticker => "ticker",
            Kind::Other => "other",
            Kind::Baseline => "baseline",
        }
    }
}

/// Every workload, in report order.
pub fn workloads() -> Vec<Workload> {
    let mut all = Vec::new();
    all.extend(core_paths::workloads());
    all.extend(gateio_paths::workloads());
    all.extend(mexc_paths::workloads());
    all.extend(mexc_futures_paths::workloads());
    all.extend(handler_paths::workloads());
    all
}

/// The `bench-probe --list` line of a workload: tab-separated name, what, kind, baseline,
/// plan target ns, issue target ns, alloc-free (`-` for none).
pub fn listing_line(w: &Workload) -> String {
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
        w.name,
        w.what,
        w.kind.as_str(),
        w.baseline.unwrap_or("-"),
        opt(w.kind.plan_target_ns()),
        opt(w.target_ns),
        w.alloc_free
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_baselines_exist() {
        let all = workloads();
        for w in &all {
            assert_eq!(
                all.iter().filter(|o| o.name == w.name).count(),
                1,
                "{}",
                w.name
            );
            if let Some(base) = w.baseline {
                let base = all.iter().find(|o| o.name == base);
                assert!(base.is_some_and(|b| b.kind == Kind::Baseline || b.baseline.is_none()));
            }
            assert_eq!(listing_line(w).split('\t').count(), 7);
        }
    }

    #[test]
    fn every_workload_sets_up_and_runs() {
        // Setups check their own inputs (ours and the baseline decode the same values,
        // books go live and stay live); then a few operations must not panic.
        for w in workloads() {
            let mut op = (w.setup)();
            measured_loop(&mut op, 16);
        }
    }
}

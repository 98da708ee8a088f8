//! Criterion benchmarks of every workload in `benches::workloads()`: one benchmark group
//! per hot path, with the baseline client (`serde_json::Value` / prost) beside ours when
//! there is one, so criterion's report shows them side by side.
//!
//! `cargo bench -p benches` runs them all (several minutes); `cargo bench -p benches --
//! gateio_spot_book20` runs one group. The regression gate does not use criterion: it
//! counts instructions (`cargo xtask bench`, see docs/BENCHMARKS.md).

use criterion::{Criterion, criterion_group, criterion_main};

fn all(c: &mut Criterion) {
    let workloads = benches::workloads();
    for workload in workloads
        .iter()
        .filter(|w| w.kind != benches::Kind::Baseline)
    {
        let mut group = c.benchmark_group(workload.name);
        let mut op = (workload.setup)();
        group.bench_function("ours", |b| b.iter(&mut op));
        if let Some(baseline) = workload
            .baseline
            .and_then(|name| workloads.iter().find(|w| w.name == name))
        {
            let mut op = (baseline.setup)();
            group.bench_function(baseline.name, |b| b.iter(&mut op));
        }
        group.finish();
    }
}

criterion_group!(benches, all);
criterion_main!(benches);

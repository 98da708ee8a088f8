//! Criterion benchmarks of every workload in `benches::workloads()`.

use criterion::{Criterion, criterion_group, criterion_main};

fn all(c: &mut Criterion) {
    for workload in benches::workloads() {
        let mut op = (workload.setup)();
        c.bench_function(workload.name, |b| b.iter(&mut op));
    }
}

criterion_group!(benches, all);
criterion_main!(benches);

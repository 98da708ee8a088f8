//! Per-message cost of the legacy strategy path against the mixin path, on the same frames.
//!
//! Input: the simulator recordings in `tests/data/*_public_sim.jsonl` (order-book deltas,
//! trades, best bid/ask, acks). Each iteration takes a fresh session of one path whose books
//! are already live (the recording's prefix up to its REST snapshot has been replayed),
//! and feeds it every remaining frame; the user's handler receives each `ParsedMessage`
//! (and drops it). Criterion's time per iteration ÷ the frame count (printed; criterion also
//! reports it as throughput) is the cost per message. `raw_handler` is the venue handler
//! with no callbacks at all: the new architecture without the compatibility translation, for
//! reference. `examples/path_instructions.rs` counts instructions for the same work.
//!
//! Run: `cargo bench -p ws-manager-compat --all-features --bench paths`.
#![allow(deprecated, reason = "benchmarks the deprecated compatibility API")]
#![allow(missing_docs, reason = "criterion macros")]

#[path = "../tests/support/replay.rs"]
mod replay;
mod support;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn paths(c: &mut Criterion) {
    for venue in support::venues() {
        let recording = match support::recording(&venue) {
            Ok(recording) => recording,
            Err(error) => {
                eprintln!("skipping {}: {error}", venue.name);
                continue;
            }
        };
        let makers = support::makers(&venue);
        let frames = match support::prepare(&venue, &recording, &*makers[1].1) {
            Ok((_, frames)) => frames.len() as u64,
            Err(error) => {
                eprintln!("skipping {}: {error}", venue.name);
                continue;
            }
        };
        eprintln!("{}: {frames} frames per iteration", venue.name);
        let mut group = c.benchmark_group(format!("paths/{}", venue.name));
        group.throughput(Throughput::Elements(frames));
        for (name, make) in &makers {
            group.bench_function(*name, |b| {
                b.iter_batched(
                    || match support::prepare(&venue, &recording, &**make) {
                        Ok(prepared) => prepared,
                        Err(error) => panic!("{}: {error}", venue.name),
                    },
                    support::feed,
                    BatchSize::LargeInput,
                );
            });
        }
        group.finish();
    }
}

criterion_group!(benches, paths);
criterion_main!(benches);

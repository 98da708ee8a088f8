//! Runs one workload a given number of times, for `cargo xtask bench`.
//!
//! `bench-probe --list` prints `name<TAB>what` lines; `bench-probe NAME ITERS` runs the
//! workload (under callgrind the xtask counts instructions inside `measured_loop`);
//! `bench-probe NAME ITERS --time BATCHES` prints the median wall-clock ns per iteration.

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workloads = benches::workloads();
    if args.first().map(String::as_str) == Some("--list") {
        for w in &workloads {
            println!("{}\t{}", w.name, w.what);
        }
        return ExitCode::SUCCESS;
    }
    let (Some(name), Some(iterations)) = (
        args.first(),
        args.get(1).and_then(|s| s.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: bench-probe --list | NAME ITERATIONS [--time BATCHES]");
        return ExitCode::FAILURE;
    };
    let Some(workload) = workloads.iter().find(|w| w.name == name) else {
        eprintln!("unknown workload {name}; see bench-probe --list");
        return ExitCode::FAILURE;
    };
    let mut op = benches::maybe_slow_down(workload.name, (workload.setup)());
    // Warm-up so caches, branch predictors and lazily grown buffers settle.
    benches::warm_up(&mut op, (iterations / 10).max(1));
    match (
        args.get(2).map(String::as_str),
        args.get(3).and_then(|s| s.parse::<usize>().ok()),
    ) {
        (Some("--time"), Some(batches)) => {
            let mut samples: Vec<f64> = (0..batches.max(1))
                .map(|_| {
                    let start = Instant::now();
                    benches::measured_loop(&mut op, iterations);
                    start.elapsed().as_nanos() as f64 / iterations.max(1) as f64
                })
                .collect();
            samples.sort_by(|a, b| a.total_cmp(b));
            println!("{:.2}", samples[samples.len() / 2]);
        }
        _ => benches::measured_loop(&mut op, iterations),
    }
    ExitCode::SUCCESS
}

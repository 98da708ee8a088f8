//! Runs one workload, for `cargo xtask bench`.
//!
//! - `bench-probe --list` prints one tab-separated line per workload (see
//!   `benches::listing_line`).
//! - `bench-probe NAME ITERS` warms up with `ITERS / 4` iterations (at least 16), then runs
//!   `ITERS` inside `measured_loop` (under callgrind the xtask counts instructions there
//!   only). Use a power of two of at least 64 for `ITERS`, so that both runs cover whole
//!   input cycles (16) and the count is the same from run to run.
//! - `bench-probe NAME --time BATCHES MS` sizes a batch to about `MS` milliseconds (a power
//!   of two iterations), runs `BATCHES` of them and prints, per iteration and
//!   tab-separated, the median and the minimum wall-clock ns, the median on-CPU ns of this
//!   thread (`CLOCK_THREAD_CPUTIME_ID`: time the scheduler gave to other work on a loaded
//!   machine is not counted) and the iterations per batch.

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workloads = benches::workloads();
    if args.first().map(String::as_str) == Some("--list") {
        for w in &workloads {
            println!("{}", benches::listing_line(w));
        }
        return ExitCode::SUCCESS;
    }
    let usage = || {
        eprintln!("usage: bench-probe --list | NAME ITERATIONS | NAME --time BATCHES MS");
        ExitCode::FAILURE
    };
    let Some(name) = args.first() else {
        return usage();
    };
    let Some(workload) = workloads.iter().find(|w| w.name == name) else {
        eprintln!("unknown workload {name}; see bench-probe --list");
        return ExitCode::FAILURE;
    };
    let mut op = benches::maybe_slow_down(workload.name, (workload.setup)());
    // Warm-up so caches, branch predictors and lazily grown buffers settle.
    match args.get(1).map(String::as_str) {
        Some("--time") => {
            let (Some(batches), Some(ms)) = (
                args.get(2).and_then(|s| s.parse::<usize>().ok()),
                args.get(3).and_then(|s| s.parse::<f64>().ok()),
            ) else {
                return usage();
            };
            let iterations = calibrate(&mut op, ms);
            let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..batches.max(1))
                .map(|_| {
                    let cpu = thread_cpu_ns();
                    let start = Instant::now();
                    benches::measured_loop(&mut op, iterations);
                    let wall = start.elapsed().as_nanos() as f64;
                    let cpu = thread_cpu_ns().saturating_sub(cpu) as f64;
                    (wall / iterations as f64, cpu / iterations as f64)
                })
                .unzip();
            wall.sort_by(|a, b| a.total_cmp(b));
            cpu.sort_by(|a, b| a.total_cmp(b));
            println!(
                "{:.2}\t{:.2}\t{:.2}\t{iterations}",
                wall[wall.len() / 2],
                wall[0],
                cpu[cpu.len() / 2]
            );
        }
        Some(count) => {
            let Ok(iterations) = count.parse::<u64>() else {
                return usage();
            };
            benches::warm_up(&mut op, (iterations / 4).max(16));
            benches::measured_loop(&mut op, iterations);
        }
        None => return usage(),
    }
    ExitCode::SUCCESS
}

/// The power-of-two iteration count (at least 16) that takes about `ms` milliseconds; the
/// doubling runs are the warm-up.
fn calibrate(op: &mut dyn FnMut(), ms: f64) -> u64 {
    let mut iterations = 16u64;
    loop {
        let start = Instant::now();
        benches::warm_up(op, iterations);
        let elapsed = start.elapsed().as_secs_f64() * 1e3;
        if elapsed >= ms / 2.0 || iterations >= 1 << 30 {
            return iterations;
        }
        iterations *= 2;
    }
}

/// Nanoseconds this thread has spent on a CPU.
fn thread_cpu_ns() -> u64 {
    u64::try_from(cpu_time::ThreadTime::now().as_duration().as_nanos()).unwrap_or(u64::MAX)
}

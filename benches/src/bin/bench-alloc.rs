//! Heap allocations per operation of every workload, in steady state, counted by a global
//! allocator that forwards to the system one.
//!
//! `bench-alloc [NAME...]` prints `name<TAB>allocations/op<TAB>bytes/op<TAB>alloc_free`
//! per workload (all of them without arguments) after a warm-up; it exits with status 1
//! when a workload registered as allocation-free allocated. `cargo xtask bench` runs it and
//! fails the gate on that.
#![allow(unsafe_code, reason = "counting global allocator")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts every allocation and reallocation of the process (the probe is single-threaded).
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

fn count(bytes: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
}

// SAFETY: every method forwards to the system allocator with the caller's arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Warm-up and counted iterations (multiples of every input cycle).
const WARM_UP: u64 = 256;
const ITERATIONS: u64 = 1024;

fn main() -> ExitCode {
    let names: Vec<String> = std::env::args().skip(1).collect();
    let mut failed = Vec::new();
    for workload in benches::workloads() {
        if !names.is_empty() && !names.iter().any(|n| n == workload.name) {
            continue;
        }
        let mut op = (workload.setup)();
        benches::warm_up(&mut op, WARM_UP);
        let (allocations, bytes) = (
            ALLOCATIONS.load(Ordering::Relaxed),
            BYTES.load(Ordering::Relaxed),
        );
        benches::measured_loop(&mut op, ITERATIONS);
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations;
        let bytes = BYTES.load(Ordering::Relaxed) - bytes;
        let per_op = allocations as f64 / ITERATIONS as f64;
        println!(
            "{}\t{per_op:.3}\t{:.1}\t{}",
            workload.name,
            bytes as f64 / ITERATIONS as f64,
            workload.alloc_free
        );
        if workload.alloc_free && allocations > 0 {
            failed.push(workload.name);
        }
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("allocated on a path that must not: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}

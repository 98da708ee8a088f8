//! Project automation.
//!
//! - `cargo xtask ci`: exactly what CI runs (`.ci/run`).
//! - `cargo xtask bench [--quick|--full] [--save-baseline] [--threshold PCT] [--only NAME]
//!   [--prove-gate NAME] [--annotate NAME]`: the benchmark regression gate and the
//!   performance validation run (see docs/BENCHMARKS.md).
//! - `cargo xtask fuzz [--seconds N] [--only TARGET]`: every cargo-fuzz target for a bounded
//!   time (see docs/TESTING.md, "Fuzzing").
//! - `cargo xtask deny`: all cargo-deny checks against the offline RustSec snapshot.

mod bench;
mod deny;
mod fuzz;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, whatever RUST_BACKTRACE says: the chain of causes, no backtrace.
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("ci") => ci(&root),
        Some("bench") => bench::run(&root, &bench::BenchArgs::parse(&args[1..])?),
        Some("fuzz") => match fuzz::FuzzArgs::parse(&args[1..])? {
            Some(fuzz_args) => fuzz::run(&root, &fuzz_args),
            None => {
                println!("{}", fuzz::USAGE);
                Ok(())
            }
        },
        Some("deny") => deny::run(&root),
        _ => {
            eprintln!("usage: cargo xtask <ci|bench|fuzz|deny>");
            eprintln!(
                "  ci      format check, clippy, tests, quick bench gate, cargo-deny, a short fuzz \
                 run when nightly and cargo-fuzz are present (what .ci/run runs)"
            );
            eprintln!(
                "  bench   instruction-count regression gate against benches/baseline.json \
                 [--quick|--full] [--save-baseline] [--threshold PCT] [--only NAME] \
                 [--prove-gate NAME] [--annotate NAME]"
            );
            eprintln!("  fuzz    {}", fuzz::USAGE);
            eprintln!(
                "  deny    cargo-deny's advisories, bans, licenses and sources checks, offline"
            );
            bail!("unknown or missing task")
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Seconds per fuzz target in CI: a smoke run that the targets still build and survive their
/// seeds; long runs are done by hand (docs/TESTING.md).
const CI_FUZZ_SECONDS: u64 = 5;

fn ci(root: &Path) -> Result<()> {
    run_in(root, "cargo", &["fmt", "--all", "--", "--check"])?;
    run_in(
        root,
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run_in(root, "cargo", &["test", "--workspace"])?;
    bench::run(root, &bench::BenchArgs::parse(&[])?)?;
    let prove = ["--prove-gate".to_string(), "book_apply_20".to_string()];
    bench::run(root, &bench::BenchArgs::parse(&prove)?)?;
    deny::run(root)?;
    match fuzz::missing_tools(root) {
        Some(why) => eprintln!("fuzz: skipped, {why}"),
        None => fuzz::run(
            root,
            &fuzz::FuzzArgs {
                seconds: CI_FUZZ_SECONDS,
                only: None,
            },
        )?,
    }
    Ok(())
}

pub(crate) fn run_in(root: &Path, program: &str, args: &[&str]) -> Result<()> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("could not start {program}"))?;
    if !status.success() {
        bail!("{program} {} failed with {status}", args.join(" "));
    }
    Ok(())
}

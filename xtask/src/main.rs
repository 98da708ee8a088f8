//! Project automation.
//!
//! - `cargo xtask ci`: exactly what CI runs (`.ci/run`).
//! - `cargo xtask bench [--quick|--full] [--save-baseline] [--threshold PCT] [--only NAME]
//!   [--prove-gate NAME] [--annotate NAME]`: the benchmark regression gate and the
//!   performance validation run (see docs/BENCHMARKS.md).
//! - `cargo xtask fuzz [--seconds N] [--runs N] [--sanitizer address|none] [--only TARGET]`:
//!   every cargo-fuzz target for a bounded time or number of executions (see
//!   docs/TESTING.md, "Fuzzing").
//! - `cargo xtask soak [--minutes N]`: every venue on the simulator through the client
//!   library with faults for N minutes (see docs/TESTING.md, "Soak").
//! - `cargo xtask deny`: all cargo-deny checks against the offline RustSec snapshot.

mod bench;
mod deny;
mod fuzz;
mod soak;

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

/// What each task does and takes, for `--help`.
const USAGE: &[(&str, &str)] = &[
    (
        "ci",
        "cargo xtask ci: format check, clippy, tests, quick bench gate, cargo-deny, a short \
         fuzz run when nightly and cargo-fuzz are present, a one-minute soak (what .ci/run runs)",
    ),
    (
        "bench",
        "cargo xtask bench [--quick|--full] [--save-baseline] [--threshold PCT] [--only NAME] \
         [--prove-gate NAME] [--annotate NAME]: the instruction-count regression gate against \
         benches/baseline.json",
    ),
    ("fuzz", fuzz::USAGE),
    ("soak", soak::USAGE),
    (
        "deny",
        "cargo xtask deny: cargo-deny's advisories, bans, licenses and sources checks, offline",
    ),
];

fn usage_of(task: &str) -> Option<&'static str> {
    USAGE
        .iter()
        .find(|(name, _)| *name == task)
        .map(|(_, text)| *text)
}

fn is_help(arg: &str) -> bool {
    matches!(arg, "--help" | "-h" | "help")
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let task = args.first().map(String::as_str);
    // `cargo xtask --help` and `cargo xtask <task> --help` answer and succeed.
    if task.is_none_or(is_help) {
        println!("usage: cargo xtask <task> [options]   (cargo xtask <task> --help)");
        for (name, text) in USAGE {
            println!("  {name:6} {text}");
        }
        return if task.is_some() {
            Ok(())
        } else {
            bail!("no task given; try cargo xtask --help")
        };
    }
    if let (Some(task), true) = (task, args[1..].iter().any(|a| is_help(a))) {
        match usage_of(task) {
            Some(text) => {
                println!("{text}");
                return Ok(());
            }
            None => bail!("unknown task {task}; try cargo xtask --help"),
        }
    }
    // `ci` and `deny` take no options: anything after them is a mistake, not a request.
    if let (Some(task @ ("ci" | "deny")), Some(extra)) = (task, args.get(1)) {
        bail!("{task} takes no arguments, got {extra}; try cargo xtask {task} --help");
    }
    match task {
        Some("ci") => ci(&root),
        Some("bench") => bench::run(&root, &bench::BenchArgs::parse(&args[1..])?),
        Some("fuzz") => match fuzz::FuzzArgs::parse(&args[1..])? {
            Some(fuzz_args) => fuzz::run(&root, &fuzz_args),
            None => {
                println!("{}", fuzz::USAGE);
                Ok(())
            }
        },
        Some("soak") => match soak::SoakArgs::parse(&args[1..])? {
            Some(soak_args) => soak::run(&root, &soak_args),
            None => {
                println!("{}", soak::USAGE);
                Ok(())
            }
        },
        Some("deny") => deny::run(&root),
        Some(other) => bail!("unknown task {other}; try cargo xtask --help"),
        None => bail!("no task given; try cargo xtask --help"),
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

/// Minutes of the soak in CI: about one round of the fault cycle and two checkpoints;
/// the hour-long run is done by hand (docs/TESTING.md).
const CI_SOAK_MINUTES: f64 = 1.0;

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
    soak::run(
        root,
        &soak::SoakArgs {
            minutes: CI_SOAK_MINUTES,
        },
    )?;
    match fuzz::missing_tools(root) {
        Some(why) => eprintln!("fuzz: skipped, {why}"),
        None => fuzz::run(root, &fuzz::FuzzArgs::for_seconds(CI_FUZZ_SECONDS))?,
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

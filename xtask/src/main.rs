//! Project automation.
//!
//! - `cargo xtask ci`: exactly what CI runs (`.ci/run`).
//! - `cargo xtask bench [--quick|--full] [--save-baseline] [--threshold PCT] [--only NAME]
//!   [--prove-gate NAME] [--annotate NAME]`: the benchmark regression gate and the
//!   performance validation run (see docs/BENCHMARKS.md).

mod bench;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("ci") => ci(&root),
        Some("bench") => bench::run(&root, &bench::BenchArgs::parse(&args[1..])?),
        _ => {
            eprintln!("usage: cargo xtask <ci|bench>");
            eprintln!(
                "  ci      format check, clippy, tests, quick bench gate, cargo-deny (what .ci/run runs)"
            );
            eprintln!(
                "  bench   instruction-count regression gate against benches/baseline.json \
                 [--quick|--full] [--save-baseline] [--threshold PCT] [--only NAME] \
                 [--prove-gate NAME] [--annotate NAME]"
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
    run_in(
        root,
        "cargo",
        &["deny", "check", "bans", "licenses", "sources"],
    )?;
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

//! `cargo xtask fuzz [--seconds N] [--only TARGET]`: every cargo-fuzz target in `fuzz/`
//! (its own nightly workspace) for a bounded time each.
//!
//! Each target starts from the committed seeds in `fuzz/corpus/<target>/` (read only) and
//! writes what it learns to `fuzz/target/corpus/<target>/` (ignored by git), so a run never
//! dirties the tree. A crash stops the run; libFuzzer saves the input under `fuzz/artifacts/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 60;

pub(crate) const USAGE: &str = "cargo xtask fuzz [--seconds N] [--only TARGET]: runs every \
    cargo-fuzz target in fuzz/ for N seconds each (default 60); needs the nightly toolchain \
    and cargo-fuzz (cargo install cargo-fuzz --locked)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FuzzArgs {
    pub seconds: u64,
    pub only: Option<String>,
}

impl FuzzArgs {
    pub(crate) fn parse(args: &[String]) -> Result<Option<FuzzArgs>> {
        let mut parsed = FuzzArgs {
            seconds: DEFAULT_SECONDS,
            only: None,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "-h" | "--help" => return Ok(None),
                "--seconds" => {
                    let value = it.next().context("--seconds needs a number of seconds")?;
                    parsed.seconds = match value.parse::<u64>() {
                        Ok(n) if n > 0 => n,
                        _ => bail!("--seconds wants a whole number above 0, not '{value}'"),
                    };
                }
                "--only" => {
                    parsed.only = Some(it.next().context("--only needs a target name")?.clone());
                }
                other => bail!("unknown argument '{other}' (try --help)"),
            }
        }
        Ok(Some(parsed))
    }
}

/// Why fuzzing cannot run here, if it cannot.
pub(crate) fn missing_tools(root: &Path) -> Option<String> {
    let fuzz = root.join("fuzz");
    let quiet = |args: &[&str]| {
        Command::new("cargo")
            .args(args)
            .current_dir(&fuzz)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !quiet(&["+nightly", "--version"]) {
        return Some(
            "the nightly toolchain is not installed (rustup toolchain install nightly)".into(),
        );
    }
    if !quiet(&["+nightly", "fuzz", "--version"]) {
        return Some("cargo-fuzz is not installed (cargo install cargo-fuzz --locked)".into());
    }
    None
}

pub(crate) fn run(root: &Path, args: &FuzzArgs) -> Result<()> {
    if let Some(why) = missing_tools(root) {
        bail!("cannot fuzz: {why}");
    }
    let fuzz = root.join("fuzz");
    let mut targets = targets(&fuzz)?;
    if let Some(only) = &args.only {
        if !targets.contains(only) {
            bail!("no fuzz target '{only}' (targets: {})", targets.join(", "));
        }
        targets.retain(|t| t == only);
    }
    let started = Instant::now();
    // cargo-fuzz's default build: optimised, with debug assertions, so that unchecked
    // arithmetic on a fuzzed value panics and is reported.
    crate::run_in(&fuzz, "cargo", &["+nightly", "fuzz", "build"])?;
    eprintln!("fuzz build: {:.0} s", started.elapsed().as_secs_f64());
    let mut summary = Vec::new();
    for target in &targets {
        summary.push(run_target(&fuzz, target, args.seconds)?);
    }
    eprintln!(
        "fuzz: {} targets, {} s each, no crash",
        targets.len(),
        args.seconds
    );
    for line in summary {
        eprintln!("  {line}");
    }
    Ok(())
}

/// The targets, one per file in `fuzz/fuzz_targets/`.
fn targets(fuzz: &Path) -> Result<Vec<String>> {
    let dir = fuzz.join("fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .filter_map(|path| path.file_stem()?.to_str().map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

/// Runs one target; returns its summary line (executions, coverage) or the failure.
fn run_target(fuzz: &Path, target: &str, seconds: u64) -> Result<String> {
    let learnt = fuzz.join("target/corpus").join(target);
    let seeds = fuzz.join("corpus").join(target);
    std::fs::create_dir_all(&learnt).with_context(|| format!("creating {}", learnt.display()))?;
    let mut corpora: Vec<PathBuf> = vec![learnt];
    if seeds.is_dir() {
        corpora.push(seeds);
    }
    let corpora: Vec<String> = corpora.iter().map(|p| p.display().to_string()).collect();
    let max_time = format!("-max_total_time={seconds}");
    let mut command = Command::new("cargo");
    command
        .args(["+nightly", "fuzz", "run", target])
        .args(&corpora)
        .args(["--", &max_time])
        .current_dir(fuzz);
    eprintln!(
        "$ cargo +nightly fuzz run {target} {} -- {max_time}",
        corpora.join(" ")
    );
    let output = command
        .output()
        .with_context(|| format!("could not start cargo fuzz run {target}"))?;
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        // libFuzzer's report (the crash, its input file) is at the end.
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        for line in tail.iter().rev() {
            eprintln!("{line}");
        }
        bail!("fuzz target {target} failed ({})", output.status);
    }
    let line = summary_line(target, &log);
    eprintln!("{line}");
    Ok(line)
}

/// `TARGET: N executions in S s, C coverage edges`, from libFuzzer's last lines
/// (`#N DONE cov: C ...` and `Done N runs in S second(s)`).
fn summary_line(target: &str, log: &str) -> String {
    let done = log.lines().rev().find_map(|l| {
        let rest = l.strip_prefix("Done ")?;
        let (runs, rest) = rest.split_once(" runs in ")?;
        let (secs, _) = rest.split_once(' ')?;
        Some((runs.parse::<u64>().ok()?, secs.parse::<u64>().ok()?))
    });
    let coverage = log.lines().rev().find_map(|l| {
        l.split_once(" cov: ")?
            .1
            .split_whitespace()
            .next()?
            .parse::<u64>()
            .ok()
    });
    let coverage = coverage.map_or_else(|| "?".to_string(), |c| c.to_string());
    match done {
        Some((runs, secs)) => {
            format!("{target}: {runs} executions in {secs} s, {coverage} coverage edges")
        }
        None => format!("{target}: executions not reported, {coverage} coverage edges"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<Option<FuzzArgs>> {
        FuzzArgs::parse(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn arguments() {
        let parsed = args(&["--seconds", "5", "--only", "retry_after"])
            .ok()
            .flatten();
        assert_eq!(
            parsed,
            Some(FuzzArgs {
                seconds: 5,
                only: Some("retry_after".into())
            })
        );
        assert!(matches!(args(&["--help"]), Ok(None)));
        assert!(args(&["--seconds"]).is_err());
        assert!(args(&["--seconds", "0"]).is_err());
        assert!(args(&["--seconds", "x"]).is_err());
        assert!(args(&["--fast"]).is_err());
    }

    #[test]
    fn final_statistics_become_one_line() {
        let log = "#2\tINITED cov: 10 ft: 11 corp: 1/1b\n#900\tDONE   cov: 42 ft: 50 corp: 3/9b\n\
                   Done 900 runs in 5 second(s)\nstat::number_of_executed_units: 900\n";
        assert_eq!(
            summary_line("t", log),
            "t: 900 executions in 5 s, 42 coverage edges"
        );
    }
}

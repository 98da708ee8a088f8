//! `cargo xtask fuzz [--seconds N] [--runs N] [--sanitizer address|none] [--only TARGET]`:
//! every cargo-fuzz target in `fuzz/` (its own nightly workspace), bounded in time or in
//! executions.
//!
//! Each target starts from the committed seeds in `fuzz/corpus/<target>/` (read only) and
//! writes what it learns to `fuzz/target/corpus/<target>/` (ignored by git), so a run never
//! dirties the tree. libFuzzer's whole output goes to `fuzz/target/logs/<target>.log`, so a
//! long run's final statistics are kept. A crash stops the run; libFuzzer saves the input
//! under `fuzz/artifacts/`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Seconds per target when neither `--seconds` nor `--runs` is given.
const DEFAULT_SECONDS: u64 = 60;

pub(crate) const USAGE: &str = "cargo xtask fuzz [--seconds N] [--runs N] \
    [--sanitizer address|none] [--only TARGET]: runs every cargo-fuzz target in fuzz/, one \
    after the other, for N seconds each (default 60) or N executions each (--runs; with both, \
    whichever comes first; without --seconds a --runs run has no time limit). --sanitizer \
    none builds without AddressSanitizer (several times faster, for long runs; its build is \
    kept apart in fuzz/target/none); the default is address. Each target's libFuzzer output \
    is kept in fuzz/target/logs/TARGET.log. Needs the nightly toolchain and cargo-fuzz \
    (cargo install cargo-fuzz --locked)";

/// What the targets are built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sanitizer {
    /// AddressSanitizer, cargo-fuzz's default: catches memory errors in `unsafe` code.
    Address,
    /// None: only panics and failed assertions are found, several times faster.
    None,
}

impl Sanitizer {
    fn name(self) -> &'static str {
        match self {
            Sanitizer::Address => "address",
            Sanitizer::None => "none",
        }
    }

    /// cargo-fuzz's options for this sanitizer. Each build has its own target directory,
    /// so switching between them does not rebuild everything.
    fn cargo_fuzz_args(self) -> &'static [&'static str] {
        match self {
            Sanitizer::Address => &[],
            Sanitizer::None => &["--sanitizer", "none", "--target-dir", "target/none"],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FuzzArgs {
    /// Time limit per target; `None` only when `runs` bounds the run.
    pub seconds: Option<u64>,
    /// Execution limit per target (libFuzzer's `-runs`).
    pub runs: Option<u64>,
    pub sanitizer: Sanitizer,
    pub only: Option<String>,
}

impl FuzzArgs {
    /// A run of `seconds` per target with the default sanitizer, as CI does.
    pub(crate) fn for_seconds(seconds: u64) -> FuzzArgs {
        FuzzArgs {
            seconds: Some(seconds),
            runs: None,
            sanitizer: Sanitizer::Address,
            only: None,
        }
    }

    pub(crate) fn parse(args: &[String]) -> Result<Option<FuzzArgs>> {
        let mut parsed = FuzzArgs {
            seconds: None,
            runs: None,
            sanitizer: Sanitizer::Address,
            only: None,
        };
        let positive = |flag: &str, value: Option<&String>| -> Result<u64> {
            let value = value.with_context(|| format!("{flag} needs a number"))?;
            match value.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => bail!("{flag} wants a whole number above 0, not '{value}'"),
            }
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "-h" | "--help" => return Ok(None),
                "--seconds" => parsed.seconds = Some(positive("--seconds", it.next())?),
                "--runs" => parsed.runs = Some(positive("--runs", it.next())?),
                "--sanitizer" => {
                    parsed.sanitizer = match it.next().map(String::as_str) {
                        Some("address") => Sanitizer::Address,
                        Some("none") => Sanitizer::None,
                        other => bail!(
                            "--sanitizer wants address or none, not '{}'",
                            other.unwrap_or("")
                        ),
                    };
                }
                "--only" => {
                    parsed.only = Some(it.next().context("--only needs a target name")?.clone());
                }
                other => bail!("unknown argument '{other}' (try --help)"),
            }
        }
        if parsed.seconds.is_none() && parsed.runs.is_none() {
            parsed.seconds = Some(DEFAULT_SECONDS);
        }
        Ok(Some(parsed))
    }

    /// libFuzzer's options for the limits.
    fn libfuzzer_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(seconds) = self.seconds {
            args.push(format!("-max_total_time={seconds}"));
        }
        if let Some(runs) = self.runs {
            args.push(format!("-runs={runs}"));
        }
        // The `stat::` lines (executions, peak memory, new units) at the end of the log.
        args.push("-print_final_stats=1".to_string());
        args
    }

    /// "60 s each", "10000000 executions each" or both.
    fn limits(&self) -> String {
        let mut parts = Vec::new();
        if let Some(seconds) = self.seconds {
            parts.push(format!("{seconds} s"));
        }
        if let Some(runs) = self.runs {
            parts.push(format!("{runs} executions"));
        }
        format!("{} each", parts.join(" or "))
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
    let mut build = vec!["+nightly", "fuzz", "build"];
    build.extend_from_slice(args.sanitizer.cargo_fuzz_args());
    crate::run_in(&fuzz, "cargo", &build)?;
    eprintln!("fuzz build: {:.0} s", started.elapsed().as_secs_f64());
    let logs = fuzz.join("target/logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let mut summary = Vec::new();
    for target in &targets {
        summary.push(run_target(&fuzz, target, args)?);
    }
    eprintln!(
        "fuzz: {} targets, {}, sanitizer {}, no crash",
        targets.len(),
        args.limits(),
        args.sanitizer.name()
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
fn run_target(fuzz: &Path, target: &str, args: &FuzzArgs) -> Result<String> {
    let learnt = fuzz.join("target/corpus").join(target);
    let seeds = fuzz.join("corpus").join(target);
    std::fs::create_dir_all(&learnt).with_context(|| format!("creating {}", learnt.display()))?;
    let mut corpora: Vec<PathBuf> = vec![learnt];
    if seeds.is_dir() {
        corpora.push(seeds);
    }
    let corpora: Vec<String> = corpora.iter().map(|p| p.display().to_string()).collect();
    let libfuzzer = args.libfuzzer_args();
    let log_path = fuzz.join("target/logs").join(format!("{target}.log"));
    // libFuzzer writes to stderr; a long run's output goes to a file, not to memory.
    let log =
        File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .with_context(|| format!("opening {} twice", log_path.display()))?;
    let mut command = Command::new("cargo");
    command
        .args(["+nightly", "fuzz", "run"])
        .args(args.sanitizer.cargo_fuzz_args())
        .arg(target)
        .args(&corpora)
        .arg("--")
        .args(&libfuzzer)
        .stdout(log)
        .stderr(log_err)
        .current_dir(fuzz);
    eprintln!(
        "$ cargo +nightly fuzz run {}{target} {} -- {}   (log: {})",
        args.sanitizer
            .cargo_fuzz_args()
            .iter()
            .map(|a| format!("{a} "))
            .collect::<String>(),
        corpora.join(" "),
        libfuzzer.join(" "),
        log_path.display()
    );
    let status = command
        .status()
        .with_context(|| format!("could not start cargo fuzz run {target}"))?;
    let log =
        std::fs::read(&log_path).with_context(|| format!("reading {}", log_path.display()))?;
    let log = String::from_utf8_lossy(&log);
    if !status.success() {
        // libFuzzer's report (the crash, its input file) is at the end.
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        for line in tail.iter().rev() {
            eprintln!("{line}");
        }
        bail!(
            "fuzz target {target} failed ({status}); log: {}",
            log_path.display()
        );
    }
    let line = summary_line(target, &log);
    eprintln!("{line}");
    Ok(line)
}

/// `TARGET: N executions in S s, C coverage edges, F features, corpus U inputs/B`, from
/// libFuzzer's last lines (`#N DONE cov: C ft: F corp: U/B`, `Done N runs in S second(s)`
/// and `stat::number_of_executed_units: N`).
fn summary_line(target: &str, log: &str) -> String {
    let done = log.lines().rev().find_map(|l| {
        let rest = l.strip_prefix("Done ")?;
        let (runs, rest) = rest.split_once(" runs in ")?;
        let (secs, _) = rest.split_once(' ')?;
        Some((runs.parse::<u64>().ok()?, secs.parse::<u64>().ok()?))
    });
    let executed = log.lines().rev().find_map(|l| {
        l.strip_prefix("stat::number_of_executed_units:")?
            .trim()
            .parse::<u64>()
            .ok()
    });
    // The last status line: `#N DONE cov: C ft: F corp: U/B lim: ...`.
    let status = log.lines().rev().find(|l| l.contains(" cov: "));
    let field = |name: &str| {
        status
            .and_then(|l| l.split_once(name))
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or("?")
            .to_string()
    };
    let (coverage, features, corpus) = (field(" cov: "), field(" ft: "), field(" corp: "));
    let runs = executed.or(done.map(|(runs, _)| runs));
    let time = done.map_or_else(|| "?".to_string(), |(_, secs)| secs.to_string());
    match runs {
        Some(runs) => format!(
            "{target}: {runs} executions in {time} s, {coverage} coverage edges, \
             {features} features, corpus {corpus}"
        ),
        None => format!(
            "{target}: executions not reported, {coverage} coverage edges, \
             {features} features, corpus {corpus}"
        ),
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
                seconds: Some(5),
                runs: None,
                sanitizer: Sanitizer::Address,
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
    fn default_is_sixty_seconds_with_address_sanitizer() {
        let parsed = args(&[]).ok().flatten();
        assert_eq!(parsed, Some(FuzzArgs::for_seconds(DEFAULT_SECONDS)));
        let libfuzzer = parsed.map(|p| p.libfuzzer_args()).unwrap_or_default();
        assert_eq!(libfuzzer, ["-max_total_time=60", "-print_final_stats=1"]);
    }

    #[test]
    fn runs_and_sanitizer() {
        let parsed = args(&["--runs", "10000000", "--sanitizer", "none"])
            .ok()
            .flatten();
        let Some(parsed) = parsed else {
            panic!("--runs and --sanitizer were refused");
        };
        // Only the execution count bounds the run: no default time limit.
        assert_eq!(parsed.seconds, None);
        assert_eq!(parsed.runs, Some(10_000_000));
        assert_eq!(parsed.sanitizer, Sanitizer::None);
        assert_eq!(
            parsed.libfuzzer_args(),
            ["-runs=10000000", "-print_final_stats=1"]
        );
        assert_eq!(
            parsed.sanitizer.cargo_fuzz_args(),
            ["--sanitizer", "none", "--target-dir", "target/none"]
        );
        assert_eq!(parsed.limits(), "10000000 executions each");
        let both = args(&["--runs", "7", "--seconds", "9"]).ok().flatten();
        assert_eq!(
            both.map(|b| b.libfuzzer_args()),
            Some(vec![
                "-max_total_time=9".to_string(),
                "-runs=7".to_string(),
                "-print_final_stats=1".to_string()
            ])
        );
        assert!(args(&["--runs", "0"]).is_err());
        assert!(args(&["--sanitizer", "memory"]).is_err());
        assert!(args(&["--sanitizer"]).is_err());
        assert!(matches!(
            args(&["--sanitizer", "address"]),
            Ok(Some(FuzzArgs {
                sanitizer: Sanitizer::Address,
                ..
            }))
        ));
    }

    #[test]
    fn final_statistics_become_one_line() {
        let log = "#2\tINITED cov: 10 ft: 11 corp: 1/1b\n#900\tDONE   cov: 42 ft: 50 corp: 3/9b lim: 4 exec/s: 180 rss: 40Mb\n\
                   Done 900 runs in 5 second(s)\nstat::number_of_executed_units: 900\n\
                   stat::average_exec_per_sec:     180\n";
        assert_eq!(
            summary_line("t", log),
            "t: 900 executions in 5 s, 42 coverage edges, 50 features, corpus 3/9b"
        );
    }
}

//! `cargo xtask soak --minutes N`: builds the soak program (`crates/soak`) in release and
//! runs it: every venue on the embedded simulator through the client library, faults on a
//! schedule, account trading on, for N minutes; it fails when a book differs from the
//! simulator's truth, an account event is not delivered exactly once, or resident memory
//! keeps growing (see docs/TESTING.md, "Soak").

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::run_in;

/// Minutes when `--minutes` is not given.
const DEFAULT_MINUTES: f64 = 10.0;

pub(crate) const USAGE: &str = "cargo xtask soak [--minutes N]: builds crates/soak in release \
    and runs every venue on the embedded simulator through the client library for N minutes \
    (default 10, fractions allowed) with faults on a schedule and account trading; fails if a \
    book differs from the simulator's truth, an account event is not delivered exactly once, \
    or resident memory grows";

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SoakArgs {
    pub minutes: f64,
}

impl SoakArgs {
    /// `None` when help was asked for.
    pub(crate) fn parse(args: &[String]) -> Result<Option<SoakArgs>> {
        let mut parsed = SoakArgs {
            minutes: DEFAULT_MINUTES,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "-h" | "--help" => return Ok(None),
                "--minutes" => {
                    let value = it.next().context("--minutes needs a number of minutes")?;
                    parsed.minutes = match value.parse::<f64>() {
                        Ok(n) if n.is_finite() && n > 0.0 && n <= 10_000.0 => n,
                        _ => bail!("--minutes wants a number above 0, not '{value}'"),
                    };
                }
                other => bail!("unknown argument '{other}' (try --help)"),
            }
        }
        Ok(Some(parsed))
    }
}

pub(crate) fn run(root: &Path, args: &SoakArgs) -> Result<()> {
    // `cargo run` builds in release and finds the binary wherever the target directory is;
    // the soak samples its own memory, so cargo being its parent does not count.
    let minutes = args.minutes.to_string();
    run_in(
        root,
        "cargo",
        &[
            "run",
            "--release",
            "--quiet",
            "-p",
            "soak",
            "--",
            "--minutes",
            &minutes,
        ],
    )
    .context("the soak failed (its last lines say what)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<SoakArgs>> {
        SoakArgs::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn minutes_default_and_parse() {
        assert_eq!(
            parse(&[]).ok().flatten().map(|a| a.minutes),
            Some(DEFAULT_MINUTES)
        );
        assert_eq!(
            parse(&["--minutes", "1.5"])
                .ok()
                .flatten()
                .map(|a| a.minutes),
            Some(1.5)
        );
        assert!(matches!(parse(&["--help"]), Ok(None)));
    }

    #[test]
    fn bad_minutes_are_refused() {
        for bad in ["0", "-1", "nan", "x"] {
            assert!(parse(&["--minutes", bad]).is_err(), "{bad}");
        }
        assert!(parse(&["--minutes"]).is_err());
        assert!(parse(&["--seconds", "3"]).is_err());
    }
}

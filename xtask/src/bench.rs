//! `cargo xtask bench`: the performance regression gate.
//!
//! The gate metric is instructions per operation counted by callgrind inside
//! `benches::measured_loop` (repeatable on a noisy shared machine); wall-clock medians are
//! measured in the same run and reported for people. Results are compared with the
//! committed baseline `benches/baseline.json`; a workload more than `--threshold` percent
//! above its baseline fails the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

/// Options parsed from the command line.
#[derive(Debug)]
pub struct BenchArgs {
    full: bool,
    save_baseline: bool,
    threshold_pct: f64,
    only: Option<String>,
    /// Slow this workload down on purpose and succeed only if the gate catches it.
    prove_gate: Option<String>,
}

impl BenchArgs {
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut parsed = BenchArgs {
            full: false,
            save_baseline: false,
            threshold_pct: 5.0,
            only: None,
            prove_gate: None,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--quick" => parsed.full = false,
                "--full" => parsed.full = true,
                "--save-baseline" => parsed.save_baseline = true,
                "--threshold" => {
                    parsed.threshold_pct = it
                        .next()
                        .and_then(|v| v.parse().ok())
                        .context("--threshold takes a percentage, e.g. --threshold 5")?;
                }
                "--only" => parsed.only = it.next().cloned(),
                "--prove-gate" => {
                    let name = it
                        .next()
                        .cloned()
                        .context("--prove-gate takes a workload name")?;
                    parsed.only = Some(name.clone());
                    parsed.prove_gate = Some(name);
                }
                other => bail!(
                    "unknown option {other}; use --quick (default), --full, --save-baseline, --threshold PCT, --only NAME"
                ),
            }
        }
        Ok(parsed)
    }
}

struct Row {
    name: String,
    what: String,
    instructions: f64,
    baseline: Option<f64>,
    wall_ns: f64,
}

pub fn run(root: &Path, args: &BenchArgs) -> Result<()> {
    if let Some(name) = &args.prove_gate {
        let result = run_gate(root, args, Some(name));
        return match result {
            Err(e) if e.to_string().contains("performance regression") => {
                println!("gate proven: an artificially slowed {name} was rejected");
                Ok(())
            }
            Err(e) => Err(e),
            Ok(()) => bail!("the gate did not catch an artificially slowed {name}"),
        };
    }
    run_gate(root, args, None)
}

fn run_gate(root: &Path, args: &BenchArgs, slow_down: Option<&str>) -> Result<()> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        bail!(
            "valgrind is not installed: `apt-get install valgrind` (the gate counts instructions with callgrind)"
        );
    }
    crate::run_in(
        root,
        "cargo",
        &[
            "build",
            "--release",
            "--quiet",
            "-p",
            "benches",
            "--bin",
            "bench-probe",
        ],
    )?;
    let probe = root.join("target/release/bench-probe");
    let listing = output(Command::new(&probe).arg("--list"))?;
    let baseline_path = root.join("benches/baseline.json");
    let baseline = read_baseline(&baseline_path)?;
    let (count_iters, time_iters, batches) = if args.full {
        (20_000u64, 200_000u64, 21usize)
    } else {
        (2_000, 20_000, 5)
    };
    let mut rows = Vec::new();
    for line in listing.lines() {
        let (name, what) = line.split_once('\t').unwrap_or((line, ""));
        if args.only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let instructions = callgrind_per_iter(&probe, name, count_iters, slow_down)?;
        let wall = output(
            Command::new(&probe)
                .envs(slow_down.map(|s| ("BENCH_SLOWDOWN", s)))
                .args([
                    name,
                    &time_iters.to_string(),
                    "--time",
                    &batches.to_string(),
                ]),
        )?;
        let wall_ns: f64 = wall.trim().parse().unwrap_or(f64::NAN);
        rows.push(Row {
            name: name.to_string(),
            what: what.to_string(),
            instructions,
            baseline: baseline.get(name).copied(),
            wall_ns,
        });
        eprintln!("  measured {name}");
    }
    print_table(&rows, args.threshold_pct);
    if slow_down.is_none() {
        write_report(root, args, &rows)?;
    }
    if args.save_baseline && slow_down.is_none() {
        save_baseline(root, &baseline_path, &rows, baseline)?;
        println!("baseline saved to {}", baseline_path.display());
        return Ok(());
    }
    let regressed: Vec<&Row> = rows
        .iter()
        .filter(|r| delta_pct(r).is_some_and(|d| d > args.threshold_pct))
        .collect();
    if !regressed.is_empty() {
        let names: Vec<&str> = regressed.iter().map(|r| r.name.as_str()).collect();
        bail!(
            "performance regression beyond {}% in: {} (if intended, run `cargo xtask bench --save-baseline` and commit benches/baseline.json)",
            args.threshold_pct,
            names.join(", ")
        );
    }
    println!(
        "bench gate passed ({} workloads, threshold {}%)",
        rows.len(),
        args.threshold_pct
    );
    Ok(())
}

fn callgrind_per_iter(
    probe: &Path,
    name: &str,
    iterations: u64,
    slow_down: Option<&str>,
) -> Result<f64> {
    let out_file = std::env::temp_dir().join(format!("callgrind.{name}.{}", std::process::id()));
    let status = Command::new("valgrind")
        .envs(slow_down.map(|s| ("BENCH_SLOWDOWN", s)))
        .args([
            "--tool=callgrind",
            "--toggle-collect=*measured_loop*",
            &format!("--callgrind-out-file={}", out_file.display()),
        ])
        .arg(probe)
        .args([name, &iterations.to_string()])
        .output()
        .context("running valgrind")?;
    if !status.status.success() {
        bail!(
            "callgrind failed for {name}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let text = std::fs::read_to_string(&out_file)
        .with_context(|| format!("reading {}", out_file.display()))?;
    let _ = std::fs::remove_file(&out_file);
    let total: f64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no instruction total in callgrind output for {name}"))?;
    Ok(total / iterations as f64)
}

fn delta_pct(row: &Row) -> Option<f64> {
    row.baseline
        .filter(|b| *b > 0.0)
        .map(|b| (row.instructions - b) / b * 100.0)
}

fn print_table(rows: &[Row], threshold: f64) {
    println!(
        "{:<28} {:>14} {:>14} {:>9} {:>12}  verdict",
        "workload", "instr/op", "baseline", "delta", "median ns"
    );
    for r in rows {
        let (base, delta, verdict) = match (r.baseline, delta_pct(r)) {
            (Some(b), Some(d)) => (
                format!("{b:.0}"),
                format!("{d:+.2}%"),
                if d > threshold { "REGRESSED" } else { "ok" },
            ),
            _ => ("-".into(), "-".into(), "new"),
        };
        println!(
            "{:<28} {:>14.0} {:>14} {:>9} {:>12.1}  {}",
            r.name, r.instructions, base, delta, r.wall_ns, verdict
        );
    }
}

fn read_baseline(path: &Path) -> Result<BTreeMap<String, f64>> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let text = std::fs::read_to_string(path)?;
    let value: Value = serde_json::from_str(&text).context("benches/baseline.json is not JSON")?;
    Ok(value
        .get("instructions_per_op")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_f64().map(|f| (k.clone(), f)))
                .collect()
        })
        .unwrap_or_default())
}

fn save_baseline(
    root: &Path,
    path: &Path,
    rows: &[Row],
    mut previous: BTreeMap<String, f64>,
) -> Result<()> {
    for r in rows {
        previous.insert(r.name.clone(), r.instructions.round());
    }
    let value = json!({
        "note": "instructions per operation counted by callgrind inside benches::measured_loop; update on purpose with `cargo xtask bench --save-baseline`",
        "toolchain": toolchain(root),
        "machine": machine(),
        "instructions_per_op": previous,
    });
    std::fs::write(path, serde_json::to_string_pretty(&value)? + "\n")?;
    Ok(())
}

fn write_report(root: &Path, args: &BenchArgs, rows: &[Row]) -> Result<()> {
    let results: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "what": r.what,
                "instructions_per_op": r.instructions,
                "baseline_instructions_per_op": r.baseline,
                "delta_pct": delta_pct(r),
                "wall_median_ns": r.wall_ns,
            })
        })
        .collect();
    let report = json!({
        "mode": if args.full { "full" } else { "quick" },
        "threshold_pct": args.threshold_pct,
        "toolchain": toolchain(root),
        "machine": machine(),
        "results": results,
    });
    let path: PathBuf = root.join("target/bench-report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("report written to {}", path.display());
    Ok(())
}

fn toolchain(root: &Path) -> String {
    Command::new("rustc")
        .arg("-V")
        .current_dir(root)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    json!({ "cpu": cpu, "cores": cores, "os": std::env::consts::OS, "arch": std::env::consts::ARCH })
}

fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().context("running the bench probe")?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

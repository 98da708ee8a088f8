//! `cargo xtask bench`: the performance regression gate and the validation run.
//!
//! The gate metric is instructions per operation counted by callgrind inside
//! `benches::measured_loop` (repeatable on a noisy shared machine); wall-clock medians are
//! measured in the same run and reported for people, with the machine and toolchain.
//! Results are compared with the committed baseline `benches/baseline.json`; one of our
//! workloads more than `--threshold` percent above its baseline, or an allocation-free
//! workload that allocates, fails the run. Baseline-client workloads (`serde_json::Value`,
//! prost) are measured for the ratios only and never gate.
//!
//! Quick mode (the default, what CI runs) counts and times every workload once. Full mode
//! times with more and longer batches and also runs the loopback end-to-end bench
//! (`benches/src/bin/e2e.rs`) and redraws its latency plot in `docs/img/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    /// Print callgrind's per-function profile of this workload instead of gating.
    annotate: Option<String>,
}

impl BenchArgs {
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut parsed = BenchArgs {
            full: false,
            save_baseline: false,
            threshold_pct: 5.0,
            only: None,
            prove_gate: None,
            annotate: None,
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
                "--only" => {
                    parsed.only = Some(it.next().cloned().context("--only takes a workload")?);
                }
                "--prove-gate" => {
                    let name = it
                        .next()
                        .cloned()
                        .context("--prove-gate takes a workload name")?;
                    parsed.only = Some(name.clone());
                    parsed.prove_gate = Some(name);
                }
                "--annotate" => {
                    parsed.annotate =
                        Some(it.next().cloned().context("--annotate takes a workload")?);
                }
                other => bail!(
                    "unknown option {other}; use --quick (default), --full, --save-baseline, --threshold PCT, --only NAME, --prove-gate NAME, --annotate NAME"
                ),
            }
        }
        if parsed.save_baseline && parsed.only.is_some() {
            bail!("--save-baseline records every workload; drop --only");
        }
        Ok(parsed)
    }
}

/// Iterations counted under callgrind: a power of two, so every input cycle (16) is
/// covered whole and the per-operation count is the same in every run and mode.
const COUNT_ITERATIONS: u64 = 256;
/// Fewer for the baseline clients (up to 800 k instructions per operation, never gated).
const COUNT_ITERATIONS_BASELINE: u64 = 64;

/// One workload as listed by `bench-probe --list`.
#[derive(Debug, Clone)]
struct Listed {
    name: String,
    what: String,
    kind: String,
    baseline: Option<String>,
    plan_target_ns: Option<f64>,
    target_ns: Option<f64>,
    alloc_free: bool,
}

impl Listed {
    fn parse(line: &str) -> Option<Listed> {
        let f: Vec<&str> = line.split('\t').collect();
        let opt = |s: &str| (s != "-").then(|| s.to_string());
        Some(Listed {
            name: f.first()?.to_string(),
            what: f.get(1)?.to_string(),
            kind: f.get(2)?.to_string(),
            baseline: opt(f.get(3)?),
            plan_target_ns: f.get(4)?.parse().ok(),
            target_ns: f.get(5)?.parse().ok(),
            alloc_free: *f.get(6)? == "true",
        })
    }

    fn is_baseline_client(&self) -> bool {
        self.kind == "baseline"
    }
}

#[derive(Debug, Clone)]
struct Row {
    listed: Listed,
    instructions: f64,
    recorded: Option<f64>,
    wall_ns: f64,
    wall_min_ns: f64,
    cpu_ns: f64,
    allocations_per_op: Option<f64>,
    bytes_per_op: Option<f64>,
}

impl Row {
    fn delta_pct(&self) -> Option<f64> {
        self.recorded
            .filter(|b| *b > 0.0)
            .map(|b| (self.instructions - b) / b * 100.0)
    }

    fn gated(&self) -> bool {
        !self.listed.is_baseline_client()
    }
}

pub fn run(root: &Path, args: &BenchArgs) -> Result<()> {
    if let Some(name) = &args.annotate {
        return annotate(root, name);
    }
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

/// Where cargo puts build output: `CARGO_TARGET_DIR` when set (relative to the
/// workspace), else `target/`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

fn build(root: &Path, bins: &[&str]) -> Result<PathBuf> {
    let mut args = vec!["build", "--release", "--quiet", "-p", "benches"];
    for bin in bins {
        args.extend(["--bin", bin]);
    }
    crate::run_in(root, "cargo", &args)?;
    Ok(target_dir(root).join("release"))
}

fn run_gate(root: &Path, args: &BenchArgs, slow_down: Option<&str>) -> Result<()> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        bail!(
            "valgrind is not installed: `apt-get install valgrind` (the gate counts instructions with callgrind)"
        );
    }
    let mut bins = vec!["bench-probe", "bench-alloc"];
    if args.full && args.only.is_none() {
        bins.extend(["e2e", "e2e-plot"]);
    }
    let bin_dir = build(root, &bins)?;
    let probe = bin_dir.join("bench-probe");
    let listing = output(Command::new(&probe).arg("--list"))?;
    let listed: Vec<Listed> = listing
        .lines()
        .filter_map(Listed::parse)
        .filter(|l| args.only.as_deref().is_none_or(|o| o == l.name))
        .collect();
    if listed.is_empty() {
        let names: Vec<String> = listing
            .lines()
            .filter_map(Listed::parse)
            .map(|l| l.name)
            .collect();
        bail!(
            "no workload is named {}; --only takes one exact name of: {}",
            args.only.as_deref().unwrap_or("?"),
            names.join(", ")
        );
    }
    let baseline_path = root.join("benches/baseline.json");
    let recorded = read_baseline(&baseline_path)?;

    // Instruction counts do not depend on what else runs: use both cores.
    let started = std::time::Instant::now();
    eprintln!(
        "counting instructions of {} workloads under callgrind ...",
        listed.len()
    );
    let counts = count_all(&probe, &listed, slow_down)?;
    eprintln!("  counted in {:.0} s", started.elapsed().as_secs_f64());

    // Wall clock: one workload at a time, nothing else of ours running.
    let (batches, batch_ms) = if args.full { (21, 100) } else { (5, 20) };
    eprintln!("timing ({batches} batches of ~{batch_ms} ms each) ...");
    let mut rows = Vec::new();
    for (l, instructions) in listed.iter().zip(counts) {
        let timed = output(
            Command::new(&probe)
                .envs(slow_down.map(|s| ("BENCH_SLOWDOWN", s)))
                .args([
                    l.name.as_str(),
                    "--time",
                    &batches.to_string(),
                    &batch_ms.to_string(),
                ]),
        )?;
        let mut fields = timed
            .split_whitespace()
            .map(|v| v.parse().unwrap_or(f64::NAN));
        let wall_ns = fields.next().unwrap_or(f64::NAN);
        let wall_min_ns = fields.next().unwrap_or(f64::NAN);
        let cpu_ns = fields.next().unwrap_or(f64::NAN);
        rows.push(Row {
            listed: l.clone(),
            instructions,
            recorded: recorded.get(&l.name).copied(),
            wall_ns,
            wall_min_ns,
            cpu_ns,
            allocations_per_op: None,
            bytes_per_op: None,
        });
    }

    eprintln!("  timed in {:.0} s", started.elapsed().as_secs_f64());
    // Allocations per operation (a separate binary with a counting allocator).
    let mut alloc_failure = None;
    if slow_down.is_none() {
        let names: Vec<&str> = rows.iter().map(|r| r.listed.name.as_str()).collect();
        let out = Command::new(bin_dir.join("bench-alloc"))
            .args(&names)
            .output()
            .context("running bench-alloc")?;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let f: Vec<&str> = line.split('\t').collect();
            if let (Some(name), Some(allocs), Some(bytes)) = (f.first(), f.get(1), f.get(2))
                && let Some(row) = rows.iter_mut().find(|r| r.listed.name == *name)
            {
                row.allocations_per_op = allocs.parse().ok();
                row.bytes_per_op = bytes.parse().ok();
            }
        }
        if !out.status.success() {
            alloc_failure = Some(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
    }

    print_table(&rows, args.threshold_pct);
    print_ratios(&rows);

    let e2e = if args.full && args.only.is_none() && slow_down.is_none() {
        Some(run_e2e(root, &bin_dir)?)
    } else {
        None
    };
    if slow_down.is_none() {
        write_report(root, args, &rows, e2e)?;
    }
    if let Some(failure) = alloc_failure {
        bail!("allocation check failed: {failure}");
    }
    if args.save_baseline && slow_down.is_none() {
        save_baseline(root, &baseline_path, &rows)?;
        println!("baseline saved to {}", baseline_path.display());
        return Ok(());
    }
    let missing: Vec<&str> = rows
        .iter()
        .filter(|r| r.gated() && r.recorded.is_none())
        .map(|r| r.listed.name.as_str())
        .collect();
    if !missing.is_empty() {
        println!(
            "not in the baseline yet (record with --save-baseline): {}",
            missing.join(", ")
        );
    }
    let regressed: Vec<&Row> = rows
        .iter()
        .filter(|r| r.gated() && r.delta_pct().is_some_and(|d| d > args.threshold_pct))
        .collect();
    if !regressed.is_empty() {
        let names: Vec<&str> = regressed.iter().map(|r| r.listed.name.as_str()).collect();
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

/// Callgrind counts of every workload, two valgrind processes at a time.
fn count_all(probe: &Path, listed: &[Listed], slow_down: Option<&str>) -> Result<Vec<f64>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<f64>>>> =
        Mutex::new((0..listed.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(l) = listed.get(i) else { break };
                    let iterations = if l.is_baseline_client() {
                        COUNT_ITERATIONS_BASELINE
                    } else {
                        COUNT_ITERATIONS
                    };
                    let r = callgrind_per_iter(probe, &l.name, iterations, slow_down);
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(r);
                    }
                }
            });
        }
    });
    let all = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a counting worker panicked"))?;
    all.into_iter()
        .zip(listed)
        .map(|(r, l)| r.with_context(|| format!("{} was not counted", l.name))?)
        .collect()
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

/// `--annotate NAME`: where one workload's instructions go, per function (exclusive
/// counts inside `measured_loop`), from `callgrind_annotate`.
fn annotate(root: &Path, name: &str) -> Result<()> {
    let probe = build(root, &["bench-probe"])?.join("bench-probe");
    let out_file = std::env::temp_dir().join(format!("callgrind.annotate.{name}"));
    let status = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--toggle-collect=*measured_loop*",
            &format!("--callgrind-out-file={}", out_file.display()),
        ])
        .arg(&probe)
        .args([name, &COUNT_ITERATIONS.to_string()])
        .output()
        .context("running valgrind")?;
    if !status.status.success() {
        bail!(
            "callgrind failed for {name}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let text = output(
        Command::new("callgrind_annotate")
            .args(["--threshold=100", "--auto=no"])
            .arg(&out_file),
    )?;
    // callgrind_annotate splits a function's cost by source file (inlined std code shows
    // up under its own file); add the parts up per function.
    let mut per_function: BTreeMap<String, f64> = BTreeMap::new();
    let mut total = 0.0;
    for line in text.lines() {
        let line = line.trim();
        let Some((count, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(count) = count.replace(',', "").parse::<f64>() else {
            continue;
        };
        if rest.contains("PROGRAM TOTALS") {
            total = count;
            continue;
        }
        let location = rest.rsplit_once(")  ").map_or(rest, |(_, l)| l);
        let function = location
            .split_once(':')
            .map_or(location, |(_, f)| f)
            .split(" [")
            .next()
            .unwrap_or(location);
        *per_function.entry(function.to_string()).or_default() += count;
    }
    let mut ranked: Vec<(String, f64)> = per_function.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let ops = COUNT_ITERATIONS as f64;
    println!(
        "{name}: {:.0} instructions per operation; exclusive cost per function (inlined code counted where it was inlined)",
        total / ops
    );
    println!("{:>10} {:>7}  function", "instr/op", "share");
    for (function, count) in ranked.iter().take(25) {
        println!(
            "{:>10.0} {:>6.1}%  {function}",
            count / ops,
            count / total.max(1.0) * 100.0
        );
    }
    println!(
        "(raw profile: {}; `callgrind_annotate` it for more)",
        out_file.display()
    );
    Ok(())
}

fn print_table(rows: &[Row], threshold: f64) {
    println!(
        "{:<36} {:>11} {:>11} {:>8} {:>10} {:>10} {:>9} {:>9}  verdict",
        "workload", "instr/op", "recorded", "delta", "wall ns", "cpu ns", "allocs/op", "target ns"
    );
    for r in rows {
        let (base, delta, mut verdict) = match (r.recorded, r.delta_pct()) {
            (Some(b), Some(d)) => (
                format!("{b:.0}"),
                format!("{d:+.2}%"),
                if !r.gated() {
                    "info"
                } else if d > threshold {
                    "REGRESSED"
                } else {
                    "ok"
                },
            ),
            _ => ("-".into(), "-".into(), "new"),
        };
        if r.listed.alloc_free && r.allocations_per_op.is_some_and(|a| a > 0.0) {
            verdict = "ALLOCATES";
        }
        let allocs = r
            .allocations_per_op
            .map_or("-".to_string(), |a| format!("{a:.1}"));
        let target = r.listed.target_ns.map_or("-".to_string(), |t| {
            format!("{t:.0}{}", if r.wall_ns <= t { "" } else { "!" })
        });
        println!(
            "{:<36} {:>11.0} {:>11} {:>8} {:>10.1} {:>10.1} {:>9} {:>9}  {}",
            r.listed.name,
            r.instructions,
            base,
            delta,
            r.wall_ns,
            r.cpu_ns,
            allocs,
            target,
            verdict
        );
    }
    println!(
        "(medians per operation: wall clock, and on-CPU time of the probe thread, which a loaded machine disturbs less; target marked ! when the wall median is above it)"
    );
}

/// Ours against the baseline client doing the same job, both measured in this run.
fn ratios(rows: &[Row]) -> Vec<(String, String, f64, f64, f64)> {
    rows.iter()
        .filter_map(|r| {
            let base = rows
                .iter()
                .find(|b| Some(&b.listed.name) == r.listed.baseline.as_ref())?;
            Some((
                r.listed.name.clone(),
                base.listed.name.clone(),
                base.instructions / r.instructions,
                base.wall_ns / r.wall_ns,
                base.cpu_ns / r.cpu_ns,
            ))
        })
        .collect()
}

fn print_ratios(rows: &[Row]) {
    let ratios = ratios(rows);
    if ratios.is_empty() {
        return;
    }
    println!(
        "\n{:<36} {:<38} {:>10} {:>10} {:>10}",
        "ours", "baseline client", "instr x", "wall x", "cpu x"
    );
    for (ours, base, instr, wall, cpu) in ratios {
        println!("{ours:<36} {base:<38} {instr:>9.2}x {wall:>9.2}x {cpu:>9.2}x");
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

/// Replaces the baseline with this run's counts (every workload, so removed ones go).
fn save_baseline(root: &Path, path: &Path, rows: &[Row]) -> Result<()> {
    let counts: BTreeMap<&str, f64> = rows
        .iter()
        .map(|r| (r.listed.name.as_str(), r.instructions.round()))
        .collect();
    let value = json!({
        "note": "instructions per operation counted by callgrind inside benches::measured_loop (256 iterations after 64 of warm-up; 64 after 16 for the baseline clients); baseline-client workloads (kind baseline) are recorded for reference and never gate; update on purpose with `cargo xtask bench --save-baseline`",
        "toolchain": toolchain(root),
        "machine": machine(),
        "instructions_per_op": counts,
    });
    std::fs::write(path, serde_json::to_string_pretty(&value)? + "\n")?;
    Ok(())
}

fn run_e2e(root: &Path, bin_dir: &Path) -> Result<Value> {
    let report = target_dir(root).join("e2e-report.json");
    crate::run_in(
        root,
        &bin_dir.join("e2e").display().to_string(),
        &["--out", &report.display().to_string()],
    )?;
    let plot = root.join("docs/img/e2e-latency.svg");
    crate::run_in(
        root,
        &bin_dir.join("e2e-plot").display().to_string(),
        &[&report.display().to_string(), &plot.display().to_string()],
    )?;
    let text = std::fs::read_to_string(&report)?;
    serde_json::from_str(&text).context("the e2e report is not JSON")
}

fn write_report(root: &Path, args: &BenchArgs, rows: &[Row], e2e: Option<Value>) -> Result<()> {
    let results: Vec<Value> = rows
        .iter()
        .map(|r| {
            let l = &r.listed;
            json!({
                "name": l.name,
                "what": l.what,
                "kind": l.kind,
                "instructions_per_op": r.instructions,
                "baseline_instructions_per_op": r.recorded,
                "delta_pct": r.delta_pct(),
                "gated": r.gated(),
                "wall_median_ns": r.wall_ns,
                "wall_min_ns": r.wall_min_ns,
                "cpu_median_ns": r.cpu_ns,
                "allocations_per_op": r.allocations_per_op,
                "allocated_bytes_per_op": r.bytes_per_op,
                "alloc_free": l.alloc_free,
                "baseline_client": l.baseline,
                "plan_target_ns": l.plan_target_ns,
                "plan_target_met": l.plan_target_ns.map(|t| r.wall_ns < t),
                "issue_target_ns": l.target_ns,
                "issue_target_met": l.target_ns.map(|t| r.wall_ns <= t),
                "issue_target_met_on_cpu_time": l.target_ns.map(|t| r.cpu_ns <= t),
            })
        })
        .collect();
    let ratios: Vec<Value> = ratios(rows)
        .into_iter()
        .map(|(ours, base, instr, wall, cpu)| {
            json!({ "ours": ours, "baseline_client": base, "instructions_ratio": instr, "wall_ratio": wall, "cpu_ratio": cpu })
        })
        .collect();
    let report = json!({
        "mode": if args.full { "full" } else { "quick" },
        "threshold_pct": args.threshold_pct,
        "count_iterations": COUNT_ITERATIONS,
        "count_iterations_baseline_clients": COUNT_ITERATIONS_BASELINE,
        "load_average_after": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        "toolchain": toolchain(root),
        "toolchain_verbose": toolchain_verbose(root),
        "machine": machine(),
        "commit": git_commit(root),
        "results": results,
        "ratios": ratios,
        "e2e": e2e,
    });
    let dir = target_dir(root);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("bench-report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("report written to {}", path.display());
    Ok(())
}

fn toolchain(root: &Path) -> String {
    command_text(root, "rustc", &["-V"])
}

fn toolchain_verbose(root: &Path) -> String {
    command_text(root, "rustc", &["-vV"])
}

fn git_commit(root: &Path) -> String {
    command_text(root, "git", &["rev-parse", "--short", "HEAD"])
}

fn command_text(root: &Path, program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let memory_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    // Other work on the machine disturbs wall-clock figures (not instruction counts).
    let load_average = std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    json!({
        "cpu": field("model name"),
        "cpu_mhz": field("cpu MHz"),
        "cores": cores,
        "memory_gib": (memory_kb as f64 / 1_048_576.0 * 10.0).round() / 10.0,
        "os": std::env::consts::OS,
        "kernel": kernel,
        "arch": std::env::consts::ARCH,
        "load_average_1_5_15": load_average,
    })
}

fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().context("running the bench probe")?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

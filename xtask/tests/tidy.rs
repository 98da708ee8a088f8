//! Tidy tests (after rust-analyzer's): the workspace's architecture invariants, checked on
//! the sources and the dependency graph by `cargo test --workspace`.
//!
//! Each check that has offenders today carries a ratchet list: the known offenders with
//! their current count. A listed file may shrink but not grow; once it is clean its entry
//! must go; an unlisted file must be clean. Every ratchet list must end up empty.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The longest a non-test source file on the message path may be.
const MAX_LINES: usize = 600;

/// Crates on the message path whose sources the size, queue and venue checks read, besides
/// every `exchange-*` member except the simulator.
const MESSAGE_PATH_CRATES: &[&str] = &[
    "market-types",
    "ws-session",
    "ws-core",
    "ws-mixins",
    "ws-handlers",
];

/// Crates that must stay venue independent.
const VENUE_INDEPENDENT_CRATES: &[&str] = &["ws-session", "ws-core", "ws-mixins", "ws-handlers"];

/// Crates that an exchange crate must never reach through normal dependencies: exchange
/// crates are sans-IO, the driver in `ws-core` owns every socket and runtime.
const IO_CRATES: &[&str] = &[
    "tokio",
    "hyper",
    "fastwebsockets",
    "rustls",
    "tokio-rustls",
    "mio",
    "socket2",
    "async-std",
];

/// Venue names that venue-independent crates must not mention (matched case-insensitively).
const VENUE_NAMES: &[&str] = &[
    "gateio", "gate.io", "gate_io", "mexc", "binance", "okx", "bybit", "kraken", "coinbase",
    "bitget", "kucoin", "huobi", "bitmex", "deribit",
];

/// Constructors and types of unbounded queues.
const UNBOUNDED_QUEUES: &[&str] = &[
    "unbounded_channel",
    "mpsc::unbounded",
    "crossbeam_channel::unbounded",
    "flume::unbounded",
    "UnboundedSender",
];

/// Ratchet: files allowed over `MAX_LINES` (non-test lines). Empty since the venue-model
/// redesign split the last ones; keep it empty.
const OVERSIZED_FILES: &[(&str, usize)] = &[];

/// Ratchet: files with a `VecDeque` whose bound no nearby comment names (count per file).
/// Empty; keep it empty.
const UNEXPLAINED_DEQUES: &[(&str, usize)] = &[];

/// Ratchet: venue-independent files that name a venue (count of lines per file).
/// Empty; keep it empty.
const VENUE_MENTIONS: &[(&str, usize)] = &[];

#[test]
fn exchange_crates_do_not_depend_on_io_crates() {
    let workspace = Workspace::load();
    let mut failures = Vec::new();
    for member in workspace.exchange_crates() {
        for (io_crate, path) in workspace.normal_dependency_paths(&member.id, IO_CRATES) {
            failures.push(format!(
                "{} depends on `{io_crate}` (normal dependencies: {}); exchange crates are \
                 sans-IO, move the IO to ws-core or make it a dev-dependency",
                member.name,
                path.join(" -> ")
            ));
        }
    }
    assert_clean(
        "exchange crates reach an async runtime or socket crate",
        &failures,
    );
}

#[test]
fn message_path_files_are_short() {
    let workspace = Workspace::load();
    let mut counts = BTreeMap::new();
    for file in workspace.message_path_sources() {
        let lines = file.non_test_lines().len();
        if lines > MAX_LINES {
            counts.insert(file.relative.clone(), lines);
        }
    }
    let failures = ratchet(
        &counts,
        OVERSIZED_FILES,
        &format!("non-test lines (limit {MAX_LINES}); split it by responsibility into modules"),
    );
    assert_clean("message-path source files are too long", &failures);
}

#[test]
fn no_unbounded_queues() {
    let workspace = Workspace::load();
    let mut failures = Vec::new();
    for file in workspace.all_sources() {
        for (number, line) in file.non_test_lines().iter().enumerate() {
            for pattern in UNBOUNDED_QUEUES {
                if line.contains(pattern) {
                    failures.push(format!(
                        "{}:{}: `{pattern}`: every queue is bounded; use a channel with a \
                         capacity from config and a written overflow policy",
                        file.relative,
                        number + 1
                    ));
                }
            }
        }
    }
    assert_clean("unbounded queues in non-test sources", &failures);
}

#[test]
fn every_deque_names_its_bound() {
    let workspace = Workspace::load();
    let mut counts = BTreeMap::new();
    for file in workspace.message_path_sources() {
        let lines = file.non_test_lines();
        let unexplained = (0..lines.len())
            .filter(|&at| declares_deque(lines[at]) && !bound_comment_near(&lines, at))
            .count();
        if unexplained > 0 {
            counts.insert(file.relative.clone(), unexplained);
        }
    }
    let failures = ratchet(
        &counts,
        UNEXPLAINED_DEQUES,
        "`VecDeque`s without a comment within 3 lines above naming the bound (\"bound\", \
         \"capacity\", \"at most\", \"cap\")",
    );
    assert_clean("VecDeques without a stated bound", &failures);
}

#[test]
fn venue_independent_crates_name_no_venue() {
    let workspace = Workspace::load();
    let mut counts = BTreeMap::new();
    for file in workspace.sources_of(VENUE_INDEPENDENT_CRATES) {
        let mentions = file
            .non_test_lines()
            .iter()
            .filter(|line| {
                let line = line.to_ascii_lowercase();
                VENUE_NAMES.iter().any(|venue| line.contains(venue))
            })
            .count();
        if mentions > 0 {
            counts.insert(file.relative.clone(), mentions);
        }
    }
    let failures = ratchet(
        &counts,
        VENUE_MENTIONS,
        "lines naming a venue; venue-independent crates know no venue (say \"a venue\", or \
         move the example to the exchange crate)",
    );
    assert_clean("venue names in venue-independent crates", &failures);
}

#[test]
fn every_member_uses_workspace_lints() {
    let workspace = Workspace::load();
    let mut failures = Vec::new();
    for member in &workspace.members {
        let manifest = read(&member.manifest);
        if !has_workspace_lints(&manifest) {
            failures.push(format!(
                "{}: add `[lints]\\nworkspace = true` so the workspace lints apply",
                relative(&workspace.root, &member.manifest)
            ));
        }
    }
    assert_clean("members without the workspace lints", &failures);
}

/// Compares today's counts with a ratchet list and says what is wrong with each entry.
fn ratchet(counts: &BTreeMap<String, usize>, allowed: &[(&str, usize)], what: &str) -> Vec<String> {
    let allowed: BTreeMap<&str, usize> = allowed.iter().copied().collect();
    let mut failures = Vec::new();
    for (path, &count) in counts {
        match allowed.get(path.as_str()) {
            None => failures.push(format!("{path}: {count} {what}")),
            Some(&limit) if count > limit => failures.push(format!(
                "{path}: {count} {what}; it is in the ratchet list at {limit} and may only shrink"
            )),
            Some(&limit) if count < limit => failures.push(format!(
                "{path}: now {count}, below its ratchet entry {limit}: lower the entry to {count}"
            )),
            Some(_) => {}
        }
    }
    for path in allowed.keys() {
        if !counts.contains_key(*path) {
            failures.push(format!(
                "{path}: no longer an offender ({what}); remove its ratchet entry"
            ));
        }
    }
    failures
}

fn assert_clean(title: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{title} (xtask/tests/tidy.rs):\n  {}",
        failures.join("\n  ")
    );
}

/// Whether a line declares a deque: a type (`VecDeque<..>`) or a local binding.
fn declares_deque(line: &str) -> bool {
    let code = line.trim_start();
    if code.starts_with("use ") || code.starts_with("//") {
        return false;
    }
    code.contains("VecDeque<") || (code.starts_with("let ") && code.contains("VecDeque"))
}

/// Whether a comment on the line, or on one of the three lines above, names a bound.
fn bound_comment_near(lines: &[&str], at: usize) -> bool {
    lines[at.saturating_sub(3)..=at].iter().any(|line| {
        line.find("//")
            .is_some_and(|start| names_bound(&line[start..]))
    })
}

fn names_bound(comment: &str) -> bool {
    let comment = comment.to_ascii_lowercase();
    comment.contains("at most")
        || comment
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| {
                word.starts_with("bound")
                    || word.starts_with("capacit")
                    || matches!(word, "cap" | "caps" | "capped")
            })
}

fn has_workspace_lints(manifest: &str) -> bool {
    let mut in_lints = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_lints = line == "[lints]";
            continue;
        }
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if (in_lints && compact == "workspace=true") || compact == "lints.workspace=true" {
            return true;
        }
    }
    false
}

/// A workspace member.
struct Member {
    id: String,
    name: String,
    manifest: PathBuf,
}

impl Member {
    fn dir(&self) -> &Path {
        self.manifest.parent().unwrap_or(Path::new("."))
    }
}

/// What `cargo metadata` says about the workspace.
struct Workspace {
    root: PathBuf,
    members: Vec<Member>,
    /// Package id to name, for every package in the resolve graph.
    names: HashMap<String, String>,
    /// Package id to the ids of its normal (non-dev, non-build) dependencies.
    normal_deps: HashMap<String, Vec<String>>,
}

impl Workspace {
    fn load() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let output = Command::new(cargo)
            .args(["metadata", "--format-version", "1"])
            .current_dir(&root)
            .output();
        let output = match output {
            Ok(output) if output.status.success() => output,
            Ok(output) => panic!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(error) => panic!("could not run cargo metadata: {error}"),
        };
        let metadata: Value = match serde_json::from_slice(&output.stdout) {
            Ok(metadata) => metadata,
            Err(error) => panic!("cargo metadata printed invalid JSON: {error}"),
        };
        Self::from_metadata(root, &metadata)
    }

    fn from_metadata(root: PathBuf, metadata: &Value) -> Self {
        let strings = |value: &Value| -> Vec<String> {
            value
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let member_ids: BTreeSet<String> = strings(&metadata["workspace_members"])
            .into_iter()
            .collect();
        let mut names = HashMap::new();
        let mut members = Vec::new();
        for package in metadata["packages"].as_array().into_iter().flatten() {
            let id = package["id"].as_str().unwrap_or_default().to_string();
            let name = package["name"].as_str().unwrap_or_default().to_string();
            if member_ids.contains(&id) {
                members.push(Member {
                    id: id.clone(),
                    name: name.clone(),
                    manifest: PathBuf::from(package["manifest_path"].as_str().unwrap_or_default()),
                });
            }
            names.insert(id, name);
        }
        assert!(
            !members.is_empty(),
            "cargo metadata listed no workspace members"
        );
        let mut normal_deps = HashMap::new();
        for node in metadata["resolve"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let id = node["id"].as_str().unwrap_or_default().to_string();
            let deps = node["deps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|kind| kind["kind"].is_null())
                })
                .filter_map(|dep| dep["pkg"].as_str().map(str::to_string))
                .collect();
            normal_deps.insert(id, deps);
        }
        Self {
            root,
            members,
            names,
            normal_deps,
        }
    }

    fn exchange_crates(&self) -> impl Iterator<Item = &Member> {
        self.members
            .iter()
            // The simulator, the client library (`exchange-ws`) and its Python bindings
            // (`exchange-ws-py`) do IO by design.
            .filter(|member| {
                member.name.starts_with("exchange-")
                    && member.name != "exchange-sim"
                    && !member.name.starts_with("exchange-ws")
            })
    }

    /// For each forbidden crate reachable from `start`, one shortest path of crate names.
    fn normal_dependency_paths(
        &self,
        start: &str,
        forbidden: &[&str],
    ) -> Vec<(String, Vec<String>)> {
        let name = |id: &str| {
            self.names
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
        };
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut seen = BTreeSet::from([start]);
        let mut found = Vec::new();
        while let Some(id) = queue.pop_front() {
            if forbidden.contains(&name(id).as_str()) {
                let mut path = vec![name(id)];
                let mut at = id;
                while let Some(&up) = parent.get(at) {
                    path.push(name(up));
                    at = up;
                }
                path.reverse();
                found.push((name(id), path));
            }
            for dep in self.normal_deps.get(id).into_iter().flatten() {
                if seen.insert(dep.as_str()) {
                    parent.insert(dep.as_str(), id);
                    queue.push_back(dep.as_str());
                }
            }
        }
        found
    }

    /// Non-test sources of the message-path crates (and every exchange crate but the simulator).
    fn message_path_sources(&self) -> Vec<SourceFile> {
        let mut crates: Vec<&str> = MESSAGE_PATH_CRATES.to_vec();
        crates.extend(self.exchange_crates().map(|member| member.name.as_str()));
        self.sources_of(&crates)
    }

    fn sources_of(&self, crates: &[&str]) -> Vec<SourceFile> {
        let mut files = Vec::new();
        for member in self
            .members
            .iter()
            .filter(|m| crates.contains(&m.name.as_str()))
        {
            self.collect(&member.dir().join("src"), &mut files);
        }
        files
    }

    /// Non-test sources of every member, wherever they are (`src`, `benches`, `examples`).
    fn all_sources(&self) -> Vec<SourceFile> {
        let mut files = Vec::new();
        for member in &self.members {
            self.collect(member.dir(), &mut files);
        }
        files
    }

    fn collect(&self, dir: &Path, files: &mut Vec<SourceFile>) {
        let mut paths = Vec::new();
        walk(dir, &mut paths);
        let test_modules: BTreeSet<PathBuf> = paths
            .iter()
            .flat_map(|path| test_module_files(path, &read(path)))
            .collect();
        for path in paths {
            if test_modules.iter().any(|module| path.starts_with(module)) {
                continue;
            }
            let text = read(&path);
            files.push(SourceFile {
                relative: relative(&self.root, &path),
                text,
            });
        }
    }
}

/// A non-test source file.
struct SourceFile {
    relative: String,
    text: String,
}

impl SourceFile {
    /// The lines before a trailing `#[cfg(test)] mod tests {` block.
    fn non_test_lines(&self) -> Vec<&str> {
        let lines: Vec<&str> = self.text.lines().collect();
        // Other attributes (`#[allow(..)]`) may stand between `#[cfg(test)]` and the module.
        let tests_start = (0..lines.len()).find(|&at| {
            lines[at].trim() == "#[cfg(test)]"
                && lines[at + 1..]
                    .iter()
                    .map(|line| line.trim())
                    .find(|line| !line.starts_with("#["))
                    .is_some_and(|line| line.starts_with("mod tests {"))
        });
        match tests_start {
            Some(start) => lines[..start].to_vec(),
            None => lines,
        }
    }
}

/// Every `.rs` file under `dir`, skipping `target`, `generated` and `tests` directories and
/// files named `tests.rs`.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if !matches!(name, "target" | "generated" | "tests") && !name.starts_with('.') {
                walk(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
}

/// Files and directories of modules that `file` declares under `#[cfg(test)]`
/// (`#[cfg(test)] mod test_support;`).
fn test_module_files(file: &Path, text: &str) -> Vec<PathBuf> {
    let Some(dir) = file.parent() else {
        return Vec::new();
    };
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let module_dir = if matches!(stem, "lib" | "main" | "mod") {
        dir.to_path_buf()
    } else {
        dir.join(stem)
    };
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut found = Vec::new();
    for pair in lines.windows(2) {
        if pair[0] != "#[cfg(test)]" {
            continue;
        }
        let declaration = pair[1]
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ");
        if let Some(name) = declaration
            .strip_prefix("mod ")
            .and_then(|rest| rest.strip_suffix(';'))
        {
            found.push(module_dir.join(format!("{name}.rs")));
            found.push(module_dir.join(name));
        }
    }
    found
}

fn read(path: &Path) -> String {
    match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => panic!("could not read {}: {error}", path.display()),
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[test]
fn tidy_helpers_behave() {
    let counts = BTreeMap::from([("a.rs".to_string(), 3), ("b.rs".to_string(), 5)]);
    assert!(ratchet(&counts, &[("a.rs", 3), ("b.rs", 5)], "x").is_empty());
    let grown = ratchet(&counts, &[("a.rs", 2), ("b.rs", 5)], "x");
    assert!(grown.len() == 1 && grown[0].contains("may only shrink"));
    let fixed = ratchet(&BTreeMap::new(), &[("a.rs", 3)], "x");
    assert!(fixed.len() == 1 && fixed[0].contains("remove its ratchet entry"));
    assert_eq!(ratchet(&counts, &[("a.rs", 3)], "x").len(), 1);

    assert!(names_bound("// At most `capacity` items."));
    assert!(names_bound("/// Bounded by the window length."));
    assert!(!names_bound("// Escapes and capital letters."));
    let lines = ["/// Holds at most `n`.", "#[x]", "items: VecDeque<u8>,"];
    assert!(declares_deque(lines[2]) && bound_comment_near(&lines, 2));
    assert!(!declares_deque("use std::collections::VecDeque;"));

    assert!(has_workspace_lints(
        "[package]\nname = \"a\"\n\n[lints]\nworkspace = true\n"
    ));
    assert!(!has_workspace_lints("[lints.rust]\nworkspace = true\n"));

    let file = SourceFile {
        relative: "f.rs".to_string(),
        text: "fn a() {}\n\n#[cfg(test)]\n#[allow(x)]\nmod tests {\n    fn b() {}\n}\n".to_string(),
    };
    assert_eq!(file.non_test_lines(), vec!["fn a() {}", ""]);
}

//! `cargo xtask deny`: every cargo-deny check (advisories, bans, licenses, sources) against
//! an offline RustSec snapshot, because CI machines reach the package registries only.
//!
//! The snapshot is the newest `rustsec-advisory-db-*.tar.gz` in `../shared/advisory-db/`
//! beside the clone (or `$ADVISORY_DB_ARCHIVE`). It is unpacked into `target/advisory-db/`
//! under the folder name cargo-deny derives from the default database URL, which is where
//! `deny.toml`'s `db-path` points; `--offline` makes cargo-deny fetch nothing.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// cargo-deny 0.20's folder for `https://github.com/rustsec/advisory-db`.
const DB_FOLDER: &str = "advisory-db-3157b0e258782691";
/// Records which archive the unpacked folder came from.
const STAMP: &str = "SNAPSHOT";

pub(crate) fn run(root: &Path) -> Result<()> {
    let archive = find_snapshot(root)?;
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    unpack(root, &archive, &name)?;
    eprintln!(
        "advisories: RustSec snapshot {name} (from {})",
        archive.display()
    );
    // cargo metadata needs every platform's crates on disk in --offline mode.
    crate::run_in(root, "cargo", &["fetch", "--quiet"])?;
    crate::run_in(root, "cargo", &["deny", "--offline", "check"])
}

/// The newest snapshot archive (names carry the date, so the greatest name is the newest).
fn find_snapshot(root: &Path) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("ADVISORY_DB_ARCHIVE") {
        return Ok(PathBuf::from(path));
    }
    // A CI clone has ../shared beside it; a git worktree under wt/ has it two levels up.
    let dirs = [
        root.join("../shared/advisory-db"),
        root.join("../../shared/advisory-db"),
    ];
    let mut found: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("rustsec-advisory-db-") && n.ends_with(".tar.gz"))
        })
        .collect();
    found.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    match found.pop() {
        Some(path) => Ok(path),
        None => bail!(
            "no RustSec snapshot: expected ../shared/advisory-db/rustsec-advisory-db-*.tar.gz \
             beside the clone, or set ADVISORY_DB_ARCHIVE"
        ),
    }
}

/// Unpacks `archive` unless the folder already holds it.
fn unpack(root: &Path, archive: &Path, name: &str) -> Result<()> {
    let base = root.join("target/advisory-db");
    let stamp = base.join(STAMP);
    let db = base.join(DB_FOLDER);
    if db.is_dir() && std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == name) {
        return Ok(());
    }
    if base.exists() {
        std::fs::remove_dir_all(&base).with_context(|| format!("removing {}", base.display()))?;
    }
    std::fs::create_dir_all(&base).with_context(|| format!("creating {}", base.display()))?;
    let archive_arg = archive.display().to_string();
    let base_arg = base.display().to_string();
    crate::run_in(root, "tar", &["xzf", &archive_arg, "-C", &base_arg])?;
    std::fs::rename(base.join("advisory-db"), &db)
        .context("the snapshot archive has no advisory-db/ folder")?;
    std::fs::write(&stamp, name).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}

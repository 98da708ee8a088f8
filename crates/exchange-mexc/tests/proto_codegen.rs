#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

//! The prost code in `src/generated/` is committed, so building the crate needs neither
//! `protoc` nor a build script. This test regenerates it from `proto/` with the pure-Rust
//! `protox` compiler and fails if the committed copy is out of date.
//!
//! To update after editing a `.proto` file:
//! `MEXC_REGENERATE_PROTO=1 cargo test -p exchange-mexc --test proto_codegen`

use std::path::{Path, PathBuf};

const PROTO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
const GENERATED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/generated/mexc.spot.v3.rs");

fn proto_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(PROTO_DIR)
        .expect("proto/ exists at the workspace root")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .map(|path| PathBuf::from(path.file_name().unwrap()))
        .collect();
    files.sort();
    files
}

fn generate() -> String {
    let files = proto_files();
    let descriptors = protox::compile(&files, [Path::new(PROTO_DIR)]).expect("proto files compile");
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mexc-proto-codegen");
    std::fs::create_dir_all(&out_dir).unwrap();
    prost_build::Config::new()
        .out_dir(&out_dir)
        .compile_fds(descriptors)
        .expect("prost-build generates code");
    std::fs::read_to_string(out_dir.join("mexc.spot.v3.rs")).unwrap()
}

#[test]
fn the_schema_has_the_sixteen_upstream_files() {
    let names: Vec<String> = proto_files()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(names.len(), 16, "{names:?}");
    assert!(names.contains(&"PushDataV3ApiWrapper.proto".to_string()));
}

#[test]
fn committed_code_matches_the_proto_files() {
    let fresh = generate();
    if std::env::var_os("MEXC_REGENERATE_PROTO").is_some() {
        std::fs::write(GENERATED, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(GENERATED).unwrap_or_default();
    assert!(
        committed == fresh,
        "src/generated/mexc.spot.v3.rs is stale; run \
         `MEXC_REGENERATE_PROTO=1 cargo test -p exchange-mexc --test proto_codegen`"
    );
}

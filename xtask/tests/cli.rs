//! The command line as a new user meets it: every task answers `--help`, and a wrong argument
//! gets one line on stderr saying what to do, a failure status and no backtrace. None of these
//! invocations starts real work: each is refused or answered before a task runs.

#![allow(clippy::expect_used, reason = "tests fail loudly")]

use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the xtask binary runs")
}

#[test]
fn every_task_answers_help() {
    for task in ["ci", "bench", "fuzz", "soak", "deny"] {
        let out = xtask(&[task, "--help"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{task} --help failed: {out:?}");
        assert!(
            stdout.contains(task),
            "{task} --help says nothing about {task}: {stdout}"
        );
    }
    let out = xtask(&["--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("soak"));
}

#[test]
fn a_wrong_argument_gets_one_line_and_a_failure() {
    let cases: &[&[&str]] = &[
        &["ci", "--bogus"],
        &["deny", "--bogus"],
        &["bench", "--bogus"],
        &["fuzz", "--bogus"],
        &["soak", "--bogus"],
        &["soak", "--minutes", "many"],
        &["no-such-task"],
        &[],
    ];
    for args in cases {
        let out = xtask(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert_eq!(stderr.lines().count(), 1, "{args:?} printed {stderr:?}");
        assert!(stderr.starts_with("xtask: "), "{args:?} printed {stderr:?}");
        assert!(
            !stderr.contains("backtrace") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

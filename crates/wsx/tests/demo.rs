//! `wsx demo`: every venue through the real stack, faults injected, books checked.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use support::run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_streams_every_venue_recovers_and_matches_the_truth() {
    let out = run(
        &["demo", "--duration", "7", "--fault-every", "1.5"],
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(
        out.code,
        Some(0),
        "stdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    let stdout = &out.stdout;
    assert!(
        stdout.starts_with("wsx demo: simulator on 127.0.0.1:"),
        "{stdout}"
    );
    for venue in ["gateio-spot", "gateio-futures", "mexc-spot", "mexc-futures"] {
        assert!(stdout.contains(venue), "{venue} missing");
    }
    assert!(stdout.contains("injected: dropped all"), "{stdout}");
    assert!(
        stdout.contains("skips an update (gap → resync)"),
        "{stdout}"
    );
    assert!(!stdout.contains("fault not injected"), "{stdout}");
    assert!(stdout.contains("CONNECTED  8/8"), "{stdout}");
    assert!(
        stdout.contains("books match the simulator's truth: 9 of 9"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("\x1b["),
        "no terminal codes when not a terminal"
    );
}

#[test]
fn the_simulator_serves_each_venue_where_its_connector_looks() {
    // The demo takes its URLs from the scenario; the client library's `Endpoints::Simulator`
    // takes them from each connector's mount. Both must name the same paths.
    for venue in market_types::Venue::ALL {
        let paths = exchange_sim::VenuePaths::of(venue);
        let mount = venue_registry::profile(venue).simulator;
        assert_eq!(
            (paths.prefix, paths.ws_path, paths.rest_path),
            (mount.prefix, mount.ws_path, mount.rest_path),
            "{venue}"
        );
    }
}

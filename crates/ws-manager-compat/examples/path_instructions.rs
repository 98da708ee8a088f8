//! Feeds the benchmark's recorded frames to one path's session, so that the work per
//! message can be counted in instructions (repeatable on a busy machine, unlike time):
//!
//! ```text
//! cargo build --release -p ws-manager-compat --all-features --example path_instructions
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*support*feed*' \
//!     target/release/examples/path_instructions mexc_spot mixin 20
//! ```
//!
//! Arguments: venue (`mexc_spot`, `gateio_spot`, `gateio_futures`), path (`legacy_strategy`,
//! `mixin`, `raw_handler`), rounds. Each round feeds every frame after the recording's REST
//! snapshot to a fresh session; only `feed` is counted. Divide callgrind's total by the
//! frames printed.
#![allow(deprecated, reason = "measures the deprecated compatibility API")]

#[path = "../tests/support/replay.rs"]
mod replay;
#[path = "../benches/support/mod.rs"]
mod support;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let venue_name = args.first().map_or("mexc_spot", String::as_str);
    let path = args.get(1).map_or("mixin", String::as_str);
    let rounds: u64 = args.get(2).map_or(Ok(10), |r| r.parse())?;
    let venue = support::venues()
        .into_iter()
        .find(|v| v.name == venue_name)
        .ok_or_else(|| anyhow::anyhow!("unknown venue {venue_name}"))?;
    let recording = support::recording(&venue)?;
    let makers = support::makers(&venue);
    let (_, make) = makers
        .iter()
        .find(|(name, _)| *name == path)
        .ok_or_else(|| anyhow::anyhow!("unknown path {path}"))?;
    let mut frames = 0u64;
    for _ in 0..rounds {
        let prepared = support::prepare(&venue, &recording, &**make)?;
        frames += prepared.1.len() as u64;
        std::hint::black_box(support::feed(prepared));
    }
    println!("{venue_name} {path}: {frames} frames fed");
    Ok(())
}

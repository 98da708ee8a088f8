//! Every MEXC futures decoder on arbitrary bytes: the frame (text and gzip binary), the
//! lazily read depth levels and deals, and the REST bodies. Invariant: no panic, and a
//! level span read twice gives the same levels.
#![no_main]

use exchange_mexc::futures::{
    Frame, Inflater, decode, decode_binary, parse_contract_details, parse_depth_commits,
    parse_depth_snapshot,
};
use libfuzzer_sys::fuzz_target;

fn walk(frame: Frame<'_>) {
    match frame {
        Frame::Depth(push) | Frame::DepthFull(push) => {
            let first: Vec<_> = push.data.levels().collect();
            let mut second = Vec::new();
            let _ = push.data.for_each_level(|level| {
                second.push(level);
                Ok::<(), exchange_mexc::futures::FuturesError>(())
            });
            let ok: Vec<_> = first.iter().filter_map(|l| l.as_ref().ok().copied()).collect();
            assert_eq!(ok, second);
        }
        Frame::Deals(push) => {
            let mut seen = 0usize;
            let each = push.for_each(|_| seen += 1);
            let iterated = push.iter().filter(Result::is_ok).count();
            if each.is_ok() {
                assert_eq!(seen, iterated);
            }
        }
        Frame::Refused(refusal) => {
            let _ = refusal.to_error(None).to_string();
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = decode(data) {
        walk(frame);
    }
    let mut inflater = Inflater::new(1 << 16);
    if let Ok(frame) = decode_binary(&mut inflater, data) {
        walk(frame);
    }
    if let Ok(snapshot) = parse_depth_snapshot(data) {
        let _ = snapshot.levels().count();
    }
    if let Ok(commits) = parse_depth_commits(data) {
        for commit in commits {
            let _ = commit.levels().count();
        }
    }
    let _ = parse_contract_details(data);
});

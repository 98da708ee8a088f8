//! A script of WebSocket frames (text, binary, continuation, close; any `fin`, any payload)
//! through the driver's fragment reassembly and close-frame reading. Invariants: no panic; a
//! data frame inside a fragmented message and a continuation of nothing are refused; a
//! message comes out only on a final frame, equal to its fragments joined, never longer than
//! the limit, and UTF-8 when it is text; a close frame has a code exactly when it carries two
//! bytes.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use ws_session::{DisconnectCause, FrameKind, MessageAssembly, close_cause};

const MAX: usize = 64;

fuzz_target!(|data: &[u8]| {
    let mut assembly = MessageAssembly::new(MAX);
    // The model: the open message's kind and bytes so far.
    let mut open: Option<(FrameKind, Vec<u8>)> = None;
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0) % 48);
        let tail = tail.get(1..).unwrap_or(&[]);
        let (payload, tail) = tail.split_at(len.min(tail.len()));
        rest = tail;
        let fin = op & 4 != 0;
        let start = match op & 3 {
            0 => Some(FrameKind::Text),
            1 => Some(FrameKind::Binary),
            2 => None,
            _ => {
                let cause = close_cause(payload);
                let DisconnectCause::ClosedByPeer { code, .. } = cause else {
                    panic!("a close frame is a close by the peer");
                };
                assert_eq!(code.is_some(), payload.len() >= 2);
                continue;
            }
        };
        // A start inside an open message, or a continuation of nothing, must be refused.
        let expected = match (start, open.take()) {
            (Some(_), Some(_)) => None,
            (Some(kind), None) => Some((kind, payload.to_vec())),
            (None, Some((kind, mut joined))) => {
                joined.extend_from_slice(payload);
                Some((kind, joined))
            }
            (None, None) => None,
        };
        match assembly.push(start, fin, BytesMut::from(payload)) {
            Ok(Some((kind, message))) => {
                let (want_kind, want) = expected.unwrap_or_else(|| panic!("message from nothing"));
                assert!(fin);
                assert_eq!(kind, want_kind);
                assert_eq!(&message[..], &want[..]);
                assert!(message.len() <= MAX);
                if kind == FrameKind::Text {
                    assert!(std::str::from_utf8(&message).is_ok());
                }
            }
            Ok(None) => {
                assert!(!fin);
                assert!(expected.is_some(), "a refused frame was accepted");
                open = expected;
            }
            Err(_) => {
                // Every error ends the connection: start again with a fresh reader.
                assembly = MessageAssembly::new(MAX);
                open = None;
            }
        }
    }
});

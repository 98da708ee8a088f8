//! What a WebSocket reader decides from frames alone (RFC 6455 §5.4, §5.5.1), kept free of IO
//! so that the driver and the fuzzer share it: joining fragments into a message and reading a
//! peer's close frame.

use bytes::BytesMut;

use crate::error::DisconnectCause;
use crate::session::FrameKind;

/// Joins a fragmented message: a text or binary frame starts it, continuation frames extend
/// it, the frame with `fin` completes it. The joined size is bounded and a complete text
/// message must be UTF-8.
#[derive(Debug)]
pub struct MessageAssembly {
    partial: Option<(FrameKind, BytesMut)>,
    max_message_size: usize,
}

impl MessageAssembly {
    /// An assembly that refuses messages longer than `max_message_size` bytes.
    pub fn new(max_message_size: usize) -> Self {
        Self {
            partial: None,
            max_message_size,
        }
    }

    /// Feeds one data frame: `start` is the kind of a text or binary frame, `None` a
    /// continuation. Returns the complete message on its last frame, `None` while a message
    /// is still open, and the cause to disconnect with on a protocol violation.
    #[inline]
    pub fn push(
        &mut self,
        start: Option<FrameKind>,
        fin: bool,
        payload: BytesMut,
    ) -> Result<Option<(FrameKind, BytesMut)>, DisconnectCause> {
        let (kind, message) = match start {
            Some(kind) => {
                // RFC 6455 §5.4: only control frames may come between fragments. Before, a
                // stray start left the old fragments behind for a later continuation.
                if self.partial.take().is_some() {
                    return Err(DisconnectCause::Protocol(
                        "a data frame inside a fragmented message".into(),
                    ));
                }
                if payload.len() > self.max_message_size {
                    return Err(self.too_large());
                }
                (kind, payload)
            }
            None => {
                let Some((kind, mut joined)) = self.partial.take() else {
                    return Err(DisconnectCause::Protocol(
                        "continuation without a start".into(),
                    ));
                };
                if joined.len().saturating_add(payload.len()) > self.max_message_size {
                    return Err(self.too_large());
                }
                joined.extend_from_slice(&payload);
                (kind, joined)
            }
        };
        if !fin {
            self.partial = Some((kind, message));
            return Ok(None);
        }
        if kind == FrameKind::Text && std::str::from_utf8(&message).is_err() {
            return Err(DisconnectCause::Protocol(
                "invalid UTF-8 in a text message".into(),
            ));
        }
        Ok(Some((kind, message)))
    }

    fn too_large(&self) -> DisconnectCause {
        DisconnectCause::MessageTooLarge {
            limit: self.max_message_size,
        }
    }
}

/// The cause a peer's close frame gives: its status code (the first two bytes, big-endian)
/// and reason (the rest, lossily decoded); no code when the payload is shorter than two bytes.
pub fn close_cause(payload: &[u8]) -> DisconnectCause {
    let Some((code, reason)) = payload.split_first_chunk::<2>() else {
        return DisconnectCause::ClosedByPeer {
            code: None,
            reason: String::new(),
        };
    };
    DisconnectCause::ClosedByPeer {
        code: Some(u16::from_be_bytes(*code)),
        reason: String::from_utf8_lossy(reason).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(b: &[u8]) -> BytesMut {
        BytesMut::from(b)
    }

    #[test]
    fn a_single_frame_is_a_message() {
        let mut a = MessageAssembly::new(16);
        let got = a.push(Some(FrameKind::Binary), true, bytes(b"\xff\x00"));
        assert_eq!(got, Ok(Some((FrameKind::Binary, bytes(b"\xff\x00")))));
    }

    #[test]
    fn fragments_are_joined_in_order() {
        let mut a = MessageAssembly::new(16);
        assert_eq!(a.push(Some(FrameKind::Text), false, bytes(b"ab")), Ok(None));
        assert_eq!(a.push(None, false, bytes(b"cd")), Ok(None));
        let got = a.push(None, true, bytes(b"e"));
        assert_eq!(got, Ok(Some((FrameKind::Text, bytes(b"abcde")))));
        // The assembly is empty again: a continuation now has nothing to continue.
        assert!(matches!(
            a.push(None, true, bytes(b"x")),
            Err(DisconnectCause::Protocol(_))
        ));
    }

    /// Found by the `ws_frames` fuzz target: a complete binary frame inside a fragmented
    /// message left the first fragment behind, and a later continuation joined onto it.
    #[test]
    fn a_data_frame_inside_a_fragmented_message_is_a_protocol_error() {
        let mut a = MessageAssembly::new(16);
        assert_eq!(
            a.push(Some(FrameKind::Binary), false, bytes(b"ab")),
            Ok(None)
        );
        assert!(matches!(
            a.push(Some(FrameKind::Binary), true, bytes(b"x")),
            Err(DisconnectCause::Protocol(_))
        ));
        assert!(matches!(
            a.push(None, true, bytes(b"cd")),
            Err(DisconnectCause::Protocol(_))
        ));
    }

    #[test]
    fn the_joined_size_is_bounded() {
        let mut a = MessageAssembly::new(4);
        assert_eq!(
            a.push(Some(FrameKind::Binary), false, bytes(b"abc")),
            Ok(None)
        );
        assert_eq!(
            a.push(None, true, bytes(b"de")),
            Err(DisconnectCause::MessageTooLarge { limit: 4 })
        );
        assert_eq!(
            a.push(Some(FrameKind::Binary), true, bytes(b"abcde")),
            Err(DisconnectCause::MessageTooLarge { limit: 4 })
        );
    }

    #[test]
    fn text_must_be_utf8_once_complete() {
        let mut a = MessageAssembly::new(16);
        // "é" split across two fragments is fine.
        assert_eq!(
            a.push(Some(FrameKind::Text), false, bytes(b"\xc3")),
            Ok(None)
        );
        assert!(matches!(a.push(None, true, bytes(b"\xa9")), Ok(Some(_))));
        assert!(matches!(
            a.push(Some(FrameKind::Text), true, bytes(b"\xc3")),
            Err(DisconnectCause::Protocol(_))
        ));
    }

    #[test]
    fn close_frames_give_code_and_reason() {
        assert_eq!(
            close_cause(b"\x03\xe8bye"),
            DisconnectCause::ClosedByPeer {
                code: Some(1000),
                reason: "bye".into()
            }
        );
        for short in [&b""[..], b"\x03"] {
            assert_eq!(
                close_cause(short),
                DisconnectCause::ClosedByPeer {
                    code: None,
                    reason: String::new()
                }
            );
        }
        let lossy = close_cause(b"\x0f\xa0\xff");
        assert!(matches!(
            lossy,
            DisconnectCause::ClosedByPeer {
                code: Some(4000),
                ..
            }
        ));
    }
}

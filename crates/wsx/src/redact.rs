//! Credentials out of what `wsx` writes down: recordings and error messages.
//!
//! A URL's user and password (`nats://user:password@host`) are shown as
//! `nats://<redacted>@host` ([`redact_userinfo`]).
//!
//! A recording keeps REST bodies so replay can feed them back, but MEXC answers listen-key
//! calls with the key itself (`{"listenKey":"..."}`), which is as good as the account's
//! private stream. Those values are replaced with [`REDACTED`] before a body is written;
//! replay only needs a key to be present, not to be the real one.

use std::borrow::Cow;

/// What a credential is replaced with.
pub const REDACTED: &str = "<redacted>";

/// `url` with its user and password (everything between `scheme://` and `@` in the
/// authority) replaced by [`REDACTED`].
pub fn redact_userinfo(url: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Cow::Borrowed(url);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        None => Cow::Borrowed(url),
        Some(at) => Cow::Owned(format!("{scheme}://{REDACTED}{}", &rest[at..])),
    }
}

/// `text` (an error from a client given `url`) with `url`'s user and password removed
/// wherever they appear.
pub fn scrub_userinfo(text: &str, url: &str) -> String {
    let Some((_, rest)) = url.split_once("://") else {
        return text.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return text.to_owned();
    };
    let userinfo = &rest[..at];
    let mut text = text.to_owned();
    // The whole, then each half: a client may print the user or the password alone.
    for part in std::iter::once(userinfo).chain(userinfo.split(':')) {
        if !part.is_empty() {
            text = text.replace(part, REDACTED);
        }
    }
    text
}

/// JSON members whose string values (or arrays of strings) are credentials.
const SECRET_MEMBERS: [&[u8]; 9] = [
    b"\"listenKey\"",
    b"\"listenKeys\"",
    b"\"signature\"",
    b"\"apiKey\"",
    b"\"api_key\"",
    b"\"secret\"",
    b"\"KEY\"",
    b"\"SIGN\"",
    b"\"token\"",
];

/// `body` with the string values of credential members replaced by [`REDACTED`];
/// borrowed unchanged when it holds none. Anything that is not such a member is kept
/// byte for byte, so bodies that are not JSON pass through.
pub fn redact_json(body: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut pos = 0;
    while let Some(offset) = body
        .get(pos..)
        .and_then(|rest| rest.iter().position(|b| *b == b'"'))
    {
        let start = pos + offset;
        let Some(member) = SECRET_MEMBERS
            .iter()
            .find(|m| body.get(start..).is_some_and(|rest| rest.starts_with(m)))
        else {
            // Skip this whole string so its contents are never taken for a member name.
            pos = string_end(body, start).unwrap_or(body.len());
            continue;
        };
        let after_name = start + member.len();
        let Some(values) = secret_values(body, after_name) else {
            pos = after_name;
            continue;
        };
        let out = out.get_or_insert_with(|| Vec::with_capacity(body.len()));
        for (open, close) in &values {
            out.extend_from_slice(&body[copied..=*open]);
            out.extend_from_slice(REDACTED.as_bytes());
            copied = *close;
        }
        pos = values.last().map_or(after_name, |(_, close)| close + 1);
    }
    match out {
        None => Cow::Borrowed(body),
        Some(mut out) => {
            out.extend_from_slice(&body[copied..]);
            Cow::Owned(out)
        }
    }
}

/// The (opening quote, closing quote) positions of the string value, or of each string
/// in an array value, of the member whose name ends at `pos`.
fn secret_values(body: &[u8], pos: usize) -> Option<Vec<(usize, usize)>> {
    let mut pos = skip_space(body, pos);
    if body.get(pos) != Some(&b':') {
        return None;
    }
    pos = skip_space(body, pos + 1);
    match body.get(pos)? {
        b'"' => Some(vec![(pos, string_end(body, pos)? - 1)]),
        b'[' => {
            let mut values = Vec::new();
            pos = skip_space(body, pos + 1);
            while body.get(pos) == Some(&b'"') {
                let end = string_end(body, pos)?;
                values.push((pos, end - 1));
                pos = skip_space(body, end);
                if body.get(pos) == Some(&b',') {
                    pos = skip_space(body, pos + 1);
                }
            }
            Some(values)
        }
        _ => None,
    }
}

/// The position just past the string that opens at `open`, escapes honoured.
fn string_end(body: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while let Some(byte) = body.get(i) {
        match byte {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn skip_space(body: &[u8], mut pos: usize) -> usize {
    while body.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(body: &str) -> String {
        String::from_utf8_lossy(&redact_json(body.as_bytes())).into_owned()
    }

    #[test]
    fn listen_keys_are_replaced() {
        assert_eq!(
            redacted(r#"{"listenKey":"pqia91ma19a5s61cv6a81va65sdf19v8a65a1"}"#),
            r#"{"listenKey":"<redacted>"}"#
        );
        assert_eq!(
            redacted(r#"{ "listenKeys" : [ "k1", "k\"2" ], "n": 1 }"#),
            r#"{ "listenKeys" : [ "<redacted>", "<redacted>" ], "n": 1 }"#
        );
        assert_eq!(
            redacted(r#"[{"signature":"abc","KEY":"k","SIGN":"s","x":"listenKey"}]"#),
            r#"[{"signature":"<redacted>","KEY":"<redacted>","SIGN":"<redacted>","x":"listenKey"}]"#
        );
    }

    #[test]
    fn url_credentials_are_replaced() {
        assert_eq!(
            redact_userinfo("nats://alice:pw@127.0.0.1:4222/x?a=b@c"),
            "nats://<redacted>@127.0.0.1:4222/x?a=b@c"
        );
        assert_eq!(redact_userinfo("nats://token@h:1"), "nats://<redacted>@h:1");
        assert_eq!(redact_userinfo("nats://h:1/a@b"), "nats://h:1/a@b");
        assert_eq!(redact_userinfo("no scheme@x"), "no scheme@x");
        assert_eq!(
            scrub_userinfo("auth for alice failed (pw)", "nats://alice:pw@h"),
            "auth for <redacted> failed (<redacted>)"
        );
        assert_eq!(scrub_userinfo("refused", "nats://h:1"), "refused");
    }

    #[test]
    fn other_bodies_pass_unchanged() {
        for body in [
            r#"{"lastUpdateId":1,"bids":[["1.10","2"]]}"#,
            r#"{"msg":"the \"listenKey\" is gone"}"#,
            r#"{"listenKey":null}"#,
            r#"{"listenKey":"unterminated"#,
            "not json",
            "",
        ] {
            assert!(
                matches!(redact_json(body.as_bytes()), Cow::Borrowed(_)),
                "{body}"
            );
        }
    }
}

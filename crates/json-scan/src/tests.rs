#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use super::*;

#[test]
fn walks_objects_and_arrays() {
    let text = br#" { "a" : "x\"y" , "b":[1, -2.5e3, true, null, {"c":[]}], "d": {} } "#;
    let mut sc = Scanner::new(text);
    sc.begin_object().unwrap();
    let mut first = true;
    let key = sc.next_key(&mut first).unwrap().unwrap();
    assert_eq!(key.raw, b"a");
    let value = sc.string().unwrap();
    assert!(value.escaped);
    assert_eq!(value.to_text(), "x\"y");
    assert_eq!(sc.next_key(&mut first).unwrap().unwrap().raw, b"b");
    assert!(matches!(sc.value().unwrap(), Value::Array(_)));
    assert_eq!(sc.next_key(&mut first).unwrap().unwrap().raw, b"d");
    sc.skip_value().unwrap();
    assert_eq!(sc.next_key(&mut first).unwrap(), None);
    sc.finish().unwrap();
}

#[test]
fn numbers_keep_their_text() {
    for (text, expect) in [
        (&b"0"[..], &b"0"[..]),
        (b"-1.25e-8,", b"-1.25e-8"),
        (b"40000.36666661111}", b"40000.36666661111"),
        (b"12E+3", b"12E+3"),
    ] {
        assert_eq!(Scanner::new(text).number().unwrap(), expect);
    }
    for text in [&b"-"[..], b"1.", b"1e", b".5", b"-x"] {
        assert!(Scanner::new(text).number().is_err(), "{text:?}");
    }
}

#[test]
fn refuses_bad_grammar() {
    for text in [
        &br#"{"a":1,}"#[..],
        br#"[1,]"#,
        br#"{"a" 1}"#,
        br#"{"a":tru}"#,
        br#"{"a":"\q"}"#,
        br#"{"a":"\u12G4"}"#,
        br#"{"a":[1 2]}"#,
        br#"{"a":1"#,
    ] {
        let mut sc = Scanner::new(text);
        assert!(
            sc.skip_value().and_then(|()| sc.finish()).is_err(),
            "{text:?}"
        );
    }
}

#[test]
fn depth_is_bounded() {
    let deep = "[".repeat(100) + &"]".repeat(100);
    let fault = Scanner::new(deep.as_bytes()).skip_value().unwrap_err();
    assert_eq!(fault.kind, FaultKind::Json(Malformation::TooDeep));
    let fault = Scanner::new(deep.as_bytes())
        .skip_container_fast()
        .unwrap_err();
    assert_eq!(fault.kind, FaultKind::Json(Malformation::TooDeep));
}

#[test]
fn strings_of_every_length_and_escape_position() {
    for len in 0..40 {
        let body: String = (0..len)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let text = format!("\"{body}\",1");
        let mut sc = Scanner::new(text.as_bytes());
        let s = sc.string().unwrap();
        assert_eq!(s.raw, body.as_bytes());
        assert!(!s.escaped);
        assert_eq!(sc.pos(), len + 2);
        for at in 0..len {
            let mut escaped = body.clone();
            escaped.insert_str(at, "\\\"");
            let text = format!("\"{escaped}\",1");
            let mut sc = Scanner::new(text.as_bytes());
            let s = sc.string().unwrap();
            assert!(s.escaped);
            assert_eq!(s.raw, escaped.as_bytes());
            assert_eq!(sc.pos(), escaped.len() + 2);
        }
        let cut = format!("\"{body}");
        assert!(Scanner::new(cut.as_bytes()).string().is_err());
    }
}

#[test]
fn digit_runs_of_every_length() {
    for len in 0..40 {
        for tail in ["", "x", ".5", "e", "/", ":", "\u{80}"] {
            let text = format!("{}{tail}", "7".repeat(len));
            for start in 0..=len {
                assert_eq!(digit_run(text.as_bytes(), start), len, "{text} {start}");
            }
        }
    }
}

/// A bracket count that ends where the grammar-checked skip does on every container
/// the grammar accepts, fast member-by-member path or not.
#[test]
fn lazy_item_skip_ends_where_the_grammar_does() {
    let texts = [
        &br#"[]"#[..],
        br#"[{}]"#,
        br#"[{"size":-108,"id":27753479,"price":"96.4","is_internal":true,"x":null},{"a":false}]"#,
        br#"[{"a":1.5,"b":"]}\"{["},{"c":[1,{"d":"}"}],"e":1e3}]"#,
        br#"[ {"a" : 1} , {"b":"x\\"} ]"#,
        br#"{"size":1,"id":2}"#,
        br#"[{"a":"]"},{"b":0}]"#,
        br#"[{"k":"long string value over eight bytes","kk":"\\\\"}]"#,
    ];
    for text in texts {
        let mut padded = text.to_vec();
        padded.extend_from_slice(br#","tail":[1]}"#);
        let mut lazy = Scanner::new(&padded);
        let span = lazy.skip_items_lazy().unwrap();
        let mut strict = Scanner::new(&padded);
        strict.skip_value().unwrap();
        assert_eq!(span.end, strict.pos(), "{}", String::from_utf8_lossy(text));
        assert_eq!(lazy.pos(), strict.pos());
        // Cut short anywhere inside, the count never ends.
        for cut in 0..text.len() {
            let cut = text.get(..cut).unwrap();
            assert!(Scanner::new(cut).skip_items_lazy().is_err(), "{cut:?}");
        }
    }
    // Mutations: whenever the grammar accepts the container, the count agrees.
    let base = br#"[{"size":-108,"id":27753479,"create_time":1545136464,"price":"96.4","contract":"BTC_USD","is_internal":true},{"a":[1,{"b":"""}]}],"x":[]}"#;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let structural = b"{}[]\",:\\-.0e t";
    for _ in 0..20_000 {
        let mut text = base.to_vec();
        for _ in 0..1 + next() % 3 {
            let at = (next() % text.len() as u64) as usize;
            text[at] = structural[(next() % structural.len() as u64) as usize];
        }
        // Callers only hand it containers.
        let container = matches!(text.first(), Some(b'[' | b'{'));
        let mut strict = Scanner::new(&text);
        if container && strict.skip_value().is_ok() {
            let mut lazy = Scanner::new(&text);
            let span = lazy.skip_items_lazy().unwrap();
            assert_eq!(span.end, strict.pos(), "{}", String::from_utf8_lossy(&text));
        }
    }
}

#[test]
fn fast_skip_honours_strings() {
    let text = br#"[["1]", "2"], ["3", "4\"]"]], "next""#;
    let mut sc = Scanner::new(text);
    let span = sc.skip_container_fast().unwrap();
    assert_eq!(
        &text[span.start..span.end],
        br#"[["1]", "2"], ["3", "4\"]"]]"#
    );
}

#[test]
fn eat_member_takes_only_the_exact_key() {
    let text = br#"{"a":1,"bc":2, "d":3,"e" :4}"#;
    let mut sc = Scanner::new(text);
    sc.begin_object().unwrap();
    let mut first = true;
    // The first member has no comma; a different key consumes nothing.
    assert!(!sc.eat_member(&mut first, b",\"b\":"));
    assert!(first);
    assert!(sc.eat_member(&mut first, b",\"a\":"));
    assert!(!first);
    assert_eq!(sc.number().unwrap(), b"1");
    // A prefix of the key is not the key.
    assert!(!sc.eat_member(&mut first, b",\"b\":"));
    assert!(sc.eat_member(&mut first, b",\"bc\":"));
    sc.skip_value().unwrap();
    // Whitespace is left to next_key, which reads the same member.
    let at = sc.pos();
    assert!(!sc.eat_member(&mut first, b",\"d\":"));
    assert_eq!(sc.pos(), at);
    assert_eq!(sc.next_key(&mut first).unwrap().unwrap().raw, b"d");
    sc.skip_value().unwrap();
    assert!(!sc.eat_member(&mut first, b",\"e\":"));
    assert_eq!(sc.next_key(&mut first).unwrap().unwrap().raw, b"e");
    sc.skip_value().unwrap();
    // At the end (and past it) nothing matches.
    assert!(!sc.eat_member(&mut first, b",\"e\":"));
    assert_eq!(sc.next_key(&mut first).unwrap(), None);
    assert!(!sc.eat_member(&mut first, b",\"e\":"));
}

/// The word-at-a-time comparison of `eat_member` agrees with a byte comparison for every
/// key length, a difference at every byte, and keys cut off by the end of the input.
#[test]
fn eat_member_compares_every_byte_of_every_length() {
    for key_len in 0..24 {
        let key: String = (0..key_len).map(|i| char::from(b'a' + i as u8)).collect();
        let pattern = format!(",\"{key}\":");
        for first in [false, true] {
            let expected = if first { &pattern[1..] } else { &pattern[..] };
            // The exact member, then one byte changed at each place.
            let mut texts = vec![format!("{expected}1}}").into_bytes()];
            for at in 0..expected.len() {
                let mut text = format!("{expected}1}}").into_bytes();
                text[at] ^= 0x01;
                texts.push(text);
            }
            // Cut short: the member does not fit.
            for cut in 0..expected.len() {
                texts.push(expected.as_bytes()[..cut].to_vec());
            }
            for text in texts {
                let mut sc = Scanner::new(&text);
                let mut flag = first;
                let want = text.starts_with(expected.as_bytes());
                assert_eq!(
                    sc.eat_member(&mut flag, pattern.as_bytes()),
                    want,
                    "{pattern} {first} {}",
                    String::from_utf8_lossy(&text)
                );
                assert_eq!(sc.pos(), if want { expected.len() } else { 0 });
                assert_eq!(flag, first && !want);
            }
        }
    }
}

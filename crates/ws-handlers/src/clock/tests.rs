use std::time::{Duration, Instant};

use ws_session::{RestFailure, RestReply, RestRequestId, Timestamp};

use super::*;

fn at(unix_ms: u64) -> Timestamp {
    Timestamp::new(Instant::now(), unix_ms * 1_000_000)
}

fn ok(body: &str) -> Result<RestReply, RestFailure> {
    Ok(RestReply {
        status: 200,
        retry_after: None,
        body: body.as_bytes().to_vec().into(),
    })
}

fn clock() -> VenueClock {
    VenueClock::new(TimeEndpoint {
        url: "http://127.0.0.1:1/api/v4/spot/time".into(),
        field: "server_time",
    })
}

#[test]
fn a_venue_ninety_seconds_ahead_moves_every_signer() {
    let mut clock = clock();
    let signer = clock.offset();
    assert!(clock.needs_measurement());
    let request = clock.request(RestRequestId(7), at(1_000_000));
    assert_eq!(request.url, "http://127.0.0.1:1/api/v4/spot/time");
    assert!(request.headers.is_empty());
    assert!(clock.owns(RestRequestId(7)));
    // Sent at 1 000 000, answered at 1 000 200: the venue said 1 090 100 at the midpoint.
    let update = clock.on_response(
        RestRequestId(7),
        &ok(r#"{"server_time": 1090100}"#),
        at(1_000_200),
    );
    assert_eq!(
        update,
        Some(ClockUpdate::Measured {
            offset_ms: 90_000,
            report: true
        })
    );
    assert!(!clock.needs_measurement());
    assert!(clock.is_fresh());
    assert_eq!(signer.millis(), 90_000);
    clock.on_disconnected();
    assert!(!clock.is_fresh());
    assert!(
        !clock.needs_measurement(),
        "measured once; kept across connections"
    );
    assert_eq!(signer.venue_millis(at(2_000_000)), 2_090_000);
    assert_eq!(signer.venue_seconds(at(2_000_000)), 2_090);
}

#[test]
fn the_offset_is_reported_again_only_when_it_moves_materially() {
    let mut clock = clock();
    let mut measure = |server_ms: u64| {
        let id = RestRequestId(server_ms);
        clock.request(id, at(1_000_000));
        clock.on_response(
            id,
            &ok(&format!(r#"{{"serverTime":{server_ms}}}"#).replace("serverTime", "server_time")),
            at(1_000_000),
        )
    };
    assert!(matches!(
        measure(1_090_000),
        Some(ClockUpdate::Measured { report: true, .. })
    ));
    assert!(matches!(
        measure(1_090_400),
        Some(ClockUpdate::Measured { report: false, .. })
    ));
    assert!(matches!(
        measure(1_089_300),
        Some(ClockUpdate::Measured { report: false, .. })
    ));
    assert!(matches!(
        measure(1_088_900),
        Some(ClockUpdate::Measured {
            offset_ms: 88_900,
            report: true
        })
    ));
}

#[test]
fn stale_after_an_expired_request_and_measured_again() {
    let mut clock = clock();
    clock.request(RestRequestId(1), at(10));
    // Not stale while measuring: the answer in flight settles it.
    clock.mark_stale();
    assert!(!clock.needs_measurement());
    clock.on_response(RestRequestId(1), &ok(r#"{"server_time":10}"#), at(10));
    assert!(!clock.is_stale());
    clock.mark_stale();
    assert!(clock.is_stale());
    assert!(clock.needs_measurement());
}

#[test]
fn unusable_answers_keep_the_offset_in_force() {
    let mut clock = clock();
    let signer = clock.offset();
    clock.request(RestRequestId(1), at(1_000));
    clock.on_response(RestRequestId(1), &ok(r#"{"server_time":61000}"#), at(1_000));
    assert_eq!(signer.millis(), 60_000);
    for body in [
        r#"{"server_time":"x"}"#,
        r#"{"server_time":-5}"#,
        r#"{"other":5}"#,
        r#"{"server_time":99999999999999999999999}"#,
        r#"{"server_time":18446744073709551615}"#,
        r#"{"server_time":"123"#,
        "",
        "\"server_time\"",
    ] {
        clock.request(RestRequestId(2), at(1_000));
        let update = clock.on_response(RestRequestId(2), &ok(body), at(1_000));
        assert!(
            matches!(update, Some(ClockUpdate::Failed(_))),
            "{body}: {update:?}"
        );
        assert_eq!(signer.millis(), 60_000, "{body}");
    }
    clock.request(RestRequestId(3), at(1_000));
    let refused = Ok(RestReply {
        status: 503,
        retry_after: Some(Duration::from_secs(1)),
        body: Default::default(),
    });
    assert!(matches!(
        clock.on_response(RestRequestId(3), &refused, at(1_000)),
        Some(ClockUpdate::Failed(_))
    ));
    clock.request(RestRequestId(4), at(1_000));
    let failed = Err(RestFailure::Connect("refused".into()));
    assert!(matches!(
        clock.on_response(RestRequestId(4), &failed, at(1_000)),
        Some(ClockUpdate::Failed(_))
    ));
    // Tried: not asked again on every connection.
    assert!(!clock.needs_measurement());
    assert_eq!(signer.millis(), 60_000);
}

#[test]
fn quoted_times_are_read_and_other_ids_ignored() {
    let mut clock = clock();
    clock.request(RestRequestId(5), at(1_000));
    assert_eq!(
        clock.on_response(
            RestRequestId(6),
            &ok(r#"{"server_time":"2000"}"#),
            at(1_000)
        ),
        None
    );
    assert_eq!(
        clock.on_response(
            RestRequestId(5),
            &ok(r#"{ "server_time" : "2000" }"#),
            at(1_000)
        ),
        Some(ClockUpdate::Measured {
            offset_ms: 1_000,
            report: true
        })
    );
}

#[test]
fn shifting_saturates_at_both_ends() {
    let offset = ClockOffset::new();
    offset.set(i64::MAX);
    assert_eq!(offset.venue_time(at(5)).unix_nanos, u64::MAX);
    offset.set(i64::MIN);
    assert_eq!(offset.venue_time(at(5)).unix_nanos, 0);
    // An answer within a day of local time is used; beyond, refused.
    let mut clock = clock();
    clock.request(RestRequestId(1), at(0));
    assert!(matches!(
        clock.on_response(RestRequestId(1), &ok(r#"{"server_time":86400001}"#), at(0)),
        Some(ClockUpdate::Failed(_))
    ));
}

#[test]
fn a_disconnect_forgets_the_answer_in_flight() {
    let mut clock = clock();
    clock.request(RestRequestId(1), at(0));
    clock.on_disconnected();
    assert!(clock.needs_measurement());
    assert!(!clock.is_fresh());
    assert_eq!(
        clock.on_response(RestRequestId(1), &ok(r#"{"server_time":5}"#), at(0)),
        None
    );
}

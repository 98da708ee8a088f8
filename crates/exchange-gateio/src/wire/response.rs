//! Acknowledgements, venue errors and WebSocket API responses.

use market_types::Symbol;

use super::envelope::{Decoded, Envelope, Event};
use super::read;
use super::{Ack, ApiResponse, LoginResponse, Message, RateLimit};
use crate::error::{Context, Error, ErrorCode, FieldError, Snippet};
use crate::json::{Fault, JsonStr, Scanner, Span, Value};
use crate::venue::{Channel, RequestEvent};

pub(super) fn ack(
    channel: Channel,
    event: RequestEvent,
    env: &Envelope<'_>,
) -> Result<Message<'static>, Error> {
    let failed = matches!(env.result, Some(Decoded::Status(Some(false))));
    if env.error.is_some() || failed {
        let (code, message) = match env.error {
            Some((code, message)) => (ErrorCode::from_code(code), message.to_text()),
            None => (ErrorCode::Other(0), "result status fail".to_string()),
        };
        return Err(Error::Rejected {
            channel,
            event,
            pair: env.pair,
            id: env.id,
            code,
            message,
        });
    }
    Ok(Message::Ack(Ack {
        channel,
        event,
        id: env.id,
        pair: env.pair,
        time_ms: env
            .time_ms
            .or_else(|| env.time_s.and_then(|s| s.checked_mul(1000))),
    }))
}

pub(super) fn event(sc: &mut Scanner<'_>) -> Result<Event, Fault> {
    read::word(sc, "event").map(Event::from_raw)
}

/// `error`: `null` or `{"code":2,"message":"…"}`.
pub(super) fn error_member<'a>(sc: &mut Scanner<'a>) -> Result<Option<(i64, JsonStr<'a>)>, Fault> {
    let at = sc.pos();
    if sc.null()? {
        return Ok(None);
    }
    if sc.peek()? != b'{' {
        sc.skip_value()?;
        return Err(Fault::invalid("error", FieldError::ExpectedObject, at));
    }
    sc.begin_object()?;
    let mut first = true;
    let mut code = None;
    let mut message = None;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"code" => code = Some(read::int(sc, "code")?),
            b"message" => message = Some(read::text(sc, "message")?),
            _ => sc.skip_value()?,
        }
    }
    let empty = JsonStr {
        raw: b"",
        escaped: false,
        at,
    };
    Ok(Some((code.unwrap_or(0), message.unwrap_or(empty))))
}

/// The pair an ack's echoed payload names: `["BTC_USDT","100ms"]`, `["ob.BTC_USDT.400"]`,
/// `["20011","BTC_USD"]` (a futures user id comes first).
pub(super) fn payload_pair(sc: &mut Scanner<'_>) -> Result<Option<Symbol>, Fault> {
    if sc.peek()? != b'[' {
        sc.skip_value()?;
        return Ok(None);
    }
    sc.begin_array()?;
    let mut first = true;
    let mut found = None;
    while sc.next_item(&mut first)? {
        match sc.value()? {
            Value::Str(s) if found.is_none() => {
                let raw = s.plain().unwrap_or_default();
                let name = match raw.strip_prefix(b"ob.") {
                    Some(rest) => rest
                        .iter()
                        .rposition(|&b| b == b'.')
                        .and_then(|dot| rest.get(..dot))
                        .unwrap_or(rest),
                    None => raw,
                };
                let is_word = name.first().is_some_and(u8::is_ascii_alphabetic);
                if is_word && !name.ends_with(b"ms") {
                    found = Symbol::from_bytes(name).ok();
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

pub(super) fn object_span(sc: &mut Scanner<'_>, field: &'static str) -> Result<Span, Fault> {
    let at = sc.pos();
    if sc.peek()? != b'{' {
        sc.skip_value()?;
        return Err(Fault::invalid(field, FieldError::ExpectedObject, at));
    }
    let start = sc.pos();
    sc.skip_value()?;
    Ok(Span {
        start,
        end: sc.pos(),
    })
}

/// A WebSocket API response (spec §3.8).
pub(super) fn api_response<'a>(
    frame: &'a [u8],
    env: &Envelope<'a>,
) -> Result<Result<Message<'a>, Error>, Fault> {
    let request_id = env
        .request_id
        .and_then(|s| core::str::from_utf8(s.raw).ok())
        .unwrap_or("");
    let mut status = 0u16;
    let mut channel_name: &'a [u8] = b"";
    let mut response_time_ms = None;
    let mut rate = RateLimit {
        remaining: None,
        limit: None,
        reset_ms: None,
    };
    if let Some(span) = env.header {
        let mut sc = Scanner::at(frame, span.start);
        sc.begin_object()?;
        let mut first = true;
        while let Some(key) = sc.next_key(&mut first)? {
            match key.raw {
                b"status" => {
                    let at = sc.pos();
                    status = u16::try_from(read::uint(&mut sc, "status")?)
                        .map_err(|_| Fault::invalid("status", FieldError::OutOfRange, at))?;
                }
                b"channel" => channel_name = read::word(&mut sc, "channel")?,
                b"response_time" => {
                    response_time_ms = Some(read::millis(&mut sc, "response_time")?);
                }
                b"x_gate_ratelimit_requests_remain" => {
                    rate.remaining = Some(read::uint(&mut sc, "x_gate_ratelimit_requests_remain")?);
                }
                b"x_gate_ratelimit_limit" => {
                    rate.limit = Some(read::uint(&mut sc, "x_gate_ratelimit_limit")?);
                }
                // The docs' table spells it `x_gat_…`, the examples `x_gate_…`.
                b"x_gate_ratelimit_reset_timestamp" | b"x_gat_ratelimit_reset_timestamp" => {
                    rate.reset_ms =
                        Some(read::millis(&mut sc, "x_gate_ratelimit_reset_timestamp")?);
                }
                _ => sc.skip_value()?,
            }
        }
    }
    let channel = Channel::from_wire(channel_name);
    let mut result = None;
    let mut errs = None;
    if let Some(span) = env.data {
        let mut sc = Scanner::at(frame, span.start);
        sc.begin_object()?;
        let mut first = true;
        while let Some(key) = sc.next_key(&mut first)? {
            match key.raw {
                b"result" => {
                    let start = sc.pos();
                    sc.skip_value()?;
                    let mut start = start;
                    while matches!(frame.get(start), Some(b' ' | b'\n' | b'\r' | b'\t')) {
                        start += 1;
                    }
                    result = frame.get(start..sc.pos());
                }
                b"errs" => errs = Some(api_errs(&mut sc)?),
                _ => sc.skip_value()?,
            }
        }
    }
    if errs.is_some() || (status != 0 && status != 200) {
        let (label, message) = errs.unwrap_or_default();
        return Ok(Err(Error::Api {
            channel,
            request_id: request_id.to_string(),
            status,
            label,
            message,
        }));
    }
    let channel_str = core::str::from_utf8(channel_name).unwrap_or("");
    if let Some(login @ (Channel::SpotLogin | Channel::FuturesLogin)) = channel {
        let uid = match result {
            Some(bytes) => login_uid(bytes)?,
            None => None,
        };
        return Ok(Ok(Message::Login(LoginResponse {
            market: login.market(),
            request_id,
            uid,
            response_time_ms,
        })));
    }
    let has_rate = rate.remaining.is_some() || rate.limit.is_some() || rate.reset_ms.is_some();
    Ok(Ok(Message::Api(ApiResponse {
        channel: channel_str,
        request_id,
        ack: env.ack,
        status,
        response_time_ms,
        rate_limit: has_rate.then_some(rate),
        result,
    })))
}

pub(super) fn api_errs(sc: &mut Scanner<'_>) -> Result<(String, String), Fault> {
    let at = sc.pos();
    if sc.peek()? != b'{' {
        sc.skip_value()?;
        return Err(Fault::invalid("errs", FieldError::ExpectedObject, at));
    }
    sc.begin_object()?;
    let mut first = true;
    let (mut label, mut message) = (String::new(), String::new());
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"label" => label = read::text(sc, "label")?.to_text(),
            b"message" => message = read::text(sc, "message")?.to_text(),
            _ => sc.skip_value()?,
        }
    }
    Ok((label, message))
}

/// `uid` of a login result (`{"api_key":"…","uid":"110284739"}`); `bytes` is a slice of
/// the frame, so offsets in faults are relative to it.
pub(super) fn login_uid(bytes: &[u8]) -> Result<Option<u64>, Fault> {
    let mut sc = Scanner::new(bytes);
    if sc.peek()? != b'{' {
        return Ok(None);
    }
    sc.begin_object()?;
    let mut first = true;
    let mut uid = None;
    while let Some(key) = sc.next_key(&mut first)? {
        if key.raw == b"uid" {
            uid = Some(read::uint(&mut sc, "uid")?);
        } else {
            sc.skip_value()?;
        }
    }
    Ok(uid)
}

pub(super) fn context(frame: &[u8], at: usize, channel: Option<Channel>) -> Context {
    Context {
        channel,
        pair: None,
        snippet: Snippet::around(frame, at),
    }
}

/// Offset of `needle` (a sub-slice of `frame`) in `frame`, for error snippets.
pub(super) fn find(frame: &[u8], needle: &[u8]) -> usize {
    let base = frame.as_ptr() as usize;
    let at = needle.as_ptr() as usize;
    at.checked_sub(base)
        .filter(|&o| o <= frame.len())
        .unwrap_or(0)
}

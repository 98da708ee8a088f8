//! What a venue answers to a client's control request, in its own format: enough of Gate.io
//! and MEXC to confirm subscriptions and answer pings, for the handler workloads (which
//! drive a handler to a live state without sockets) and the e2e feed venue.

use serde_json::{Value, json};

/// A Gate.io answer to `request` (spec §3.1, §3.3): an ack echoing the request id, channel
/// and payload, or a pong. `None` for anything else. The flag says whether it confirmed a
/// subscription.
pub fn gateio(request: &str) -> Option<(String, bool)> {
    let request: Value = serde_json::from_str(request).ok()?;
    let channel = request.get("channel")?.as_str()?;
    let time = request.get("time").and_then(Value::as_u64).unwrap_or(0);
    if channel.ends_with(".ping") {
        let pong = json!({"time": time, "channel": channel.replace("ping", "pong"),
            "event": "", "error": null, "result": null});
        return Some((pong.to_string(), false));
    }
    let event = request.get("event")?.as_str()?;
    let ack = json!({"time": time, "time_ms": time * 1000, "id": request.get("id"),
        "channel": channel, "event": event, "payload": request.get("payload"),
        "error": null, "result": {"status": "success"}});
    Some((ack.to_string(), event == "subscribe"))
}

/// A MEXC answer to `request` (spec §1.4): `{"id":N,"code":0,"msg":"<channels>"}` or the
/// PONG. The flag says whether it confirmed a subscription.
pub fn mexc(request: &str) -> Option<(String, bool)> {
    let request: Value = serde_json::from_str(request).ok()?;
    let id = request.get("id").and_then(Value::as_i64).unwrap_or(0);
    match request.get("method")?.as_str()? {
        "PING" => Some((
            json!({"id": id, "code": 0, "msg": "PONG"}).to_string(),
            false,
        )),
        method => {
            let params = request.get("params")?.as_array()?;
            let msg: Vec<&str> = params.iter().filter_map(Value::as_str).collect();
            let ack = json!({"id": id, "code": 0, "msg": msg.join(",")});
            Some((ack.to_string(), method == "SUBSCRIPTION"))
        }
    }
}

//! `wsx`: exchange WebSocket connectivity from the command line, as a library so that the
//! pieces can be tested on their own. The binary (`main.rs`) is the command-line front.
//!
//! - [`event`]: the normalized output events and their jsonl form, and [`event::EventSink`],
//!   the callbacks every venue handler is given;
//! - [`tap`]: [`tap::RecordTap`], what happens around every venue handler's inputs
//!   (recording, a test fault): live as the client library's input tap, in replay inside
//!   the library's session wrapper ([`tap::ReplayTap`]);
//! - [`venue`]: venues, channels and symbols as the command line names them;
//! - [`group`]: the venue handlers a plan becomes, for replay and the recording header;
//! - [`record`]: the recording format; [`replayer`]: the replay engine; [`replay`]:
//!   `wsx replay`;
//! - [`run`]: live runs on [`exchange_ws::Client`] (status, failure messages, event
//!   delivery, the final books); [`stream`]: `stream`/`record`;
//! - [`output`]: jsonl and table printing; [`metrics`]: the Prometheus exporter;
//!   [`nats`]: the NATS publisher and `wsx subscribe`; [`demo`]: the offline demo.

pub mod demo;
pub mod event;
pub mod group;
pub mod metrics;
pub mod nats;
pub mod output;
pub mod record;
pub mod redact;
pub mod replay;
pub mod replayer;
pub mod run;
pub mod stream;
pub mod tap;
pub mod venue;

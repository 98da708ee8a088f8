//! The recording format of `wsx record`, read back by `wsx replay`.
//!
//! A recording holds every input the venue sessions were given, in the order they were
//! given, so that replay can drive the same session types through the same calls and get
//! the same books and events. All integers are little-endian.
//!
//! ```text
//! file    := magic header record*
//! magic   := "WSXREC" 0x00 0x01                      (8 bytes; the last byte is the version)
//! header  := len:u32 json:len bytes                   (UTF-8 JSON, see `Header`)
//! record  := len:u32 body:len bytes
//! body    := tag:u8 shard:u16 conn:u32 mono_ns:u64 unix_ns:u64 payload
//! ```
//!
//! `shard` is the session's index in the header's `shards` list, `conn` counts that
//! session's connections (1 for the first socket, 0 before any), `mono_ns` is monotonic time
//! since the recording started and `unix_ns` wall-clock time (the frame's receive time for
//! frames). Payloads by tag:
//!
//! | tag | input | payload |
//! |---|---|---|
//! | 1 | `on_frame` | `kind:u8` (0 text, 1 binary), the frame bytes |
//! | 2 | `on_rest_response` | `id:u64 outcome:u8`; outcome 0 (HTTP): `status:u16 retry_after_ms:u64` (`u64::MAX` = none) `url_len:u16 url` (query credentials redacted) body bytes (listen keys and other credential members redacted); outcomes 1 connect, 2 transport, 3 body too large, 4 overloaded: `url_len:u16 url` UTF-8 message |
//! | 3 | `on_connected` | none |
//! | 4 | `on_disconnected` | the cause as JSON |
//! | 5 | `on_tick` | none |
//! | 6 | `on_app_ping` | none |
//! | 7 | `ready_to_connect` | none |
//! | 8 | `on_close` | none |
//!
//! A recording cut short (the process was killed) ends at the last complete record.
//! Recordings are created readable by their owner only ([`create_file`]).

use std::io::{self, Read, Write};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::redact::redact_json;
use ws_core::{DisconnectCause, FrameKind, RestFailure, RestReply, RestRequestId, RestResponse};

/// The first 8 bytes of every recording.
pub const MAGIC: [u8; 8] = *b"WSXREC\x00\x01";
/// The format version in [`MAGIC`] and the header.
pub const FORMAT_VERSION: u32 = 1;

/// What was recorded, and how to rebuild the sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT_VERSION`].
    pub format: u32,
    /// The `wsx` version that wrote it.
    pub wsx_version: String,
    /// Venue name (`gateio-spot`, ...).
    pub venue: String,
    /// Symbols in the venue's spelling.
    pub symbols: Vec<String>,
    /// Channel names as given to `--channels`.
    pub channels: Vec<String>,
    /// `--depth`.
    pub depth: Option<u32>,
    /// `--levels`.
    pub levels: usize,
    /// WebSocket URL streamed from.
    pub ws_url: String,
    /// REST base URL.
    pub rest_url: String,
    /// The sessions, in shard order (`"public"` / `"private"` and how many channels).
    pub shards: Vec<ShardInfo>,
    /// Wall-clock start, ns since the Unix epoch.
    pub started_unix_ns: u64,
    /// The sessions ran with the demo's short timers.
    #[serde(default)]
    pub fast_timers: bool,
}

/// One recorded session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// `public` or `private`.
    pub role: String,
    /// Its index within its role (a MEXC pool has several public shards).
    pub index: usize,
}

/// One recorded session input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Which session.
    pub shard: u16,
    /// That session's connection number.
    pub conn: u32,
    /// Monotonic time since the recording started.
    pub mono: Duration,
    /// Wall-clock time, ns since the Unix epoch.
    pub unix_ns: u64,
    /// The input.
    pub input: Input,
}

/// A session input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A complete inbound message.
    Frame {
        /// Text or binary.
        kind: FrameKind,
        /// The bytes.
        payload: Bytes,
    },
    /// A REST answer.
    Rest {
        /// The request's URL, credentials in the query redacted.
        url: String,
        /// The answer.
        response: RestResponse,
    },
    /// The socket opened.
    Connected,
    /// The socket closed.
    Disconnected(CauseRecord),
    /// A timer tick.
    Tick,
    /// Time for the application ping.
    AppPing,
    /// Asked whether it may connect.
    ReadyToConnect,
    /// Closing for good.
    Close,
}

/// A [`DisconnectCause`] in a form that survives a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum CauseRecord {
    /// `ClosedByPeer`.
    ClosedByPeer {
        /// Close code.
        code: Option<u16>,
        /// Close reason.
        reason: String,
    },
    /// `IdleTimeout`.
    IdleTimeout {
        /// The timeout in ms.
        ms: u64,
    },
    /// `MessageTooLarge`.
    MessageTooLarge {
        /// The limit.
        limit: usize,
    },
    /// `UserRequested`.
    UserRequested,
    /// `SessionRequested`.
    SessionRequested {
        /// Why.
        reason: String,
    },
    /// `AuthenticationFailed`.
    AuthenticationFailed {
        /// Why.
        reason: String,
    },
    /// `Fatal`.
    Fatal {
        /// Why.
        reason: String,
    },
    /// `Protocol`.
    Protocol {
        /// What.
        detail: String,
    },
    /// Anything else that ends an open socket (EOF, reset, send failure, overflow).
    Lost {
        /// The cause as text.
        detail: String,
    },
}

impl CauseRecord {
    /// Captures a cause.
    pub fn from_cause(cause: &DisconnectCause) -> Self {
        match cause {
            DisconnectCause::ClosedByPeer { code, reason } => CauseRecord::ClosedByPeer {
                code: *code,
                reason: reason.clone(),
            },
            DisconnectCause::IdleTimeout(d) => CauseRecord::IdleTimeout {
                ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            },
            DisconnectCause::MessageTooLarge { limit } => {
                CauseRecord::MessageTooLarge { limit: *limit }
            }
            DisconnectCause::UserRequested => CauseRecord::UserRequested,
            DisconnectCause::SessionRequested(reason) => CauseRecord::SessionRequested {
                reason: reason.clone(),
            },
            DisconnectCause::AuthenticationFailed(reason) => CauseRecord::AuthenticationFailed {
                reason: reason.clone(),
            },
            DisconnectCause::Fatal(reason) => CauseRecord::Fatal {
                reason: reason.clone(),
            },
            DisconnectCause::Protocol(detail) => CauseRecord::Protocol {
                detail: detail.clone(),
            },
            other => CauseRecord::Lost {
                detail: other.to_string(),
            },
        }
    }

    /// The cause again (causes that were only kept as text come back as `ConnectionLost`).
    pub fn to_cause(&self) -> DisconnectCause {
        match self {
            CauseRecord::ClosedByPeer { code, reason } => DisconnectCause::ClosedByPeer {
                code: *code,
                reason: reason.clone(),
            },
            CauseRecord::IdleTimeout { ms } => {
                DisconnectCause::IdleTimeout(Duration::from_millis(*ms))
            }
            CauseRecord::MessageTooLarge { limit } => {
                DisconnectCause::MessageTooLarge { limit: *limit }
            }
            CauseRecord::UserRequested => DisconnectCause::UserRequested,
            CauseRecord::SessionRequested { reason } => {
                DisconnectCause::SessionRequested(reason.clone())
            }
            CauseRecord::AuthenticationFailed { reason } => {
                DisconnectCause::AuthenticationFailed(reason.clone())
            }
            CauseRecord::Fatal { reason } => DisconnectCause::Fatal(reason.clone()),
            CauseRecord::Protocol { detail } => DisconnectCause::Protocol(detail.clone()),
            CauseRecord::Lost { detail } => DisconnectCause::ConnectionLost(detail.clone()),
        }
    }
}

/// Creates (or truncates) a recording file readable and writable by its owner only:
/// a private stream's recording is account data.
pub fn create_file(path: &std::path::Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let file = options.open(path)?;
        // `mode` applies only to a new file; an existing one keeps its permissions.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

/// Writes a recording.
#[derive(Debug)]
pub struct RecordWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    records: u64,
    bytes: u64,
}

impl<W: Write> RecordWriter<W> {
    /// Writes the magic and the header.
    pub fn new(mut out: W, header: &Header) -> io::Result<Self> {
        let json = serde_json::to_vec(header).map_err(io::Error::other)?;
        out.write_all(&MAGIC)?;
        out.write_all(&len_u32(json.len())?.to_le_bytes())?;
        out.write_all(&json)?;
        Ok(Self {
            out,
            buf: Vec::with_capacity(4096),
            records: 0,
            bytes: (MAGIC.len() + 4 + json.len()) as u64,
        })
    }

    /// Appends one record.
    pub fn write(&mut self, record: &RecordRef<'_>) -> io::Result<()> {
        let buf = &mut self.buf;
        buf.clear();
        buf.extend_from_slice(&[0; 4]);
        buf.push(record.input.tag());
        buf.extend_from_slice(&record.shard.to_le_bytes());
        buf.extend_from_slice(&record.conn.to_le_bytes());
        let mono = u64::try_from(record.mono.as_nanos()).unwrap_or(u64::MAX);
        buf.extend_from_slice(&mono.to_le_bytes());
        buf.extend_from_slice(&record.unix_ns.to_le_bytes());
        match record.input {
            InputRef::Frame { kind, payload } => {
                buf.push(match kind {
                    FrameKind::Text => 0,
                    FrameKind::Binary => 1,
                });
                buf.extend_from_slice(payload);
            }
            InputRef::Rest { url, response } => {
                buf.extend_from_slice(&response.id.0.to_le_bytes());
                let url = url.as_bytes();
                let url = &url[..url.len().min(usize::from(u16::MAX))];
                match &response.result {
                    Ok(reply) => {
                        buf.push(0);
                        buf.extend_from_slice(&reply.status.to_le_bytes());
                        let retry = reply.retry_after.map_or(u64::MAX, |d| {
                            u64::try_from(d.as_millis()).unwrap_or(u64::MAX - 1)
                        });
                        buf.extend_from_slice(&retry.to_le_bytes());
                        push_str16(buf, url);
                        buf.extend_from_slice(&redact_json(&reply.body));
                    }
                    Err(failure) => {
                        let (code, text) = match failure {
                            RestFailure::Connect(t) => (1, t.as_str()),
                            RestFailure::Transport(t) => (2, t.as_str()),
                            RestFailure::BodyTooLarge => (3, ""),
                            RestFailure::Overloaded => (4, ""),
                        };
                        buf.push(code);
                        push_str16(buf, url);
                        buf.extend_from_slice(text.as_bytes());
                    }
                }
            }
            InputRef::Disconnected(cause) => {
                let json = serde_json::to_vec(&CauseRecord::from_cause(cause))
                    .map_err(io::Error::other)?;
                buf.extend_from_slice(&json);
            }
            InputRef::Connected
            | InputRef::Tick
            | InputRef::AppPing
            | InputRef::ReadyToConnect
            | InputRef::Close => {}
        }
        let len = len_u32(buf.len() - 4)?;
        buf[..4].copy_from_slice(&len.to_le_bytes());
        self.out.write_all(buf)?;
        self.records += 1;
        self.bytes += buf.len() as u64;
        Ok(())
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Bytes written so far, header included.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Flushes buffered bytes.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A record to write, borrowing the frame it came from.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    /// Which session.
    pub shard: u16,
    /// Its connection number.
    pub conn: u32,
    /// Monotonic time since the start.
    pub mono: Duration,
    /// Wall-clock ns.
    pub unix_ns: u64,
    /// The input.
    pub input: InputRef<'a>,
}

/// A borrowed [`Input`].
#[derive(Debug, Clone, Copy)]
pub enum InputRef<'a> {
    /// A frame.
    Frame {
        /// Text or binary.
        kind: FrameKind,
        /// Its bytes.
        payload: &'a [u8],
    },
    /// A REST answer.
    Rest {
        /// The request URL, redacted.
        url: &'a str,
        /// The answer.
        response: &'a RestResponse,
    },
    /// Opened.
    Connected,
    /// Closed.
    Disconnected(&'a DisconnectCause),
    /// Tick.
    Tick,
    /// App ping.
    AppPing,
    /// Ready check.
    ReadyToConnect,
    /// Close.
    Close,
}

impl InputRef<'_> {
    fn tag(&self) -> u8 {
        match self {
            InputRef::Frame { .. } => 1,
            InputRef::Rest { .. } => 2,
            InputRef::Connected => 3,
            InputRef::Disconnected(_) => 4,
            InputRef::Tick => 5,
            InputRef::AppPing => 6,
            InputRef::ReadyToConnect => 7,
            InputRef::Close => 8,
        }
    }
}

/// Reads a recording.
#[derive(Debug)]
pub struct RecordReader<R: Read> {
    input: R,
    header: Header,
    truncated: bool,
}

/// Why a recording could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// IO.
    Io(io::Error),
    /// Not a recording, or a newer format.
    Format(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Format(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl<R: Read> RecordReader<R> {
    /// Checks the magic and reads the header.
    pub fn new(mut input: R) -> Result<Self, ReadError> {
        let mut magic = [0u8; 8];
        input.read_exact(&mut magic).map_err(|_| {
            ReadError::Format("not a wsx recording (too short for a header); make one with `wsx record ... --out FILE`".into())
        })?;
        if magic[..6] != MAGIC[..6] {
            return Err(ReadError::Format(
                "not a wsx recording (no WSXREC magic); make one with `wsx record`".into(),
            ));
        }
        if magic[6..] != MAGIC[6..] {
            return Err(ReadError::Format(format!(
                "recording format {} is not supported by this wsx (format {FORMAT_VERSION}); \
                 replay it with the wsx version that wrote it",
                u16::from_be_bytes([magic[6], magic[7]])
            )));
        }
        let len = read_u32(&mut input)?
            .ok_or_else(|| ReadError::Format("recording header missing".into()))?;
        if len > MAX_HEADER {
            return Err(ReadError::Format("recording header too large".into()));
        }
        let mut json = vec![0; len as usize];
        input.read_exact(&mut json)?;
        let header: Header = serde_json::from_slice(&json)
            .map_err(|e| ReadError::Format(format!("recording header unreadable: {e}")))?;
        Ok(Self {
            input,
            header,
            truncated: false,
        })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Whether the file ended inside a record.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The next record, `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Record>, ReadError> {
        let Some(len) = read_u32(&mut self.input)? else {
            return Ok(None);
        };
        if len > MAX_RECORD {
            return Err(ReadError::Format(format!(
                "record of {len} bytes is larger than any frame wsx writes"
            )));
        }
        let mut body = vec![0; len as usize];
        if let Err(e) = self.input.read_exact(&mut body) {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                self.truncated = true;
                return Ok(None);
            }
            return Err(e.into());
        }
        parse_record(Bytes::from(body)).map(Some)
    }
}

fn parse_record(body: Bytes) -> Result<Record, ReadError> {
    let bad = || ReadError::Format("malformed record".into());
    let mut c = Cursor::new(&body);
    let tag = c.u8().ok_or_else(bad)?;
    let shard = c.u16().ok_or_else(bad)?;
    let conn = c.u32().ok_or_else(bad)?;
    let mono = Duration::from_nanos(c.u64().ok_or_else(bad)?);
    let unix_ns = c.u64().ok_or_else(bad)?;
    let input = match tag {
        1 => {
            let kind = match c.u8().ok_or_else(bad)? {
                0 => FrameKind::Text,
                1 => FrameKind::Binary,
                _ => return Err(bad()),
            };
            Input::Frame {
                kind,
                payload: body.slice(c.pos..),
            }
        }
        2 => {
            let id = RestRequestId(c.u64().ok_or_else(bad)?);
            let outcome = c.u8().ok_or_else(bad)?;
            if outcome == 0 {
                let status = c.u16().ok_or_else(bad)?;
                let retry = c.u64().ok_or_else(bad)?;
                let url = c.str16().ok_or_else(bad)?;
                let reply = RestReply {
                    status,
                    retry_after: (retry != u64::MAX).then(|| Duration::from_millis(retry)),
                    body: body.slice(c.pos..),
                };
                Input::Rest {
                    url,
                    response: RestResponse {
                        id,
                        result: Ok(reply),
                    },
                }
            } else {
                let url = c.str16().ok_or_else(bad)?;
                let text = String::from_utf8_lossy(c.rest()).into_owned();
                let failure = match outcome {
                    1 => RestFailure::Connect(text),
                    2 => RestFailure::Transport(text),
                    3 => RestFailure::BodyTooLarge,
                    4 => RestFailure::Overloaded,
                    _ => return Err(bad()),
                };
                Input::Rest {
                    url,
                    response: RestResponse {
                        id,
                        result: Err(failure),
                    },
                }
            }
        }
        3 => Input::Connected,
        4 => Input::Disconnected(serde_json::from_slice(c.rest()).map_err(|_| bad())?),
        5 => Input::Tick,
        6 => Input::AppPing,
        7 => Input::ReadyToConnect,
        8 => Input::Close,
        _ => return Err(ReadError::Format(format!("unknown record tag {tag}"))),
    };
    Ok(Record {
        shard,
        conn,
        mono,
        unix_ns,
        input,
    })
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let bytes = self.data.get(self.pos..self.pos + N)?;
        self.pos += N;
        bytes.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }

    fn str16(&mut self) -> Option<String> {
        let len = usize::from(self.u16()?);
        let bytes = self.data.get(self.pos..self.pos + len)?;
        self.pos += len;
        Some(String::from_utf8_lossy(bytes).into_owned())
    }

    fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }
}

fn push_str16(buf: &mut Vec<u8>, s: &[u8]) {
    // Callers cut `s` to u16::MAX bytes.
    buf.extend_from_slice(&(s.len().min(usize::from(u16::MAX)) as u16).to_le_bytes());
    buf.extend_from_slice(s);
}

fn len_u32(len: usize) -> io::Result<u32> {
    u32::try_from(len).map_err(|_| io::Error::other("record larger than 4 GiB"))
}

/// `Ok(None)` at a clean end of file.
fn read_u32(input: &mut impl Read) -> io::Result<Option<u32>> {
    let mut bytes = [0u8; 4];
    let mut filled = 0;
    while filled < 4 {
        match input.read(&mut bytes[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => return Ok(None),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(u32::from_le_bytes(bytes)))
}

const MAX_HEADER: u32 = 1 << 20;
/// Frames are at most the driver's 16 MiB, REST bodies at most 32 MiB.
const MAX_RECORD: u32 = 64 << 20;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            format: FORMAT_VERSION,
            wsx_version: "0".into(),
            venue: "mexc-spot".into(),
            symbols: vec!["BTCUSDT".into()],
            channels: vec!["book".into()],
            depth: None,
            levels: 5,
            ws_url: "ws://x".into(),
            rest_url: "http://x".into(),
            shards: vec![ShardInfo {
                role: "public".into(),
                index: 0,
            }],
            started_unix_ns: 1,
            fast_timers: false,
        }
    }

    #[test]
    fn round_trip_every_input() {
        let mut writer = RecordWriter::new(Vec::new(), &header()).unwrap();
        let binary = [0u8, 1, 2, 255, 0];
        let reply = RestResponse {
            id: RestRequestId(1 << 48),
            result: Ok(RestReply {
                status: 200,
                retry_after: Some(Duration::from_secs(2)),
                body: Bytes::from_static(b"{\"lastUpdateId\":1}"),
            }),
        };
        let failed = RestResponse {
            id: RestRequestId(7),
            result: Err(RestFailure::Connect("refused".into())),
        };
        let cause = DisconnectCause::ClosedByPeer {
            code: None,
            reason: String::new(),
        };
        let inputs = [
            InputRef::ReadyToConnect,
            InputRef::Connected,
            InputRef::Frame {
                kind: FrameKind::Binary,
                payload: &binary,
            },
            InputRef::Frame {
                kind: FrameKind::Text,
                payload: b"{}",
            },
            InputRef::Rest {
                url: "http://h/api?symbol=X",
                response: &reply,
            },
            InputRef::Rest {
                url: "http://h/b",
                response: &failed,
            },
            InputRef::Tick,
            InputRef::AppPing,
            InputRef::Disconnected(&cause),
            InputRef::Close,
        ];
        for (i, input) in inputs.iter().enumerate() {
            writer
                .write(&RecordRef {
                    shard: 3,
                    conn: 2,
                    mono: Duration::from_nanos(i as u64 * 10),
                    unix_ns: 100 + i as u64,
                    input: *input,
                })
                .unwrap();
        }
        let bytes = writer.out;
        let mut reader = RecordReader::new(bytes.as_slice()).unwrap();
        assert_eq!(reader.header(), &header());
        let mut records = Vec::new();
        while let Some(r) = reader.next_record().unwrap() {
            records.push(r);
        }
        assert_eq!(records.len(), inputs.len());
        assert!(!reader.truncated());
        assert_eq!(
            records[2].input,
            Input::Frame {
                kind: FrameKind::Binary,
                payload: Bytes::copy_from_slice(&binary)
            }
        );
        assert_eq!(
            records[4].input,
            Input::Rest {
                url: "http://h/api?symbol=X".into(),
                response: reply.clone()
            }
        );
        assert_eq!(
            records[5].input,
            Input::Rest {
                url: "http://h/b".into(),
                response: failed.clone()
            }
        );
        assert_eq!(
            records[8].input,
            Input::Disconnected(CauseRecord::from_cause(&cause))
        );
        assert_eq!(records[8].input, {
            let Input::Disconnected(c) = &records[8].input else {
                unreachable!()
            };
            Input::Disconnected(CauseRecord::from_cause(&c.to_cause()))
        });
        assert_eq!(records[3].shard, 3);
        assert_eq!(records[3].conn, 2);
        assert_eq!(records[3].mono, Duration::from_nanos(30));
        assert_eq!(records[3].unix_ns, 103);

        // Cut inside the last record: everything before it still reads.
        let cut = &bytes[..bytes.len() - 3];
        let mut reader = RecordReader::new(cut).unwrap();
        let mut n = 0;
        while reader.next_record().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, inputs.len() - 1);
        assert!(reader.truncated());
    }

    #[test]
    fn refuses_other_files() {
        let err = RecordReader::new(&b"{\"not\":\"a recording\"}"[..]).unwrap_err();
        assert!(err.to_string().contains("not a wsx recording"));
    }

    #[test]
    fn listen_keys_never_reach_the_file() {
        let key = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1";
        let reply = RestResponse {
            id: RestRequestId(2),
            result: Ok(RestReply {
                status: 200,
                retry_after: None,
                body: Bytes::from(format!(r#"{{"listenKey":"{key}"}}"#)),
            }),
        };
        let mut writer = RecordWriter::new(Vec::new(), &header()).unwrap();
        writer
            .write(&RecordRef {
                shard: 0,
                conn: 0,
                mono: Duration::ZERO,
                unix_ns: 0,
                input: InputRef::Rest {
                    url: "http://h/api/v3/userDataStream?timestamp=1&signature=<redacted>",
                    response: &reply,
                },
            })
            .unwrap();
        let bytes = writer.out;
        assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()));
        let mut reader = RecordReader::new(bytes.as_slice()).unwrap();
        let Some(Record {
            input: Input::Rest { response, .. },
            ..
        }) = reader.next_record().unwrap()
        else {
            panic!("not a REST record");
        };
        let body = response.result.unwrap().body;
        assert_eq!(&body[..], br#"{"listenKey":"<redacted>"}"#);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("wsx-mode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.wsxrec");
        // An existing world-readable file is tightened too.
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        for _ in 0..2 {
            drop(create_file(&path).unwrap());
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
            std::fs::remove_file(&path).unwrap();
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}

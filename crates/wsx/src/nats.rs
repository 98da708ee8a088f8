//! `--publish nats://HOST:PORT` and `wsx subscribe`.
//!
//! Every event goes to a subject named after it (see [`crate::event::Event::subject`]):
//!
//! | subject | events |
//! |---|---|
//! | `md.<venue>.<symbol>.<kind>` | `book_update`, `book_status`, `trade`, `ticker`, `ticker24h`, and the final `book` |
//! | `acct.<venue>.<kind>` | `order`, `fill`, `balance`, `position` |
//! | `wsx.<venue>.error` | stream errors |
//!
//! The payload is the event's jsonl line (without the newline). Publishing is a bounded
//! queue to one publisher task: the sessions never wait on it; when it is full the event is
//! dropped for NATS only and counted (status line `nats drops`, metric
//! `wsx_nats_dropped_events_total`). `wsx replay --publish` waits instead, so a replay
//! publishes every event. Before it stops, the publisher waits until the server confirms it
//! has everything published (a round trip through the client's own inbox); a replay that
//! gets no confirmation fails.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::output::Out;
use crate::redact::{redact_userinfo, scrub_userinfo};

/// A running publisher.
#[derive(Debug)]
pub struct NatsPublisher {
    tx: mpsc::Sender<Out>,
    task: JoinHandle<PublishStats>,
    url: String,
}

/// What the publisher did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishStats {
    /// Events handed to the NATS client.
    pub published: u64,
    /// Events the client refused (disconnected and its buffer full, or too large).
    pub failed: u64,
    /// Why the server did not confirm, at the end, that it had everything published
    /// (`None` when it did).
    pub unconfirmed: Option<String>,
}

impl NatsPublisher {
    /// Connects to `url` (fails fast when nothing listens there) and starts the task.
    pub async fn start(url: &str, capacity: usize) -> Result<Self, String> {
        let client = connect(url).await?;
        let (tx, mut rx) = mpsc::channel::<Out>(capacity.max(16));
        let task = tokio::spawn(async move {
            let mut stats = PublishStats::default();
            while let Some(message) = rx.recv().await {
                match message {
                    Out::Event(event) => {
                        let payload = bytes::Bytes::from(event.to_json());
                        match client.publish(event.subject(), payload).await {
                            Ok(()) => stats.published += 1,
                            Err(e) => {
                                stats.failed += 1;
                                tracing::debug!(%e, "NATS publish failed");
                            }
                        }
                    }
                    Out::Finish => break,
                    Out::Status(_) | Out::Line(_) => {}
                }
            }
            stats.unconfirmed = round_trip(&client).await.err();
            stats
        });
        Ok(Self {
            tx,
            task,
            url: redact_userinfo(url).into_owned(),
        })
    }

    /// The queue the sessions and the run loop publish into.
    pub fn sender(&self) -> mpsc::Sender<Out> {
        self.tx.clone()
    }

    /// The server URL, its user and password redacted.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Current queue depth.
    pub fn queue_depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Publishes what is queued, waits until the server has it all and stops.
    pub async fn finish(self) -> PublishStats {
        let _ = self.tx.send(Out::Finish).await;
        self.task.await.unwrap_or_default()
    }
}

/// Options of `wsx subscribe`.
#[derive(Debug, clap::Args)]
pub struct SubscribeArgs {
    /// NATS server, e.g. nats://127.0.0.1:4222.
    #[arg(value_name = "NATS_URL")]
    url: String,
    /// Subject to subscribe (wildcards: `*` one token, `>` the rest), e.g. 'md.mexc-spot.>'.
    #[arg(long, default_value = "md.>")]
    subject: String,
    /// Stop after this many messages.
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Print `<subject> <payload>` instead of the payload alone.
    #[arg(long)]
    with_subject: bool,
}

/// `wsx subscribe`: prints messages until `--count`, `--duration` or Ctrl-C.
pub async fn subscribe(args: SubscribeArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let client = connect(&args.url).await.map_err(anyhow::Error::msg)?;
    let mut subscriber = client.subscribe(args.subject.clone()).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot subscribe to '{}': {e}; a subject is dot-separated tokens, with * or > as wildcards",
            args.subject
        )
    })?;
    // The server has the subscription once a flush round trip is done.
    client
        .flush()
        .await
        .map_err(|e| anyhow::anyhow!("NATS flush failed: {e}"))?;
    eprintln!(
        "wsx subscribe: listening on '{}' at {}",
        args.subject,
        redact_userinfo(&args.url)
    );
    let deadline = args
        .duration
        .map(|s| tokio::time::Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut received = 0u64;
    if args.count == Some(0) {
        return Ok(());
    }
    loop {
        let next = async {
            match deadline {
                Some(at) => tokio::time::timeout_at(at, subscriber.next()).await.ok(),
                None => Some(subscriber.next().await),
            }
        };
        let message = tokio::select! {
            m = next => m,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(Some(message)) = message else { break };
        if args.with_subject {
            write!(out, "{} ", message.subject)?;
        }
        out.write_all(&message.payload)?;
        out.write_all(b"\n")?;
        received += 1;
        if args.count.is_some_and(|n| received >= n) {
            break;
        }
        out.flush()?;
    }
    out.flush()?;
    eprintln!("wsx subscribe: {received} messages");
    Ok(())
}

/// Returns once the server has processed everything this client published before the
/// call. `Client::flush` only empties the local buffer; a message to the client's own
/// inbox comes back only after the server has handled every earlier one (it handles one
/// connection's messages in order), so a process may exit after this without losing any.
async fn round_trip(client: &async_nats::Client) -> Result<(), String> {
    let inbox = client.new_inbox();
    let mut echo = client
        .subscribe(inbox.clone())
        .await
        .map_err(|e| format!("cannot subscribe to its inbox: {e}"))?;
    client
        .publish(inbox, bytes::Bytes::new())
        .await
        .map_err(|e| format!("cannot publish to its inbox: {e}"))?;
    client
        .flush()
        .await
        .map_err(|e| format!("flush failed: {e}"))?;
    match tokio::time::timeout(ROUND_TRIP_LIMIT, echo.next()).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("the connection closed".to_string()),
        Err(_) => Err(format!("no answer within {} s", ROUND_TRIP_LIMIT.as_secs())),
    }
}

/// How long [`round_trip`] waits for the server.
const ROUND_TRIP_LIMIT: Duration = Duration::from_secs(10);

/// Connects to `url`. Its user and password never appear in an error.
async fn connect(url: &str) -> Result<async_nats::Client, String> {
    let shown = redact_userinfo(url);
    if !(url.starts_with("nats://") || url.starts_with("tls://")) {
        return Err(format!(
            "'{shown}' is not a NATS URL; use nats://HOST:PORT (for example nats://127.0.0.1:4222)"
        ));
    }
    async_nats::ConnectOptions::new()
        .name("wsx")
        .connection_timeout(Duration::from_secs(5))
        .subscription_capacity(1 << 16)
        .client_capacity(1 << 14)
        .connect(url)
        .await
        .map_err(|e| {
            let e = scrub_userinfo(&e.to_string(), url);
            format!(
                "cannot connect to NATS at {shown}: {e}; start nats-server there or fix the URL"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn errors_never_echo_the_url_credentials() {
        for url in [
            "nats://alice:s3cret-pw@127.0.0.1:1",
            "tls://alice:s3cret-pw@127.0.0.1:1",
            "http://alice:s3cret-pw@127.0.0.1:1",
        ] {
            let Err(message) = connect(url).await else {
                panic!("connected to {url}");
            };
            assert!(!message.contains("s3cret-pw"), "{message}");
            assert!(!message.contains("alice"), "{message}");
            assert!(message.contains("127.0.0.1:1"), "{message}");
        }
    }
}

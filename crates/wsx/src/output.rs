//! The printer: jsonl lines or a live top-of-book table on stdout.
//!
//! It runs on its own thread behind a bounded queue, so a slow terminal or pipe never
//! holds up a connection: the sessions only `try_send` (see `tap.rs`), and what does not
//! fit is counted and reported.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, BufWriter, Write};
use std::thread::JoinHandle;

use market_types::{Level, Price, Side, Symbol, Venue};
use tokio::sync::mpsc;

use crate::event::{EventBody, SharedEvent};

/// What the printer and the NATS publisher are sent.
#[derive(Debug, Clone)]
pub enum Out {
    /// An event.
    Event(SharedEvent),
    /// The status line (table format), refreshed by the run loop.
    Status(String),
    /// A notice (a fault injected, say): printed as is.
    Line(String),
    /// Drain what is queued and stop.
    Finish,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// A top-of-book table per symbol with a status line, refreshed in place on a terminal.
    Table,
}

/// The printer thread and its queue.
#[derive(Debug)]
pub struct Printer {
    tx: mpsc::Sender<Out>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Printer {
    /// Starts the printer thread. `tty` makes the table refresh in place.
    pub fn start(format: Format, tty: bool, capacity: usize) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel(capacity.max(16));
        let thread = std::thread::Builder::new()
            .name("wsx-printer".into())
            .spawn(move || print_loop(rx, format, tty))?;
        Ok(Self {
            tx,
            thread: Some(thread),
        })
    }

    /// A handle for the sessions and the run loop.
    pub fn sender(&self) -> mpsc::Sender<Out> {
        self.tx.clone()
    }

    /// Whether stdout went away (the reader of a pipe exited).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Prints what is queued, then stops.
    pub async fn finish(mut self) -> io::Result<()> {
        let _ = self.tx.send(Out::Finish).await;
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        match tokio::task::spawn_blocking(move || thread.join()).await {
            Ok(Ok(result)) => result,
            _ => Err(io::Error::other("printer thread panicked")),
        }
    }
}

fn print_loop(mut rx: mpsc::Receiver<Out>, format: Format, tty: bool) -> io::Result<()> {
    // Not locked for good: the run may print a line of its own before and after.
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout());
    let mut table = TableView::new(tty);
    let result = (|| -> io::Result<()> {
        while let Some(message) = rx.blocking_recv() {
            match (format, message) {
                (_, Out::Finish) => {
                    if format == Format::Table {
                        table.redraw(&mut out, true)?;
                        for line in table.finals.drain(..) {
                            writeln!(out, "{line}")?;
                        }
                    }
                    break;
                }
                (Format::Jsonl, Out::Event(event)) => {
                    serde_json::to_writer(&mut out, &*event).map_err(io::Error::other)?;
                    out.write_all(b"\n")?;
                }
                (Format::Jsonl, Out::Status(_)) => {}
                (Format::Jsonl, Out::Line(line)) => {
                    // Notices go to stderr so that stdout stays pure jsonl.
                    out.flush()?;
                    eprintln!("{line}");
                }
                (Format::Table, Out::Event(event)) => table.apply(&event, &mut out)?,
                (Format::Table, Out::Status(status)) => {
                    table.status = status;
                    table.redraw(&mut out, false)?;
                }
                (Format::Table, Out::Line(line)) => table.notice(line, &mut out)?,
            }
            if rx.is_empty() {
                out.flush()?;
            }
        }
        out.flush()
    })();
    rx.close();
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The table format's state: one row per (venue, symbol).
#[derive(Debug)]
struct TableView {
    tty: bool,
    rows: BTreeMap<(Venue, Symbol), Row>,
    account: BTreeMap<Venue, [u64; 4]>,
    status: String,
    notices: VecDeque<String>,
    /// Lines printed below the table at the end (the final books) on a terminal.
    finals: Vec<String>,
    drawn: usize,
    redraws: u64,
    /// Terminal rows and columns: lines are cut to fit, so that moving the cursor up by
    /// the number of lines drawn lands on the first one.
    size: (usize, usize),
}

#[derive(Debug, Default, Clone)]
struct Row {
    status: &'static str,
    bid: Option<Level>,
    ask: Option<Level>,
    last: Option<(Price, Option<Side>)>,
    update_id: u64,
    updates: u64,
}

impl TableView {
    fn new(tty: bool) -> Self {
        Self {
            tty,
            rows: BTreeMap::new(),
            account: BTreeMap::new(),
            status: String::new(),
            notices: VecDeque::new(),
            finals: Vec::new(),
            drawn: 0,
            redraws: 0,
            size: if tty { terminal_size() } else { (0, 0) },
        }
    }

    fn row(&mut self, venue: Venue, symbol: Symbol) -> &mut Row {
        self.rows.entry((venue, symbol)).or_insert_with(|| Row {
            status: "-",
            ..Row::default()
        })
    }

    fn apply(&mut self, event: &crate::event::Event, out: &mut impl Write) -> io::Result<()> {
        let venue = event.venue;
        match &event.body {
            EventBody::BookUpdate { update, bids, asks } => {
                let row = self.row(venue, update.symbol);
                row.bid = bids.first().copied();
                row.ask = asks.first().copied();
                row.update_id = update.last_update_id;
                row.updates += 1;
            }
            EventBody::BookStatus(e) => {
                let row = self.row(venue, e.symbol);
                row.status = match e.status {
                    market_types::BookStatus::Live => "live",
                    market_types::BookStatus::Syncing => "syncing",
                    market_types::BookStatus::Resyncing(_) => "resync",
                };
                if !e.status.is_live() {
                    row.bid = None;
                    row.ask = None;
                }
            }
            EventBody::Ticker(t) => {
                let row = self.row(venue, t.symbol);
                if row.status == "-" {
                    row.bid = t.bid;
                    row.ask = t.ask;
                }
            }
            EventBody::Trade(t) => {
                self.row(venue, t.symbol).last = Some((t.price, t.taker_side));
            }
            EventBody::Order(_) => self.account.entry(venue).or_default()[0] += 1,
            EventBody::Fill(_) => self.account.entry(venue).or_default()[1] += 1,
            EventBody::Balance(_) => self.account.entry(venue).or_default()[2] += 1,
            EventBody::Position(_) => self.account.entry(venue).or_default()[3] += 1,
            EventBody::Error { category, message } => {
                let line = format!(
                    "{venue} {}: {message}",
                    crate::event::category_name(*category)
                );
                self.notice(line, out)?;
            }
            EventBody::Book(book) => {
                let best = |l: Option<&Level>| {
                    l.map_or("-".to_string(), |l| format!("{} x {}", l.price, l.quantity))
                };
                let line = format!(
                    "book {venue} {} {} update {}: {} bids, {} asks, best {} / {}",
                    book.symbol,
                    match book.status {
                        market_types::BookStatus::Live => "live",
                        _ => "not live",
                    },
                    book.update_id,
                    book.bids.len(),
                    book.asks.len(),
                    best(book.bids.first()),
                    best(book.asks.first()),
                );
                if self.tty {
                    self.finals.push(line);
                } else {
                    writeln!(out, "{line}")?;
                }
            }
            EventBody::Ticker24h(_) | EventBody::Connection(_) | EventBody::Lagged(_) => {}
        }
        Ok(())
    }

    fn notice(&mut self, line: String, out: &mut impl Write) -> io::Result<()> {
        if self.tty {
            self.notices.push_back(line);
            while self.notices.len() > 3 {
                self.notices.pop_front();
            }
            Ok(())
        } else {
            writeln!(out, "{line}")
        }
    }

    fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{:<15} {:<10} {:<8} {:>26} {:>26} {:>18} {:>8}",
            "VENUE", "SYMBOL", "BOOK", "BID", "ASK", "LAST TRADE", "UPDATES"
        )];
        for ((venue, symbol), row) in &self.rows {
            let level = |l: &Option<Level>| {
                l.map_or("-".to_string(), |l| format!("{} x {}", l.price, l.quantity))
            };
            let last = row.last.map_or("-".to_string(), |(p, side)| {
                format!("{p} {}", side.map_or("", Side::as_str))
            });
            lines.push(format!(
                "{:<15} {:<10} {:<8} {:>26} {:>26} {:>18} {:>8}",
                venue.as_str(),
                symbol.as_str(),
                row.status,
                level(&row.bid),
                level(&row.ask),
                last,
                row.updates
            ));
        }
        for (venue, [orders, fills, balances, positions]) in &self.account {
            lines.push(format!(
                "{:<15} account: {orders} order updates, {fills} fills, {balances} balance \
                 updates, {positions} position updates",
                venue.as_str()
            ));
        }
        lines
    }

    fn redraw(&mut self, out: &mut impl Write, last: bool) -> io::Result<()> {
        self.redraws += 1;
        if !self.tty {
            // Plain lines: the status every refresh, the table every fifth and at the end.
            if self.redraws % 5 == 1 || last {
                for line in self.lines() {
                    writeln!(out, "{line}")?;
                }
            }
            if !self.status.is_empty() {
                writeln!(out, "{}", self.status)?;
            }
            return Ok(());
        }
        let (rows, columns) = self.size;
        let mut lines = self.lines();
        lines.extend(self.notices.iter().cloned());
        // The status line stays visible when the table is taller than the terminal.
        lines.truncate(rows.saturating_sub(2).max(1));
        lines.push(self.status.clone());
        for line in &mut lines {
            if let Some((cut, _)) = line.char_indices().nth(columns.saturating_sub(1).max(20)) {
                line.truncate(cut);
            }
        }
        if self.drawn > 0 {
            // Back to the first line of the previous drawing.
            write!(out, "\x1b[{}F", self.drawn)?;
        }
        for line in &lines {
            writeln!(out, "\x1b[2K{line}")?;
        }
        // Clear what is left of a longer previous drawing.
        write!(out, "\x1b[J")?;
        self.drawn = lines.len();
        Ok(())
    }
}

/// Rows and columns of the terminal (`stty size`), or 50 x 200 when it cannot be asked.
fn terminal_size() -> (usize, usize) {
    std::process::Command::new("stty")
        .args(["-F", "/dev/tty", "size"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8(o.stdout).ok()?;
            let mut parts = text.split_whitespace().map(str::parse::<usize>);
            Some((parts.next()?.ok()?, parts.next()?.ok()?))
        })
        .filter(|(r, c)| *r > 0 && *c > 0)
        .unwrap_or((50, 200))
}

//! What a client is asked for, per venue ([`VenueStreams`], [`Endpoints`]), and its
//! checked form ([`VenueSpec`]): every argument is checked before anything connects.

use std::net::SocketAddr;

use market_types::{Symbol, Venue};
use venue_registry::profile;
use ws_handlers::{EndpointChoice, Timers};

use crate::credentials::{Credentials, variable_names};
use crate::error::ClientError;
use crate::venue::{ChannelName, check_channels, check_depth, parse_symbol};

/// Levels per side in book views unless [`VenueStreams::levels`] says otherwise.
pub const DEFAULT_LEVELS: usize = 10;

/// Where a venue's connections go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Endpoints {
    /// Production.
    #[default]
    Live,
    /// The venue's test network (production where it has none).
    Testnet,
    /// Explicit URLs (a proxy, a recorder).
    Custom {
        /// WebSocket URL.
        ws: String,
        /// REST base URL.
        rest: String,
    },
    /// The embedded simulator (`exchange_sim::Simulator`, plain TCP) listening on this
    /// address, at the venue's mount; short timers.
    Simulator(SocketAddr),
}

impl Endpoints {
    fn choice(&self, venue: Venue) -> EndpointChoice {
        match self {
            Endpoints::Live => EndpointChoice::Live,
            Endpoints::Testnet => EndpointChoice::Testnet,
            Endpoints::Custom { ws, rest } => EndpointChoice::Custom {
                ws_url: ws.clone(),
                rest_url: rest.clone(),
            },
            Endpoints::Simulator(addr) => profile(venue)
                .simulator
                .endpoints(&format!("ws://{addr}"), &format!("http://{addr}")),
        }
    }
}

/// What to stream from one venue.
#[derive(Debug, Clone)]
pub struct VenueStreams {
    /// The venue.
    pub venue: Venue,
    /// Symbols, spelled the venue's way (`BTC_USDT` on Gate.io, `BTCUSDT` on MEXC).
    pub symbols: Vec<String>,
    /// Channels.
    pub channels: Vec<ChannelName>,
    /// The venue's book depth (stream depth or snapshot limit); `None` is its default.
    pub depth: Option<u32>,
    /// Levels per side in book views ([`crate::EventBody::BookUpdate`]).
    pub levels: usize,
    /// API key for account channels.
    pub credentials: Option<Credentials>,
    /// Where to connect.
    pub endpoints: Endpoints,
    /// Heartbeat and timer lengths; `None` is short ones for [`Endpoints::Simulator`] and
    /// the venue's otherwise (a simulator behind [`Endpoints::Custom`] wants
    /// `Some(Timers::Fast)`).
    pub timers: Option<Timers>,
}

impl VenueStreams {
    /// Nothing yet from `venue`, production endpoints.
    pub fn new(venue: Venue) -> Self {
        Self {
            venue,
            symbols: Vec::new(),
            channels: Vec::new(),
            depth: None,
            levels: DEFAULT_LEVELS,
            credentials: None,
            endpoints: Endpoints::Live,
            timers: None,
        }
    }

    /// Checks every argument against the venue's rules.
    pub(crate) fn check(&self) -> Result<VenueSpec, ClientError> {
        let venue = self.venue;
        if self.symbols.is_empty() {
            return Err(ClientError::NoSymbols(venue));
        }
        if self.channels.is_empty() {
            return Err(ClientError::NoChannels(venue));
        }
        let mut symbols: Vec<Symbol> = Vec::with_capacity(self.symbols.len());
        for raw in &self.symbols {
            let symbol = parse_symbol(venue, raw).map_err(ClientError::InvalidArgument)?;
            if !symbols.contains(&symbol) {
                symbols.push(symbol);
            }
        }
        let mut channels = self.channels.clone();
        channels.sort();
        channels.dedup();
        check_channels(venue, &channels).map_err(ClientError::InvalidArgument)?;
        check_depth(venue, self.depth)
            .map_err(|e| ClientError::InvalidArgument(e.replace("--depth", "depth")))?;
        if self.levels == 0 {
            return Err(ClientError::InvalidArgument(
                "levels must be at least 1 (the book levels per side in book views)".into(),
            ));
        }
        if let Some(private) = channels.iter().find(|c| c.is_private())
            && self.credentials.is_none()
        {
            let (key, secret) = variable_names(venue);
            return Err(ClientError::Credentials(format!(
                "the {private} channel of {venue} needs credentials: \
                 .credentials(Credentials::from_env(Venue::...)?) reads {key} and {secret}"
            )));
        }
        Ok(VenueSpec {
            venue,
            symbols,
            channels,
            depth: self.depth,
            levels: self.levels,
            credentials: self.credentials.clone(),
            endpoints: self.endpoints.choice(venue),
            fast_timers: match self.timers {
                Some(timers) => timers == Timers::Fast,
                None => matches!(self.endpoints, Endpoints::Simulator(_)),
            },
        })
    }
}

/// A checked [`VenueStreams`].
#[derive(Debug, Clone)]
pub(crate) struct VenueSpec {
    pub(crate) venue: Venue,
    pub(crate) symbols: Vec<Symbol>,
    pub(crate) channels: Vec<ChannelName>,
    pub(crate) depth: Option<u32>,
    pub(crate) levels: usize,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) endpoints: EndpointChoice,
    pub(crate) fast_timers: bool,
}

//! Venues, channels and symbols as the command line names them, checked, and the
//! [`StreamPlan`] they make; [`crate::group`] turns a plan into venue handlers.
//!
//! Nothing here names a venue: every venue fact comes from its `VenueConnector` through
//! `venue_registry`.

use market_types::{Symbol, Venue};

pub use exchange_ws::venue::{
    ChannelName, check_channels, check_depth, default_urls, parse_symbol, parse_venue,
};
pub use ws_handlers::Role;

use exchange_ws::Credentials;

/// Everything needed to build a venue's sessions; also what a recording header stores.
#[derive(Debug, Clone)]
pub struct StreamPlan {
    /// The venue.
    pub venue: Venue,
    /// Symbols, validated for the venue.
    pub symbols: Vec<Symbol>,
    /// Channels, validated for the venue, without duplicates.
    pub channels: Vec<ChannelName>,
    /// WebSocket URL.
    pub ws_url: String,
    /// REST base URL.
    pub rest_url: String,
    /// `--depth`: the venue's book depth (Gate.io stream depth, MEXC snapshot limit).
    pub depth: Option<u32>,
    /// Levels per side in `book_update` lines.
    pub levels: usize,
    /// API key for private channels.
    pub credentials: Option<Credentials>,
    /// Shorter heartbeats and timers (the simulator), instead of the venue's.
    pub fast_timers: bool,
}

impl StreamPlan {
    /// Whether any private channel is asked for.
    pub fn has_private(&self) -> bool {
        self.channels.iter().any(|c| c.is_private())
    }

    /// Whether any public channel is asked for.
    pub fn has_public(&self) -> bool {
        self.channels.iter().any(|c| !c.is_private())
    }
}

//! The one list of venues.
//!
//! Each [`market_types::Venue`] names one [`VenueConnector`] implemented in its venue crate.
//! [`dispatch`] is the only `match` from the enum to those types: a program hands it a
//! [`VenueVisitor`] whose generic `visit::<V>()` is compiled once per venue, so everything
//! the visitor builds (handlers, connections) is statically dispatched; the choice is made
//! once, at start-up. [`profile`] gives a venue's constants as plain data for code that only
//! needs names, feeds, limits and endpoints.
//!
//! Adding a venue: a variant in `market_types::Venue`, a line in [`dispatch`], and the
//! venue crate in this crate's `Cargo.toml`.
//!
//! ```
//! use market_types::Venue;
//! use venue_registry::{VenueConnector, VenueVisitor, dispatch};
//!
//! struct Brand;
//! impl VenueVisitor for Brand {
//!     type Output = &'static str;
//!     fn visit<V: VenueConnector>(self) -> &'static str {
//!         V::BRAND
//!     }
//! }
//! assert_eq!(dispatch(Venue::MexcSpot, Brand), "MEXC");
//! assert_eq!(venue_registry::profile(Venue::GateioFutures).brand, "Gate.io");
//! ```

use market_types::Venue;
use ws_handlers::{
    ConnectionLimits, CredentialVariables, DepthRule, EndpointUrls, Feed, FeedSet, Role,
    SimulatorMount, SymbolStyle,
};
use ws_session::{PingSettings, ReconnectionPolicy};

pub use exchange_gateio::{GateioFutures, GateioSpot};
pub use exchange_mexc::MexcSpot;
pub use exchange_mexc::futures::MexcFutures;
pub use ws_handlers::VenueConnector;

/// Code generic over a venue, run for the venue chosen at run time by [`dispatch`].
pub trait VenueVisitor {
    /// What the visit returns.
    type Output;
    /// Runs with `V` the chosen venue.
    fn visit<V: VenueConnector>(self) -> Self::Output;
}

/// Runs `visitor` with the connector of `venue`. The registry: one line per venue.
pub fn dispatch<T: VenueVisitor>(venue: Venue, visitor: T) -> T::Output {
    match venue {
        Venue::GateioSpot => visitor.visit::<GateioSpot>(),
        Venue::GateioFutures => visitor.visit::<GateioFutures>(),
        Venue::MexcSpot => visitor.visit::<MexcSpot>(),
        Venue::MexcFutures => visitor.visit::<MexcFutures>(),
    }
}

/// A venue's constants as plain data.
#[derive(Debug, Clone, Copy)]
pub struct VenueProfile {
    /// The venue.
    pub venue: Venue,
    /// [`VenueConnector::BRAND`].
    pub brand: &'static str,
    /// [`VenueConnector::SYMBOL_STYLE`].
    pub symbol_style: SymbolStyle,
    /// [`VenueConnector::SYMBOL_HINT`].
    pub symbol_hint: &'static str,
    /// [`VenueConnector::FEEDS`].
    pub feeds: FeedSet,
    /// [`VenueConnector::DEPTH`].
    pub depth: DepthRule,
    /// [`VenueConnector::LIMITS`].
    pub limits: ConnectionLimits,
    /// [`VenueConnector::CREDENTIALS`].
    pub credentials: CredentialVariables,
    /// [`VenueConnector::LIVE`].
    pub live: EndpointUrls,
    /// [`VenueConnector::TESTNET`].
    pub testnet: Option<EndpointUrls>,
    /// [`VenueConnector::SIMULATOR`].
    pub simulator: SimulatorMount,
    /// [`VenueConnector::RECONNECTION`].
    pub reconnection: ReconnectionPolicy,
    /// [`VenueConnector::default_ping`].
    pub default_ping: fn(Role) -> PingSettings,
    /// [`VenueConnector::channel_name`].
    pub channel_name: fn(Feed) -> Option<&'static str>,
}

/// The constants of `venue`.
pub fn profile(venue: Venue) -> VenueProfile {
    dispatch(venue, ProfileOf)
}

struct ProfileOf;

impl VenueVisitor for ProfileOf {
    type Output = VenueProfile;

    fn visit<V: VenueConnector>(self) -> VenueProfile {
        VenueProfile {
            venue: V::VENUE,
            brand: V::BRAND,
            symbol_style: V::SYMBOL_STYLE,
            symbol_hint: V::SYMBOL_HINT,
            feeds: V::FEEDS,
            depth: V::DEPTH,
            limits: V::LIMITS,
            credentials: V::CREDENTIALS,
            live: V::LIVE,
            testnet: V::TESTNET,
            simulator: V::SIMULATOR,
            reconnection: V::RECONNECTION,
            default_ping: V::default_ping,
            channel_name: V::channel_name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_venue_is_registered_under_its_own_name() {
        for venue in Venue::ALL {
            let profile = profile(venue);
            assert_eq!(profile.venue, venue);
            for feed in Feed::ALL {
                assert_eq!(
                    (profile.channel_name)(feed).is_some(),
                    profile.feeds.contains(feed),
                    "{venue} {feed:?}"
                );
            }
        }
    }
}

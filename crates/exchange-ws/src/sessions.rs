//! The venue handlers a plan becomes, for programs that run them their own way (`wsx`
//! records and replays them; [`crate::Client`] feeds its queue). [`build_sessions`]
//! chooses the venue once (a `dispatch` to code compiled per venue) and hands the typed
//! handlers to a [`SessionTarget`], so the message path stays statically dispatched.

use market_types::{Symbol, Venue};
use venue_registry::{VenueConnector, VenueVisitor, dispatch};
use ws_core::ConnectRateLimit;
use ws_handlers::{
    ApiCredentials, EndpointChoice, PrivateScope, PublicVenueHandler, Role, StreamRequest, Timers,
    VenueHandler,
};

use crate::event::EventSink;
pub use crate::session::SinkHandler;
use crate::venue::{ChannelName, event_sink, feeds};

/// Everything needed to build one venue's handlers, already checked.
#[derive(Debug, Clone)]
pub struct SessionPlan<'a> {
    /// The venue.
    pub venue: Venue,
    /// Symbols, spelled the venue's way.
    pub symbols: &'a [Symbol],
    /// Channels, without duplicates.
    pub channels: &'a [ChannelName],
    /// The venue's book depth; `None` is its default.
    pub depth: Option<u32>,
    /// Levels per side in book views.
    pub levels: usize,
    /// API key for account channels.
    pub credentials: Option<ApiCredentials<'a>>,
    /// Where to connect.
    pub endpoints: EndpointChoice,
    /// Short heartbeats and timers (the simulator) instead of the venue's.
    pub fast_timers: bool,
}

/// Takes the handlers [`build_sessions`] makes, with their concrete types.
pub trait SessionTarget {
    /// The market-data handlers (one per shard) and the connect rate they share.
    fn public<S>(&mut self, sessions: Vec<S>, limit: ConnectRateLimit) -> Result<(), String>
    where
        S: PublicVenueHandler<Callbacks = EventSink> + VenueHandler<Callbacks = EventSink>;

    /// The account-data handler and its connect rate.
    fn private<S>(&mut self, session: S, limit: ConnectRateLimit) -> Result<(), String>
    where
        S: VenueHandler<Callbacks = EventSink>;
}

/// Builds the handlers of `plan`, market data first, and hands them to `target`.
pub fn build_sessions(
    plan: &SessionPlan<'_>,
    target: &mut impl SessionTarget,
) -> Result<(), String> {
    dispatch(plan.venue, Build { plan, target })
}

struct Build<'a, 'p, T> {
    plan: &'a SessionPlan<'p>,
    target: &'a mut T,
}

impl<T: SessionTarget> VenueVisitor for Build<'_, '_, T> {
    type Output = Result<(), String>;

    fn visit<V: VenueConnector>(self) -> Self::Output {
        let plan = self.plan;
        let feeds = feeds(plan.channels);
        let request = StreamRequest {
            symbols: plan.symbols,
            feeds: &feeds,
            depth: plan.depth,
            credentials: plan.credentials,
            endpoints: plan.endpoints.clone(),
            timers: if plan.fast_timers {
                Timers::Fast
            } else {
                Timers::Venue
            },
            private_scope: PrivateScope::RequestSymbols,
            ping: None,
            reconnection: None,
        };
        let config = V::config(&request).map_err(|e| e.to_string())?;
        let sink = || event_sink(plan.venue, plan.levels, plan.channels);
        if request.wants_role(Role::Public) {
            let sessions = V::public_shards(&config, &request, |_| sink())
                .map_err(|e| format!("{}: {e}", plan.venue))?;
            self.target
                .public(sessions, V::LIMITS.connect_rate(Role::Public))?;
        }
        if request.wants_role(Role::Private) {
            let session = V::private(config, &request, sink());
            self.target
                .private(session, V::LIMITS.connect_rate(Role::Private))?;
        }
        Ok(())
    }
}

//! [`SessionGroup`]: the venue handlers a [`StreamPlan`] becomes, for replay
//! ([`crate::replayer`]) and for the recording header (which lists the sessions a live run
//! has; live, the client library builds the same ones the same way).
//!
//! [`build`] chooses the venue once (the client library's `build_sessions`, a `dispatch`
//! to a monomorphised function); the groups it returns hold concrete handler types, so the
//! message path stays statically dispatched. Only turning a group into a replay target
//! goes through `dyn`, once.

use std::fmt;
use std::sync::Arc;

use exchange_ws::sessions::{SessionPlan, SessionTarget, build_sessions};
use ws_core::ConnectRateLimit;
use ws_handlers::{ApiCredentials, EndpointChoice, PublicVenueHandler, VenueHandler};

use crate::event::EventSink;

use crate::replayer::{ReplayGroup, replayer};
use crate::tap::{RunControl, SinkHandler};
use crate::venue::{Role, StreamPlan};

/// The sessions of one venue handler type (one pool, live) sharing a connect-rate
/// limit. The handler type is fixed inside; only replaying it goes through `dyn`, once.
pub struct SessionGroup {
    role: Role,
    connect_limit: ConnectRateLimit,
    sessions: Box<dyn SessionList>,
}

impl fmt::Debug for SessionGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionGroup")
            .field("role", &self.role)
            .field("sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

impl SessionGroup {
    fn new<S: SinkHandler>(role: Role, connect_limit: ConnectRateLimit, sessions: Vec<S>) -> Self {
        Self {
            role,
            connect_limit,
            sessions: Box::new(sessions),
        }
    }

    /// Market data or account data.
    pub fn role(&self) -> Role {
        self.role
    }

    /// How many sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The connect-rate limit the group's connections share.
    pub fn connect_limit(&self) -> ConnectRateLimit {
        self.connect_limit
    }

    /// The group as a replay target, shards numbered on from `shard`.
    pub(crate) fn into_replay(
        self,
        shard: &mut u16,
        control: &Arc<RunControl>,
    ) -> Box<dyn ReplayGroup> {
        self.sessions.into_replay(shard, control)
    }
}

/// A `Vec` of one handler type, behind `dyn` only until it starts.
trait SessionList: Send {
    fn len(&self) -> usize;

    fn into_replay(
        self: Box<Self>,
        shard: &mut u16,
        control: &Arc<RunControl>,
    ) -> Box<dyn ReplayGroup>;
}

impl<S: SinkHandler> SessionList for Vec<S> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn into_replay(
        self: Box<Self>,
        shard: &mut u16,
        control: &Arc<RunControl>,
    ) -> Box<dyn ReplayGroup> {
        replayer(*self, shard, control)
    }
}

/// Builds the sessions a plan needs: public ones first, then private ones. The venue
/// request itself is the client library's ([`exchange_ws::sessions`]).
pub fn build(plan: &StreamPlan) -> Result<Vec<SessionGroup>, String> {
    let session_plan = SessionPlan {
        venue: plan.venue,
        symbols: &plan.symbols,
        channels: &plan.channels,
        depth: plan.depth,
        levels: plan.levels,
        credentials: plan.credentials.as_ref().map(|k| ApiCredentials {
            key: k.key(),
            secret: k.secret(),
            user_id: k.user_id(),
        }),
        endpoints: EndpointChoice::Custom {
            ws_url: plan.ws_url.clone(),
            rest_url: plan.rest_url.clone(),
        },
        fast_timers: plan.fast_timers,
    };
    let mut groups = Groups(Vec::new());
    build_sessions(&session_plan, &mut groups)?;
    Ok(groups.0)
}

struct Groups(Vec<SessionGroup>);

impl SessionTarget for Groups {
    fn public<S>(&mut self, sessions: Vec<S>, limit: ConnectRateLimit) -> Result<(), String>
    where
        S: PublicVenueHandler<Callbacks = EventSink> + VenueHandler<Callbacks = EventSink>,
    {
        self.0
            .push(SessionGroup::new(Role::Public, limit, sessions));
        Ok(())
    }

    fn private<S>(&mut self, session: S, limit: ConnectRateLimit) -> Result<(), String>
    where
        S: VenueHandler<Callbacks = EventSink>,
    {
        self.0
            .push(SessionGroup::new(Role::Private, limit, vec![session]));
        Ok(())
    }
}

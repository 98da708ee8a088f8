//! The futures sessions: [`MexcFuturesPublicHandler`] (books, deals, tickers) and
//! [`MexcFuturesPrivateHandler`] (login, personal pushes, reconciliation), assembled from
//! the shared machinery (`ws_handlers::Lifecycle`, `BookSync`, `Reconciler`,
//! `PrivateDelivery`) and this market's decoders. The configuration both share is
//! [`FuturesHandlerConfig`].

mod config;
mod detect;
mod private;
mod public;
#[cfg(test)]
mod tests;

pub use config::FuturesHandlerConfig;
pub use private::{FuturesPrivateCounters, MexcFuturesPrivateHandler, MexcFuturesPrivateParts};
pub use public::{
    FuturesPublicCommand, FuturesPublicCounters, MexcFuturesPublicHandler, MexcFuturesPublicParts,
};

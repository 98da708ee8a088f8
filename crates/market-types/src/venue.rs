//! The venues this workspace connects to.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

/// One venue and market type; each has its own wire protocol and symbol spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Venue {
    /// Gate.io spot (`spot.*` channels).
    GateioSpot,
    /// Gate.io USDT perpetual futures (`futures.*` channels).
    GateioFutures,
    /// MEXC spot (protobuf market data).
    MexcSpot,
    /// MEXC USDT-M perpetual futures (contract).
    MexcFutures,
}

/// A venue name that is not one of [`Venue::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VenueError {
    /// The name matches no venue.
    #[error("unknown venue name")]
    Unknown,
}

impl Venue {
    /// Every venue, in declaration order.
    pub const ALL: [Venue; 4] = [
        Venue::GateioSpot,
        Venue::GateioFutures,
        Venue::MexcSpot,
        Venue::MexcFutures,
    ];

    /// Stable kebab-case name, used in config, logs and metrics labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            Venue::GateioSpot => "gateio-spot",
            Venue::GateioFutures => "gateio-futures",
            Venue::MexcSpot => "mexc-spot",
            Venue::MexcFutures => "mexc-futures",
        }
    }
}

impl FromStr for Venue {
    type Err = VenueError;

    fn from_str(s: &str) -> Result<Venue, VenueError> {
        Venue::ALL
            .into_iter()
            .find(|venue| venue.as_str() == s)
            .ok_or(VenueError::Unknown)
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for venue in Venue::ALL {
            assert_eq!(venue.as_str().parse::<Venue>(), Ok(venue));
            assert_eq!(venue.to_string(), venue.as_str());
        }
        assert_eq!("gateio-spot".parse::<Venue>(), Ok(Venue::GateioSpot));
        assert_eq!("mexc-futures".parse::<Venue>(), Ok(Venue::MexcFutures));
        assert_eq!("mexc-perp".parse::<Venue>(), Err(VenueError::Unknown));
        assert_eq!("GATEIO-SPOT".parse::<Venue>(), Err(VenueError::Unknown));
    }
}

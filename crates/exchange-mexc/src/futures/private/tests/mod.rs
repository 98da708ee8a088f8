#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod login;
mod push;
mod reconcile;
mod rest;

use market_types::{Decimal, Symbol, Venue};

use super::PositionLegs;
use crate::config::Credentials;

/// Stands in for the futures venue until its variant exists (the decoders stamp
/// whatever venue they are given).
const VENUE: Venue = Venue::MexcFutures;
const API_KEY: &str = "mxU1TzSmRDW1o5AsE";
const SECRET: &str = "secret";

fn credentials() -> Credentials {
    Credentials::new(API_KEY, SECRET)
}

fn legs() -> PositionLegs {
    PositionLegs::new(VENUE, 64)
}

fn sym(text: &str) -> Symbol {
    Symbol::new(text).unwrap()
}

fn d(text: &str) -> Decimal {
    Decimal::parse(text).unwrap()
}

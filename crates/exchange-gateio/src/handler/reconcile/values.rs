//! Values Gate sends as strings or numbers, read exactly.

use std::fmt;

use market_types::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// A decimal Gate sends as a string, an integer or a float (floats are read from their
/// shortest text, which is what the venue printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Num(pub(super) Decimal);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Num, D::Error> {
        deserializer.deserialize_any(NumVisitor)
    }
}

struct NumVisitor;

impl Visitor<'_> for NumVisitor {
    type Value = Num;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal as a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
        if v.is_empty() {
            return Ok(Num(Decimal::ZERO));
        }
        Decimal::parse(v).map(Num).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Decimal::from_i64(v).map(Num).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        let v = i64::try_from(v).map_err(E::custom)?;
        Decimal::from_i64(v).map(Num).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        Decimal::parse(&format!("{v}")).map(Num).map_err(E::custom)
    }
}

/// Seconds (integer, float or text) as milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Seconds(pub(super) u64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Seconds, D::Error> {
        deserializer
            .deserialize_any(TimeVisitor { scale: 1000.0 })
            .map(Seconds)
    }
}

/// Milliseconds (integer, or text that may carry a fraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Millis(pub(super) u64);

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Millis, D::Error> {
        deserializer
            .deserialize_any(TimeVisitor { scale: 1.0 })
            .map(Millis)
    }
}

struct TimeVisitor {
    /// Milliseconds per unit of the value.
    scale: f64,
}

impl Visitor<'_> for TimeVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time as a number or a numeric string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(if self.scale > 1.0 {
            v.saturating_mul(1000)
        } else {
            v
        })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        self.visit_u64(u64::try_from(v).map_err(E::custom)?)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        let ms = (v * self.scale).round();
        if ms.is_finite() && ms >= 0.0 && ms < u64::MAX as f64 {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "range checked just above"
            )]
            Ok(ms as u64)
        } else {
            Err(E::custom("time out of range"))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        match v.parse::<u64>() {
            Ok(whole) => self.visit_u64(whole),
            Err(_) => self.visit_f64(v.parse::<f64>().map_err(E::custom)?),
        }
    }
}

//! Decimal text: `Display`/`Debug` in plain notation and serde as strings.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use super::{Decimal, DecimalError};

impl fmt::Display for Decimal {
    /// Exact digits, no exponent, no trailing zeros: `0.1`, `-12.5`, `100`.
    /// Width, fill and the `+` flag are honoured; precision is ignored.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; DISPLAY_BUF];
        let text = self.write_unsigned(&mut buf);
        f.pad_integral(self.mantissa >= 0, "", text)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Decimal {
    /// Serialized as a string so no consumer ever reads it as a float.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    /// From a decimal string or an integer; JSON floats are refused on purpose.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }
}

impl Decimal {
    /// Writes `|self|` in plain notation at the end of `buf` and returns it as text.
    fn write_unsigned<'a>(&self, buf: &'a mut [u8; DISPLAY_BUF]) -> &'a str {
        let scale = self.scale.get() as usize;
        let mut magnitude = self.mantissa.unsigned_abs();
        let mut pos = DISPLAY_BUF;
        let mut written = 0usize;
        // Fraction digits first (right to left), then the dot, then at least one integer digit.
        while written < scale {
            pos -= 1;
            buf[pos] = b'0' + (magnitude % 10) as u8;
            magnitude /= 10;
            written += 1;
        }
        if scale > 0 {
            pos -= 1;
            buf[pos] = b'.';
        }
        loop {
            pos -= 1;
            buf[pos] = b'0' + (magnitude % 10) as u8;
            magnitude /= 10;
            if magnitude == 0 {
                break;
            }
        }
        // Only ASCII digits and '.' were written, so this cannot fail.
        core::str::from_utf8(&buf[pos..]).unwrap_or("")
    }
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal string or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        Decimal::parse(v).map_err(E::custom)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Decimal, E> {
        Decimal::parse_bytes(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Decimal::from_i64(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Decimal::try_from(v).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Decimal, E> {
        Err(E::custom(DecimalError::Float))
    }
}

/// Sign is added by the formatter; 19 digits, a dot and up to 18 leading fraction zeros fit.
const DISPLAY_BUF: usize = 48;

//! Inline, `Copy` identifiers: symbols, assets, trade and order ids.
//!
//! They live in fixed arrays so that events carrying them never touch the heap.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

/// A string of 1 to `N` printable ASCII bytes (`'!'..='~'`), stored inline.
///
/// Unused bytes are always zero, so the derived equality compares by content.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct InlineStr<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

/// Why a symbol, asset or id string was refused. Shared by every inline identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SymbolError {
    /// The input was empty.
    #[error("empty identifier")]
    Empty,
    /// The input is longer than the inline capacity.
    #[error("identifier is {len} bytes, at most {max} fit")]
    TooLong {
        /// Length of the input in bytes.
        len: usize,
        /// Capacity of the identifier type.
        max: usize,
    },
    /// A byte outside printable ASCII (space, control, non-ASCII).
    #[error("invalid character in identifier at byte {position}")]
    InvalidCharacter {
        /// Byte offset of the offending byte.
        position: usize,
    },
    /// A negative number given where an unsigned numeric id was expected.
    #[error("numeric identifier is negative")]
    Negative,
}

impl<const N: usize> InlineStr<N> {
    /// Copies `s` inline.
    ///
    /// # Errors
    /// [`SymbolError::Empty`], [`SymbolError::TooLong`] past `N` bytes, or
    /// [`SymbolError::InvalidCharacter`] for anything but printable ASCII.
    #[inline]
    pub const fn new(s: &str) -> Result<InlineStr<N>, SymbolError> {
        InlineStr::from_bytes(s.as_bytes())
    }

    /// Copies ASCII bytes inline; the same rules as [`InlineStr::new`].
    ///
    /// # Errors
    /// As [`InlineStr::new`].
    pub const fn from_bytes(input: &[u8]) -> Result<InlineStr<N>, SymbolError> {
        const {
            assert!(
                N <= u8::MAX as usize,
                "InlineStr capacity must fit a u8 length"
            )
        };
        if input.is_empty() {
            return Err(SymbolError::Empty);
        }
        if input.len() > N {
            return Err(SymbolError::TooLong {
                len: input.len(),
                max: N,
            });
        }
        let mut bytes = [0u8; N];
        let mut i = 0;
        while i < input.len() {
            if !input[i].is_ascii_graphic() {
                return Err(SymbolError::InvalidCharacter { position: i });
            }
            bytes[i] = input[i];
            i += 1;
        }
        Ok(InlineStr {
            bytes,
            len: input.len() as u8,
        })
    }

    /// Decimal digits of `value`, formatted without allocating. Needs `N >= 20`.
    pub const fn from_u64(mut value: u64) -> InlineStr<N> {
        const { assert!(N >= 20 && N <= u8::MAX as usize, "u64 ids need 20 bytes") };
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        let mut bytes = [0u8; N];
        let mut i = 0;
        while start + i < digits.len() {
            bytes[i] = digits[start + i];
            i += 1;
        }
        InlineStr {
            bytes,
            len: i as u8,
        }
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        // Construction admits printable ASCII only, so this cannot fail.
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The text as bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        let len = usize::from(self.len).min(N);
        &self.bytes[..len]
    }
}

impl<const N: usize> Hash for InlineStr<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl<const N: usize> Ord for InlineStr<N> {
    fn cmp(&self, other: &InlineStr<N>) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl<const N: usize> PartialOrd for InlineStr<N> {
    fn partial_cmp(&self, other: &InlineStr<N>) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> FromStr for InlineStr<N> {
    type Err = SymbolError;

    fn from_str(s: &str) -> Result<InlineStr<N>, SymbolError> {
        InlineStr::new(s)
    }
}

impl<const N: usize> fmt::Display for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> Serialize for InlineStr<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de, const N: usize> Deserialize<'de> for InlineStr<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<InlineStr<N>, D::Error> {
        deserializer.deserialize_str(StrVisitor::<N>)
    }
}

impl<const N: usize> PartialEq<str> for InlineStr<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> PartialEq<&str> for InlineStr<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

/// A venue's instrument name exactly as the venue spells it (`BTC_USDT`, `BTCUSDT`), up to 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(InlineStr<32>);

/// An asset or currency code (`BTC`, `USDT`), up to 16 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Asset(InlineStr<16>);

/// A venue's trade id, up to 48 bytes; numeric ids are kept as their decimal text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TradeId(InlineStr<ID_LEN>);

/// A venue-assigned order id, up to 48 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(InlineStr<ID_LEN>);

/// A client-assigned order id (Gate's `text`, MEXC's `clientOrderId`), up to 48 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientOrderId(InlineStr<ID_LEN>);

macro_rules! inline_newtype {
    ($name:ident, $cap:literal) => {
        impl $name {
            /// Maximum length in bytes.
            pub const MAX_LEN: usize = $cap;

            /// Copies `s` inline.
            ///
            /// # Errors
            /// [`SymbolError::Empty`], [`SymbolError::TooLong`] or
            /// [`SymbolError::InvalidCharacter`] for anything but printable ASCII.
            #[inline]
            pub const fn new(s: &str) -> Result<$name, SymbolError> {
                $name::from_bytes(s.as_bytes())
            }

            /// Copies ASCII bytes inline; the same rules as `new`.
            ///
            /// # Errors
            /// As `new`.
            #[inline]
            pub const fn from_bytes(bytes: &[u8]) -> Result<$name, SymbolError> {
                match InlineStr::from_bytes(bytes) {
                    Ok(inner) => Ok($name(inner)),
                    Err(error) => Err(error),
                }
            }

            /// The text.
            #[inline]
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// The text as bytes.
            #[inline]
            pub fn as_bytes(&self) -> &[u8] {
                self.0.as_bytes()
            }
        }

        impl FromStr for $name {
            type Err = SymbolError;

            #[inline]
            fn from_str(s: &str) -> Result<$name, SymbolError> {
                $name::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = SymbolError;

            #[inline]
            fn try_from(s: &str) -> Result<$name, SymbolError> {
                $name::new(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }
    };
}

macro_rules! numeric_id {
    ($name:ident) => {
        impl $name {
            /// The decimal text of a numeric id, formatted without allocating.
            #[inline]
            pub const fn from_u64(id: u64) -> $name {
                $name(InlineStr::from_u64(id))
            }
        }

        impl From<u64> for $name {
            #[inline]
            fn from(id: u64) -> $name {
                $name::from_u64(id)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            /// From a string or a non-negative integer (venues use both).
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                deserializer.deserialize_any(IdVisitor).map($name)
            }
        }
    };
}

inline_newtype!(Symbol, 32);
inline_newtype!(Asset, 16);
inline_newtype!(TradeId, 48);
inline_newtype!(OrderId, 48);
inline_newtype!(ClientOrderId, 48);

numeric_id!(TradeId);
numeric_id!(OrderId);
numeric_id!(ClientOrderId);

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Symbol, D::Error> {
        InlineStr::deserialize(deserializer).map(Symbol)
    }
}

impl<'de> Deserialize<'de> for Asset {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Asset, D::Error> {
        InlineStr::deserialize(deserializer).map(Asset)
    }
}

/// Copies the text straight from the input, so no `String` is built.
struct StrVisitor<const N: usize>;

impl<const N: usize> Visitor<'_> for StrVisitor<N> {
    type Value = InlineStr<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string of at most {N} printable ASCII bytes")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<InlineStr<N>, E> {
        InlineStr::new(v).map_err(E::custom)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<InlineStr<N>, E> {
        InlineStr::from_bytes(v).map_err(E::custom)
    }
}

/// Ids arrive as strings or as JSON integers depending on venue and channel.
struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = InlineStr<ID_LEN>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an id string of at most {ID_LEN} printable ASCII bytes or an integer"
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<InlineStr<ID_LEN>, E> {
        InlineStr::new(v).map_err(E::custom)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<InlineStr<ID_LEN>, E> {
        InlineStr::from_bytes(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<InlineStr<ID_LEN>, E> {
        Ok(InlineStr::from_u64(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<InlineStr<ID_LEN>, E> {
        match u64::try_from(v) {
            Ok(v) => Ok(InlineStr::from_u64(v)),
            Err(_) => Err(E::custom(SymbolError::Negative)),
        }
    }
}

/// Capacity of every order and trade id type.
const ID_LEN: usize = 48;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a bad fixture")]
mod tests {
    use super::*;

    #[test]
    fn symbol_accepts_printable_ascii() {
        let symbol = Symbol::new("BTC_USDT").unwrap();
        assert_eq!(symbol.as_str(), "BTC_USDT");
        assert_eq!(symbol.to_string(), "BTC_USDT");
        assert_eq!(format!("{symbol:?}"), "Symbol(\"BTC_USDT\")");
        assert_eq!(symbol, "BTC_USDT");
        assert_eq!("ETHUSDT".parse::<Symbol>().unwrap().as_bytes(), b"ETHUSDT");
        let longest = "A".repeat(32);
        assert_eq!(Symbol::new(&longest).unwrap().as_str(), longest);
        const BTC: Symbol = match Symbol::new("BTC_USDT") {
            Ok(s) => s,
            Err(_) => panic!("bad const symbol"),
        };
        assert_eq!(BTC, symbol);
    }

    #[test]
    fn symbol_errors() {
        assert_eq!(Symbol::new(""), Err(SymbolError::Empty));
        assert_eq!(
            Symbol::new(&"A".repeat(33)),
            Err(SymbolError::TooLong { len: 33, max: 32 })
        );
        assert_eq!(
            Symbol::new("BTC USDT"),
            Err(SymbolError::InvalidCharacter { position: 3 })
        );
        assert_eq!(
            Symbol::new("BTC\n"),
            Err(SymbolError::InvalidCharacter { position: 3 })
        );
        assert_eq!(
            Symbol::new("€"),
            Err(SymbolError::InvalidCharacter { position: 0 })
        );
        assert_eq!(
            Asset::new("SEVENTEEN_CHARS_X"),
            Err(SymbolError::TooLong { len: 17, max: 16 })
        );
        assert_eq!(
            Symbol::from_bytes(b"\xffA"),
            Err(SymbolError::InvalidCharacter { position: 0 })
        );
    }

    #[test]
    fn ordering_and_equality_are_by_text() {
        let a = Symbol::new("AB").unwrap();
        let b = Symbol::new("ABC").unwrap();
        let c = Symbol::new("B").unwrap();
        assert!(a < b && b < c);
        assert_ne!(a, b);

        use std::hash::BuildHasher;
        let state = std::hash::RandomState::new();
        assert_eq!(
            state.hash_one(Symbol::new("X_Y").unwrap()),
            state.hash_one(Symbol::new("X_Y").unwrap())
        );
    }

    #[test]
    fn numeric_ids_format_without_allocating() {
        assert_eq!(TradeId::from_u64(0).as_str(), "0");
        assert_eq!(TradeId::from_u64(309_143_071).as_str(), "309143071");
        assert_eq!(OrderId::from_u64(u64::MAX).as_str(), "18446744073709551615");
        assert_eq!(ClientOrderId::from(7u64), "7");
        assert_eq!(
            OrderId::new("C02__443776347957968896088").unwrap(),
            "C02__443776347957968896088"
        );
        assert_eq!(
            ClientOrderId::new(&"x".repeat(49)),
            Err(SymbolError::TooLong { len: 49, max: 48 })
        );
    }
}

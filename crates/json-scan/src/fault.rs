//! The scanner's error vocabulary, in one place: a [`Fault`] is a failure at a byte
//! offset, before the frame's context is attached (the public error is built from it
//! where the frame is known); [`Malformation`], [`FieldError`] and [`IdentifierError`] say what went wrong and
//! are public through each venue crate's error.

use market_types::{DecimalError, SymbolError};

/// A decode failure at a byte offset; turned into a venue crate's public error with context
/// (channel, pair, raw snippet) at the module boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub at: usize,
}

/// What went wrong, before context is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The bytes are not valid JSON (or are cut short).
    Json(Malformation),
    /// A required member is absent.
    Missing(&'static str),
    /// A member is present but its value is unusable.
    Invalid(&'static str, FieldError),
    /// A member that must be unique appeared twice.
    Duplicate(&'static str),
}

impl Fault {
    #[inline]
    pub const fn json(kind: Malformation, at: usize) -> Fault {
        Fault {
            kind: FaultKind::Json(kind),
            at,
        }
    }

    #[inline]
    pub const fn missing(field: &'static str, at: usize) -> Fault {
        Fault {
            kind: FaultKind::Missing(field),
            at,
        }
    }

    #[inline]
    pub const fn invalid(field: &'static str, error: FieldError, at: usize) -> Fault {
        Fault {
            kind: FaultKind::Invalid(field, error),
            at,
        }
    }

    #[inline]
    pub const fn duplicate(field: &'static str, at: usize) -> Fault {
        Fault {
            kind: FaultKind::Duplicate(field),
            at,
        }
    }
}

/// How the bytes fail to be JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Malformation {
    /// The frame ended inside a value.
    #[error("unexpected end of frame")]
    UnexpectedEnd,
    /// A byte that cannot start or continue the expected token.
    #[error("unexpected byte 0x{0:02x}")]
    UnexpectedByte(u8),
    /// A bad backslash escape in a string.
    #[error("invalid string escape")]
    InvalidEscape,
    /// A number that breaks JSON number grammar.
    #[error("invalid number")]
    InvalidNumber,
    /// Nesting deeper than any venue frame.
    #[error("nesting too deep")]
    TooDeep,
    /// Bytes after the top-level value.
    #[error("trailing bytes after the message")]
    TrailingBytes,
}

/// Why a member's value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// A price, size or amount that is not an exact decimal.
    #[error("bad decimal: {0}")]
    Decimal(DecimalError),
    /// A pair, currency or id that does not fit the inline identifier types.
    #[error("bad identifier: {0}")]
    Identifier(IdentifierError),
    /// Expected a string.
    #[error("expected a string")]
    ExpectedString,
    /// Expected a number or a numeric string.
    #[error("expected a number")]
    ExpectedNumber,
    /// Expected a non-negative integer.
    #[error("expected an integer")]
    ExpectedInteger,
    /// Expected `true` or `false`.
    #[error("expected a boolean")]
    ExpectedBool,
    /// Expected an object.
    #[error("expected an object")]
    ExpectedObject,
    /// Expected an array.
    #[error("expected an array")]
    ExpectedArray,
    /// A word outside the documented set (a side, role or status).
    #[error("unknown value")]
    UnknownValue,
    /// An integer that does not fit.
    #[error("out of range")]
    OutOfRange,
    /// A value that must be present is empty.
    #[error("empty value")]
    Empty,
    /// A book level is neither `[price, size]` nor `{"p":…, "s":…}`.
    #[error("bad book level")]
    BadLevel,
}

/// Why an identifier was refused (a compact [`SymbolError`], so errors stay small).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// Empty.
    #[error("empty")]
    Empty,
    /// Longer than the inline capacity.
    #[error("too long")]
    TooLong,
    /// Not printable ASCII.
    #[error("invalid character")]
    InvalidCharacter,
    /// Any other refusal.
    #[error("invalid")]
    Invalid,
}

impl FieldError {
    /// The field error for a refused identifier.
    pub const fn identifier(error: SymbolError) -> FieldError {
        FieldError::Identifier(match error {
            SymbolError::Empty => IdentifierError::Empty,
            SymbolError::TooLong { .. } => IdentifierError::TooLong,
            SymbolError::InvalidCharacter { .. } => IdentifierError::InvalidCharacter,
            _ => IdentifierError::Invalid,
        })
    }
}

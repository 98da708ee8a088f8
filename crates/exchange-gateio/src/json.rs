//! The JSON scanner, from the shared `json-scan` crate (kept under this path so the
//! decoders read `crate::json::…`).

pub(crate) use json_scan::{Fault, FaultKind, JsonStr, Scanner, Span, Value, digit_run};
pub use json_scan::{FieldError, IdentifierError, Malformation};

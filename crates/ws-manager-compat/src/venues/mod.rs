//! Per-venue tables of the legacy strategy path; the mixin path asks the venue connectors.

pub(crate) mod gateio;
pub(crate) mod mexc;

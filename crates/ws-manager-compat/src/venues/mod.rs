//! Per-venue translation tables shared by both paths.

pub(crate) mod gateio;
pub(crate) mod mexc;

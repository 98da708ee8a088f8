//! The exact value readers, from the shared `json-scan` crate.

pub(crate) use json_scan::read::*;

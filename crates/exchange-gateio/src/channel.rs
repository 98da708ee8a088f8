//! Typed channels and subscriptions, under the path the rest of the crate and its users
//! have always named them by.
//!
//! The items live one layer each: the channel vocabulary and its table in
//! [`crate::venue`], subscriptions in [`crate::subscription`], the rendered requests in
//! [`crate::request`]. Nothing below this module imports it.

pub use crate::request::ping_request;
pub use crate::subscription::{Payload, Subscription, UserId};
pub use crate::venue::{BookDepth, Channel, Market, RequestEvent};

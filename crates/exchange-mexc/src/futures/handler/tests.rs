//! The futures sessions on scripted frames with a fake clock.

//! The JSON API under `/api/v1`.

pub mod me_access_events;

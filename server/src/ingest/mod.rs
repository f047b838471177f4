//! The audit feed: access events arrive over HTTP and from bulk imports, are parsed against the
//! event contract (CloudEvents 1.0, `einblick.access.v1`) and stored exactly once. Anything that
//! cannot be stored is kept in the dead-letter store with its raw bytes and the reason.

pub mod binary;
pub mod directory;
pub mod event;
pub mod http;
pub mod import;
pub mod nats;
pub mod partitions;
pub mod store;
pub mod token;

use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.post("/api/v1/feed/events", Access::Token, http::receive);
}

//! The customer's own view of their accesses: the timeline's data (for the page and the JSON
//! API) and the proof downloads of one entry and of the whole timeline.

pub mod api;
pub mod proof;
pub mod timeline;

use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.get("/api/v1/me/access-events", Access::Customer, api::list);
    routes.get("/timeline/proof", Access::Customer, proof::timeline_proof);
    routes.get(
        "/timeline/{entry}/proof",
        Access::Customer,
        proof::entry_proof,
    );
    routes.get(
        "/timeline/{entry}/tlog-proof",
        Access::Customer,
        proof::entry_tlog_proof,
    );
}

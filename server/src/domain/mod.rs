//! Domain types: untrusted input becomes one of these at the edge, or is rejected there.

pub mod email_address;
pub mod ids;
pub mod timeline_filter;

pub use email_address::EmailAddress;
pub use ids::{AccessEventId, CustomerId, CustomerRef, StaffUserId};
pub use timeline_filter::{TimelineCursor, TimelineFilter};

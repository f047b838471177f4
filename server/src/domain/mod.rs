//! Domain types: untrusted input becomes one of these at the edge, or is rejected there.

pub mod access_event;
pub mod context;
pub mod csv;
pub mod customer_profile;
pub mod dispute;
pub mod email_address;
pub mod explanation;
pub mod ids;
pub mod notification;
pub mod report_period;
pub mod retention;
pub mod staff_role;
pub mod time;
pub mod timeline_filter;

pub use customer_profile::CustomerProfile;
pub use dispute::{Deadline, DisputeGround, DisputeId, DisputeReference, DisputeStatus, PlainText};
pub use email_address::EmailAddress;
pub use ids::{
    AccessEventId, CustomerId, CustomerRef, DeadLetterId, FeedTokenId, RegulatorCaseId,
    ServiceTokenId, StaffAccountId, StaffUserId,
};
pub use report_period::ReportPeriod;
pub use retention::RetentionPolicy;
pub use staff_role::{StaffPermission, StaffRole};
pub use timeline_filter::{TimelineCursor, TimelineFilter};

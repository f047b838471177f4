//! Stored codes and events as people read them: labels in the reader's language, and the one
//! conversion of an access event into what the timeline, the report and the case view show.

pub mod access_event;
pub mod labels;

pub use access_event::timeline_entry;
pub use labels::Labeller;

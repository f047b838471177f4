pub mod page_loader;
pub mod page_title;
pub mod problem;
pub mod site_header;
pub mod timeline_entry;

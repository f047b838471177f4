pub mod page_loader;
pub mod problem;
pub mod site_header;
pub mod timeline_entry;

//! Einblick's server: database, authentication, HTTP, demo data and the command line.

pub mod auth;
pub mod backoffice;
pub mod canonical_json;
pub mod cli;
pub mod config;
pub mod db;
pub mod disputes;
pub mod domain;
pub mod email;
pub mod error;
pub mod http;
pub mod ingest;
pub mod portal;
pub mod regulators;
pub mod reports;
pub mod seed;
pub mod statistics;
pub mod transparency;

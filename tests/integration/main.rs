//! Integration tests: each test boots the real server on port 0 against a fresh database, and
//! runs once on SQLite and once on PostgreSQL. One binary on purpose (link once, share helpers).

// The helpers are shared by the modules of this one test crate, and a panic here is a failed
// test with its reason.
#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod access_events_api;
mod cli;
mod cloudevents;
mod cross_account;
mod customer_access;
mod disputes;
mod email_smtp;
mod explanations;
mod feed_admin;
mod feed_http;
mod feed_import;
mod feed_nats;
mod hardening_feed;
mod hardening_web;
mod login;
mod notifications;
mod oidc;
mod partitions;
mod regulators;
mod reports;
mod retention;
mod route_guard;
mod scale_out;
mod security;
mod statistics;
mod timeline_page;
mod transparency;
mod witnesses;

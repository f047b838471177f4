//! Einblick's server: database, authentication, HTTP, demo data and the command line.
//!
//! Layers, lowest first; a module imports only from the layers below it:
//! - `error`, `domain`, `canonical_json`, `config`, `metrics`, `password`, `oidc`
//! - `db`, `transparency` (the verifiable log's machinery), `explain` (judging accesses),
//!   `email`, `display`
//! - `state` (what handlers share), `web` (shared web helpers), `auth` (who is asking)
//! - the features: `accounts`, `portal`, `disputes`, `backoffice`, `regulators`, `reports`, `statistics`,
//!   `ingest`, `public_log`, `ops`, `seed`
//! - `http` (composes the features' routes with the middleware) and `cli`.

/// mimalloc for every binary that links the server (the server itself, its tests and benches).
/// In a `perf` profile of the timeline bench, glibc's malloc, free and free-list consolidation
/// took about 45 % of the server threads' samples; with mimalloc the keyset query on 32
/// connections ran 9,000–15,000 times a second against 3,700–7,500 (the page's own rate moved
/// less than this machine's noise).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod accounts;
pub mod auth;
pub mod backoffice;
pub mod canonical_json;
pub mod cli;
pub mod config;
pub mod db;
pub mod display;
pub mod disputes;
pub mod domain;
pub mod email;
pub mod error;
pub mod explain;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod notifications;
pub mod oidc;
pub mod ops;
pub mod password;
pub mod portal;
pub mod public_log;
pub mod regulators;
pub mod reports;
pub mod seed;
pub mod state;
pub mod statistics;
pub mod transparency;
pub mod web;

#[cfg(test)]
mod module_graph;
#[cfg(test)]
mod snapshot;

//! Demo data: deterministic, so every developer, test and screenshot sees the same portal.

pub mod demo;

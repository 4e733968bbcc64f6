//! The ledger's test suite. Every test runs against SQLite and against a real
//! PostgreSQL (see `support::backends`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod append;
mod backfill;
mod opening;
mod outside;
mod readers;
mod support;
mod tamper;

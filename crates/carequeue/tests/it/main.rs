//! End-to-end tests of the `carequeue` binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod commands;
mod crash;
mod day_one;
mod html;
mod plan;
mod report;
mod simulate;
mod support;
mod trust;
mod verdicts;

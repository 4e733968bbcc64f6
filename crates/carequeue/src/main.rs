//! `carequeue`: the command line.
//!
//! This crate is glue: it parses the command line (`cli.rs`), opens the
//! ledger, wires readers to it and prints results. Each command lives in its
//! own module. The wall clock is read here and only here (for `recorded_at`
//! and elapsed times).

mod cli;
mod demo;
mod events_cmd;
mod ingest;
mod plan_cmd;
mod plan_file;
mod provenance;
mod report_cmd;
mod rules_cmd;
mod simulate_cmd;
mod verdicts;
mod verify;
mod worklist_cmd;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

// Reports allocate and free millions of small strings across threads, where
// the system allocator spent a quarter of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What a command reports besides errors: success, or a failure already
/// explained on stderr (rejected input, a broken chain).
pub(crate) enum Outcome {
    Success,
    Failure,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ingest(args) => ingest::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Events(args) => events_cmd::run(&args),
        Command::Verdicts(args) => verdicts::run(&args),
        Command::Rules(args) => rules_cmd::run(&args),
        Command::Report(args) => report_cmd::run(&args),
        Command::Worklist(args) => worklist_cmd::run(&args),
        Command::Simulate(args) => simulate_cmd::run(&args),
        Command::Generate(args) => simulate_cmd::generate(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Plan(args) => plan_cmd::run(&args),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::FAILURE,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(io::stderr(), "error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A closed pipe (`carequeue events | head`) ends output quietly, as with
/// other Unix tools.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().is_some_and(|err| err.kind() == io::ErrorKind::BrokenPipe)
    })
}

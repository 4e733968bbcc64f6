//! Fresh ledgers for tests: an SQLite file in a temporary folder, and a
//! PostgreSQL database created for the test and dropped after it.
//!
//! PostgreSQL is reached at `CAREQUEUE_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). When it cannot be reached
//! the tests fail if `CI` is set, and otherwise run on SQLite alone with a
//! warning.

use std::sync::atomic::{AtomicU32, Ordering};

use jiff::Timestamp;
use ledger::{AppendOptions, Appended, Incoming, Ledger};

pub(crate) const SMALL_PLAN: &str = include_str!("../../../../examples/small-plan.ndjson");
pub(crate) const SMALL_PLAN_CSV: &str = include_str!("../../../../examples/small-plan.csv");

/// A fresh, empty ledger; dropping it removes it.
pub(crate) enum TestDb {
    Sqlite { _dir: tempfile::TempDir, path: String },
    Postgres { admin: String, name: String, url: String },
}

impl TestDb {
    pub(crate) fn location(&self) -> &str {
        match self {
            TestDb::Sqlite { path, .. } => path,
            TestDb::Postgres { url, .. } => url,
        }
    }

    pub(crate) fn open(&self) -> Ledger {
        Ledger::open(self.location()).expect("open ledger")
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            TestDb::Sqlite { .. } => "sqlite",
            TestDb::Postgres { .. } => "postgres",
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin, name, .. } = self
            && let Ok(mut client) = postgres::Client::connect(admin, postgres::NoTls)
        {
            {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn admin_url() -> String {
    std::env::var("CAREQUEUE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub(crate) fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.db").display().to_string();
    TestDb::Sqlite { _dir: dir, path }
}

/// A new PostgreSQL database, or `None` (with a warning) when no server is
/// reachable outside CI.
pub(crate) fn postgres() -> Option<TestDb> {
    let admin = admin_url();
    let mut client = match postgres::Client::connect(&admin, postgres::NoTls) {
        Ok(client) => client,
        Err(err) => {
            if std::env::var_os("CI").is_some() {
                panic!("CI is set but PostgreSQL at {admin} cannot be reached: {err}");
            }
            eprintln!("warning: PostgreSQL at {admin} unreachable ({err}); testing SQLite only");
            return None;
        }
    };
    let name = format!(
        "carequeue_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    client.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("CAREQUEUE_TEST_POSTGRES must end with /DATABASE"),
    };
    Some(TestDb::Postgres { admin, name, url })
}

/// One fresh ledger per backend.
pub(crate) fn backends() -> Vec<TestDb> {
    let mut dbs = vec![sqlite()];
    dbs.extend(postgres());
    dbs
}

/// A fixed moment for `recorded_at`, `n` seconds into 2026.
pub(crate) fn at(n: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + n).expect("timestamp")
}

pub(crate) fn options(source: &str, recorded_at: Timestamp) -> AppendOptions {
    AppendOptions { source: source.to_owned(), recorded_at, max_problems: 20 }
}

/// Reads events from text (NDJSON or CSV).
pub(crate) fn read(text: &str) -> Vec<Result<Incoming, formats::Error>> {
    formats::Reader::new(text.as_bytes(), "input")
        .expect("reader")
        .map(|item| item.map(|located| Incoming::new(located.line, located.value)))
        .collect()
}

/// Appends text as one batch and renders the outcome.
pub(crate) fn append_text(
    ledger: &Ledger,
    source: &str,
    text: &str,
    recorded_at: Timestamp,
) -> String {
    let appended = ledger.append(read(text), &options(source, recorded_at)).expect("append");
    render(&appended)
}

pub(crate) fn render(appended: &Appended<formats::Error>) -> String {
    match appended {
        Appended::Stored(summary) => format!(
            "stored: read {} new {} duplicate {} seq {}..={}",
            summary.batch.n_read,
            summary.batch.n_new,
            summary.batch.n_duplicate,
            summary.batch.first_seq,
            summary.batch.last_seq
        ),
        Appended::Rejected(rejection) => {
            let mut out = format!("rejected after reading {} events:", rejection.n_read);
            for problem in &rejection.problems {
                match problem {
                    ledger::Problem::Source(err) => out.push_str(&format!("\n  {err}")),
                    ledger::Problem::Event(problem) => {
                        out.push_str(&format!("\n  line {}: {problem}", problem.line));
                    }
                }
            }
            if rejection.n_more > 0 {
                out.push_str(&format!("\n  and {} more", rejection.n_more));
            }
            out
        }
    }
}

/// The canonical bodies of every stored event, in order.
pub(crate) fn bodies(ledger: &Ledger) -> Vec<String> {
    let mut out = Vec::new();
    ledger
        .for_each_event(None, |stored| {
            out.push(String::from_utf8(stored.event.canonical_json())?);
            Ok(())
        })
        .expect("scan");
    out
}

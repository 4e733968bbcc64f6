//! Test support shared by carequeue's crates; a dev-dependency only.
//!
//! [`TestDb`] gives each test a fresh, empty ledger location: an SQLite file
//! in a temporary folder, or a PostgreSQL database created for the test and
//! dropped after it. PostgreSQL is reached at `CAREQUEUE_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`). When it cannot be
//! reached the tests fail if `CI` is set, and otherwise run on SQLite alone
//! with a warning.

#![allow(clippy::expect_used, clippy::print_stdout)]

use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh, empty ledger location; dropping it removes it.
#[derive(Debug)]
pub enum TestDb {
    /// An SQLite file in a temporary folder.
    Sqlite {
        /// Keeps the folder alive.
        dir: tempfile::TempDir,
        /// The file's path.
        path: String,
    },
    /// A PostgreSQL database of its own.
    Postgres {
        /// The server's maintenance database, to drop this one.
        admin: String,
        /// The database's name.
        name: String,
        /// The database's URL.
        url: String,
    },
}

impl TestDb {
    /// The `--db` value.
    pub fn location(&self) -> &str {
        match self {
            TestDb::Sqlite { path, .. } => path,
            TestDb::Postgres { url, .. } => url,
        }
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            TestDb::Sqlite { .. } => "sqlite",
            TestDb::Postgres { .. } => "postgres",
        }
    }

    /// A fresh SQLite location.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ledger.db").display().to_string();
        TestDb::Sqlite { dir, path }
    }

    /// A fresh PostgreSQL database, or `None` (with a warning) when no
    /// server is reachable and `CI` is not set.
    ///
    /// # Panics
    ///
    /// When `CI` is set and the server cannot be reached: in CI the
    /// PostgreSQL suite fails rather than skips.
    pub fn postgres() -> Option<TestDb> {
        let admin = std::env::var("CAREQUEUE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let mut client = match postgres::Client::connect(&admin, postgres::NoTls) {
            Ok(client) => client,
            Err(err) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set but PostgreSQL at {admin} cannot be reached: {err}"
                );
                eprintln!(
                    "warning: PostgreSQL at {admin} unreachable ({err}); testing SQLite only"
                );
                return None;
            }
        };
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "carequeue_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        client.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
        let (base, _) =
            admin.rsplit_once('/').expect("CAREQUEUE_TEST_POSTGRES ends with /DATABASE");
        let url = format!("{base}/{name}");
        Some(TestDb::Postgres { admin, name, url })
    }

    /// One fresh location per backend: SQLite, then PostgreSQL when reachable.
    pub fn each_backend() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite()];
        dbs.extend(TestDb::postgres());
        dbs
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin, name, .. } = self
            && let Ok(mut client) = postgres::Client::connect(admin, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

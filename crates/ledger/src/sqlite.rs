//! The SQLite backend: the embedded default.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::Mode;
use crate::chain::Chain;
use crate::error::Error;
use crate::store::{
    BATCH_COLUMNS, BATCH_COLUMNS_V1, BatchKind, BatchRow, Candidate, Deferred, Found,
    KIND_MIGRATION, Outcome, ReadTo, RefQuery, Store, StoredRow, Tx, Unresolved,
};

/// The migrations, in order; each runs once.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_ledger.sql")),
    (2, include_str!("../migrations/sqlite/0002_batch_kind.sql")),
];

pub(crate) struct Sqlite {
    path: PathBuf,
    /// The connection that appends; none when opened for reading.
    writer: Option<Mutex<Connection>>,
    /// The schema's migration when opened (reads check it again in their
    /// own snapshot: an append may migrate the ledger meanwhile).
    schema: i64,
}

impl Sqlite {
    pub(crate) fn open(path: &Path, mode: Mode) -> Result<Sqlite, Error> {
        if path.as_os_str().is_empty() {
            return Err(Error::Location {
                location: String::new(),
                reason: "no path given (use --db or CAREQUEUE_DB)".to_owned(),
            });
        }
        if path.is_dir() {
            return Err(Error::Location {
                location: path.display().to_string(),
                reason: "is a directory; give the path of a ledger file".to_owned(),
            });
        }
        if mode == Mode::Read {
            let mut sqlite = Sqlite { path: path.to_owned(), writer: None, schema: KIND_MIGRATION };
            if !path.exists() {
                return Err(Error::Location {
                    location: path.display().to_string(),
                    reason: "no such file; only `carequeue ingest` (or `demo`) creates a ledger"
                        .to_owned(),
                });
            }
            sqlite.schema = check_schema(&sqlite.reader()?, path)?;
            return Ok(sqlite);
        }
        let conn = Connection::open(path).map_err(|err| Error::Location {
            location: path.display().to_string(),
            reason: err.to_string(),
        })?;
        configure(&conn)?;
        // Durability: in WAL mode, FULL syncs the log at every commit, so a
        // batch is on disk before the append returns.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "cache_size", -64_000)?;
        migrate(&conn)?;
        conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS deferred_refs (
                line INTEGER NOT NULL, event_id TEXT NOT NULL, field TEXT NOT NULL,
                is_event INTEGER NOT NULL, key TEXT NOT NULL, request_id TEXT)",
        )?;
        Ok(Sqlite {
            path: path.to_owned(),
            writer: Some(Mutex::new(conn)),
            schema: MIGRATIONS.last().map_or(0, |m| m.0),
        })
    }

    fn reader(&self) -> Result<Connection, Error> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|err| Error::Location {
            location: self.path.display().to_string(),
            reason: err.to_string(),
        })?;
        configure(&conn)?;
        Ok(conn)
    }
}

/// Checks, reading only, that `conn` holds a ledger whose schema this build
/// can read, and returns the schema's migration.
fn check_schema(conn: &Connection, path: &Path) -> Result<i64, Error> {
    let not_a_ledger = |reason: String| Error::Location {
        location: path.display().to_string(),
        reason: format!("not a carequeue ledger ({reason})"),
    };
    let current: Option<i64> =
        match conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| r.get(0)) {
            Ok(current) => current,
            Err(rusqlite::Error::SqliteFailure(err, message))
                if err.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(not_a_ledger(message.unwrap_or_else(|| err.to_string())));
            }
            Err(rusqlite::Error::SqliteFailure(_, Some(message)))
                if message.contains("no such table") =>
            {
                return Err(not_a_ledger("it has no table schema_migrations".to_owned()));
            }
            Err(err) => return Err(err.into()),
        };
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    match current {
        Some(found) if found > known => Err(Error::SchemaTooNew { found, known }),
        // An older schema is read as it is; only an append migrates it.
        Some(found) if found >= 1 => Ok(found),
        found => Err(Error::Location {
            location: path.display().to_string(),
            reason: format!(
                "the ledger's schema is at migration {}, this carequeue's at {known}; \
                 `carequeue ingest` brings it up to date",
                found.unwrap_or(0)
            ),
        }),
    }
}

fn configure(conn: &Connection) -> Result<(), Error> {
    // Another process may hold the write lock for the length of a large
    // batch; wait for it rather than fail.
    conn.busy_timeout(std::time::Duration::from_secs(600))?;
    Ok(())
}

fn migrate(conn: &Connection) -> Result<(), Error> {
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);",
    )?;
    let result = (|| {
        let current: i64 =
            conn.query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| {
                r.get(0)
            })?;
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > known {
            return Err(Error::SchemaTooNew { found: current, known });
        }
        for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            conn.execute_batch(sql)?;
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                [version],
            )?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(err);
        }
    }
    Ok(())
}

/// Every batch row, as the schema seen by `conn` (in its snapshot) holds
/// them: a ledger from before `kind` existed has only live batches.
fn load_batches(conn: &Connection) -> Result<Vec<BatchRow>, Error> {
    let schema: i64 =
        conn.query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| {
            r.get(0)
        })?;
    let columns = if schema < KIND_MIGRATION { BATCH_COLUMNS_V1 } else { BATCH_COLUMNS };
    let mut stmt = conn.prepare(&format!("SELECT {columns} FROM batches ORDER BY batch_id"))?;
    let rows = stmt.query_map([], batch_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn batch_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BatchRow> {
    {
        Ok(BatchRow {
            batch_id: r.get(0)?,
            recorded_at: r.get(1)?,
            first_seq: r.get(2)?,
            last_seq: r.get(3)?,
            head_hash: r.get(4)?,
            source: r.get(5)?,
            n_read: r.get(6)?,
            n_new: r.get(7)?,
            n_duplicate: r.get(8)?,
            batch_hash: r.get(9)?,
            kind: {
                let kind: String = r.get(10)?;
                BatchKind::parse(&kind).ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(
                        10,
                        rusqlite::types::Type::Text,
                        format!("a batch's kind is {kind:?}, not live or backfill").into(),
                    )
                })?
            },
        })
    }
}

impl Store for Sqlite {
    fn begin(&self) -> Result<Box<dyn Tx + '_>, Error> {
        let conn = self
            .writer
            .as_ref()
            .ok_or(Error::ReadOnly)?
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A transaction left open by a panic in another thread is rolled back.
        if !conn.is_autocommit() {
            conn.execute_batch("ROLLBACK")?;
        }
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.execute("DELETE FROM deferred_refs", [])?;
        Ok(Box::new(SqliteTx { conn, open: true }))
    }

    fn read(
        &self,
        pick: &mut dyn FnMut(&[BatchRow]) -> ReadTo,
        each: &mut dyn FnMut(StoredRow) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let conn = self.reader()?;
        // One read transaction, so the batches and the events are one snapshot.
        conn.execute_batch("BEGIN")?;
        let to = pick(&load_batches(&conn)?);
        let bound =
            |seq: Option<u64>| seq.map_or(i64::MAX, |s| i64::try_from(s).unwrap_or(i64::MAX));
        // The voids first (few, through their index), rather than a join
        // probing the index for every event.
        let mut voided: std::collections::HashMap<String, String> =
            std::collections::HashMap::new();
        {
            let mut stmt = conn.prepare(
                "SELECT voids, event_id FROM events WHERE voids IS NOT NULL AND seq <= ?1",
            )?;
            let mut rows = stmt.query([bound(to.voids)])?;
            while let Some(r) = rows.next()? {
                voided.insert(r.get(0)?, r.get(1)?);
            }
        }
        let mut stmt = conn.prepare(
            "SELECT seq, event_id, type, recorded_at, request_id, creates, voids, body, hash
             FROM events WHERE seq <= ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([bound(to.events)])?;
        while let Some(r) = rows.next()? {
            let event_id: String = r.get(1)?;
            let voided_by = if voided.is_empty() { None } else { voided.remove(&event_id) };
            each(StoredRow {
                seq: r.get(0)?,
                event_id,
                event_type: r.get(2)?,
                recorded_at: r.get(3)?,
                request_id: r.get(4)?,
                creates: r.get(5)?,
                voids: r.get(6)?,
                body: r.get(7)?,
                hash: r.get(8)?,
                voided_by,
            })?;
        }
        Ok(())
    }

    fn schema(&self) -> (i64, i64) {
        (self.schema, MIGRATIONS.last().map_or(0, |m| m.0))
    }

    fn batches(&self) -> Result<Vec<BatchRow>, Error> {
        load_batches(&self.reader()?)
    }
}

struct SqliteTx<'s> {
    conn: MutexGuard<'s, Connection>,
    open: bool,
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn is_unique_violation(err: &rusqlite::Error, column: &str) -> bool {
    match err {
        rusqlite::Error::SqliteFailure(code, Some(message)) => {
            code.code == rusqlite::ErrorCode::ConstraintViolation
                && message.ends_with(&format!("events.{column}"))
        }
        _ => false,
    }
}

impl Tx for SqliteTx<'_> {
    fn clock(&mut self) -> Result<Option<jiff::Timestamp>, Error> {
        Ok(None)
    }

    fn last_batch(&mut self) -> Result<Option<BatchRow>, Error> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {BATCH_COLUMNS} FROM batches ORDER BY batch_id DESC LIMIT 1"),
                [],
                batch_row,
            )
            .optional()?;
        Ok(row)
    }

    fn append_chunk(
        &mut self,
        chain: &mut Chain,
        candidates: &[Candidate<'_>],
    ) -> Result<Vec<Outcome>, Error> {
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO events (seq, event_id, type, recorded_at, request_id, creates, voids, body, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (event_id) DO NOTHING",
        )?;
        let mut outcomes = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            let body = candidate.body;
            let (seq, hash) = chain.peek(candidate.body);
            let result = insert.execute(params![
                seq,
                candidate.event_id,
                candidate.event_type,
                chain.recorded_at,
                candidate.request_id,
                candidate.creates,
                candidate.voids,
                body,
                hash,
            ]);
            let outcome = match result {
                Ok(1) => {
                    chain.advance(seq, hash);
                    Outcome::Inserted
                }
                Ok(_) => {
                    let (seq, stored): (u64, String) = self.conn.query_row(
                        "SELECT seq, body FROM events WHERE event_id = ?1",
                        [candidate.event_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?;
                    if stored == body {
                        Outcome::Duplicate
                    } else {
                        Outcome::DifferentBody { seq, body: stored }
                    }
                }
                Err(err) if is_unique_violation(&err, "creates") => {
                    let by_event_id = self.conn.query_row(
                        "SELECT event_id FROM events WHERE creates = ?1",
                        [candidate.creates],
                        |r| r.get(0),
                    )?;
                    Outcome::AlreadyCreated { by_event_id }
                }
                Err(err) if is_unique_violation(&err, "voids") => {
                    let by_event_id = self.conn.query_row(
                        "SELECT event_id FROM events WHERE voids = ?1",
                        [candidate.voids],
                        |r| r.get(0),
                    )?;
                    Outcome::AlreadyVoided { by_event_id }
                }
                Err(err) => return Err(err.into()),
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    fn resolve(&mut self, refs: &[RefQuery<'_>]) -> Result<Vec<Option<Found>>, Error> {
        let mut entity =
            self.conn.prepare_cached("SELECT request_id FROM events WHERE creates = ?1")?;
        let mut event = self.conn.prepare_cached("SELECT type FROM events WHERE event_id = ?1")?;
        refs.iter()
            .map(|query| {
                let (stmt, key) = match query {
                    RefQuery::Entity(key) => (&mut entity, key),
                    RefQuery::Event(key) => (&mut event, key),
                };
                let found = stmt.query_row([key], |r| r.get::<_, Option<String>>(0)).optional()?;
                Ok(found.map(|detail| Found { detail }))
            })
            .collect()
    }

    fn defer(&mut self, refs: &[Deferred]) -> Result<(), Error> {
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO deferred_refs (line, event_id, field, is_event, key, request_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for r in refs {
            insert.execute(params![
                r.line,
                r.event_id,
                r.field,
                r.is_event,
                r.key,
                r.request_id
            ])?;
        }
        Ok(())
    }

    fn unresolved(&mut self, limit: usize) -> Result<Unresolved, Error> {
        let mut stmt = self.conn.prepare(
            "SELECT d.line, d.event_id, d.field, d.is_event, d.key, d.request_id,
                    coalesce(c.seq, e.seq) IS NOT NULL, CASE WHEN d.is_event THEN e.type ELSE c.request_id END
             FROM deferred_refs d
             LEFT JOIN events c ON d.is_event = 0 AND c.creates = d.key
             LEFT JOIN events e ON d.is_event = 1 AND e.event_id = d.key
             WHERE (d.is_event = 0 AND (c.seq IS NULL OR (d.request_id IS NOT NULL AND c.request_id IS NOT d.request_id)))
                OR (d.is_event = 1 AND (e.seq IS NULL OR e.type = 'event.voided'))
             ORDER BY d.line",
        )?;
        let mut rows = stmt.query([])?;
        let mut list = Vec::new();
        let mut total = 0;
        while let Some(r) = rows.next()? {
            total += 1;
            if list.len() < limit {
                let deferred = Deferred {
                    line: r.get(0)?,
                    event_id: r.get(1)?,
                    field: r.get(2)?,
                    is_event: r.get(3)?,
                    key: r.get(4)?,
                    request_id: r.get(5)?,
                };
                let found = r.get::<_, bool>(6)?.then(|| Found { detail: r.get(7).ok().flatten() });
                list.push((deferred, found));
            }
        }
        Ok((list, total))
    }

    fn commit(mut self: Box<Self>, batch: &BatchRow) -> Result<(), Error> {
        self.conn.execute(
            "INSERT INTO batches (batch_id, recorded_at, first_seq, last_seq, head_hash, source, n_read,
                                  n_new, n_duplicate, batch_hash, kind)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                batch.batch_id,
                batch.recorded_at,
                batch.first_seq,
                batch.last_seq,
                batch.head_hash,
                batch.source,
                batch.n_read,
                batch.n_new,
                batch.n_duplicate,
                batch.batch_hash,
                batch.kind.as_str()
            ],
        )?;
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

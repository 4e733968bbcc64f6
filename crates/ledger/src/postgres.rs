//! The PostgreSQL backend: the server store.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

use crate::Mode;
use crate::chain::Chain;
use crate::error::Error;
use crate::store::{
    BATCH_COLUMNS, BATCH_COLUMNS_V1, BatchKind, BatchRow, Candidate, Deferred, Found,
    KIND_MIGRATION, Outcome, ReadTo, RefQuery, Store, StoredRow, Tx, Unresolved,
};

/// The migrations, in order; each runs once.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_ledger.sql")),
    (2, include_str!("../migrations/postgres/0002_batch_kind.sql")),
];

/// The advisory lock that serialises appends (and migrations) across every
/// client of the database.
const APPEND_LOCK: i64 = 0x6361_7265_7175_6575; // "carequeue"

/// The references of an append that did not resolve when read.
const DEFERRED_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS deferred_refs (
    line BIGINT NOT NULL, event_id TEXT NOT NULL, field TEXT NOT NULL,
    is_event BOOLEAN NOT NULL, key TEXT COLLATE \"C\" NOT NULL, request_id TEXT COLLATE \"C\")";

pub(crate) struct Postgres {
    url: String,
    /// The connection that appends; none when opened for reading.
    writer: Option<Mutex<Client>>,
    readers: Mutex<Vec<Client>>,
    /// The schema's migration when opened (reads check it again in their
    /// own snapshot: an append may migrate the ledger meanwhile).
    schema: i64,
}

fn connect(url: &str) -> Result<Client, Error> {
    Client::connect(url, NoTls).map_err(|err| Error::Location {
        location: crate::redact(url),
        reason: match (err.as_db_error(), std::error::Error::source(&err)) {
            (Some(db), _) => db.message().to_owned(),
            (None, Some(source)) => format!("{err}: {source}"),
            (None, None) => err.to_string(),
        },
    })
}

fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A stored count or sequence number; a negative one (which carequeue never
/// writes) becomes `u64::MAX`, so that `verify` sees it as the change it is.
fn as_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

impl Postgres {
    pub(crate) fn open(url: &str, mode: Mode) -> Result<Postgres, Error> {
        let mut client = connect(url)?;
        if mode == Mode::Read {
            let schema = check_schema(&mut client, url)?;
            return Ok(Postgres {
                url: url.to_owned(),
                writer: None,
                readers: Mutex::new(vec![client]),
                schema,
            });
        }
        migrate(&mut client)?;
        Ok(Postgres {
            url: url.to_owned(),
            writer: Some(Mutex::new(client)),
            readers: Mutex::new(Vec::new()),
            schema: MIGRATIONS.last().map_or(0, |m| m.0),
        })
    }

    /// Runs `f` on a reader connection from the pool (made on demand).
    /// An append's transaction: the write lock taken, durable at commit.
    fn begin_append(&self) -> Result<PgTx<'_>, Error> {
        let mut client = self
            .writer
            .as_ref()
            .ok_or(Error::ReadOnly)?
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if client.is_closed() {
            *client = connect(&self.url)?;
        }
        // A transaction left open by a panic in another thread is rolled back.
        // Read committed, whatever the server's default: the head must be
        // read after the lock is taken, not from a snapshot taken before.
        // Durable at commit whatever the server's or the role's
        // synchronous_commit: an append is acknowledged only once it would
        // survive a crash of the server.
        client.batch_execute(
            "ROLLBACK; BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = on",
        )?;
        let mut tx = PgTx { client, open: true };
        tx.client.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])?;
        // The temporary table lives as long as the connection, which may be
        // new.
        tx.client.batch_execute(DEFERRED_TABLE)?;
        tx.client.batch_execute("TRUNCATE deferred_refs")?;
        Ok(tx)
    }

    fn with_reader<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, Error>) -> Result<T, Error> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut client = match pooled {
            Some(client) if !client.is_closed() => client,
            _ => connect(&self.url)?,
        };
        let result = f(&mut client);
        if result.is_ok() {
            self.readers.lock().unwrap_or_else(|p| p.into_inner()).push(client);
        }
        result
    }
}

fn migrate(client: &mut Client) -> Result<(), Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )?;
    let current: i64 =
        tx.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])?.get(0);
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > known {
        return Err(Error::SchemaTooNew { found: current, known });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version])?;
    }
    tx.commit()?;
    Ok(())
}

/// Checks, reading only, that the database holds a ledger whose schema this
/// build can read, and returns the schema's migration.
fn check_schema(client: &mut Client, url: &str) -> Result<i64, Error> {
    let not_a_ledger = |reason: String| Error::Location {
        location: crate::redact(url),
        reason: format!("not a carequeue ledger ({reason})"),
    };
    let exists: bool =
        client.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?.get(0);
    if !exists {
        return Err(not_a_ledger(
            "the database has no table schema_migrations; only `carequeue ingest` creates a \
             ledger"
                .to_owned(),
        ));
    }
    let current: i64 =
        client.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])?.get(0);
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > known {
        return Err(Error::SchemaTooNew { found: current, known });
    }
    // An older schema is read as it is; only an append migrates it.
    if current < 1 {
        return Err(not_a_ledger("no migration has run".to_owned()));
    }
    Ok(current)
}

/// Every batch row, as the schema seen by `client` (in its snapshot, when
/// in a transaction) holds them: a ledger from before `kind` existed has
/// only live batches.
fn load_batches(client: &mut impl postgres::GenericClient) -> Result<Vec<BatchRow>, Error> {
    let schema: i64 =
        client.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])?.get(0);
    let columns = if schema < KIND_MIGRATION { BATCH_COLUMNS_V1 } else { BATCH_COLUMNS };
    let rows = client.query(&format!("SELECT {columns} FROM batches ORDER BY batch_id"), &[])?;
    rows.iter().map(batch_row).collect()
}

fn batch_row(r: &postgres::Row) -> Result<BatchRow, Error> {
    let kind: Option<String> = r.try_get(10).ok().flatten();
    let kind = kind.as_deref().and_then(BatchKind::parse).ok_or_else(|| Error::Corrupt {
        seq: 0,
        reason: format!("a batch's kind is {kind:?}, not live or backfill"),
    })?;
    {
        Ok(BatchRow {
            batch_id: as_u64(r.get(0)),
            recorded_at: r.get(1),
            first_seq: as_u64(r.get(2)),
            last_seq: as_u64(r.get(3)),
            head_hash: r.get(4),
            source: r.get(5),
            n_read: as_u64(r.get(6)),
            n_new: as_u64(r.get(7)),
            n_duplicate: as_u64(r.get(8)),
            batch_hash: r.get(9),
            kind,
        })
    }
}

impl Store for Postgres {
    fn begin(&self) -> Result<Box<dyn Tx + '_>, Error> {
        Ok(Box::new(self.begin_append()?))
    }

    fn read(
        &self,
        pick: &mut dyn FnMut(&[BatchRow]) -> ReadTo,
        each: &mut dyn FnMut(StoredRow) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.with_reader(|client| {
            // One snapshot for the batches and the events.
            let mut tx = client
                .build_transaction()
                .read_only(true)
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .start()?;
            let batches = load_batches(&mut tx)?;
            let to = pick(&batches);
            let (last, voids) =
                (to.events.map_or(i64::MAX, as_i64), to.voids.map_or(i64::MAX, as_i64));
            // The voids first (few, through their index), rather than a
            // join probing the index for every event.
            let mut voided: std::collections::HashMap<String, String> =
                std::collections::HashMap::new();
            for r in tx.query(
                "SELECT voids, event_id FROM events WHERE voids IS NOT NULL AND seq <= $1",
                &[&voids],
            )? {
                voided.insert(r.get(0), r.get(1));
            }
            let params: [&(dyn ToSql + Sync); 1] = [&last];
            let mut rows = tx.query_raw(
                "SELECT seq, event_id, type, recorded_at, request_id, creates, voids, body, hash
                 FROM events WHERE seq <= $1 ORDER BY seq",
                params,
            )?;
            while let Some(r) = rows.next()? {
                let event_id: String = r.get(1);
                let voided_by = if voided.is_empty() { None } else { voided.remove(&event_id) };
                each(StoredRow {
                    seq: as_u64(r.get(0)),
                    event_id,
                    event_type: r.get(2),
                    recorded_at: r.get(3),
                    request_id: r.get(4),
                    creates: r.get(5),
                    voids: r.get(6),
                    body: r.get(7),
                    hash: r.get(8),
                    voided_by,
                })?;
            }
            drop(rows);
            tx.commit()?;
            Ok(())
        })
    }

    fn schema(&self) -> (i64, i64) {
        (self.schema, MIGRATIONS.last().map_or(0, |m| m.0))
    }

    fn batches(&self) -> Result<Vec<BatchRow>, Error> {
        self.with_reader(load_batches)
    }
}

struct PgTx<'s> {
    client: MutexGuard<'s, Client>,
    open: bool,
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}

/// Runs `SELECT key, detail FROM events WHERE column = ANY(keys)`.
fn lookup(
    client: &mut Client,
    sql: &str,
    keys: &[&str],
) -> Result<HashMap<String, Option<String>>, Error> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client.query(sql, &[&keys])?;
    Ok(rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, Option<String>>(1))).collect())
}

/// Copies rows into `events` with one binary COPY.
fn copy_rows(
    client: &mut Client,
    recorded_at: &str,
    rows: &[(u64, &Candidate<'_>, String)],
) -> Result<(), postgres::Error> {
    let sink = client.copy_in(
        "COPY events (seq, event_id, type, recorded_at, request_id, creates, voids, body, hash)
         FROM STDIN (FORMAT binary)",
    )?;
    let types = [
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
    ];
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    for (seq, candidate, hash) in rows {
        writer.write(&[
            &as_i64(*seq),
            &candidate.event_id,
            &candidate.event_type,
            &recorded_at,
            &candidate.request_id,
            &candidate.creates,
            &candidate.voids,
            &candidate.body,
            hash,
        ])?;
    }
    writer.finish()?;
    Ok(())
}

impl PgTx<'_> {
    /// Looks up what the chunk's events would collide with (three queries
    /// for the chunk), decides each event's outcome, and copies in the new
    /// ones. No savepoint is used: each would start a subtransaction, and
    /// past 64 of them every other session's snapshots slow down.
    fn append_careful(
        &mut self,
        chain: &mut Chain,
        candidates: &[Candidate<'_>],
    ) -> Result<Vec<Outcome>, Error> {
        let client = &mut *self.client;
        // What the ledger already holds, in three queries for the chunk.
        let ids: Vec<&str> = candidates.iter().map(|c| c.event_id).collect();
        let existing = client
            .query("SELECT event_id, seq, body FROM events WHERE event_id = ANY($1)", &[&ids])?;
        let existing: HashMap<String, (u64, String)> = existing
            .iter()
            .map(|r| (r.get::<_, String>(0), (as_u64(r.get(1)), r.get::<_, String>(2))))
            .collect();
        let keys: Vec<&str> = candidates.iter().filter_map(|c| c.creates).collect();
        let mut creators =
            lookup(client, "SELECT creates, event_id FROM events WHERE creates = ANY($1)", &keys)?;
        let voids: Vec<&str> = candidates.iter().filter_map(|c| c.voids).collect();
        let mut voiders =
            lookup(client, "SELECT voids, event_id FROM events WHERE voids = ANY($1)", &voids)?;

        let mut in_chunk: HashMap<&str, (u64, &str)> = HashMap::new();
        let mut outcomes = Vec::with_capacity(candidates.len());
        let mut rows = Vec::new();
        for candidate in candidates {
            let outcome = if let Some((seq, stored)) = existing.get(candidate.event_id) {
                if stored == candidate.body {
                    Outcome::Duplicate
                } else {
                    Outcome::DifferentBody { seq: *seq, body: stored.clone() }
                }
            } else if let Some((seq, body)) = in_chunk.get(candidate.event_id) {
                if *body == candidate.body {
                    Outcome::Duplicate
                } else {
                    Outcome::DifferentBody { seq: *seq, body: (*body).to_owned() }
                }
            } else if let Some(by) = candidate.creates.and_then(|k| creators.get(k)) {
                Outcome::AlreadyCreated { by_event_id: by.clone().unwrap_or_default() }
            } else if let Some(by) = candidate.voids.and_then(|k| voiders.get(k)) {
                Outcome::AlreadyVoided { by_event_id: by.clone().unwrap_or_default() }
            } else {
                let (seq, hash) = chain.peek(candidate.body);
                chain.advance(seq, hash.clone());
                in_chunk.insert(candidate.event_id, (seq, candidate.body));
                if let Some(key) = candidate.creates {
                    creators.insert(key.to_owned(), Some(candidate.event_id.to_owned()));
                }
                if let Some(target) = candidate.voids {
                    voiders.insert(target.to_owned(), Some(candidate.event_id.to_owned()));
                }
                rows.push((seq, candidate, hash));
                Outcome::Inserted
            };
            outcomes.push(outcome);
        }
        if !rows.is_empty() {
            copy_rows(client, &chain.recorded_at, &rows)?;
        }
        Ok(outcomes)
    }
}

impl Tx for PgTx<'_> {
    fn clock(&mut self) -> Result<Option<jiff::Timestamp>, Error> {
        // The server's clock, read after the append lock is taken: every
        // host appending to this database shares it.
        let micros: i64 = self
            .client
            .query_one("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint", &[])?
            .get(0);
        jiff::Timestamp::from_microsecond(micros).map(Some).map_err(|err| Error::Location {
            location: "the PostgreSQL server's clock".to_owned(),
            reason: err.to_string(),
        })
    }

    fn last_batch(&mut self) -> Result<Option<BatchRow>, Error> {
        let row = self.client.query_opt(
            &format!("SELECT {BATCH_COLUMNS} FROM batches ORDER BY batch_id DESC LIMIT 1"),
            &[],
        )?;
        row.as_ref().map(batch_row).transpose()
    }

    fn append_chunk(
        &mut self,
        chain: &mut Chain,
        candidates: &[Candidate<'_>],
    ) -> Result<Vec<Outcome>, Error> {
        self.append_careful(chain, candidates)
    }

    fn resolve(&mut self, refs: &[RefQuery<'_>]) -> Result<Vec<Option<Found>>, Error> {
        let client = &mut *self.client;
        let entities: Vec<&str> = refs
            .iter()
            .filter_map(|q| if let RefQuery::Entity(k) = q { Some(*k) } else { None })
            .collect();
        let events: Vec<&str> = refs
            .iter()
            .filter_map(|q| if let RefQuery::Event(k) = q { Some(*k) } else { None })
            .collect();
        let entities = lookup(
            client,
            "SELECT creates, request_id FROM events WHERE creates = ANY($1)",
            &entities,
        )?;
        let events =
            lookup(client, "SELECT event_id, type FROM events WHERE event_id = ANY($1)", &events)?;
        Ok(refs
            .iter()
            .map(|query| {
                let found = match query {
                    RefQuery::Entity(key) => entities.get(*key),
                    RefQuery::Event(key) => events.get(*key),
                };
                found.map(|detail| Found { detail: detail.clone() })
            })
            .collect())
    }

    fn defer(&mut self, refs: &[Deferred]) -> Result<(), Error> {
        let sink = self.client.copy_in(
            "COPY deferred_refs (line, event_id, field, is_event, key, request_id) FROM STDIN (FORMAT binary)",
        )?;
        let types = [Type::INT8, Type::TEXT, Type::TEXT, Type::BOOL, Type::TEXT, Type::TEXT];
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        for r in refs {
            writer.write(&[
                &as_i64(r.line),
                &r.event_id,
                &r.field,
                &r.is_event,
                &r.key,
                &r.request_id,
            ])?;
        }
        writer.finish()?;
        Ok(())
    }

    fn unresolved(&mut self, limit: usize) -> Result<Unresolved, Error> {
        let rows = self.client.query(
            "SELECT d.line, d.event_id, d.field, d.is_event, d.key, d.request_id,
                    coalesce(c.seq, e.seq) IS NOT NULL, CASE WHEN d.is_event THEN e.type ELSE c.request_id END
             FROM deferred_refs d
             LEFT JOIN events c ON NOT d.is_event AND c.creates = d.key
             LEFT JOIN events e ON d.is_event AND e.event_id = d.key
             WHERE (NOT d.is_event AND (c.seq IS NULL OR (d.request_id IS NOT NULL AND c.request_id IS DISTINCT FROM d.request_id)))
                OR (d.is_event AND (e.seq IS NULL OR e.type = 'event.voided'))
             ORDER BY d.line",
            &[],
        )?;
        let total = rows.len() as u64;
        let list = rows
            .iter()
            .take(limit)
            .map(|r| {
                let deferred = Deferred {
                    line: as_u64(r.get(0)),
                    event_id: r.get(1),
                    field: r.get(2),
                    is_event: r.get(3),
                    key: r.get(4),
                    request_id: r.get(5),
                };
                let found = r.get::<_, bool>(6).then(|| Found { detail: r.get(7) });
                (deferred, found)
            })
            .collect();
        Ok((list, total))
    }

    fn commit(mut self: Box<Self>, batch: &BatchRow) -> Result<(), Error> {
        self.client.execute(
            "INSERT INTO batches (batch_id, recorded_at, first_seq, last_seq, head_hash, source, n_read,
                                  n_new, n_duplicate, batch_hash, kind)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &as_i64(batch.batch_id),
                &batch.recorded_at,
                &as_i64(batch.first_seq),
                &as_i64(batch.last_seq),
                &batch.head_hash,
                &batch.source,
                &as_i64(batch.n_read),
                &as_i64(batch.n_new),
                &as_i64(batch.n_duplicate),
                &batch.batch_hash,
                &batch.kind.as_str(),
            ],
        )?;
        self.client.batch_execute("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::Postgres;
    use crate::Mode;

    /// A server (or database, or role) that commits asynchronously does
    /// not make an append's acknowledgement premature.
    #[test]
    fn an_append_commits_synchronously_whatever_the_server_says() {
        let Some(db) = testkit::TestDb::postgres() else { return };
        let mut admin = postgres::Client::connect(db.location(), postgres::NoTls).unwrap();
        let name: String = admin.query_one("SELECT current_database()", &[]).unwrap().get(0);
        admin
            .batch_execute(&format!("ALTER DATABASE {name} SET synchronous_commit = off"))
            .unwrap();
        let store = Postgres::open(db.location(), Mode::Append).unwrap();
        let mut tx = store.begin_append().unwrap();
        let setting: String = tx.client.query_one("SHOW synchronous_commit", &[]).unwrap().get(0);
        assert_eq!(setting, "on");
        // A fresh session of the database takes its default: off.
        let mut fresh = postgres::Client::connect(db.location(), postgres::NoTls).unwrap();
        let default: String = fresh.query_one("SHOW synchronous_commit", &[]).unwrap().get(0);
        assert_eq!(default, "off");
        drop(tx);
    }
}

-- The event ledger (see docs/ledger.md). Rows are only ever inserted.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,   -- 1, 2, 3, ... without gaps
    event_id    TEXT    NOT NULL UNIQUE,
    type        TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,      -- YYYY-MM-DDTHH:MM:SS.ffffffZ
    request_id  TEXT,                  -- derived from body, for per-request reads
    creates     TEXT,                  -- 'request:ID', 'offer:ID', 'appointment:ID', 'slot:ID'
    voids       TEXT,                  -- the event_id an event.voided voids
    body        TEXT    NOT NULL,      -- the canonical encoding of the event
    hash        TEXT    NOT NULL       -- lower-case hex SHA-256, see docs/ledger.md
);
-- Partial indexes: most events create nothing and void nothing.
CREATE UNIQUE INDEX events_creates ON events (creates) WHERE creates IS NOT NULL;
CREATE UNIQUE INDEX events_voids ON events (voids) WHERE voids IS NOT NULL;
CREATE INDEX events_request ON events (request_id) WHERE request_id IS NOT NULL;

-- One row per append (one file), chained like the events.
CREATE TABLE batches (
    batch_id    INTEGER PRIMARY KEY,
    recorded_at TEXT    NOT NULL,
    first_seq   INTEGER NOT NULL,      -- last_seq + 1 - n_new
    last_seq    INTEGER NOT NULL,      -- the ledger's head after this batch
    head_hash   TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    n_read      INTEGER NOT NULL,
    n_new       INTEGER NOT NULL,
    n_duplicate INTEGER NOT NULL,
    batch_hash  TEXT    NOT NULL       -- chains the batch rows, see docs/ledger.md
);

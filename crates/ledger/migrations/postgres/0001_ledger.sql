-- The event ledger (see docs/ledger.md). Rows are only ever inserted.
CREATE TABLE events (
    seq         BIGINT PRIMARY KEY,           -- 1, 2, 3, ... without gaps
    event_id    TEXT COLLATE "C" NOT NULL UNIQUE,
    type        TEXT COLLATE "C" NOT NULL,
    recorded_at TEXT COLLATE "C" NOT NULL,    -- YYYY-MM-DDTHH:MM:SS.ffffffZ
    request_id  TEXT COLLATE "C",             -- derived from body, for per-request reads
    creates     TEXT COLLATE "C",             -- 'request:ID', 'offer:ID', ...
    voids       TEXT COLLATE "C",             -- the event_id an event.voided voids
    body        TEXT NOT NULL,                -- the canonical encoding of the event
    hash        TEXT COLLATE "C" NOT NULL     -- lower-case hex SHA-256, see docs/ledger.md
);
-- Partial indexes: most events create nothing and void nothing.
CREATE UNIQUE INDEX events_creates ON events (creates) WHERE creates IS NOT NULL;
CREATE UNIQUE INDEX events_voids ON events (voids) WHERE voids IS NOT NULL;
CREATE INDEX events_request ON events (request_id) WHERE request_id IS NOT NULL;

CREATE TABLE batches (
    batch_id    BIGINT PRIMARY KEY,
    recorded_at TEXT COLLATE "C" NOT NULL,
    first_seq   BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL,
    head_hash   TEXT COLLATE "C" NOT NULL,
    source      TEXT NOT NULL,
    n_read      BIGINT NOT NULL,
    n_new       BIGINT NOT NULL,
    n_duplicate BIGINT NOT NULL,
    batch_hash  TEXT COLLATE "C" NOT NULL
);

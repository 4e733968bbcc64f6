-- A batch is 'live' (appended as its events were entered at their source)
-- or 'backfill' (history loaded after the fact); see docs/ledger.md. Every
-- batch stored before this migration is live, and its hash is unchanged.
ALTER TABLE batches ADD COLUMN kind TEXT NOT NULL DEFAULT 'live'
    CHECK (kind IN ('live', 'backfill'));

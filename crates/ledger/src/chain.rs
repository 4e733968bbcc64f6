//! The hash chain: how each stored event's hash is computed.
//!
//! ```text
//! hash(n) = lower-hex( SHA-256( "carequeue-ledger-v1\n"
//!                               || hash(n-1) || "\n"
//!                               || n         || "\n"
//!                               || recorded_at(n) || "\n"
//!                               || body(n) ) )
//! ```
//!
//! `hash(0)` is 64 zeros, `n` is the decimal sequence number, `recorded_at`
//! is `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, always six decimals) and `body` is
//! the event's canonical encoding as stored. Every part is ASCII text except
//! the body, which is UTF-8, so the chain can be rechecked with `sha256sum`,
//! Python's `hashlib` or PostgreSQL's `sha256()`.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// The domain tag that starts every hashed entry of a live batch.
pub(crate) const DOMAIN: &str = "carequeue-ledger-v1\n";

/// The domain tag of an entry stored in a backfill batch: the batch's kind
/// is in the event chain, so a head kept elsewhere covers it too.
pub(crate) const BACKFILL_DOMAIN: &str = "carequeue-ledger-backfill-v1\n";

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Computes the hash of event `seq` (see the module documentation), stored
/// in a batch of `kind`: an event of a backfill batch is hashed under the
/// tag `carequeue-ledger-backfill-v1\n` instead.
pub fn entry_hash(
    kind: crate::BatchKind,
    prev_hash: &str,
    seq: u64,
    recorded_at: &str,
    body: &[u8],
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(match kind {
        crate::BatchKind::Live => DOMAIN.as_bytes(),
        crate::BatchKind::Backfill => BACKFILL_DOMAIN.as_bytes(),
    });
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(seq.to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(recorded_at.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    to_hex(&hasher.finalize())
}

/// The domain tag that starts every hashed batch row of a live batch.
pub(crate) const BATCH_DOMAIN: &str = "carequeue-batch-v1\n";

/// The domain tag of a backfill batch's row: a row hashed under one kind
/// can never pass as the other.
pub(crate) const BACKFILL_BATCH_DOMAIN: &str = "carequeue-backfill-batch-v1\n";

/// Computes the hash that chains a batch row to the one before it:
///
/// ```text
/// batch_hash(b) = lower-hex(SHA-256("carequeue-batch-v1\n" || batch_hash(b-1)
///     || "\n" || batch_id || "\n" || recorded_at || "\n" || first_seq || "\n"
///     || last_seq || "\n" || head_hash || "\n" || n_read || "\n" || n_new
///     || "\n" || n_duplicate || "\n" || source))
/// ```
///
/// with `batch_hash(0)` 64 zeros and numbers in decimal; a backfill batch
/// (`kind` `backfill`) is hashed the same way under the tag
/// `carequeue-backfill-batch-v1\n`.
pub fn batch_hash(prev_batch_hash: &str, batch: &crate::BatchRow) -> String {
    let mut hasher = Sha256::new();
    hasher.update(match batch.kind {
        crate::BatchKind::Live => BATCH_DOMAIN.as_bytes(),
        crate::BatchKind::Backfill => BACKFILL_BATCH_DOMAIN.as_bytes(),
    });
    let text = format!(
        "{prev_batch_hash}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        batch.batch_id,
        batch.recorded_at,
        batch.first_seq,
        batch.last_seq,
        batch.head_hash,
        batch.n_read,
        batch.n_new,
        batch.n_duplicate
    );
    hasher.update(text.as_bytes());
    hasher.update(batch.source.as_bytes());
    to_hex(&hasher.finalize())
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// Writes a moment as the ledger stores `recorded_at`: UTC, microseconds.
pub fn format_recorded_at(timestamp: Timestamp) -> String {
    let dt = jiff::tz::Offset::UTC.to_datetime(timestamp);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1000
    )
}

/// Reads a stored `recorded_at` back; `None` unless it is exactly in the
/// stored form.
pub fn parse_recorded_at(text: &str) -> Option<Timestamp> {
    let timestamp: Timestamp = text.parse().ok()?;
    (format_recorded_at(timestamp) == text).then_some(timestamp)
}

/// The head of the chain: the last sequence number and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The number of events in the ledger (the last `seq`).
    pub seq: u64,
    /// The hash of event `seq` ([`GENESIS`] for an empty ledger).
    pub hash: String,
}

impl Head {
    /// The head of an empty ledger.
    pub fn genesis() -> Head {
        Head { seq: 0, hash: GENESIS.to_owned() }
    }

    /// Parses `SEQ:HASH`, the form `carequeue verify` prints.
    pub fn parse(text: &str) -> Option<Head> {
        let (seq, hash) = text.split_once(':')?;
        let seq = seq.parse().ok()?;
        let ok = hash.len() == 64
            && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Head { seq, hash: hash.to_owned() })
    }
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// The chain as an append proceeds: the next event's hash is computed from
/// the head so far.
#[derive(Debug)]
pub(crate) struct Chain {
    pub(crate) head: Head,
    pub(crate) recorded_at: String,
    /// The kind of the batch being appended.
    pub(crate) kind: crate::BatchKind,
}

impl Chain {
    /// The sequence number and hash the next event would get.
    pub(crate) fn peek(&self, body: &str) -> (u64, String) {
        let seq = self.head.seq + 1;
        (seq, entry_hash(self.kind, &self.head.hash, seq, &self.recorded_at, body.as_bytes()))
    }

    /// Takes the next event into the chain.
    pub(crate) fn advance(&mut self, seq: u64, hash: String) {
        self.head = Head { seq, hash };
    }
}

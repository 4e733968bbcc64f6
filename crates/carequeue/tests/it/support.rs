//! Running the binary and making its output comparable.

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_carequeue");

/// The repository's root.
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Runs `carequeue` with `args` in `dir` and renders exit code, stdout and
/// stderr with paths, times, rates and hashes replaced by placeholders.
pub(crate) fn run(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("CAREQUEUE_DB")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let text = format!(
        "exit {}\n{}{}",
        output.status.code().map_or("signal".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    normalize(&text, dir)
}

/// The `recorded_at` in `word` (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, perhaps with
/// punctuation around it) if it lies within an hour of now: one that the
/// test's ingest gave.
fn recorded_now(word: &str) -> Option<&str> {
    let at = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if at.len() != 27 || !at.ends_with('Z') {
        return None;
    }
    let moment: jiff::Timestamp = at.parse().ok()?;
    let hour = jiff::SignedDuration::from_hours(1);
    ((jiff::Timestamp::now() - moment).as_secs().abs() < hour.as_secs()).then_some(at)
}

fn normalize(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "$TMP");
    let text = text.replace(&repo().display().to_string(), "$REPO");
    text.lines()
        .map(|line| {
            let mut words: Vec<String> = Vec::new();
            for word in line.split(' ') {
                let word = if let Some((seq, hash)) = word.split_once(':')
                    && hash.len() == 64
                    && seq.parse::<u64>().is_ok()
                {
                    format!("{seq}:<hash>")
                } else if word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit()) {
                    "<hash>".to_owned()
                } else if let Some(at) = recorded_now(word) {
                    word.replace(at, "<now>")
                } else {
                    word.to_owned()
                };
                words.push(word);
            }
            let line = words.join(" ");
            // "in 0.01 s (15140 events/s)" varies from run to run.
            match line.rfind(" in ").filter(|_| line.ends_with(" events/s)")) {
                Some(idx) => format!("{} in <time>", &line[..idx]),
                None => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

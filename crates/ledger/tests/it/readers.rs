//! A ledger serves a bounded number of reads at once; a read beyond them
//! waits its turn, for a bounded time.

use std::sync::mpsc;
use std::time::Duration;

use ledger::{Error, Readers};

use crate::support::{SMALL_PLAN, append_text, at, backends, open};

#[test]
fn reads_beyond_the_limit_wait_their_turn_then_fail_busy() {
    for db in backends() {
        let ledger = open(&db).with_readers(Readers { max: 1, wait: Duration::from_millis(200) });
        append_text(&ledger, "plan", SMALL_PLAN, at(0));
        let (started, wait_for_start) = mpsc::channel();
        let (release, wait_for_release) = mpsc::channel::<()>();
        let shared = &ledger;
        std::thread::scope(|scope| {
            // One read holds the only turn until released.
            let holder = scope.spawn(move || {
                let mut first = true;
                shared
                    .for_each_event(None, |_| {
                        if first {
                            first = false;
                            started.send(()).unwrap();
                            wait_for_release.recv().unwrap();
                        }
                        Ok(())
                    })
                    .unwrap();
            });
            wait_for_start.recv().unwrap();
            // Another waits 200 ms, then is told the ledger is busy (the
            // holder is released first, so that a failure cannot hang).
            let busy = ledger.head();
            release.send(()).unwrap();
            holder.join().unwrap();
            let busy = busy.expect_err("a second read while the only turn is taken");
            assert!(matches!(busy, Error::Busy { readers: 1, .. }), "{}: {busy}", db.kind());
            assert!(busy.to_string().starts_with("the ledger is busy"), "{busy}");
        });
        // Once the turn is back, reads go on.
        assert!(ledger.head().is_ok(), "{}", db.kind());
        // A read that waits while the turn is freed gets it.
        let ledger = ledger.with_readers(Readers { max: 1, wait: Duration::from_secs(10) });
        let shared = &ledger;
        std::thread::scope(|scope| {
            let (started, wait_for_start) = mpsc::channel();
            let holder = scope.spawn(move || {
                let mut first = true;
                shared
                    .for_each_event(None, |_| {
                        if first {
                            first = false;
                            started.send(()).unwrap();
                            std::thread::sleep(Duration::from_millis(300));
                        }
                        Ok(())
                    })
                    .unwrap();
            });
            wait_for_start.recv().unwrap();
            let waited = std::time::Instant::now();
            assert!(ledger.head().is_ok(), "{}", db.kind());
            assert!(waited.elapsed() >= Duration::from_millis(100), "it did not wait its turn");
            holder.join().unwrap();
        });
    }
}

//! Independent replications, spread over threads.

/// Runs `f` for replications `0..replications` on up to `threads` threads
/// and returns the results in replication order. Each replication draws
/// from its own streams, so the results do not depend on `threads`.
pub fn replicate<T: Send>(
    replications: u32,
    threads: usize,
    f: impl Fn(u32) -> T + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, replications.max(1) as usize);
    let f = &f;
    let mut results: Vec<(u32, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (0..replications)
                        .filter(|r| *r as usize % threads == t)
                        .map(|r| (r, f(r)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    results.sort_by_key(|(r, _)| *r);
    results.into_iter().map(|(_, result)| result).collect()
}

//! The discrete-event kernel: a calendar of future events in a binary heap
//! keyed by (time, sequence), so that events due at the same time are taken
//! in the order they were scheduled, deterministically.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Simulated time, in the model's unit (hours in the queue models).
pub type Time = f64;

struct Entry<E> {
    /// The time's bits (order-preserving for non-negative times) above the
    /// sequence number: one integer comparison orders entries.
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, so that the max-heap pops the earliest event first; ties by
    /// the order of scheduling.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// The event calendar.
pub struct Scheduler<E> {
    heap: BinaryHeap<Entry<E>>,
    now: Time,
    seq: u64,
}

impl<E> std::fmt::Debug for Scheduler<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("now", &self.now)
            .field("pending", &self.heap.len())
            .finish()
    }
}

impl<E> Default for Scheduler<E> {
    /// An empty calendar at time 0 (simulated time never goes below 0).
    fn default() -> Self {
        Scheduler { heap: BinaryHeap::new(), now: 0.0, seq: 0 }
    }
}

impl<E> Scheduler<E> {
    /// The current simulated time: that of the last event taken.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Schedules `event` at `time`; a time in the past (or not a number) is
    /// taken as now.
    pub fn schedule(&mut self, time: Time, event: E) {
        // `max` also turns NaN into now; adding 0.0 turns -0.0 into 0.0, so
        // that the bits of every time order like the times.
        let time = time.max(self.now) + 0.0;
        self.seq += 1;
        let key = (u128::from(time.to_bits()) << 64) | u128::from(self.seq);
        self.heap.push(Entry { key, event });
    }

    /// Takes the next event, advancing the clock to it.
    pub fn take_next(&mut self) -> Option<(Time, E)> {
        let entry = self.heap.pop()?;
        self.now = f64::from_bits((entry.key >> 64) as u64);
        Some((self.now, entry.event))
    }

    /// The time of the next event, without taking it.
    pub fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|entry| f64::from_bits((entry.key >> 64) as u64))
    }

    /// Advances the clock to `time` (never backwards), for events a model
    /// draws outside the calendar, such as a stream of arrivals.
    pub fn advance_to(&mut self, time: Time) {
        self.now = self.now.max(time);
    }

    /// The number of events scheduled and not yet taken.
    pub fn pending(&self) -> usize {
        self.heap.len()
    }
}

//! The event queue: pending events ordered by `(time, sequence number)`.
//!
//! Two events at the same simulated time leave the queue in the order they were scheduled, so the
//! order never depends on a heap's internals or on a hash.

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One scheduled event.
#[derive(Clone, Debug)]
pub struct Scheduled<E> {
    /// When it fires.
    pub time: SimTime,
    /// The order in which it was scheduled; breaks ties between equal times.
    pub seq: u64,
    /// What fires.
    pub event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    // Reversed so that `BinaryHeap` (a max-heap) pops the earliest event first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A priority queue of events ordered by `(time, sequence number)`.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }
    /// Schedules `event` at `time` and returns its sequence number.
    pub fn push(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Scheduled { time, seq, event });
        seq
    }
    /// The time of the earliest pending event, or `None` when nothing is pending.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|s| s.time)
    }
    /// Removes and returns the earliest pending event.
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        self.heap.pop()
    }
    /// How many events are pending.
    pub fn len(&self) -> u64 {
        self.heap.len() as u64
    }
    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_schedule_order() {
        let mut q = EventQueue::new();
        q.push(SimTime::from_ms(5), "late");
        q.push(SimTime::from_ms(1), "first");
        q.push(SimTime::from_ms(1), "second");
        q.push(SimTime::ZERO, "zero");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|s| s.event)).collect();
        assert_eq!(order, ["zero", "first", "second", "late"]);
    }

    #[test]
    fn reports_the_earliest_time() {
        let mut q = EventQueue::new();
        assert_eq!(q.peek_time(), None);
        q.push(SimTime::from_ms(9), ());
        q.push(SimTime::from_ms(3), ());
        assert_eq!(q.peek_time(), Some(SimTime::from_ms(3)));
        assert_eq!(q.len(), 2);
    }
}

//! What the idempotency model records and schedules: the server's replies, the log's records and
//! the events of one attempt's trip from the client to the server and back.

use crate::trace::Narrate;

/// What a server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// 200: charged now.
    Charged,
    /// 200: the stored response of an earlier request with this key, nothing charged.
    Replayed,
    /// 409 Conflict: a request with this key is still in flight.
    Conflict,
    /// 422: this key was used with another amount.
    Mismatch,
}

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum IdemRecord {
    /// The client started a payment.
    Payment {
        /// Its number, from 1.
        id: u64,
        /// Its idempotency key (a payment's own number, or an earlier one's when reused).
        key: u64,
        /// The cents sent.
        cents: i64,
    },
    /// A lane's ledger charged a payment again.
    Duplicate {
        /// The lane's name.
        lane: &'static str,
        /// The payment.
        payment: u64,
        /// How many times it is now charged.
        times: u32,
    },
    /// A lane's server answered 409 Conflict.
    Conflict {
        /// The lane's name.
        lane: &'static str,
        /// The payment.
        payment: u64,
    },
    /// A lane's server answered 422: the key came with another amount.
    Mismatch {
        /// The lane's name.
        lane: &'static str,
        /// The payment.
        payment: u64,
    },
    /// The client gave up on a payment in a lane, not knowing whether it was charged.
    GaveUp {
        /// The lane's name.
        lane: &'static str,
        /// The payment.
        payment: u64,
        /// Times it was charged (the client does not know).
        charged: u32,
    },
    /// An action, in words.
    Said(String),
}

impl Narrate for IdemRecord {
    fn narrate(&self) -> String {
        match self {
            IdemRecord::Payment { id, key, cents } if key == id => {
                format!("Payment {id}: {cents} ¢, key {key}.")
            }
            IdemRecord::Payment { id, key, cents } => {
                format!("Payment {id}: {cents} ¢, reusing the key of payment {key}.")
            }
            IdemRecord::Duplicate {
                lane,
                payment,
                times,
            } => format!("{lane}: payment {payment} charged again ({times} times)."),
            IdemRecord::Conflict { lane, payment } => {
                format!("{lane}: 409 Conflict for payment {payment}: its first request is still in flight.")
            }
            IdemRecord::Mismatch { lane, payment } => format!(
                "{lane}: 422 for payment {payment}: its key was already used with another amount."
            ),
            IdemRecord::GaveUp {
                lane,
                payment,
                charged,
            } => format!(
                "{lane}: the client gave up on payment {payment}, not knowing; it was charged {charged} {}.",
                if *charged == 1 { "time" } else { "times" }
            ),
            IdemRecord::Said(s) => s.clone(),
        }
    }

    fn is_milestone(&self) -> bool {
        matches!(self, IdemRecord::Duplicate { .. } | IdemRecord::Said(_))
    }
}

/// The model's events.
#[derive(Clone, Debug)]
pub enum IdemEvent {
    /// The client starts the next payment.
    Arrive,
    /// The client sends attempt `attempt` of `payment` in `lane`.
    Send {
        /// The lane.
        lane: u8,
        /// The payment.
        payment: u64,
        /// The attempt, from 0.
        attempt: u32,
    },
    /// The request reaches the server.
    Receive {
        /// The lane.
        lane: u8,
        /// The payment.
        payment: u64,
        /// The attempt.
        attempt: u32,
    },
    /// The server's charge is done (commits).
    Commit {
        /// The lane.
        lane: u8,
        /// The payment.
        payment: u64,
        /// The attempt.
        attempt: u32,
    },
    /// A response reaches the client.
    Respond {
        /// The lane.
        lane: u8,
        /// The payment.
        payment: u64,
        /// The attempt.
        attempt: u32,
        /// What the server said.
        reply: Reply,
    },
    /// The attempt's timeout fires.
    Timeout {
        /// The lane.
        lane: u8,
        /// The payment.
        payment: u64,
        /// The attempt.
        attempt: u32,
    },
}

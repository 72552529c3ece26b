//! Choosing a shard key: a chat app's messages, sharded by chat, by sender or by recipient.
//!
//! The app has users and chats (one-to-one chats and small groups, optionally one big group) and
//! three operations: **send** a message to a chat, **open** a chat (read its latest messages) and
//! read the **inbox** (each of my chats with its latest message). Which column the messages table
//! is partitioned by decides, for each operation, how many shards it must ask:
//!
//! | shard key | send | open a chat | inbox |
//! |---|---|---|---|
//! | `chat_id` | 1 (the chat's shard) | 1 | the distinct shards of my chats |
//! | `sender_id` | 1 (my shard) | every member's shard (each holds what that member sent) | all N (anyone may have written to me) |
//! | recipient (`user_id`, one copy per member) | every member's shard, one row per member | 1 (my copy) | 1 |
//!
//! Keys are hashed onto shards (`hash(chat_id) % N` or `hash(user_id) % N`; the hash is FNV-1a
//! with SplitMix64's finaliser, so consecutive ids spread). Each shard is a FIFO server with a
//! bounded queue ([`crate::models::queueing::FifoServer`]); a shard request costs a fixed service
//! time plus a cost per row written, and an operation that asks several shards waits for the
//! slowest answer (they are sent at once). So a hot shard shows queueing latency and drops, and a
//! fan-out shows its tail.
//!
//! What it ignores: the network between router and shards; secondary indexes (a chat-keyed app
//! would keep a user → chats list, itself sharded by user, which makes the inbox one lookup plus
//! the chats' shards — the count here); pagination and time buckets within a chat (Discord keys
//! messages by channel and a ten-day bucket); caching; replication.
//!
//! Invariants checked by `validate`: every chat's members are distinct and at least two; the
//! per-shard request and row counts add up to the totals; each operation's shard count lies
//! between 1 and N.

use crate::model::{ActionSpec, Ctx, InputError, Metric, MetricGroup, MetricValue, Metrics, Model};
use crate::models::common::{per_shard, share_percent};
use crate::models::queueing::{FifoServer, LatencyHistogram};
use crate::models::shard_view::{
    FanLeg, FanOut, FrontView, LoadShare, RecentRequests, RequestOutcome, ShardFrame, ShardKeyView,
    ShardRequest, ShardView,
};
use crate::models::sharding::{user_id, Move, Moved, Placement};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::rng::SimRng;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Most shards a run may have.
pub const MAX_SHARDS: u32 = 64;
/// How many keys (chats or users) a frame draws.
const FRAME_KEYS: usize = 200;

/// The column the messages are partitioned by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardKey {
    /// `chat_id`: a chat's messages live together.
    Chat,
    /// `sender_id`: each user's sent messages live together.
    Sender,
    /// The recipient's `user_id`: each member keeps a copy (an inbox), written on send.
    Recipient,
}

impl ShardKey {
    fn parse(text: &str) -> Self {
        match text {
            "sender" => ShardKey::Sender,
            "recipient" => ShardKey::Recipient,
            _ => ShardKey::Chat,
        }
    }
    fn rule(self, n: u32) -> String {
        match self {
            ShardKey::Chat => format!("hash(chat_id) % {n}"),
            ShardKey::Sender => format!("hash(sender_id) % {n}"),
            ShardKey::Recipient => format!("hash(user_id) % {n}, a copy per member"),
        }
    }
}

/// The three operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// Send a message to a chat.
    Send,
    /// Open a chat: read its latest messages.
    Open,
    /// Read the inbox: my chats, each with its latest message.
    Inbox,
}

impl Op {
    const ALL: [Op; 3] = [Op::Send, Op::Open, Op::Inbox];
    fn index(self) -> usize {
        self as usize
    }
    fn word(self) -> &'static str {
        match self {
            Op::Send => "send",
            Op::Open => "open chat",
            Op::Inbox => "inbox",
        }
    }
}

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum ChatRecord {
    /// The chats were built.
    Built {
        /// Users.
        users: u32,
        /// Chats, the big group included.
        chats: u32,
        /// Shards.
        shards: u32,
    },
    /// An operation was sent to its shards.
    Sent {
        /// Its number.
        id: u64,
        /// What it was.
        op: Op,
        /// The chat or the user it was about.
        target: String,
        /// Shards asked.
        shards: u32,
        /// Rows written.
        rows: u32,
    },
    /// A shard refused a request (its queue was full): the operation failed.
    Dropped {
        /// The operation's number.
        id: u64,
        /// The shard.
        shard: u32,
    },
    /// The big group's share of the traffic changed.
    HotChat {
        /// Its new share, percent.
        percent: u32,
    },
}

impl Narrate for ChatRecord {
    fn narrate(&self) -> String {
        match self {
            ChatRecord::Built {
                users,
                chats,
                shards,
            } => format!("{users} users in {chats} chats, on {shards} shards."),
            ChatRecord::Sent {
                op,
                target,
                shards,
                rows,
                ..
            } => {
                let rows = if *rows > 0 {
                    format!(", writing {rows} row{}", if *rows == 1 { "" } else { "s" })
                } else {
                    String::new()
                };
                format!(
                    "{} of {target}: {shards} shard{}{rows}.",
                    op.word(),
                    if *shards == 1 { "" } else { "s" }
                )
            }
            ChatRecord::Dropped { shard, .. } => {
                format!("Shard {shard}'s queue is full: the request is refused.")
            }
            ChatRecord::HotChat { percent } => {
                format!("The big group now draws {percent}% of sends and opens.")
            }
        }
    }
    fn is_milestone(&self) -> bool {
        !matches!(self, ChatRecord::Sent { .. } | ChatRecord::Dropped { .. })
    }
}

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatEvent {
    /// The next operation arrives.
    Arrive,
    /// An operation's last answer is in.
    Done(u64),
}

/// An operation in flight.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    op: Op,
    issued: SimTime,
    done: SimTime,
    failed: bool,
}

/// The chat-messages model.
#[derive(Clone, Debug)]
pub struct ChatShards {
    key: ShardKey,
    shards: u32,
    users: u32,
    /// Members of each chat (chat 0 is the big group when there is one), sorted.
    chats: Rc<Vec<Vec<u32>>>,
    /// The chats of each user, sorted.
    user_chats: Rc<Vec<Vec<u32>>>,
    big_group: bool,
    big_percent: u32,
    send_percent: u32,
    open_percent: u32,
    rate_per_sec: f64,
    service_us: u64,
    row_us: u64,
    servers: Vec<FifoServer>,
    requests_per_shard: Vec<u64>,
    rows_per_shard: Vec<u64>,
    /// Per operation: count, shard requests, rows written, single-shard count.
    count: [u64; 3],
    shard_requests: [u64; 3],
    rows: [u64; 3],
    single: [u64; 3],
    failed: [u64; 3],
    latency: [LatencyHistogram; 3],
    pending: BTreeMap<u64, Pending>,
    next_id: u64,
    recent: RecentRequests,
    followed: Option<FanOut>,
    /// Draws for the workload, apart from the build's.
    rng: SimRng,
}

/// The shard of an id in a namespace (`chat` or `user`): FNV-1a of `"chat:17"`, finished with
/// SplitMix64's mixer so that every bit of the hash reaches the low bits `% n` reads.
fn shard_of(namespace: &str, id: u32, n: u32) -> u32 {
    let z = crate::rng::splitmix64_fmix(crate::trace::fnv1a64(
        format!("{namespace}:{id}").as_bytes(),
    ));
    (z % u64::from(n)) as u32
}

impl ChatShards {
    /// The shard of chat `c`'s messages under a chat key.
    fn chat_shard(&self, c: u32) -> u32 {
        shard_of("chat", c, self.shards)
    }

    /// The shard of user `u`'s rows under a user key.
    fn user_shard(&self, u: u32) -> u32 {
        shard_of("user", u, self.shards)
    }

    /// The shards an operation asks, each with the rows it writes there, in shard order.
    pub fn plan(&self, op: Op, chat: u32, user: u32) -> BTreeMap<u32, u32> {
        let mut legs = BTreeMap::new();
        let members = &self.chats[chat as usize];
        match (self.key, op) {
            (ShardKey::Chat, Op::Send) => {
                legs.insert(self.chat_shard(chat), 1);
            }
            (ShardKey::Chat, Op::Open) => {
                legs.insert(self.chat_shard(chat), 0);
            }
            (ShardKey::Chat, Op::Inbox) => {
                for &c in &self.user_chats[user as usize] {
                    legs.insert(self.chat_shard(c), 0);
                }
            }
            (ShardKey::Sender, Op::Send) => {
                legs.insert(self.user_shard(user), 1);
            }
            (ShardKey::Sender, Op::Open) => {
                for &m in members {
                    legs.insert(self.user_shard(m), 0);
                }
            }
            (ShardKey::Sender, Op::Inbox) => {
                for s in 0..self.shards {
                    legs.insert(s, 0);
                }
            }
            (ShardKey::Recipient, Op::Send) => {
                for &m in members {
                    *legs.entry(self.user_shard(m)).or_insert(0) += 1;
                }
            }
            (ShardKey::Recipient, Op::Open | Op::Inbox) => {
                legs.insert(self.user_shard(user), 0);
            }
        }
        if legs.is_empty() {
            // A user in no chat still asks their own shard for an empty inbox.
            legs.insert(self.user_shard(user), 0);
        }
        legs
    }

    /// Picks the chat of a send or an open: the big group with its share, else any chat.
    fn pick_chat(&mut self) -> u32 {
        let n = self.chats.len() as u64;
        if self.big_group && self.rng.below(100) < u64::from(self.big_percent) {
            return 0;
        }
        let first = u64::from(self.big_group);
        (first + self.rng.below(n - first)) as u32
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_, Self>) {
        let roll = self.rng.below(100) as u32;
        let op = if roll < self.send_percent {
            Op::Send
        } else if roll < self.send_percent + self.open_percent {
            Op::Open
        } else {
            Op::Inbox
        };
        let (chat, user) = match op {
            Op::Send | Op::Open => {
                let chat = self.pick_chat();
                let members = &self.chats[chat as usize];
                let user = members[self.rng.below(members.len() as u64) as usize];
                (chat, user)
            }
            Op::Inbox => (0, self.rng.below(u64::from(self.users)) as u32),
        };
        let legs = self.plan(op, chat, user);
        self.next_id += 1;
        let id = self.next_id;
        let now = ctx.now;
        let mut done = now;
        let mut failed = false;
        let mut fan = Vec::new();
        let mut slowest = None;
        let mut rows_total = 0u32;
        for (&shard, &rows) in &legs {
            let service = self.service_us + self.row_us * u64::from(rows);
            let outcome = match self.servers[shard as usize].offer(now, service) {
                Ok((start, finish)) => {
                    self.requests_per_shard[shard as usize] += 1;
                    self.rows_per_shard[shard as usize] += u64::from(rows);
                    rows_total += rows;
                    if finish >= done {
                        done = finish;
                        slowest = Some(shard);
                    }
                    fan.push(FanLeg {
                        shard,
                        sent: now,
                        start,
                        finish,
                        paused: false,
                        index: false,
                    });
                    RequestOutcome::Served
                }
                Err(_) => {
                    failed = true;
                    ctx.record(ChatRecord::Dropped { id, shard });
                    RequestOutcome::Failed
                }
            };
            self.recent.push(ShardRequest {
                id: self.next_id * 256 + u64::from(shard % 256),
                key: Some(u64::from(if op == Op::Inbox { user } else { chat })),
                shard,
                at: now,
                query: id,
                replica: 0,
                outcome,
                latency_us: None,
            });
        }
        let target = match op {
            Op::Inbox => format!("user {user}"),
            _ => format!("chat {chat}"),
        };
        let i = op.index();
        self.count[i] += 1;
        self.shard_requests[i] += legs.len() as u64;
        self.rows[i] += u64::from(rows_total);
        if legs.len() == 1 {
            self.single[i] += 1;
        }
        if legs.len() > 1 {
            self.followed = Some(FanOut {
                query: id,
                what: format!("{} of {target}", op.word()),
                from: "router".into(),
                issued: now,
                done,
                legs: fan,
                slowest,
            });
        }
        ctx.record(ChatRecord::Sent {
            id,
            op,
            target,
            shards: legs.len() as u32,
            rows: rows_total,
        });
        self.pending.insert(
            id,
            Pending {
                op,
                issued: now,
                done,
                failed,
            },
        );
        ctx.schedule(done, ChatEvent::Done(id));
    }

    fn mean(&self, total: u64, op: Op) -> MetricValue {
        let n = self.count[op.index()];
        if n == 0 {
            MetricValue::None
        } else {
            MetricValue::Float(total as f64 / n as f64)
        }
    }

    fn p99_ms(&self, op: Option<Op>) -> MetricValue {
        let mut all = LatencyHistogram::default();
        let h = match op {
            Some(op) => &self.latency[op.index()],
            None => {
                // The three histograms merged: every completed operation's latency.
                for h in &self.latency {
                    all.merge(h);
                }
                &all
            }
        };
        match h.quantile_us(990) {
            Some(us) => MetricValue::Float(us as f64 / 1000.0),
            None => MetricValue::None,
        }
    }
}

impl Model for ChatShards {
    type Event = ChatEvent;
    type Record = ChatRecord;
    type Frame = ShardFrame;
    const ID: &'static str = "chat-shards";

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::choice(
                "shard_key",
                "Shard key",
                "chat",
                &[
                    ("chat", "chat_id"),
                    ("sender", "sender_id"),
                    ("recipient", "recipient (a copy per member)"),
                ],
            )
            .help("The column the messages are partitioned by."),
            ParamSpec::int("shards", "Shards", 8, 1, i64::from(MAX_SHARDS), 1)
                .help("How many shards the messages are hashed over."),
            ParamSpec::int("users", "Users", 400, 10, 5_000, 10).help("People using the app."),
            ParamSpec::int("chats", "Chats", 600, 10, 5_000, 10)
                .help("Conversations besides the big group: one-to-one chats and small groups."),
            ParamSpec::int("group_percent", "Groups", 30, 0, 100, 5)
                .unit("%")
                .help("Share of chats that are groups (3 to 12 members); the rest are one-to-one."),
            ParamSpec::int("big_group", "Big group members", 0, 0, 2_000, 10)
                .help("A large group chat (a school, a fan club): 0 for none. It is chat 0."),
            ParamSpec::int("big_percent", "Big group's traffic", 30, 0, 100, 5)
                .unit("%")
                .help("Share of sends and opens that go to the big group, when there is one."),
            ParamSpec::int("send_percent", "Sends", 30, 0, 100, 5)
                .unit("%")
                .help("Share of operations that send a message."),
            ParamSpec::int("open_percent", "Chat opens", 50, 0, 100, 5)
                .unit("%")
                .help("Share that open a chat; the rest read the inbox."),
            ParamSpec::int("request_rate", "Operations per second", 400, 0, 5_000, 10)
                .help("Operations arriving, a Poisson stream."),
            ParamSpec::float("service_ms", "Shard service time", 1.0, 0.1, 50.0, 0.1)
                .unit("ms")
                .help("Time a shard spends on one request."),
            ParamSpec::float("row_ms", "Time per row written", 0.05, 0.0, 10.0, 0.01)
                .unit("ms")
                .help("Extra time per row a request writes (a send's copies)."),
            ParamSpec::int("queue_limit", "Queue limit", 100, 0, 10_000, 10)
                .help("Requests that may wait at a shard; more are refused."),
        ]
    }

    fn actions() -> Vec<ActionSpec> {
        vec![ActionSpec::new("hot-chat", "Big group's share of traffic")
            .arg("percent", Some("80"))
            .help("Sets the share of sends and opens that go to the big group (a viral moment).")]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let users = params.int("users").clamp(10, 5_000) as u32;
        let small = params.int("chats").clamp(10, 5_000) as u32;
        let group_percent = params.int("group_percent").clamp(0, 100) as u64;
        let big = params.int("big_group").clamp(0, 2_000) as u32;
        let send_percent = params.int("send_percent").clamp(0, 100) as u32;
        let open_percent = params.int("open_percent").clamp(0, 100) as u32;
        if send_percent + open_percent > 100 {
            return Err(ParamError {
                param: "open_percent".into(),
                value: open_percent.to_string(),
                allowed: format!(
                    "at most {}, so that sends ({send_percent}%) and chat opens add up to 100% \
                     or less",
                    100 - send_percent
                ),
            });
        }
        if big > users {
            return Err(ParamError {
                param: "big_group".into(),
                value: big.to_string(),
                allowed: format!("at most the number of users ({users})"),
            });
        }
        let mut chats: Vec<Vec<u32>> = Vec::new();
        // Distinct members drawn without replacement (a partial Fisher–Yates over user ids).
        let draw = |rng: &mut SimRng, size: u32| -> Vec<u32> {
            let mut pool: Vec<u32> = (0..users).collect();
            for i in 0..size {
                let j = i + rng.below(u64::from(users - i)) as u32;
                pool.swap(i as usize, j as usize);
            }
            let mut m = pool[..size as usize].to_vec();
            m.sort_unstable();
            m
        };
        if big > 0 {
            chats.push(draw(ctx.rng, big.max(2)));
        }
        for _ in 0..small {
            let size = if ctx.rng.below(100) < group_percent {
                3 + ctx.rng.below(10) as u32
            } else {
                2
            };
            chats.push(draw(ctx.rng, size.min(users)));
        }
        let mut user_chats = vec![Vec::new(); users as usize];
        for (c, members) in chats.iter().enumerate() {
            for &m in members {
                user_chats[m as usize].push(c as u32);
            }
        }
        let shards = params.int("shards").clamp(1, i64::from(MAX_SHARDS)) as u32;
        let limit = params.int("queue_limit").clamp(0, 10_000) as u32;
        ctx.record(ChatRecord::Built {
            users,
            chats: chats.len() as u32,
            shards,
        });
        let model = ChatShards {
            key: ShardKey::parse(params.text("shard_key")),
            shards,
            users,
            chats: Rc::new(chats),
            user_chats: Rc::new(user_chats),
            big_group: big > 0,
            big_percent: params.int("big_percent").clamp(0, 100) as u32,
            send_percent,
            open_percent,
            rate_per_sec: params.int("request_rate").max(0) as f64,
            service_us: (params.float("service_ms") * 1000.0).round().max(1.0) as u64,
            row_us: (params.float("row_ms") * 1000.0).round().max(0.0) as u64,
            servers: (0..shards)
                .map(|_| FifoServer::bounded(SimTime::ZERO, limit))
                .collect(),
            requests_per_shard: vec![0; shards as usize],
            rows_per_shard: vec![0; shards as usize],
            count: [0; 3],
            shard_requests: [0; 3],
            rows: [0; 3],
            single: [0; 3],
            failed: [0; 3],
            latency: Default::default(),
            pending: BTreeMap::new(),
            next_id: 0,
            recent: RecentRequests::default(),
            followed: None,
            rng: SimRng::stream(ctx.seed, "chat-shards/workload"),
        };
        ctx.schedule_poisson(model.rate_per_sec, ChatEvent::Arrive);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        match input.action.as_str() {
            "hot-chat" => {
                if !self.big_group {
                    return Err(InputError(
                        "there is no big group: set Big group members above 0".into(),
                    ));
                }
                let arg = input.arg.as_deref().unwrap_or("").trim();
                let percent: u32 = arg.parse().ok().filter(|p| *p <= 100).ok_or_else(|| {
                    InputError(format!(
                        "hot-chat needs a share from 0 to 100 percent, e.g. hot-chat:80, not {arg:?}"
                    ))
                })?;
                self.big_percent = percent;
                ctx.record(ChatRecord::HotChat { percent });
                Ok(())
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows hot-chat"
            ))),
        }
    }

    fn handle(&mut self, event: ChatEvent, ctx: &mut Ctx<'_, Self>) {
        match event {
            ChatEvent::Arrive => {
                self.arrive(ctx);
                ctx.schedule_poisson(self.rate_per_sec, ChatEvent::Arrive);
            }
            ChatEvent::Done(id) => {
                if let Some(p) = self.pending.remove(&id) {
                    let i = p.op.index();
                    if p.failed {
                        self.failed[i] += 1;
                    } else {
                        self.latency[i].record(p.done.since(p.issued));
                    }
                }
            }
        }
    }

    fn frame(&self, now: SimTime) -> ShardFrame {
        let total: u64 = self.requests_per_shard.iter().sum();
        let mean = total as f64 / f64::from(self.shards);
        let shards = (0..self.shards)
            .map(|i| {
                let s = &self.servers[i as usize];
                let requests = self.requests_per_shard[i as usize];
                let backlog_ms = s.backlog_us(now) as f64 / 1000.0;
                let mut v = ShardView::new(
                    i,
                    format!("Shard {i}"),
                    self.rows_per_shard[i as usize],
                    requests,
                );
                v.caption = Some(format!(
                    "{:.0}% busy · {backlog_ms:.1} ms queued",
                    s.utilisation_percent(now).min(100.0)
                ));
                if total > 0 {
                    let of_mean = requests as f64 / mean;
                    v.load = Some(LoadShare {
                        percent: share_percent(requests, total),
                        of_mean,
                    });
                    v.hot = of_mean >= 2.0 || s.dropped > 0;
                }
                v
            })
            .collect();
        let keys: Vec<ShardKeyView> = match self.key {
            ShardKey::Chat => (0..self.chats.len() as u32)
                .take(FRAME_KEYS)
                .map(|c| ShardKeyView {
                    name: format!("chat {c}"),
                    id: u64::from(c),
                    shard: self.chat_shard(c),
                    hot: self.big_group && c == 0,
                    share: None,
                })
                .collect(),
            ShardKey::Sender | ShardKey::Recipient => (0..self.users)
                .take(FRAME_KEYS)
                .map(|u| ShardKeyView {
                    name: format!("user {u}"),
                    id: u64::from(u),
                    shard: self.user_shard(u),
                    hot: false,
                    share: None,
                })
                .collect(),
        };
        let keys_total = match self.key {
            ShardKey::Chat => self.chats.len() as u64,
            _ => u64::from(self.users),
        };
        ShardFrame {
            now,
            rule: self.key.rule(self.shards),
            shards,
            keys,
            keys_total,
            last_change: None,
            requests: self.recent.shown(now),
            front: vec![FrontView {
                id: "router".into(),
                label: "Router".into(),
                caption: None,
                down: false,
            }],
            fanout: self.followed.clone().filter(|f| f.issued <= now),
            ring: None,
        }
    }

    fn metrics(&self) -> Metrics {
        let ops: u64 = self.count.iter().sum();
        let single: u64 = self.single.iter().sum();
        let failed: u64 = self.failed.iter().sum();
        let total: u64 = self.requests_per_shard.iter().sum();
        let max = self.requests_per_shard.iter().copied().max().unwrap_or(0);
        let load_ratio = if total == 0 {
            MetricValue::None
        } else {
            MetricValue::Float(max as f64 * f64::from(self.shards) / total as f64)
        };
        let pct = |n: u64, d: u64| {
            if d == 0 {
                MetricValue::None
            } else {
                MetricValue::Float(share_percent(n, d))
            }
        };
        let m = |id, label, value, unit, help| Metric {
            id,
            label,
            value,
            unit,
            help,
        };
        Metrics {
            scalars: vec![
                m("shards", "Shards", MetricValue::Int(i64::from(self.shards)), None, "N in hash(key) % N."),
                m("operations", "Operations", MetricValue::Int(ops as i64), None, "Sends, chat opens and inbox reads sent so far."),
                m("single_shard_percent", "Single-shard operations", pct(single, ops), Some("%"), "Operations that asked one shard; the rest fanned out and waited for the slowest answer."),
                m("send_shards", "Shards per send", self.mean(self.shard_requests[0], Op::Send), Some("shards"), "Mean shards a send writes to."),
                m("open_shards", "Shards per chat open", self.mean(self.shard_requests[1], Op::Open), Some("shards"), "Mean shards opening a chat asks."),
                m("inbox_shards", "Shards per inbox read", self.mean(self.shard_requests[2], Op::Inbox), Some("shards"), "Mean shards an inbox read asks."),
                m("rows_per_send", "Rows per message", self.mean(self.rows[0], Op::Send), Some("rows"), "Rows a send writes: one, or one per member when each keeps a copy."),
                m("load_max_mean", "Busiest shard / mean", load_ratio, Some("×"), "Requests on the busiest shard over the mean; 1.00 is even."),
                m("p99_ms", "p99 latency", self.p99_ms(None), Some("ms"), "99% of completed operations took at most this long (the slowest shard asked, queueing included)."),
                m("send_p99_ms", "p99 send", self.p99_ms(Some(Op::Send)), Some("ms"), "99th-percentile latency of sends."),
                m("open_p99_ms", "p99 chat open", self.p99_ms(Some(Op::Open)), Some("ms"), "99th-percentile latency of chat opens."),
                m("inbox_p99_ms", "p99 inbox", self.p99_ms(Some(Op::Inbox)), Some("ms"), "99th-percentile latency of inbox reads."),
                m("failed_percent", "Failed operations", pct(failed, self.count.iter().sum::<u64>() - self.pending.len() as u64), Some("%"), "Completed operations that a full shard queue refused."),
            ],
            groups: vec![
                MetricGroup {
                    id: "requests_per_shard",
                    label: "Requests per shard",
                    unit: Some("requests"),
                    values: per_shard(&self.requests_per_shard),
                },
                MetricGroup {
                    id: "rows_per_shard",
                    label: "Rows written per shard",
                    unit: Some("rows"),
                    values: per_shard(&self.rows_per_shard),
                },
            ],
        }
    }

    fn queries() -> Queries<Self> {
        Queries::new().with::<dyn Placement>(|m| m)
    }

    fn validate(&self) -> Result<(), String> {
        for (c, members) in self.chats.iter().enumerate() {
            if members.len() < 2 || members.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("chat {c} has members {members:?}"));
            }
        }
        let requests: u64 = self.requests_per_shard.iter().sum();
        let served: u64 = self.servers.iter().map(|s| s.requests).sum();
        if requests != served {
            return Err(format!("{requests} requests counted, {served} served"));
        }
        let rows: u64 = self.rows_per_shard.iter().sum();
        if rows != self.rows.iter().sum::<u64>() {
            return Err(format!(
                "{rows} rows on shards, {} by operation",
                self.rows.iter().sum::<u64>()
            ));
        }
        for op in Op::ALL {
            let (n, asked) = (self.count[op.index()], self.shard_requests[op.index()]);
            if asked < n || asked > n * u64::from(self.shards) {
                return Err(format!("{n} {} operations asked {asked} shards", op.word()));
            }
        }
        Ok(())
    }
}

impl Placement for ChatShards {
    fn nodes(&self) -> Vec<String> {
        (0..self.shards).map(|i| i.to_string()).collect()
    }

    /// A drawn key is named by its number (a chat under a chat key, a user otherwise); `chat-17`
    /// names a chat and `user-5` a user. A chat's messages live on its shard under a chat key, on
    /// its members' shards under a sender key (each sender's part), and on its members' shards
    /// under a recipient key (each member's copy); a user's rows (what they sent, or their copies)
    /// on the user's shard. Under a chat key a user has no rows of their own.
    fn owners(&self, key: &str) -> Option<Vec<String>> {
        let key = key.trim();
        let chat = key
            .strip_prefix("chat")
            .map(|rest| rest.trim_start_matches(['-', '_', ' ', ':']))
            .and_then(|n| n.parse::<u32>().ok());
        let shards: Vec<u32> = match (chat, self.key) {
            (Some(c), ShardKey::Chat) if (c as usize) < self.chats.len() => {
                vec![self.chat_shard(c)]
            }
            (Some(c), _) if (c as usize) < self.chats.len() => {
                let mut s: Vec<u32> = self.chats[c as usize]
                    .iter()
                    .map(|&m| self.user_shard(m))
                    .collect();
                s.sort_unstable();
                s.dedup();
                s
            }
            (Some(_), _) => return None,
            (None, ShardKey::Chat) if key.chars().all(|ch| ch.is_ascii_digit()) => {
                let c: u32 = key.parse().ok()?;
                ((c as usize) < self.chats.len()).then(|| vec![self.chat_shard(c)])?
            }
            (None, ShardKey::Chat) => return None,
            (None, _) => {
                let u = u32::try_from(user_id(key)?)
                    .ok()
                    .filter(|u| *u < self.users)?;
                vec![self.user_shard(u)]
            }
        };
        Some(shards.iter().map(u32::to_string).collect())
    }

    fn last_moved(&self) -> Option<Moved> {
        None
    }

    fn last_moves(&self) -> Option<Vec<Move>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Simulation;

    fn run(params: &[(&str, &str)], until_ms: u64) -> crate::engine::Run<ChatShards> {
        let specs = ChatShards::specs();
        let (set, errors) = ParamSet::resolve(&specs, params.iter().copied());
        assert!(errors.is_empty(), "{errors:?}");
        let mut r = crate::engine::Run::<ChatShards>::with_params(
            set,
            1,
            Vec::new(),
            SimTime::from_ms(until_ms),
        )
        .unwrap();
        r.seek(SimTime::from_ms(until_ms));
        r
    }

    fn float(r: &dyn Simulation, id: &str) -> f64 {
        r.metrics().get(id).and_then(MetricValue::as_f64).unwrap()
    }

    #[test]
    fn the_routing_table_by_key() {
        // Each row of the table in the module doc, checked on its own chat: chat 0 of a run is
        // a big group of 50 members; a one-to-one chat has two.
        for key in ["chat", "sender", "recipient"] {
            let r = run(
                &[("shard_key", key), ("big_group", "50"), ("shards", "8")],
                10,
            );
            let m = r.model();
            let members = m.chats[0].len() as u32;
            let member_shards: std::collections::BTreeSet<u32> =
                m.chats[0].iter().map(|&u| m.user_shard(u)).collect();
            let send = m.plan(Op::Send, 0, m.chats[0][0]);
            let open = m.plan(Op::Open, 0, m.chats[0][0]);
            let inbox = m.plan(Op::Inbox, 0, 3);
            match key {
                "chat" => {
                    assert_eq!((send.len(), open.len()), (1, 1));
                    assert_eq!(send.values().sum::<u32>(), 1);
                    let chat_shards: std::collections::BTreeSet<u32> =
                        m.user_chats[3].iter().map(|&c| m.chat_shard(c)).collect();
                    assert_eq!(
                        inbox
                            .keys()
                            .copied()
                            .collect::<std::collections::BTreeSet<_>>(),
                        chat_shards
                    );
                }
                "sender" => {
                    assert_eq!(send.len(), 1);
                    assert_eq!(
                        open.keys()
                            .copied()
                            .collect::<std::collections::BTreeSet<_>>(),
                        member_shards
                    );
                    assert_eq!(inbox.len(), 8, "anyone may have written to me: every shard");
                }
                _ => {
                    assert_eq!(send.values().sum::<u32>(), members, "one copy per member");
                    assert_eq!(
                        send.keys()
                            .copied()
                            .collect::<std::collections::BTreeSet<_>>(),
                        member_shards
                    );
                    assert_eq!((open.len(), inbox.len()), (1, 1));
                }
            }
        }
    }

    #[test]
    fn fifty_members_hashed_over_eight_shards_reach_nearly_all_of_them() {
        // Hand calculation: 50 members hashed uniformly onto 8 shards leave a given shard empty
        // with probability (7/8)^50 ≈ 0.13 %, so the expected number of shards reached is
        // 8 · (1 − (7/8)^50) ≈ 7.99. A one-to-one chat reaches 2 shards with probability 7/8.
        let r = run(&[("shard_key", "sender"), ("big_group", "50")], 10);
        let m = r.model();
        assert!(m.plan(Op::Open, 0, 0).len() >= 7);
    }

    #[test]
    fn a_big_group_heats_one_shard_under_a_chat_key_and_not_under_a_recipient_key() {
        let common = [
            ("big_group", "200"),
            ("big_percent", "60"),
            ("request_rate", "400"),
        ];
        let chat = run(
            &[common[0], common[1], common[2], ("shard_key", "chat")],
            5_000,
        );
        let rec = run(
            &[common[0], common[1], common[2], ("shard_key", "recipient")],
            5_000,
        );
        // Under a chat key 60 % of sends and opens (80 % of operations) go to one shard, over
        // eight shards: about 0.6 · 0.8 · 8 ≈ 3.8× the mean, before the rest is added.
        assert!(
            float(&chat, "load_max_mean") > 3.0,
            "{}",
            float(&chat, "load_max_mean")
        );
        assert!(
            float(&rec, "load_max_mean") < 2.0,
            "{}",
            float(&rec, "load_max_mean")
        );
        // Each send to the big group writes 200 copies under a recipient key.
        assert!(float(&rec, "rows_per_send") > 100.0);
        assert_eq!(float(&chat, "rows_per_send"), 1.0);
        chat.validate().unwrap();
        rec.validate().unwrap();
    }

    #[test]
    fn the_same_seed_gives_the_same_run() {
        let a = run(&[("shard_key", "sender")], 3_000);
        let b = run(&[("shard_key", "sender")], 3_000);
        assert_eq!(a.digest(), b.digest());
    }

    #[test]
    fn bad_mixes_and_groups_are_refused() {
        let specs = ChatShards::specs();
        let (set, _) = ParamSet::resolve(&specs, [("send_percent", "60"), ("open_percent", "60")]);
        assert!(crate::engine::Run::<ChatShards>::with_params(
            set,
            1,
            Vec::new(),
            SimTime::from_ms(10)
        )
        .is_err());
        let (set, _) = ParamSet::resolve(&specs, [("users", "10"), ("big_group", "50")]);
        assert!(crate::engine::Run::<ChatShards>::with_params(
            set,
            1,
            Vec::new(),
            SimTime::from_ms(10)
        )
        .is_err());
    }
}

//! The frame: clients, cache, write-behind queue (write-behind only) and database, each key
//! with its version and state.

use super::{key_name, CacheWrite};
use crate::models::store_view::{EntryState, EntryView, StoreFrame, TierKind, TierView};
use crate::time::SimTime;
use std::collections::BTreeMap;

/// In-flight requests the client tier draws.
const SHOWN_OPS: usize = 4;

fn tier(id: &str, label: &str, kind: TierKind) -> TierView {
    TierView {
        id: id.into(),
        label: label.into(),
        kind,
        ..TierView::default()
    }
}

fn entry(key: String, version: Option<u64>, state: EntryState) -> EntryView {
    EntryView {
        key,
        version,
        state,
        ..EntryView::default()
    }
}

pub(super) fn frame(m: &CacheWrite, now: SimTime) -> StoreFrame {
    let hot = m.last.as_ref().map(|f| f.key.clone());
    let is_hot = |k: &str| hot.as_deref() == Some(k);

    let mut client = tier("client", "Clients", TierKind::Client);
    client.entries = m
        .ops
        .values()
        .rev()
        .take(SHOWN_OPS)
        .map(|o| {
            let mut e = entry(o.who.clone(), o.holds, EntryState::Loading);
            let verb = if o.write { "writing" } else { "reading" };
            e.note = Some(format!("{verb} {}", key_name(o.key)));
            e
        })
        .collect();
    client.more = (m.ops.len().saturating_sub(SHOWN_OPS)) as u64;

    let mut cache = tier("cache", "Cache", TierKind::Cache);
    cache.caption = (m.counts.hits * 100)
        .checked_div(m.counts.hits + m.counts.misses)
        .map(|p| format!("hit ratio {p} %"));
    for k in 0..m.keys {
        let name = key_name(k);
        let db = m.db[k as usize];
        let e = match m.cache.get(&k) {
            Some(c) => {
                let state = if c.dirty || c.version > db {
                    EntryState::Dirty
                } else if c.version < db {
                    EntryState::Stale
                } else {
                    EntryState::Fresh
                };
                let mut e = entry(name.clone(), Some(c.version), state);
                // The cache-first write-through's version the database has not committed.
                if !c.dirty && c.version > db {
                    e.note = Some(if m.never_committed.contains(&(k, c.version)) {
                        "never committed".into()
                    } else {
                        "uncommitted".into()
                    });
                }
                if m.ttl_us > 0 {
                    e.ttl_left = m
                        .expiry
                        .expiry(u64::from(k))
                        .map(|at| SimTime::from_us(at.saturating_sub(now.as_us())));
                }
                e
            }
            None if m.loading.contains_key(&k) => entry(name.clone(), None, EntryState::Loading),
            None => continue,
        };
        cache.entries.push(EntryView {
            hot: is_hot(&name),
            ..e
        });
    }

    let mut tiers = vec![client, cache];
    if m.policy.is_write_behind() {
        let mut buffer = tier("buffer", "Write-behind queue", TierKind::Buffer);
        buffer.caption = Some(if m.policy == super::Policy::WriteBehindOne {
            format!("one write, then sleep {} ms", m.flush_us / 1_000)
        } else {
            format!(
                "flush every {} ms or {} writes",
                m.flush_us / 1_000,
                m.batch
            )
        });
        // Per key: the newest pending version and how many writes wait.
        let mut per_key: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
        for &(k, v) in &m.pending {
            let e = per_key.entry(k).or_insert((v, 0));
            e.0 = e.0.max(v);
            e.1 += 1;
        }
        for (k, (v, n)) in per_key {
            let mut e = entry(key_name(k), Some(v), EntryState::Dirty);
            e.note = Some(format!("{n} waiting"));
            e.hot = is_hot(&e.key);
            buffer.entries.push(e);
        }
        if let Some(b) = &m.in_flight {
            buffer.caption = Some(format!(
                "flushing {} key{}",
                b.len(),
                if b.len() == 1 { "" } else { "s" }
            ));
        }
        tiers.push(buffer);
    }
    let mut db = tier("db", "Database", TierKind::Database);
    db.entries = (0..m.keys)
        .map(|k| {
            let name = key_name(k);
            EntryView {
                hot: is_hot(&name),
                ..entry(name, Some(m.db[k as usize]), EntryState::Fresh)
            }
        })
        .collect();
    tiers.push(db);

    let mut caption = m.policy.rule().to_string();
    if m.leases {
        caption.push_str(" · leases on");
    }
    StoreFrame {
        tiers,
        last: m.last.clone(),
        caption: Some(caption),
    }
}

//! Redis Cluster's key → hash slot function, and the slot split `redis-cli --cluster create`
//! makes.
//!
//! From the Redis Cluster specification ("Key distribution model", "Hash tags"): the slot of a
//! key is `CRC16(key) mod 16384`, where CRC16 is the CCITT/XMODEM variant (polynomial 0x1021,
//! initial value 0, no reflection, no final XOR; its check value for `123456789` is `0x31C3`).
//! If the key contains a `{`, and a `}` follows it with at least one byte between, only the
//! bytes between the first `{` and the first `}` after it are hashed (the hash tag); otherwise
//! the whole key is. Written from the specification's text; `sim/tests/suite/slots_known_answers.rs`
//! checks it against the check value and Redis's documented `CLUSTER KEYSLOT` answers.

/// Hash slots in a Redis Cluster.
pub const SLOTS: u32 = 16_384;

/// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, MSB first, no final XOR. Computed
/// bit by bit (a 512-byte table would cost the page more than it saves on a few thousand keys).
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The part of `key` that is hashed: what lies between the first `{` and the first `}` after
/// it, if that is not empty; otherwise the whole key.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&c| c == b'{') {
        let rest = &key[open + 1..];
        if let Some(len) = rest.iter().position(|&c| c == b'}') {
            if len > 0 {
                return &rest[..len];
            }
        }
    }
    key
}

/// The hash slot of `key`, as `CLUSTER KEYSLOT` answers: `CRC16(hash_tag(key)) mod 16384`.
pub fn key_slot(key: &str) -> u16 {
    // 16384 is a power of two, so the modulo is a mask (as Redis computes it).
    crc16(hash_tag(key.as_bytes())) & (SLOTS as u16 - 1)
}

/// The slot ranges (first, last; inclusive) `redis-cli --cluster create` gives `masters`
/// masters: `16384 / masters` slots each, rounded on a running cursor, the last master taking
/// what is left (3 masters: 0–5460, 5461–10922, 10923–16383).
pub fn create_split(masters: u32) -> Vec<(u16, u16)> {
    let masters = masters.max(1);
    let per = f64::from(SLOTS) / f64::from(masters);
    let mut out = Vec::new();
    let (mut first, mut cursor) = (0i64, 0.0f64);
    for i in 0..masters {
        let mut last = libm::round(cursor + per - 1.0) as i64;
        if last > i64::from(SLOTS) - 1 || i == masters - 1 {
            last = i64::from(SLOTS) - 1;
        }
        last = last.max(first);
        out.push((first as u16, last as u16));
        first = last + 1;
        cursor += per;
    }
    out
}

/// Slots as ranges: `[3, 4, 5, 9]` → `[(3, 5), (9, 9)]` (input in ascending order).
pub fn ranges(slots: impl IntoIterator<Item = u16>) -> Vec<(u16, u16)> {
    let mut out: Vec<(u16, u16)> = Vec::new();
    for s in slots {
        match out.last_mut() {
            Some((_, last)) if u32::from(*last) + 1 == u32::from(s) => *last = s,
            _ => out.push((s, s)),
        }
    }
    out
}

/// Ranges in words: `0–5460`, `0–1364, 5461–6826`, or `3 ranges · 4,096 slots` when there are
/// more than two.
pub fn ranges_text(r: &[(u16, u16)]) -> String {
    let one = |&(a, b): &(u16, u16)| {
        if a == b {
            a.to_string()
        } else {
            format!("{a}–{b}")
        }
    };
    match r.len() {
        0 => "no slots".to_string(),
        1 | 2 => r.iter().map(one).collect::<Vec<_>>().join(", "),
        n => {
            let count: u32 = r.iter().map(|&(a, b)| u32::from(b - a) + 1).sum();
            format!("{n} ranges · {count} slots")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_group_consecutive_slots() {
        assert_eq!(ranges([3, 4, 5, 9]), vec![(3, 5), (9, 9)]);
        assert_eq!(ranges_text(&[(0, 5460)]), "0–5460");
        assert_eq!(ranges_text(&[(1, 1), (3, 4)]), "1, 3–4");
        assert_eq!(ranges_text(&[(0, 0), (2, 2), (4, 5)]), "3 ranges · 4 slots");
    }
}

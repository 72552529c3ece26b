//! `hash % N`: a key's bucket is its hash modulo the number of buckets, with the hash a caller
//! picks ([`KeyHash`]).
//!
//! - [`KeyHash::Fnv1a64`]: the 64-bit FNV-1a of the key ([`crate::trace::fnv1a64`]), modulo `N`.
//! - [`KeyHash::Md5`]: the key's MD5 digest (RFC 1321) read as one **big-endian 128-bit
//!   integer**, modulo `N`. This is what Python's `int(hashlib.md5(key.encode()).hexdigest(), 16)
//!   % N` computes: the hex digest lists the bytes first to last, so the first byte is the most
//!   significant. A classic interview answer routes users to data centres this way.
//!
//! Neither is consistent hashing: changing `N` moves a key unless `h % N` and `h % N'` happen to
//! agree. Going from 4 buckets to 3 a key stays only when `h mod 12` is 0, 1 or 2 (the residues
//! where `r % 4 == r % 3`), a quarter of all hashes, so three quarters of the keys move.
//!
//! Stateless and integer-only: the same key gives the same bucket on every platform.

use md5::{Digest, Md5};

/// The hash `hash % N` applies to a key's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyHash {
    /// 64-bit FNV-1a.
    Fnv1a64,
    /// MD5, read as a big-endian 128-bit integer.
    Md5,
}

impl KeyHash {
    /// Every hash, in the order a picker lists them.
    pub const ALL: [KeyHash; 2] = [KeyHash::Fnv1a64, KeyHash::Md5];

    /// The identifier in URLs and lesson files: `fnv1a64` or `md5`.
    pub fn id(self) -> &'static str {
        match self {
            KeyHash::Fnv1a64 => "fnv1a64",
            KeyHash::Md5 => "md5",
        }
    }

    /// The hash whose [`KeyHash::id`] is `id`.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.id() == id)
    }

    /// The bucket of `key` among `n` buckets (`n` of 0 is treated as 1).
    pub fn bucket(self, key: &str, n: u32) -> u32 {
        let n = n.max(1);
        match self {
            KeyHash::Fnv1a64 => (crate::trace::fnv1a64(key.as_bytes()) % u64::from(n)) as u32,
            KeyHash::Md5 => (md5_u128(key.as_bytes()) % u128::from(n)) as u32,
        }
    }
}

/// The MD5 digest of `bytes` (RFC 1321).
pub fn md5_digest(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// The MD5 digest of `bytes` as a big-endian 128-bit integer: Python's
/// `int(hashlib.md5(bytes).hexdigest(), 16)`.
pub fn md5_u128(bytes: &[u8]) -> u128 {
    u128::from_be_bytes(md5_digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: [u8; 16]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 1321, appendix A.5 ("test suite"): the seven published digests.
    #[test]
    fn md5_matches_the_rfc_1321_test_suite() {
        let suite = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, want) in suite {
            assert_eq!(hex(md5_digest(input.as_bytes())), want, "MD5({input:?})");
        }
    }

    /// Python's `int(md5(b"abc").hexdigest(), 16) % 4`: the hex digest ends in `...7f72`, and
    /// 0x72 = 114 = 4 · 28 + 2, so the bucket is 2; mod 3 it is the digit sum rule on the whole
    /// number, computed here from the hex string independently of `md5_u128`.
    #[test]
    fn md5_modulo_reads_the_digest_as_python_does() {
        assert_eq!(KeyHash::Md5.bucket("abc", 4), 2);
        let from_hex = u128::from_str_radix("900150983cd24fb0d6963f7d28e17f72", 16).unwrap();
        assert_eq!(md5_u128(b"abc"), from_hex);
        assert_eq!(u128::from(KeyHash::Md5.bucket("abc", 3)), from_hex % 3);
        // The empty string's digest ends in 0x7e = 126 = 4 · 31 + 2.
        assert_eq!(KeyHash::Md5.bucket("", 4), 2);
        assert_eq!(KeyHash::Md5.bucket("abc", 0), 0, "zero buckets act as one");
    }

    #[test]
    fn ids_round_trip() {
        for h in KeyHash::ALL {
            assert_eq!(KeyHash::parse(h.id()), Some(h));
        }
        assert_eq!(KeyHash::parse("sha1"), None);
    }
}

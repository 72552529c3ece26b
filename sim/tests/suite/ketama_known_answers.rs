//! Known answers for ketama: the continuum and key placement of libketama, libmemcached and
//! spymemcached, pinned so that a key here lands where a real memcached client sends it.
//!
//! # How these vectors were obtained
//!
//! 1. **Our own tables** (three servers `10.0.1.{1,2,3}:11211`, 30 keys, the first continuum
//!    points, the float-rounding and collision cases) come from an independent Python reference
//!    written line by line from the C and Java sources (`ketama.c`'s `ketama_hashi`,
//!    `ketama_create_continuum` and `ketama_get_server`, ported loop and all; libmemcached's
//!    `update_continuum` and `dispatch_host`; spymemcached's `setKetamaNodes` and
//!    `ArrayBasedCeilRing.findCeilIndex`), using only Python's `hashlib.md5` and `struct` to round
//!    to IEEE single precision where the C and Java use `float`. It was not derived from the Rust.
//!    For the three-server table the Python libketama, libmemcached and spymemcached ports all
//!    agreed on every key.
//! 2. **Published vectors from real clients' test suites**, transcribed and first checked against
//!    that Python reference (all matched), then pinned here:
//!    - libmemcached `tests/ketama_test_cases.h` (awesomized/libmemcached), all 99 cases: key, key
//!      hash, continuum point reached and server, for the weighted list `10.0.1.1:11211 600, ...,
//!      10.0.1.8:11211 100` under `MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED`; plus its `VDEAAAAA` wrap
//!      case (hash `fffcd1b5`, past the last point, goes to point 0).
//!    - libmemcached `tests/ketama_test_cases_spy.h`: the same keys and list under
//!      `MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA_SPY` (labels `/host:port-i`), server column only
//!      (its hash columns are copied from the other table and are not checked by libmemcached).
//!    - spymemcached `KetamaNodeLocatorTest` (couchbase/spymemcached): `testLookups`,
//!      `testContinuumWrapping` (its `getMaxKey` 4294887009 and three wrapping keys),
//!      `testClusterResizing`, `testLibKetamaCompat`, and 129 of the ~1,000 pairs of
//!      `testLibKetamaCompatTwo` (the first 80 and the last 49).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::hashing::ketama::{digest_points, ketama_hash, Ketama, KetamaFlavor};

use crate::common;
use common::ketama::SPY_COMPAT_TWO;

const THREE: [&str; 3] = ["10.0.1.1:11211", "10.0.1.2:11211", "10.0.1.3:11211"];

fn equal_weights<'a>(servers: &[&'a str]) -> Vec<(&'a str, u32)> {
    servers.iter().map(|&s| (s, 1)).collect()
}

fn build(flavor: KetamaFlavor, servers: &[(&str, u32)]) -> Ketama {
    let ketama = Ketama::with_flavor(flavor, servers).expect("valid server list");
    ketama
        .validate()
        .expect("a freshly built continuum is valid");
    ketama
}

#[test]
fn md5_groups_are_little_endian_u32s() {
    // MD5("") = d41d8cd98f00b204e9800998ecf8427e; its first group read little-endian is 0xd98c1dd4.
    assert_eq!(ketama_hash(b""), 0xd98c_1dd4);
    assert_eq!(ketama_hash(b""), 3_649_838_548);
    // MD5("10.0.1.1:11211-0") = 1387ed90 033bcef5 a6860306 7d362ba2.
    assert_eq!(
        digest_points("10.0.1.1:11211-0"),
        [2_431_485_715, 4_123_933_443, 100_894_374, 2_720_740_989],
        "the four points of one label"
    );
    assert_eq!(digest_points("10.0.1.1:11211-0")[0], 0x90ed_8713);
}

/// The first 8 points of the three-server continuum: (value, server, digest k, slot h).
const THREE_FIRST_POINTS: [(u32, &str, u32, u8); 8] = [
    (4_826_654, "10.0.1.2:11211", 34, 0),
    (10_171_922, "10.0.1.1:11211", 23, 0),
    (24_617_692, "10.0.1.3:11211", 24, 1),
    (24_991_403, "10.0.1.2:11211", 3, 3),
    (26_122_064, "10.0.1.2:11211", 25, 1),
    (40_970_796, "10.0.1.2:11211", 20, 0),
    (44_145_334, "10.0.1.1:11211", 2, 1),
    (46_426_379, "10.0.1.2:11211", 38, 0),
];

#[test]
fn three_servers_continuum_starts_and_ends_where_libketama_puts_it() {
    for flavor in KetamaFlavor::ALL {
        let ketama = build(flavor, &equal_weights(&THREE));
        assert_eq!(
            ketama.points().len(),
            480,
            "{}: 3 × 160 points",
            flavor.id()
        );
        for (got, want) in ketama.points().iter().zip(THREE_FIRST_POINTS) {
            assert_eq!(
                (got.value, got.server.as_str(), got.digest, got.slot),
                want,
                "{}: continuum point",
                flavor.id()
            );
        }
        let last = ketama.points().last().expect("non-empty");
        assert_eq!(
            (last.value, last.server.as_str()),
            (4_284_233_799, "10.0.1.2:11211")
        );
        assert_eq!(last.label(), "10.0.1.2:11211-27");
    }
}

/// (key, ketama hash of the key, continuum point it reaches, server).
const THREE_KEYS: [(&str, u32, u32, &str); 30] = [
    ("user:0", 3904434677, 3905751132, "10.0.1.1:11211"),
    ("user:1", 282964413, 320910420, "10.0.1.1:11211"),
    ("user:2", 3264788475, 3283468481, "10.0.1.3:11211"),
    ("user:3", 1771611390, 1790974108, "10.0.1.2:11211"),
    ("user:4", 900033734, 914532433, "10.0.1.3:11211"),
    ("user:5", 2417243809, 2431485715, "10.0.1.1:11211"),
    ("user:6", 1477821096, 1481603467, "10.0.1.3:11211"),
    ("user:7", 2391910011, 2411430326, "10.0.1.1:11211"),
    ("user:8", 1176083205, 1198868243, "10.0.1.3:11211"),
    ("user:9", 3982917030, 3987453644, "10.0.1.1:11211"),
    ("user:10", 1974806337, 1997472937, "10.0.1.2:11211"),
    ("user:11", 2225946576, 2226600681, "10.0.1.2:11211"),
    ("user:12", 306364293, 320910420, "10.0.1.1:11211"),
    ("user:13", 1222225226, 1241960078, "10.0.1.3:11211"),
    ("user:14", 3689775195, 3690918288, "10.0.1.1:11211"),
    ("user:15", 1067618340, 1068825546, "10.0.1.3:11211"),
    ("user:16", 3803147374, 3807665998, "10.0.1.2:11211"),
    ("user:17", 99148308, 100894374, "10.0.1.1:11211"),
    ("user:18", 3719439185, 3719653383, "10.0.1.3:11211"),
    ("user:19", 2702255979, 2703097874, "10.0.1.1:11211"),
    ("session:abc", 226189362, 228251405, "10.0.1.2:11211"),
    ("cart:42", 3893175460, 3905751132, "10.0.1.1:11211"),
    ("", 3649838548, 3669656183, "10.0.1.3:11211"),
    ("a", 3111502092, 3116920959, "10.0.1.3:11211"),
    ("foo", 3675831724, 3677104571, "10.0.1.2:11211"),
    ("bar", 421377335, 447304801, "10.0.1.1:11211"),
    ("hello world", 3141252702, 3141387066, "10.0.1.2:11211"),
    ("memcached", 1357326829, 1358007744, "10.0.1.3:11211"),
    ("ketama", 930073806, 931288432, "10.0.1.3:11211"),
    // This key's hash equals a point exactly (label 10.0.1.1:11211-0, slot 0): the point owns it.
    ("10.0.1.1:11211-0", 2431485715, 2431485715, "10.0.1.1:11211"),
];

#[test]
fn three_servers_thirty_keys_land_where_every_client_sends_them() {
    for flavor in KetamaFlavor::ALL {
        let ketama = build(flavor, &equal_weights(&THREE));
        for (key, hash, point, server) in THREE_KEYS {
            assert_eq!(ketama.point_for(key), hash, "hash of {key:?}");
            let owner = ketama.lookup(hash).expect("non-empty");
            assert_eq!(
                owner.value,
                point,
                "{}: {key:?} reaches point {point}",
                flavor.id()
            );
            assert_eq!(
                ketama.server_for(key),
                Some(server),
                "{}: {key:?}",
                flavor.id()
            );
        }
    }
}

#[test]
fn hashes_past_the_last_point_wrap_to_the_first() {
    let ketama = build(KetamaFlavor::Libketama, &equal_weights(&THREE));
    for (key, hash) in [("wrap-453", 4_286_972_462), ("wrap-694", 4_286_841_877)] {
        assert_eq!(ketama.point_for(key), hash);
        assert!(hash > 4_284_233_799, "above the highest point");
        assert_eq!(
            ketama.lookup(hash).map(|p| p.value),
            Some(4_826_654),
            "wraps to point 0"
        );
        assert_eq!(ketama.server_for(key), Some("10.0.1.2:11211"));
    }
    assert_eq!(ketama.lookup(u32::MAX).map(|p| p.value), Some(4_826_654));
    assert_eq!(
        ketama.lookup(0).map(|p| p.value),
        Some(4_826_654),
        "hash 0 goes to point 0"
    );
    assert_eq!(ketama.lookup(4_826_655).map(|p| p.value), Some(10_171_922));
}

/// libmemcached's weighted list, hosts named as libmemcached names them: port 11211 is the
/// default, so the labels are "10.0.1.1-0", not "10.0.1.1:11211-0".
const LIBMEMCACHED_SERVERS: [(&str, u32); 8] = [
    ("10.0.1.1", 600),
    ("10.0.1.2", 300),
    ("10.0.1.3", 200),
    ("10.0.1.4", 350),
    ("10.0.1.5", 1000),
    ("10.0.1.6", 800),
    ("10.0.1.7", 950),
    ("10.0.1.8", 100),
];

/// libmemcached tests/ketama_test_cases.h: (key, key hash, point reached, server).
const LIBMEMCACHED_CASES: [(&str, u32, u32, &str); 99] = [
    ("SVa_]_V41)", 443691461, 445379617, "10.0.1.7"),
    ("*/Z;?V(.\\8", 1422915503, 1428303028, "10.0.1.1"),
    ("30C1*Z*S/_", 1473165754, 1480075959, "10.0.1.2"),
    ("ERR:EC58G>", 2148406511, 2168579133, "10.0.1.7"),
    ("1I=cTMNTKF", 2882686667, 2885206587, "10.0.1.5"),
    ("]VG<`I*Z8)", 1103544263, 1104827657, "10.0.1.5"),
    ("UUTC`-V159", 3716288206, 3727224240, "10.0.1.5"),
    ("@7RU6C6T+Z", 3862737685, 3871917949, "10.0.1.5"),
    ("/XLN0@+36;", 1623269830, 1627683651, "10.0.1.1"),
    ("4(`X;\\V.^c", 373546328, 383925769, "10.0.1.1"),
    ("726bW=9*a4", 4213440020, 4213950705, "10.0.1.7"),
    ("\\`)<B)UE,c", 951096736, 955226069, "10.0.1.1"),
    ("P1[Ma3=K1/", 1989324036, 1994028240, "10.0.1.8"),
    ("C89I.-V?cT", 1604239957, 1606398093, "10.0.1.8"),
    ("D[HE+cFXDK", 2117036136, 2117124014, "10.0.1.3"),
    ("P1L?NAB[)K", 2129972569, 2132542634, "10.0.1.1"),
    ("cDT0)Z5P6,", 176485284, 178675413, "10.0.1.5"),
    ("@JW`+[WAO8", 2720940826, 2743975456, "10.0.1.5"),
    ("\\39DKW^)N_", 3548879868, 3550704865, "10.0.1.3"),
    ("EM75N0+[X1", 1558531507, 1559308507, "10.0.1.4"),
    ("`,SS]NBP,b", 1883545960, 1884847278, "10.0.1.1"),
    ("XX1a9LT+F?", 653487707, 656410408, "10.0.1.5"),
    ("Zc\\-,F-c6V", 1160802451, 1171575728, "10.0.1.5"),
    ("1*RTMC7,03", 1602398012, 1606398093, "10.0.1.8"),
    ("*Xc+V0P>32", 536016577, 539988520, "10.0.1.7"),
    ("U))Fb-(`,.", 4128682289, 4136854163, "10.0.1.7"),
    ("R-08RNTaRT", 3718170086, 3727224240, "10.0.1.5"),
    ("(LHcO203I3", 1007779411, 1014643570, "10.0.1.5"),
    ("=256P+;Qc8", 3976201210, 3976304873, "10.0.1.5"),
    ("OI5XZ_BBT(", 2155922164, 2168579133, "10.0.1.7"),
    ("2TLRL/UL;:", 1086800909, 1095659802, "10.0.1.7"),
    ("WHD\\O1`ZRW", 3087923411, 3095471560, "10.0.1.5"),
    (".=54)_c;=T", 2497691631, 2502731301, "10.0.1.1"),
    (";G<W-XWZ@b", 2888169733, 2888728739, "10.0.1.5"),
    ("(,>E`)FT\\4", 580747448, 581063326, "10.0.1.2"),
    ("HZAU*;P*N]", 2564670474, 2565697267, "10.0.1.7"),
    ("NZ@ZE=O84_", 533335275, 539988520, "10.0.1.7"),
    ("6,cEI`F_P>", 3972869246, 3974773167, "10.0.1.6"),
    ("c,5AQ/T5)6", 2835605783, 2847870057, "10.0.1.8"),
    (".O,>>BT)RX", 3857978174, 3871917949, "10.0.1.5"),
    ("XY\\X::LX50", 1749241099, 1752196488, "10.0.1.6"),
    ("+550F^/.01", 3781824099, 3783248219, "10.0.1.6"),
    ("<.X9E2S5+9", 3232479481, 3234387706, "10.0.1.7"),
    ("]\\.UH8_0a1", 2419699252, 2423002920, "10.0.1.4"),
    ("8(6=(T0/Z0", 728266737, 729026070, "10.0.1.7"),
    ("8*6a;Sc*X+", 4223431086, 4230156966, "10.0.1.2"),
    ("<QW:;3K6;H", 2731158143, 2743975456, "10.0.1.5"),
    ("7C@EY@-Y?_", 760770733, 761576669, "10.0.1.5"),
    ("aPb3E1WD4K", 2500489218, 2502731301, "10.0.1.1"),
    ("?@12R<=1BH", 1494795329, 1502505505, "10.0.1.8"),
    ("QR(a+Q=1FU", 3238535074, 3238996435, "10.0.1.6"),
    ("`C9^FV,960", 2628553463, 2628733766, "10.0.1.6"),
    ("UNHVP..^8H", 977096483, 977319837, "10.0.1.4"),
    (":Y.2W2[(35", 2777083668, 2784182515, "10.0.1.7"),
    ("M/HV^_HZ4O", 3623390946, 3624445007, "10.0.1.7"),
    ("ZY16KQ<ICD", 1831153193, 1838563516, "10.0.1.4"),
    ("bV2,`a.PY9", 1962228869, 1962648654, "10.0.1.1"),
    ("U;9:-+5N]9", 269504649, 277560877, "10.0.1.1"),
    ("1S/:aJ[1(;", 578069729, 581063326, "10.0.1.2"),
    ("Nb-X^]M)I:", 330865696, 331009896, "10.0.1.6"),
    ("2;M;ES>J5/", 2776949824, 2784182515, "10.0.1.7"),
    ("[>RZHG97Q9", 71954686, 72034069, "10.0.1.6"),
    ("J3/G[)9<^Z", 2799896459, 2805183696, "10.0.1.7"),
    ("N-)88>[O`,", 50404102, 51792557, "10.0.1.5"),
    ("NP:=FR\\OaA", 3837333776, 3837792034, "10.0.1.7"),
    ("`@L+W;a,O[", 1512157148, 1522285852, "10.0.1.6"),
    ("W2`P:-+1T[", 2945171975, 2946196424, "10.0.1.5"),
    ("-6G7K^YDIN", 3168617340, 3170513015, "10.0.1.7"),
    ("U>*>9ZI6V5", 668514946, 674097631, "10.0.1.6"),
    (".I?^6Ic9RK", 938419020, 942832691, "10.0.1.6"),
    ("0OZH^9BKM[", 3682518606, 3686781297, "10.0.1.8"),
    ("5?50UGZ:ML", 868610882, 869425986, "10.0.1.5"),
    ("?K2NF@3=IU", 381218851, 383925769, "10.0.1.1"),
    ("YI@G-2X?UB", 3688706179, 3693197681, "10.0.1.5"),
    ("7cY</BSaL=", 3976870223, 3978903843, "10.0.1.6"),
    ("A(`KF:[RH8", 3292979676, 3294849139, "10.0.1.6"),
    (";=ZT\\W^P+H", 1401102653, 1416290674, "10.0.1.4"),
    ("b2?WFF56;R", 480494704, 486971192, "10.0.1.4"),
    ("CTR74,J+N.", 137446045, 146633907, "10.0.1.8"),
    ("<b;*R+QDST", 1304985302, 1308223778, "10.0.1.5"),
    ("\\R^7=9UCG`", 126218373, 129199837, "10.0.1.5"),
    ("1bQS5]WOXB", 1853470245, 1855329369, "10.0.1.4"),
    ("M(@X^b[L:K", 3019630308, 3022260113, "10.0.1.1"),
    ("431cBF8,YO", 1679726993, 1685224295, "10.0.1.7"),
    ("(bEIQJ:E./", 2922607787, 2925521819, "10.0.1.6"),
    ("WS/3H*)7F;", 419488232, 422140585, "10.0.1.5"),
    ("ZJF[Ia6Q)+", 3960568056, 3962489998, "10.0.1.7"),
    ("<]*QCK8U,>", 2590140172, 2598117636, "10.0.1.7"),
    ("\\[a\\^=V_M0", 689410119, 698690782, "10.0.1.6"),
    ("7;RM+8J9YC", 1530175299, 1531107082, "10.0.1.7"),
    ("4*=.SPR[AV", 3928582722, 3928853792, "10.0.1.1"),
    ("-2F+^88P4U", 3023552752, 3025823613, "10.0.1.7"),
    ("X;-F`(N?9D", 570465234, 572485994, "10.0.1.7"),
    ("R=F_D-K2a]", 1287750228, 1290935562, "10.0.1.7"),
    ("X*+2aaC.EG", 3200948713, 3201088518, "10.0.1.5"),
    ("[1ZXONX2]a", 4108881567, 4109865744, "10.0.1.4"),
    ("FL;\\GWacaV", 458449508, 467374054, "10.0.1.4"),
    ("\\MQ_XNT7L-", 1259349383, 1259509450, "10.0.1.7"),
    ("VD6D0]ba_\\", 3842502950, 3842588691, "10.0.1.1"),
];

/// libmemcached tests/ketama_test_cases_spy.h: the server (10.0.1.N) of each key above when the
/// labels are "/10.0.1.N:11211-i" (`MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA_SPY`).
const LIBMEMCACHED_SPY_MODE_SERVERS: [u8; 99] = [
    2, 4, 2, 7, 4, 5, 7, 6, 7, 6, 3, 8, 1, 5, 5, 7, 1, 2, 6, 5, 1, 6, 6, 5, 7, 7, 5, 1, 3, 5, 2, 1,
    6, 7, 5, 1, 7, 3, 7, 7, 7, 2, 7, 6, 6, 5, 7, 5, 2, 1, 5, 3, 6, 6, 4, 7, 7, 2, 5, 3, 6, 4, 6, 2,
    7, 5, 7, 5, 5, 6, 2, 6, 6, 6, 7, 6, 6, 7, 7, 5, 6, 7, 4, 1, 7, 3, 5, 5, 7, 7, 3, 7, 5, 1, 3, 7,
    7, 5, 7,
];

#[test]
fn libmemcached_weighted_ketama_cases() {
    // libketama's and libmemcached's float recipes agree on this list, so both must pass.
    for flavor in [KetamaFlavor::Libmemcached, KetamaFlavor::Libketama] {
        let ketama = build(flavor, &LIBMEMCACHED_SERVERS);
        let counts = ketama.point_counts();
        let want = [176, 88, 56, 104, 296, 236, 280, 28];
        for ((server, _), want) in LIBMEMCACHED_SERVERS.iter().zip(want) {
            assert_eq!(counts[server], want, "{}: points of {server}", flavor.id());
        }
        assert_eq!(ketama.points().len(), 1264);
        for (key, hash, point, server) in LIBMEMCACHED_CASES {
            assert_eq!(ketama.point_for(key), hash, "hash of {key:?}");
            let owner = ketama.lookup(hash).expect("non-empty");
            assert_eq!(
                owner.value,
                point,
                "{}: {key:?} reaches {point}",
                flavor.id()
            );
            assert_eq!(owner.server, server, "{}: {key:?}", flavor.id());
        }
        // "VDEAAAAA hashes to fffcd1b5, after the last continuum point".
        assert_eq!(ketama.point_for("VDEAAAAA"), 0xfffc_d1b5);
        assert!(ketama.points().last().expect("non-empty").value < 0xfffc_d1b5);
        assert_eq!(
            ketama.lookup(0xfffc_d1b5),
            ketama.points().first(),
            "wraps to continuum[0]"
        );
    }
}

#[test]
fn libmemcached_spymemcached_mode_cases() {
    let names: Vec<String> = (1..=8).map(|i| format!("/10.0.1.{i}:11211")).collect();
    let servers: Vec<(&str, u32)> = names
        .iter()
        .zip(LIBMEMCACHED_SERVERS)
        .map(|(name, (_, weight))| (name.as_str(), weight))
        .collect();
    for flavor in [
        KetamaFlavor::SpymemcachedWeighted,
        KetamaFlavor::Libmemcached,
    ] {
        let ketama = build(flavor, &servers);
        for ((key, hash, _, _), server) in
            LIBMEMCACHED_CASES.iter().zip(LIBMEMCACHED_SPY_MODE_SERVERS)
        {
            assert_eq!(ketama.point_for(key), *hash);
            let want = format!("/10.0.1.{server}:11211");
            assert_eq!(
                ketama.server_for(key),
                Some(want.as_str()),
                "{}: {key:?}",
                flavor.id()
            );
        }
    }
}

fn spy_local(n: u32) -> Vec<String> {
    (0..n)
        .map(|i| format!("127.0.0.1:{}", 10_000 + i))
        .collect()
}

#[test]
fn spymemcached_locator_test_lookups_wrapping_and_resizing() {
    let cases: [(u32, &[(&str, usize)]); 2] = [
        (
            4,
            &[
                ("dustin", 0),
                ("noelani", 2),
                ("some other key", 0),
                ("V5XS8C8N", 3),
                ("8KR2DKR2", 3),
                ("L9KH6X4X", 3),
            ],
        ),
        (
            5,
            &[
                ("dustin", 0),
                ("noelani", 2),
                ("some other key", 4),
                ("36", 2),
                ("10037", 3),
                ("22051", 1),
                ("49044", 4),
            ],
        ),
    ];
    for (n, expected) in cases {
        let names = spy_local(n);
        let servers: Vec<(&str, u32)> = names.iter().map(|s| (s.as_str(), 1)).collect();
        for flavor in [KetamaFlavor::Spymemcached, KetamaFlavor::Libketama] {
            let ketama = build(flavor, &servers);
            if n == 4 {
                let max = ketama.points().last().expect("non-empty").value;
                assert_eq!(max, 4_294_887_009, "testContinuumWrapping: getMaxKey()");
            }
            for &(key, node) in expected {
                assert_eq!(
                    ketama.server_for(key),
                    Some(names[node].as_str()),
                    "{}: {n} nodes, {key:?} goes to node {node}",
                    flavor.id()
                );
            }
        }
    }
}

#[test]
fn spymemcached_lib_ketama_compat_two() {
    let names: Vec<String> = (1..=8).map(|i| format!("10.0.1.{i}:11211")).collect();
    let servers: Vec<(&str, u32)> = names.iter().map(|s| (s.as_str(), 1)).collect();
    for flavor in [KetamaFlavor::Spymemcached, KetamaFlavor::Libketama] {
        let ketama = build(flavor, &servers);
        for (key, i) in SPY_COMPAT_TWO {
            let want = format!("10.0.1.{i}:11211");
            assert_eq!(
                ketama.server_for(key),
                Some(want.as_str()),
                "{}: {key:?}",
                flavor.id()
            );
        }
    }
}

/// Float rounding in the point count: the three clients agree until `pct × 40 × n` lands within a
/// few ulps of a whole number.
#[test]
fn float_rounding_sets_the_point_counts() {
    let weighted = [("a:1", 21), ("b:2", 10), ("c:3", 9)];
    let counts = |flavor: KetamaFlavor, servers: &[(&str, u32)]| -> Vec<u32> {
        build(flavor, servers)
            .point_counts()
            .into_values()
            .collect()
    };
    // 21/40 × 120 = 63, but the float 21/40 is a hair below 0.525: libketama's double product
    // rounds to 62.99999..., the all-float recipe to exactly 63.
    assert_eq!(counts(KetamaFlavor::Libketama, &weighted), [248, 120, 108]);
    assert_eq!(
        counts(KetamaFlavor::Libmemcached, &weighted),
        [252, 120, 108]
    );
    assert_eq!(
        counts(KetamaFlavor::SpymemcachedWeighted, &weighted),
        [252, 120, 108]
    );
    assert_eq!(
        counts(KetamaFlavor::Spymemcached, &weighted),
        [160, 160, 160]
    );

    let names: Vec<String> = (0..61).map(|i| format!("s{i}")).collect();
    let sixty_one: Vec<(&str, u32)> = names.iter().map(|s| (s.as_str(), 1)).collect();
    // Equal weights, yet libketama gives each of 61 servers 39 digests: (float)(1/61) × 40 × 61
    // is 39.99999... .
    for flavor in [KetamaFlavor::Libketama, KetamaFlavor::Libmemcached] {
        assert!(
            counts(flavor, &sixty_one).iter().all(|&c| c == 156),
            "{}",
            flavor.id()
        );
    }
    let twenty_five = &sixty_one[..25];
    assert!(counts(KetamaFlavor::Libketama, twenty_five)
        .iter()
        .all(|&c| c == 160));
    assert!(counts(KetamaFlavor::Libmemcached, twenty_five)
        .iter()
        .all(|&c| c == 156));
    assert!(counts(KetamaFlavor::SpymemcachedWeighted, twenty_five)
        .iter()
        .all(|&c| c == 156));
    assert!(counts(KetamaFlavor::Spymemcached, twenty_five)
        .iter()
        .all(|&c| c == 160));
}

/// Two servers whose continua share a value: 10.0.2.53:11211 digest 38 slot 3 and
/// 10.0.2.161:11211 digest 8 slot 1 both hash to 3152960057 (found by a birthday search in the
/// Python reference). "key-62" hashes to 3148198581, inside that point's arc.
#[test]
fn a_collision_goes_to_the_earlier_server_in_c_and_the_later_in_spymemcached() {
    const A: &str = "10.0.2.53:11211";
    const B: &str = "10.0.2.161:11211";
    const SHARED: u32 = 3_152_960_057;
    assert_eq!(digest_points("10.0.2.53:11211-38")[3], SHARED);
    assert_eq!(digest_points("10.0.2.161:11211-8")[1], SHARED);
    assert_eq!(ketama_hash(b"key-62"), 3_148_198_581);
    for (first, second) in [(A, B), (B, A)] {
        let servers = [(first, 1), (second, 1)];
        for flavor in [KetamaFlavor::Libketama, KetamaFlavor::Libmemcached] {
            let ketama = build(flavor, &servers);
            assert_eq!(ketama.points().len(), 320, "C clients keep both points");
            assert_eq!(
                ketama.server_for("key-62"),
                Some(first),
                "{}: earlier wins",
                flavor.id()
            );
        }
        let spy = build(KetamaFlavor::Spymemcached, &servers);
        assert_eq!(spy.points().len(), 319, "TreeMap keeps one point per value");
        assert_eq!(
            spy.server_for("key-62"),
            Some(second),
            "spymemcached: the later put wins"
        );
    }
}

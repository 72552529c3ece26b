//! A trace the reader brings, attached to a run by content hash (`sim::cache::attach`): format
//! detection, the reference a link carries (its hash known from the FNV-1a definition, not from
//! our output), the prefix an oracleGeneral stream is cut to, that a run reads the same requests
//! however the bytes arrived, and clear errors for bad files and for a reference whose bytes are
//! not here.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::cache::attach::{
    attach, detect, lookup, oracle_prefix_bytes, safe_name, TraceFile, TraceFormat, TraceRef,
    REQUEST_CAP,
};
use sim::cache::trace::{OracleRecord, Position};

fn oracle_bytes(ids: &[u64]) -> Vec<u8> {
    ids.iter()
        .enumerate()
        .flat_map(|(i, &id)| {
            OracleRecord {
                clock_time: i as u32,
                obj_id: id,
                obj_size: 100 + id as u32,
                next_access_vtime: -1,
            }
            .encode()
        })
        .collect()
}

#[test]
fn detects_the_format_by_extension_then_content() {
    assert_eq!(detect("t.csv", b"a\nb"), TraceFormat::Csv);
    assert_eq!(
        detect("T.oracleGeneral", b"abc"),
        TraceFormat::OracleGeneral
    );
    assert_eq!(detect("x.bin", b""), TraceFormat::OracleGeneral);
    assert_eq!(detect("keys.txt", b"a\nb\n"), TraceFormat::Text);
    assert_eq!(detect("keys", b"0,k1\n1,k2"), TraceFormat::Csv);
    assert_eq!(
        detect("dump", &oracle_bytes(&[1])),
        TraceFormat::OracleGeneral
    );
}

#[test]
fn the_reference_is_a_safe_name_and_the_fnv1a64_of_the_bytes() {
    // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the published test vector).
    let f = TraceFile::new("my keys (v2).txt", TraceFormat::Text, b"a".to_vec());
    assert_eq!(f.reference(), "my_keys__v2_.txt~af63dc4c8601ec8c");
    let r = TraceRef::parse(&f.reference()).unwrap();
    assert_eq!(
        (r.name.as_str(), r.hash),
        ("my_keys__v2_.txt", 0xaf63_dc4c_8601_ec8c)
    );
    assert_eq!(r.to_string(), f.reference());
    assert_eq!(safe_name("C:\\traces\\w~1.csv"), "w_1.csv");
    assert_eq!(safe_name("é"), "_");
    assert_eq!(safe_name(""), "trace");
    assert_eq!(safe_name(&"x".repeat(100)).len(), 40);
}

#[test]
fn malformed_references_are_refused_with_the_expected_form() {
    for bad in [
        "",
        "abc",
        "a~123",
        "~0123456789abcdef",
        "a b~0123456789abcdef",
        "a~0123456789abcdeg",
    ] {
        let e = TraceRef::parse(bad).unwrap_err();
        assert!(e.0.contains("16 hex digits"), "{bad:?}: {e}");
    }
}

#[test]
fn a_run_reads_the_attached_requests_and_the_same_bytes_give_the_same_run() {
    let text = b"user:1\nuser:2\nuser:1\nuser:3\n".to_vec();
    let f = TraceFile::new("keys.txt", TraceFormat::Text, text.clone());
    let a = attach(&f).unwrap();
    let keys: Vec<u64> = a.trace.requests.iter().map(|r| r.key).collect();
    assert_eq!(keys, [0, 1, 0, 2]);
    assert_eq!(a.summary(), "read all 4 requests");
    let again = lookup(&f.reference()).unwrap();
    assert_eq!(*again, *a);
    // Another name, same bytes: the same hash, so the same requests.
    let g = TraceFile::new("copy.txt", TraceFormat::Text, text);
    assert_eq!(g.hash(), f.hash());
    assert_eq!(lookup(&g.reference()).unwrap().trace, a.trace);
    // One byte more: another hash, not attached.
    let h = TraceFile::new(
        "keys.txt",
        TraceFormat::Text,
        b"user:1\nuser:2\nuser:1\nuser:4\n".to_vec(),
    );
    assert_ne!(h.hash(), f.hash());
    let e = lookup(&h.reference()).unwrap_err();
    assert!(
        e.0.contains("not loaded here") && e.0.contains("upload the file"),
        "{e}"
    );
    assert!(e.0.contains("\"keys.txt\""), "names the file: {e}");
}

#[test]
fn an_oracle_general_stream_is_cut_at_the_cap_and_says_how_much_it_read() {
    assert_eq!(oracle_prefix_bytes(10), 10);
    assert_eq!(oracle_prefix_bytes(u64::MAX), REQUEST_CAP * 24);
    let bytes = oracle_bytes(&[7, 8, 7]);
    // The whole file: three requests with sizes and times.
    let whole = TraceFile::prefix(
        "t.oracleGeneral",
        TraceFormat::OracleGeneral,
        bytes.clone(),
        72,
    );
    let a = whole.parse().unwrap();
    assert_eq!(a.trace.read, 3);
    assert!(a.trace.has_sizes && !a.trace.truncated);
    assert_eq!(a.trace.requests[1].size, 108);
    assert_eq!(a.trace.requests[0].next, 2);
    // A browser that read only the first two records of a 3,000,000-record file.
    let cut = TraceFile::prefix(
        "big.oracleGeneral",
        TraceFormat::OracleGeneral,
        bytes[..48].to_vec(),
        3_000_000 * 24,
    );
    let b = cut.parse().unwrap();
    assert!(b.trace.truncated);
    assert_eq!(b.total, 3_000_000);
    assert_eq!(b.summary(), "read the first 2 of 3,000,000 requests");
    // Passing more than the cap's prefix keeps only the prefix: the hash cannot depend on it.
    let big = oracle_bytes(&[1; 4]);
    let f = TraceFile::prefix("x.bin", TraceFormat::OracleGeneral, big.clone(), 4 * 24);
    assert_eq!(f.bytes, big, "under the cap nothing is cut");
}

#[test]
fn bad_files_name_the_line_or_byte() {
    let csv = TraceFile::new(
        "t.csv",
        TraceFormat::Csv,
        b"time,key\n1,a\nsoon,b\n".to_vec(),
    );
    let e = attach(&csv).unwrap_err();
    assert_eq!(e.at, Position::Line(3), "{e}");
    assert!(e.to_string().starts_with("line 3: "), "{e}");
    let mut bin = oracle_bytes(&[1, 2]);
    bin.pop();
    let e = TraceFile::new("t.bin", TraceFormat::OracleGeneral, bin)
        .parse()
        .unwrap_err();
    assert_eq!(e.at, Position::Byte(24), "{e}");
    let empty = TraceFile::new("t.txt", TraceFormat::Text, b"\n\n".to_vec());
    assert!(empty.parse().unwrap_err().message.contains("no requests"));
    let zstd = TraceFile::new(
        "t.zst",
        TraceFormat::OracleGeneral,
        vec![0x28, 0xB5, 0x2F, 0xFD, 0, 0],
    );
    assert!(zstd.parse().unwrap_err().message.contains("decompress"));
}

#[test]
fn a_trace_file_crosses_serde_as_bytes_and_back() {
    let f = TraceFile::new("k.txt", TraceFormat::Text, b"a\nb\n".to_vec());
    let json = serde_json::to_string(&f).unwrap();
    let back: TraceFile = serde_json::from_str(&json).unwrap();
    assert_eq!(back, f);
    assert_eq!(back.reference(), f.reference());
}

#[test]
fn a_stored_trace_reads_back_to_the_same_bytes_and_hash() {
    use sim::cache::attach::{from_stored, storage_key, to_stored};
    let text = TraceFile::new("a b.csv", TraceFormat::Csv, b"0,x\n1,y,\n".to_vec());
    let bin = TraceFile::prefix(
        "t.bin",
        TraceFormat::OracleGeneral,
        oracle_bytes(&[1, 2, 3]),
        1 << 30,
    );
    for f in [text, bin] {
        let stored = to_stored(&f);
        let back = from_stored(&stored).unwrap();
        assert_eq!(back, f);
        assert_eq!(back.reference(), f.reference());
    }
    assert!(to_stored(&TraceFile::new(
        "t.bin",
        TraceFormat::OracleGeneral,
        vec![0, 255]
    ))
    .contains("oracle+b64"));
    assert_eq!(storage_key(0xab), "sdp-trace:00000000000000ab");
    for bad in [
        "",
        "hello",
        "sdp-trace 2 text 1 x\na",
        "sdp-trace 1 zip 1 x\na",
        "sdp-trace 1 text+b64 1 x\n!!",
    ] {
        assert_eq!(from_stored(bad), None, "{bad:?}");
    }
}

// ------------------------------------------------------------ the cache-policy model reads it --

fn run(params: &[(&str, &str)]) -> Result<Box<dyn sim::engine::Simulation>, String> {
    let mut s =
        sim::scenario::Scenario::new("cache-policy", 7, sim::time::SimTime::from_ms(60_000));
    for (k, v) in params {
        s.params.insert((*k).into(), (*v).into());
    }
    s.params.insert("request_rate".into(), "1000".into());
    let mut r = sim::registry::start(&s).map_err(|e| e.to_string())?;
    r.seek(sim::time::SimTime::from_ms(60_000));
    r.validate()?;
    Ok(r)
}

fn metric(r: &dyn sim::engine::Simulation, id: &str) -> f64 {
    r.metrics()
        .get(id)
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("{id}"))
}

/// The textbook reference string 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1 (Silberschatz,
/// *Operating System Concepts*, ch. 9): with 3 frames LRU faults 12 times and FIFO 15. The
/// book's OPT faults 9 times, loading every page; a cache's MIN may also decline to store an
/// object used later than all it holds, so it faults at most 9 times.
#[test]
fn the_model_serves_an_uploaded_trace_as_its_workload() {
    let text = "7\n0\n1\n2\n0\n3\n0\n4\n2\n3\n0\n3\n2\n1\n2\n0\n1\n7\n0\n1\n";
    let f = TraceFile::new(
        "ref-string.txt",
        TraceFormat::Text,
        text.as_bytes().to_vec(),
    );
    attach(&f).unwrap();
    let reference = f.reference();
    for (policy, faults) in [("lru", 12.0), ("fifo", 15.0)] {
        let r = run(&[
            ("workload", "trace"),
            ("trace", &reference),
            ("policy", policy),
            ("capacity", "3"),
        ])
        .unwrap();
        assert_eq!(metric(r.as_ref(), "requests"), 20.0, "{policy}");
        assert_eq!(metric(r.as_ref(), "misses"), faults, "{policy}");
        assert_eq!(metric(r.as_ref(), "miss_ratio"), faults / 20.0, "{policy}");
    }
    let min = run(&[
        ("workload", "trace"),
        ("trace", &reference),
        ("policy", "belady"),
        ("capacity", "3"),
    ])
    .unwrap();
    assert!(metric(min.as_ref(), "misses") <= 9.0);
    // `requests` takes the first N of the trace.
    let r = run(&[
        ("workload", "trace"),
        ("trace", &reference),
        ("requests", "4"),
    ])
    .unwrap();
    assert_eq!(metric(r.as_ref(), "requests"), 4.0);
}

#[test]
fn the_same_trace_bytes_give_the_same_run_and_others_another() {
    let a = TraceFile::new(
        "a.csv",
        TraceFormat::Csv,
        b"time,key\n1,x\n2,y\n3,x\n4,z\n5,y\n".to_vec(),
    );
    let b = TraceFile::new(
        "a.csv",
        TraceFormat::Csv,
        b"time,key\n1,x\n2,y\n3,x\n4,z\n5,x\n".to_vec(),
    );
    attach(&a).unwrap();
    attach(&b).unwrap();
    let digest = |f: &TraceFile| {
        run(&[
            ("workload", "trace"),
            ("trace", &f.reference()),
            ("capacity", "2"),
        ])
        .unwrap()
        .digest()
    };
    assert_eq!(digest(&a), digest(&a));
    assert_ne!(digest(&a), digest(&b));
}

#[test]
fn a_link_whose_trace_is_not_here_asks_for_the_file() {
    let e = run(&[("workload", "trace"), ("trace", "web.csv~0123456789abcdef")])
        .err()
        .expect("no such trace is attached");
    assert!(e.contains("upload the file"), "{e}");
    assert!(e.contains("\"web.csv\""), "{e}");
    let e = run(&[("workload", "trace")]).err().expect("no trace named");
    assert!(e.contains("Your trace"), "{e}");
    let e = run(&[("workload", "trace"), ("trace", "nonsense")])
        .err()
        .unwrap();
    assert!(e.contains("16 hex digits"), "{e}");
}

#[test]
fn sizes_from_the_trace_count_against_a_byte_capacity() {
    let f = TraceFile::new(
        "s.csv",
        TraceFormat::Csv,
        b"0,a,60\n1,b,60\n2,a,60\n".to_vec(),
    );
    attach(&f).unwrap();
    let with = |sizes: &str| {
        let r = run(&[
            ("workload", "trace"),
            ("trace", &f.reference()),
            ("sizes", sizes),
            ("capacity", "100"),
            ("policy", "lru"),
        ])
        .unwrap();
        metric(r.as_ref(), "hits")
    };
    // 60-byte objects: b evicts a from 100 bytes, so no hit; counted as objects, a hits.
    assert_eq!(with("lognormal"), 0.0);
    assert_eq!(with("unit"), 1.0);
}

/// The "80/20" metric on a hand-made trace: 10 keys, key 0 asked 12 times and key 1 four times
/// and the other eight once each: the top fifth (2 keys) gets 16 of 24 requests.
#[test]
fn the_top20_metric_counts_the_top_fifth_of_the_keys() {
    let mut lines = vec!["0"; 12];
    lines.extend(["1"; 4]);
    lines.extend(["2", "3", "4", "5", "6", "7", "8", "9"]);
    let f = TraceFile::new("top.txt", TraceFormat::Text, lines.join("\n").into_bytes());
    attach(&f).unwrap();
    let r = run(&[("workload", "trace"), ("trace", &f.reference())]).unwrap();
    assert!((metric(r.as_ref(), "top20_share") - 16.0 / 24.0).abs() < 1e-12);
}

/// A trace's keys are shown by the names its file gives them: the narration names `alpha`
/// in full, the frame carries the names of the keys it draws, an oracleGeneral trace's keys are
/// its object ids as written; and names never change what the cache does (the same pattern
/// under other names gives the same events and metrics).
#[test]
fn the_narration_and_the_frame_name_keys_as_the_file_does() {
    let text = |name: &str, body: &str| {
        let f = TraceFile::new(name, TraceFormat::Text, body.as_bytes().to_vec());
        attach(&f).unwrap();
        f.reference()
    };
    let params = |r: &str| {
        run(&[
            ("workload", "trace"),
            ("trace", r),
            ("policy", "lru"),
            ("capacity", "1"),
        ])
        .unwrap()
    };
    let named = params(&text("names.txt", "alpha\nbeta\nalpha\n"));
    let lines: Vec<String> = named.trace_lines().into_iter().map(|l| l.text).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Request 2: evicted alpha from LRU list")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "Request 3: miss alpha: read it from the database."),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("k0") || l.contains("k1")));
    let sim::frame::Frame::Cache(f) = named.frame() else {
        panic!()
    };
    assert_eq!(f.label(0), "alpha");
    assert_eq!(f.label(1), "beta");
    assert!(f
        .last
        .as_ref()
        .unwrap()
        .narration()
        .contains("evicted beta"));

    // The same requests under other names: the same run but for the names.
    let other = params(&text("other.txt", "@1\n@2\n@1\n"));
    for id in ["hits", "misses", "evictions"] {
        assert_eq!(
            metric(named.as_ref(), id),
            metric(other.as_ref(), id),
            "{id}"
        );
    }
    let renamed: Vec<String> = other
        .trace_lines()
        .into_iter()
        .map(|l| l.text.replace("@1", "alpha").replace("@2", "beta"))
        .collect();
    assert_eq!(renamed.len(), lines.len());
    assert_eq!(
        renamed[1..],
        lines[1..],
        "the same events in the same order"
    );

    // oracleGeneral: the object id as the file writes it, also inside a policy's reason. W-TinyLFU
    // with room for 2 (a window of 1, a main of 1): 7 leaves the window as 31 enters and duels
    // 90210, main's victim; both were asked for once, and a tie keeps the victim.
    let f = TraceFile::new(
        "ids.oracleGeneral",
        TraceFormat::OracleGeneral,
        oracle_bytes(&[90210, 7, 31]),
    );
    attach(&f).unwrap();
    let r = run(&[
        ("workload", "trace"),
        ("trace", &f.reference()),
        ("policy", "tinylfu"),
        ("capacity", "2"),
    ])
    .unwrap();
    let lines: Vec<String> = r.trace_lines().into_iter().map(|l| l.text).collect();
    assert!(
        lines.contains(
            &"Request 3: did not admit 7: 7 (freq 1) lost to 90210 (freq 1).".to_string()
        ),
        "{lines:#?}"
    );
}

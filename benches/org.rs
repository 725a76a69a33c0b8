//! Organization scale: the same buckets scanned live (`scan --role-name` in every account) and
//! from an AWS Config aggregator (`scan --from-aws-config --aggregator`), both against fakes
//! that answer every request after a fixed latency. For each: requests, wall time against the
//! ideal (`requests × latency ÷ concurrency`; the Config reads are sequential), and the peak
//! resident memory of the `s3tk` process, at two sizes to show how memory grows with buckets.
//! Run with `cargo bench --bench org` (`S3TK_ORG_ACCOUNTS=200` by default, 50 buckets each).
//! Loopback only, dummy credentials: it never touches AWS.

#[path = "../tests/it/fake_config.rs"]
#[allow(dead_code)]
mod fake_config;
#[path = "../tests/it/fake_s3.rs"]
#[allow(dead_code)]
mod fake_s3;
#[path = "../tests/it/support.rs"]
#[allow(dead_code)]
mod support;

use fake_config::FakeConfig;
use fake_s3::{FakeBucket, FakeS3};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const LATENCY: Duration = Duration::from_millis(20);
const BUCKETS_PER_ACCOUNT: usize = 50;
const CONCURRENCY: usize = 64;
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

struct Measured {
    requests: usize,
    wall: Duration,
    /// Peak resident set of the s3tk process, in MiB.
    peak_mib: f64,
    /// (bucket, check) → status.
    verdicts: BTreeMap<(String, String), String>,
}

/// Runs `s3tk ARGS` to completion and measures it; the report goes to a file read afterwards.
/// Blocks this worker thread (the fakes answer on the others).
fn run(args: &[&str], requests: impl Fn() -> usize) -> Measured {
    tokio::task::block_in_place(|| measure(args, requests))
}

fn measure(args: &[&str], requests: impl Fn() -> usize) -> Measured {
    let report = std::env::temp_dir().join(format!("s3tk-org-bench-{}.json", std::process::id()));
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend(["--format".into(), format!("json={}", report.display())]);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let before = requests();
    let started = Instant::now();
    let mut command = support::s3tk_command(&all, &[]);
    let child = command
        .as_std_mut()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("s3tk starts");
    // The peak resident set of the s3tk image itself: VmHWM of its own address space, read
    // until it exits (ru_maxrss would count the bench's memory, shared until exec).
    let pid = child.id();
    let peak_kib = std::thread::spawn(move || {
        let mut peak = 0u64;
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            match hwm {
                Some(kib) => peak = peak.max(kib),
                None => break, // a zombie: the image is gone
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        peak
    });
    let mut child = child;
    let status = child.wait().expect("s3tk ends");
    let peak_kib = peak_kib.join().unwrap();
    let wall = started.elapsed();
    let code = status.code();
    assert!(matches!(code, Some(0 | 1)), "s3tk {args:?} exited {code:?}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    std::fs::remove_file(&report).ok();
    let verdicts = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let resource = match f["bucket"].as_str() {
                Some(bucket) => bucket.to_owned(),
                None => format!("account {}", f["account"].as_str().unwrap_or_default()),
            };
            (
                (resource, f["check"].as_str().unwrap().to_owned()),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    Measured {
        requests: requests() - before,
        wall,
        peak_mib: peak_kib as f64 / 1024.0,
        verdicts,
    }
}

fn accounts(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{:012}", 100_000_000_000u64 + i as u64))
        .collect()
}

fn bucket_name(account: &str, i: usize) -> String {
    format!("org-{account}-{i:02}")
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    assert_eq!(
        std::env::var("AWS_EC2_METADATA_DISABLED").as_deref(),
        Ok("true"),
        "run with AWS_EC2_METADATA_DISABLED=true"
    );
    let large: usize = std::env::var("S3TK_ORG_ACCOUNTS")
        .ok()
        .map(|n| n.parse().expect("S3TK_ORG_ACCOUNTS is a number"))
        .unwrap_or(200);
    println!(
        "{BUCKETS_PER_ACCOUNT} buckets per account, {} ms per request, --concurrency {CONCURRENCY}",
        LATENCY.as_millis()
    );
    println!(
        "{:>8} {:>8} {:>18} {:>9} {:>9} {:>9} {:>6} {:>9}",
        "accounts", "buckets", "source", "requests", "ideal", "measured", "ratio", "peak MiB"
    );
    for n in [large / 10, large] {
        let ids = accounts(n);
        // The same state in both fakes: versioned buckets, owner-only ACL, no policy, no
        // logging (what the Config fake's items say).
        let s3 = FakeS3::start().await;
        s3.latency(LATENCY);
        let mut recorded = Vec::new();
        for (a, id) in ids.iter().enumerate() {
            for i in 0..BUCKETS_PER_ACCOUNT {
                let region = REGIONS[(a + i) % 2];
                let name = bucket_name(id, i);
                s3.bucket(
                    &name,
                    FakeBucket::new(region).in_account(id).versioning("Enabled"),
                );
                recorded.push((id.clone(), region.to_owned(), name));
            }
        }
        let (config, fake) = fake_config::serve(FakeConfig {
            buckets: recorded,
            // The S3 fake's account-level Block Public Access is all on, in every account.
            account_pab: ids.iter().cloned().collect(),
            aggregator: Some("org".into()),
            latency: LATENCY,
            ..FakeConfig::default()
        })
        .await;
        let account_list = ids.join(",");
        let concurrency = CONCURRENCY.to_string();
        let live = run(
            &[
                "--endpoint-url",
                &s3.uri(),
                "--concurrency",
                &concurrency,
                "scan",
                "--role-name",
                "S3tkAudit",
                "--accounts",
                &account_list,
            ],
            || s3.answered(),
        );
        let config_uri = config.uri();
        let scan_config = |extra: &[&str]| {
            let mut args = vec![
                "--endpoint-url",
                &config_uri,
                "--concurrency",
                &concurrency,
                "scan",
                "--from-aws-config",
                "--aggregator",
                "org",
            ];
            args.extend_from_slice(extra);
            run(&args, || fake.log.lock().unwrap().len())
        };
        let from_config = scan_config(&[]);
        // One finding per bucket instead of 24: what memory holds beyond the findings.
        let one_check = scan_config(&["--checks", "s3.bucket.versioning-disabled"]);
        let buckets = n * BUCKETS_PER_ACCOUNT;
        for (source, m, parallel) in [
            ("live", &live, CONCURRENCY),
            ("aws-config", &from_config, 1),
            ("aws-config 1 check", &one_check, 1),
        ] {
            let ideal = LATENCY * m.requests as u32 / parallel as u32;
            println!(
                "{n:>8} {buckets:>8} {source:>18} {:>9} {:>8.2}s {:>8.2}s {:>6.2} {:>9.1}",
                m.requests,
                ideal.as_secs_f64(),
                m.wall.as_secs_f64(),
                m.wall.as_secs_f64() / ideal.as_secs_f64(),
                m.peak_mib
            );
        }
        let (mut same, mut skipped, mut differ) = (0, 0, Vec::new());
        for (key, status) in &from_config.verdicts {
            match (status.as_str(), live.verdicts.get(key)) {
                ("skip", _) => skipped += 1,
                (s, Some(l)) if s == l => same += 1,
                (s, l) => differ.push(format!("{key:?}: config {s}, live {l:?}")),
            }
        }
        println!(
            "{n:>8} {buckets:>8} {:>18} {same} verdicts as live, {skipped} skipped (not recorded), {} different; {:.2} requests per 100 buckets from Config, {:.1} live",
            "agreement",
            differ.len(),
            from_config.requests as f64 * 100.0 / buckets as f64,
            live.requests as f64 * 100.0 / buckets as f64,
        );
        for d in differ.iter().take(5) {
            println!("    {d}");
        }
    }
}

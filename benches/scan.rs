//! Scan throughput against the fake S3 with a fixed per-request latency, reported as the ratio
//! of measured wall time to the ideal `requests × latency ÷ concurrency`. A ratio near 1 means
//! the runner keeps the request pipeline full; run with `cargo bench --bench scan`.
//! Loopback only, dummy credentials: it never touches AWS.

#[path = "../tests/it/fake_s3.rs"]
#[allow(dead_code)]
mod fake_s3;
#[path = "../tests/it/support.rs"]
#[allow(dead_code)]
mod support;

use fake_s3::{FakeBucket, FakeS3};
use s3tk::check::CheckOptions;
use s3tk::select::SelectedBucket;
use s3tk::state::AccountState;
use std::time::{Duration, Instant};

const BUCKETS: usize = 200;
const LATENCY: Duration = Duration::from_millis(10);

#[tokio::main]
async fn main() {
    // The library gets explicit credentials and a loopback endpoint, so no credential chain
    // runs; still insist on the rule that holds everywhere.
    assert_eq!(
        std::env::var("AWS_EC2_METADATA_DISABLED").as_deref(),
        Ok("true"),
        "run with AWS_EC2_METADATA_DISABLED=true"
    );
    let fake = FakeS3::start().await;
    fake.latency(LATENCY);
    let names: Vec<String> = (0..BUCKETS)
        .map(|i| format!("bench-bucket-{i:04}"))
        .collect();
    for name in &names {
        fake.bucket(
            name,
            FakeBucket::new("us-east-1")
                .logging("logs", "p/")
                .versioning("Enabled"),
        );
    }
    let checks = s3tk::registry::checks();
    println!(
        "{BUCKETS} buckets, {} checks, {} ms per request",
        checks.len(),
        LATENCY.as_millis()
    );
    println!(
        "{:>11} {:>9} {:>10} {:>10} {:>6}",
        "concurrency", "requests", "ideal", "measured", "ratio"
    );
    for concurrency in [1, 8, 32, 64] {
        let buckets: Vec<_> = names
            .iter()
            .map(|n| SelectedBucket {
                name: n.clone(),
                listed_region: Some("us-east-1".into()),
            })
            .collect();
        let before = fake.requests().await.len();
        let account = AccountState::new(support::clients(&fake.uri(), concurrency));
        let started = Instant::now();
        let findings = s3tk::runner::scan(
            account,
            buckets,
            &checks,
            &CheckOptions::default(),
            concurrency,
            &|_, _| {},
        )
        .await;
        let measured = started.elapsed();
        assert!(
            findings
                .iter()
                .all(|f| f.status != s3tk::report::Status::Error)
        );
        let requests = fake.requests().await.len() - before;
        let ideal = LATENCY * requests as u32 / concurrency as u32;
        println!(
            "{concurrency:>11} {requests:>9} {:>9.3}s {:>9.3}s {:>6.2}",
            ideal.as_secs_f64(),
            measured.as_secs_f64(),
            measured.as_secs_f64() / ideal.as_secs_f64()
        );
    }
}

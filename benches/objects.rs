//! Object-command throughput and memory, measured on the built `s3tk` binary against the fake
//! S3 serving a synthetic bucket with a fixed per-request latency (default 20 ms, an in-region
//! round trip). For `scan-object-acl` and `encrypt` it reports objects per second, the CPU time
//! and peak memory (VmHWM) of the s3tk process, and the efficiency `ideal ÷ measured`, where
//! the ideal is `requests × latency ÷ concurrency` (median of three runs). A memory run then
//! lists 10,000 and 1,000,000 keys (one in ten processed) and reports the growth of peak memory
//! between the two.
//!
//! Then `encrypt --dry-run --inventory` reads an S3 Inventory report of `--memory-objects`
//! rows and reports rows per second and peak memory; it must send no per-object request.
//!
//! Last, throttling: `scan-object-acl` of `--throttle-objects` objects with s3tk's default
//! retry policy, once unthrottled and once with every second GetObjectAcl answered 503
//! SlowDown; it reports both rates and their ratio, and fails if any object errs.
//!
//! `cargo bench --bench objects [-- --objects N --latency-ms MS --concurrency N --runs N --memory-objects N --throttle-objects N --inventory-only --throttle-only]`
//! Loopback only, dummy credentials: it never touches AWS.

#[path = "../tests/it/fake_s3.rs"]
#[allow(dead_code)]
mod fake_s3;

use fake_s3::{FakeBucket, FakeObject, FakeS3};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Options {
    objects: usize,
    latency: Duration,
    concurrency: usize,
    memory_objects: usize,
    /// Runs per command; the median is reported (a shared 2-core machine is noisy).
    runs: usize,
    /// `--inventory-only`: skip the listing benchmarks.
    inventory_only: bool,
    /// Objects of the throttling benchmark, and `--throttle-only`: run nothing else.
    throttle_objects: usize,
    throttle_only: bool,
}

impl Options {
    fn from_args() -> Self {
        let mut options = Options {
            objects: 10_000,
            latency: Duration::from_millis(20),
            concurrency: 64,
            memory_objects: 1_000_000,
            runs: 3,
            inventory_only: false,
            throttle_objects: 1_000,
            throttle_only: false,
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut i = 0;
        while i < args.len() {
            let value = || -> u64 {
                args.get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{} needs a number", args[i]))
            };
            match args[i].as_str() {
                "--objects" => options.objects = value() as usize,
                "--latency-ms" => options.latency = Duration::from_millis(value()),
                "--concurrency" => options.concurrency = value() as usize,
                "--memory-objects" => options.memory_objects = value() as usize,
                "--runs" => options.runs = (value() as usize).max(1),
                "--throttle-objects" => options.throttle_objects = value() as usize,
                "--inventory-only" => {
                    options.inventory_only = true;
                    i += 1;
                    continue;
                }
                "--throttle-only" => {
                    options.throttle_only = true;
                    i += 1;
                    continue;
                }
                // `cargo bench` passes `--bench`; anything else is not ours either.
                _ => {
                    i += 1;
                    continue;
                }
            }
            i += 2;
        }
        options
    }
}

/// One run of the binary: wall time, CPU time, peak resident memory and requests served.
struct Measured {
    wall: Duration,
    cpu: Duration,
    peak_rss_mb: f64,
    requests: usize,
}

/// Runs `s3tk ARGS` against `fake`, sampling the child's peak resident set (`VmHWM` in
/// `/proc/PID/status`) until it exits. (`getrusage`/`wait4` would count the pages the child
/// shared with this process between fork and exec: the fake's memory, not s3tk's.)
async fn run_s3tk(fake: &FakeS3, args: &[&str]) -> Measured {
    let before = fake.answered();
    let log = std::env::temp_dir().join(format!("s3tk-bench-{}.log", std::process::id()));
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3tk"))
        .arg("--endpoint-url")
        .arg(fake.uri())
        .args(args)
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
        .env("AWS_SECRET_ACCESS_KEY", "bench-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/s3tk-bench/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/s3tk-bench/credentials",
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("the s3tk binary runs");
    let (status, peak_kb, cpu_ticks) = tokio::task::spawn_blocking(move || {
        let proc = format!("/proc/{}", child.id());
        let (mut peak_kb, mut cpu_ticks) = (0u64, 0u64);
        loop {
            if let Ok(status) = std::fs::read_to_string(format!("{proc}/status")) {
                peak_kb = peak_kb.max(vm_hwm_kb(&status).unwrap_or(0));
            }
            if let Ok(stat) = std::fs::read_to_string(format!("{proc}/stat")) {
                cpu_ticks = cpu_ticks.max(cpu_ticks_of(&stat).unwrap_or(0));
            }
            if let Some(status) = child.try_wait().unwrap() {
                return (status, peak_kb, cpu_ticks);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    })
    .await
    .unwrap();
    let wall = started.elapsed();
    assert!(
        status.code().is_some_and(|c| c <= 1),
        "s3tk {args:?} exited with {status}:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    std::fs::remove_file(&log).ok();
    Measured {
        wall,
        // Clock ticks are 1/100 s on Linux; the last sample is within 5 ms of the exit.
        cpu: Duration::from_millis(cpu_ticks * 10),
        peak_rss_mb: peak_kb as f64 / 1024.0,
        requests: fake.answered() - before,
    }
}

/// User plus system CPU time, in clock ticks, from a `/proc/PID/stat` (fields 14 and 15,
/// counted after the parenthesised command name).
fn cpu_ticks_of(stat: &str) -> Option<u64> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// `VmHWM:    23456 kB` from a `/proc/PID/status`.
fn vm_hwm_kb(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main]
async fn main() {
    assert_eq!(
        std::env::var("AWS_EC2_METADATA_DISABLED").as_deref(),
        Ok("true"),
        "run with AWS_EC2_METADATA_DISABLED=true"
    );
    let o = Options::from_args();
    println!(
        "{} objects, {} ms per request, concurrency {}",
        o.objects,
        o.latency.as_millis(),
        o.concurrency
    );
    println!(
        "{:<16} {:>9} {:>9} {:>9} {:>10} {:>7} {:>8} {:>10}",
        "command", "requests", "ideal", "measured", "objects/s", "CPU s", "peak MB", "efficiency"
    );
    let fake = FakeS3::start_unrecorded().await;
    fake.latency(o.latency).account_block(None);
    if !o.throttle_only {
        if !o.inventory_only {
            listing_benchmarks(&fake, &o).await;
        }
        inventory_benchmark(&fake, &o).await;
    }
    if !o.inventory_only {
        throttling_benchmark(&fake, &o).await;
    }
}

/// `scan-object-acl` unthrottled and with half of the GetObjectAcl answers `SlowDown`, with
/// s3tk's default retries (1 s first backoff): the price of back-pressure and retries.
async fn throttling_benchmark(fake: &FakeS3, o: &Options) {
    let n = o.throttle_objects;
    let concurrency = o.concurrency.to_string();
    println!();
    println!(
        "scan-object-acl of {n} objects, default retries; 50% = every 2nd GetObjectAcl is 503 SlowDown:"
    );
    let mut rates = Vec::new();
    for (label, every) in [("unthrottled", None), ("50% throttled", Some(2))] {
        let name = format!("bench-throttle-{}", every.unwrap_or(0));
        let mut bucket = FakeBucket::new("us-east-1").synthetic(n, FakeObject::new(1));
        if let Some(every) = every {
            bucket = bucket.object_fault_every("GetObjectAcl", 503, "SlowDown", every);
        }
        fake.bucket(&name, bucket);
        // Exit 3 would mean an object errs: run_s3tk accepts only 0 and 1.
        let m = run_s3tk(
            fake,
            &["scan-object-acl", &name, "--concurrency", &concurrency],
        )
        .await;
        let rate = n as f64 / m.wall.as_secs_f64();
        println!(
            "{label:<16} {:>9} requests {:>8.2}s {:>10.0} objects/s, no errors",
            m.requests,
            m.wall.as_secs_f64(),
            rate
        );
        rates.push(rate);
    }
    println!(
        "50% throttled runs at {:.1}% of the unthrottled rate",
        100.0 * rates[1] / rates[0]
    );
}

async fn listing_benchmarks(fake: &FakeS3, o: &Options) {
    let concurrency = o.concurrency.to_string();
    for command in ["scan-object-acl", "encrypt"] {
        let mut runs = Vec::new();
        for run in 0..o.runs {
            // A fresh bucket per run, so every encrypt run has everything to do. Object ACLs
            // are read for the scan; encrypt's bucket has ACLs disabled, so it needs HeadObject
            // and CopyObject per object.
            let name = format!("bench-{command}-{run}");
            let mut bucket =
                FakeBucket::new("us-east-1").synthetic(o.objects, FakeObject::new(1024));
            if command == "encrypt" {
                bucket = bucket.ownership("BucketOwnerEnforced");
            }
            fake.bucket(&name, bucket);
            runs.push(run_s3tk(fake, &[command, &name, "--concurrency", &concurrency]).await);
        }
        runs.sort_by_key(|m| m.wall);
        let walls: Vec<String> = runs
            .iter()
            .map(|m| format!("{:.2}", m.wall.as_secs_f64()))
            .collect();
        let m = &runs[runs.len() / 2];
        let ideal = o.latency.as_secs_f64() * m.requests as f64 / o.concurrency as f64;
        println!(
            "{command:<16} {:>9} {:>8.2}s {:>8.2}s {:>10.0} {:>7.2} {:>8.1} {:>9.0}%   (median of {} s)",
            m.requests,
            ideal,
            m.wall.as_secs_f64(),
            o.objects as f64 / m.wall.as_secs_f64(),
            m.cpu.as_secs_f64(),
            m.peak_rss_mb,
            100.0 * ideal / m.wall.as_secs_f64(),
            walls.join(" / ")
        );
    }

    // Memory: the same scan over 10,000 and over `memory_objects` listed keys, one key in ten
    // selected (`--only 'obj/*0'`), so the listing and the pipeline both run at scale.
    println!();
    println!("peak memory of scan-object-acl --only 'obj/*0' (one key in ten):");
    let mut peaks = Vec::new();
    for n in [10_000, o.memory_objects] {
        let name = format!("bench-memory-{n}");
        fake.bucket(
            &name,
            FakeBucket::new("us-east-1").synthetic(n, FakeObject::new(1)),
        );
        let m = run_s3tk(
            fake,
            &[
                "scan-object-acl",
                &name,
                "--only",
                "obj/*0",
                "--concurrency",
                &concurrency,
            ],
        )
        .await;
        println!(
            "{n:>9} listed {:>8} requests {:>8.1}s {:>8.1} MB peak",
            m.requests,
            m.wall.as_secs_f64(),
            m.peak_rss_mb
        );
        peaks.push(m.peak_rss_mb);
    }
    println!(
        "growth from 10,000 to {} listed objects: {:+.1} MB",
        o.memory_objects,
        peaks[1] - peaks[0]
    );
}

async fn inventory_benchmark(fake: &FakeS3, o: &Options) {
    let concurrency = o.concurrency.to_string();
    // `encrypt --dry-run --inventory` over an S3 Inventory report of `memory_objects` rows
    // (half unencrypted) in 4 gzip CSV files: the report decides, so no object is requested.
    println!();
    let rows = o.memory_objects;
    let manifest = publish_inventory(fake, "bench-inventory", rows, 4);
    fake.bucket("bench-inventory", FakeBucket::new("us-east-1"));
    let m = run_s3tk(
        fake,
        &[
            "encrypt",
            "bench-inventory",
            "--dry-run",
            "--inventory",
            &manifest,
            "--concurrency",
            &concurrency,
        ],
    )
    .await;
    assert!(
        m.requests < 20,
        "{} requests: the dry run must not request objects",
        m.requests
    );
    println!(
        "encrypt --dry-run --inventory: {rows} rows in {:.1}s = {:.0} rows/s, {} requests in all, {:.2} CPU s, {:.1} MB peak",
        m.wall.as_secs_f64(),
        rows as f64 / m.wall.as_secs_f64(),
        m.requests,
        m.cpu.as_secs_f64(),
        m.peak_rss_mb
    );
}

/// Publishes an inventory of `rows` objects of `bucket` in `files` gzip CSV data files (half
/// NOT-SSE, half SSE-S3); returns the manifest's URL.
fn publish_inventory(fake: &FakeS3, bucket: &str, rows: usize, files: usize) -> String {
    use std::io::Write;
    let reports = "bench-inventory-reports";
    fake.bucket(reports, FakeBucket::new("us-east-1"));
    let per_file = rows.div_ceil(files);
    let mut entries = Vec::new();
    for file in 0..files {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for i in file * per_file..((file + 1) * per_file).min(rows) {
            let status = if i % 2 == 0 { "NOT-SSE" } else { "SSE-S3" };
            writeln!(
                gz,
                "\"{bucket}\",\"data/{:03}/object-{i:08}.bin\",\"1024\",\"9b2cf535f27731c974343645a3985328\",\"STANDARD\",\"{status}\"",
                i % 1000
            )
            .unwrap();
        }
        let body = gz.finish().unwrap();
        let key = format!("{bucket}/bench/data/part-{file}.csv.gz");
        let md5 = fake_s3::md5_hex(&body);
        entries.push(serde_json::json!({"key": key, "size": body.len(), "MD5checksum": md5}));
        fake.file(reports, &key, body);
    }
    let manifest = serde_json::json!({
        "sourceBucket": bucket,
        "destinationBucket": format!("arn:aws:s3:::{reports}"),
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size, ETag, StorageClass, EncryptionStatus",
        "files": entries,
    });
    let key = format!("{bucket}/bench/2026-11-26T01-00Z/manifest.json");
    fake.file(reports, &key, manifest.to_string().into_bytes());
    format!("s3://{reports}/{key}")
}

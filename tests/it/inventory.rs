//! `--inventory`: the object commands reading an S3 Inventory report (manifest and gzip CSV
//! data files served by the fake) instead of listing the bucket.

use crate::fake_s3::{FakeBucket, FakeObject, FakeS3, md5_hex};
use crate::support::s3tk;
use std::io::Write;

pub const REPORTS: &str = "inventory-reports";
const SCHEMA: &[&str] = &[
    "Bucket",
    "Key",
    "Size",
    "ETag",
    "StorageClass",
    "EncryptionStatus",
];

/// A CSV row with every field quoted, as S3 Inventory writes them.
fn row(fields: &[&str]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
        .collect();
    quoted.join(",") + "\n"
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

/// Publishes an inventory of `source` with `schema` and `rows`, split into `files` data files,
/// in the reports bucket; returns the manifest's s3:// URL.
pub fn publish(
    fake: &FakeS3,
    source: &str,
    schema: &[&str],
    rows: &[String],
    files: usize,
) -> String {
    fake.bucket(REPORTS, FakeBucket::new("us-east-1"));
    let prefix = format!("{source}/daily/2026-11-26T01-00Z");
    let per_file = rows.len().div_ceil(files.max(1)).max(1);
    let mut entries = Vec::new();
    for (i, chunk) in rows.chunks(per_file).enumerate() {
        let key = format!("{source}/daily/data/part-{i}.csv.gz");
        let body = gzip(&chunk.concat());
        entries.push(
            serde_json::json!({"key": key, "size": body.len(), "MD5checksum": md5_hex(&body)}),
        );
        fake.file(REPORTS, &key, body);
    }
    let manifest = serde_json::json!({
        "sourceBucket": source,
        "destinationBucket": format!("arn:aws:s3:::{REPORTS}"),
        "version": "2016-11-30",
        "creationTimestamp": "1764118800000",
        "fileFormat": "CSV",
        "fileSchema": schema.join(", "),
        "files": entries,
    });
    let key = format!("{prefix}/manifest.json");
    fake.file(REPORTS, &key, manifest.to_string().into_bytes());
    format!("s3://{REPORTS}/{key}")
}

fn object_rows(bucket: &str) -> Vec<String> {
    vec![
        row(&[
            bucket,
            "plain.txt",
            "10",
            "etag-plain",
            "STANDARD",
            "NOT-SSE",
        ]),
        row(&[
            bucket,
            "with+space%2Band+plus.txt",
            "10",
            "etag-space",
            "STANDARD",
            "NOT-SSE",
        ]),
        row(&[bucket, "done.txt", "10", "etag-done", "STANDARD", "SSE-S3"]),
        row(&[bucket, "kms.txt", "10", "etag-kms", "STANDARD", "SSE-KMS"]),
        row(&[bucket, "cold.txt", "10", "etag-cold", "GLACIER", "NOT-SSE"]),
        row(&[
            bucket,
            "tmp/skip.txt",
            "10",
            "etag-tmp",
            "STANDARD",
            "NOT-SSE",
        ]),
    ]
}

#[tokio::test]
async fn a_dry_run_from_the_inventory_sends_no_object_request() {
    let fake = FakeS3::start().await;
    fake.bucket("photos", FakeBucket::new("us-east-1"));
    let manifest = publish(&fake, "photos", SCHEMA, &object_rows("photos"), 2);
    let run = s3tk(
        &fake.uri(),
        &[
            "encrypt",
            "photos",
            "--dry-run",
            "--inventory",
            &manifest,
            "--except",
            "tmp/*",
            "--format",
            "json",
        ],
    )
    .await;
    run.assert_code_because(1, "a skipped archived object stays unencrypted");
    let results: Vec<(String, String)> = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["key"].is_string())
        .map(|v| {
            (
                v["key"].as_str().unwrap().to_owned(),
                v["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut results = results;
    results.sort();
    assert_eq!(
        results,
        [
            ("cold.txt".into(), "skipped".into()),
            ("done.txt".into(), "already encrypted".into()),
            ("kms.txt".into(), "kept".into()),
            ("plain.txt".into(), "would encrypt".into()),
            ("with space+and plus.txt".into(), "would encrypt".into()),
        ]
    );
    let ops = fake.operations().await;
    let per_object: Vec<_> = ops
        .iter()
        // GetObjectLockConfiguration is the bucket's, read once.
        .filter(|o| o.contains("Object") && *o != "GetObject" && *o != "GetObjectLockConfiguration")
        .collect();
    assert!(per_object.is_empty(), "{ops:?}");
    assert_eq!(
        ops.iter().filter(|o| *o == "GetObject").count(),
        3,
        "manifest + 2 data files: {ops:?}"
    );
    assert!(!ops.iter().any(|o| o.starts_with("ListObject")), "{ops:?}");
    assert!(
        run.stderr
            .contains("reading the inventory s3://inventory-reports/"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn encrypting_from_the_inventory_reads_only_the_objects_to_change() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "photos",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .object("plain.txt", FakeObject::new(10))
            .object("done.txt", FakeObject::new(10).sse("AES256", None)),
    );
    let rows = vec![
        row(&["photos", "plain.txt", "10", "x", "STANDARD", "NOT-SSE"]),
        row(&["photos", "done.txt", "10", "x", "STANDARD", "SSE-S3"]),
    ];
    let manifest = publish(&fake, "photos", SCHEMA, &rows, 1);
    let run = s3tk(
        &fake.uri(),
        &["encrypt", "photos", "--inventory", &manifest],
    )
    .await;
    run.expect_success();
    assert!(fake.object("photos", "plain.txt").unwrap().is_encrypted());
    let ops = fake.operations().await;
    assert_eq!(
        ops.iter().filter(|o| *o == "HeadObject").count(),
        1,
        "only plain.txt: {ops:?}"
    );
    assert_eq!(
        ops.iter().filter(|o| *o == "CopyObject").count(),
        1,
        "{ops:?}"
    );
}

#[tokio::test]
async fn object_acls_come_from_the_inventory() {
    use base64::Engine;
    let fake = FakeS3::start().await;
    fake.account_block(None);
    fake.bucket("site", FakeBucket::new("us-east-1"));
    let owner = crate::fake_s3::OWNER_ID;
    let acl = |public: bool| {
        let mut grants = vec![
            serde_json::json!({"type": "CanonicalUser", "canonicalId": owner, "permission": "FULL_CONTROL"}),
        ];
        if public {
            grants.push(serde_json::json!({"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers", "permission": "READ"}));
        }
        let json =
            serde_json::json!({"version": "2022-11-10", "status": "AVAILABLE", "grants": grants});
        base64::engine::general_purpose::STANDARD.encode(json.to_string())
    };
    let schema = &["Bucket", "Key", "ObjectAccessControlList", "ObjectOwner"];
    let rows = vec![
        row(&["site", "index.html", &acl(true), owner]),
        row(&["site", "private.txt", &acl(false), owner]),
    ];
    let manifest = publish(&fake, "site", schema, &rows, 1);
    let run = s3tk(
        &fake.uri(),
        &["scan-object-acl", "site", "--inventory", &manifest],
    )
    .await;
    run.assert_code_because(1, "a public object is a finding");
    assert!(
        run.stdout.contains("index.html") && run.stdout.contains("public-read"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("private.txt"), "{}", run.stdout);
    let ops = fake.operations().await;
    assert!(
        !ops.iter()
            .any(|o| o == "GetObjectAcl" || o.starts_with("ListObject")),
        "{ops:?}"
    );
}

#[tokio::test]
async fn versions_come_from_an_all_versions_inventory() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "archive",
        FakeBucket::new("us-east-1").versioning("Enabled"),
    );
    let manifest = publish(&fake, "archive", SCHEMA, &object_rows("archive"), 1);
    let run = s3tk(
        &fake.uri(),
        &[
            "delete-unencrypted-versions",
            "archive",
            "--inventory",
            &manifest,
        ],
    )
    .await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("the inventory lists current versions only; this command needs one that includes all versions"),
        "{}",
        run.stderr
    );
    let schema = &[
        "Bucket",
        "Key",
        "VersionId",
        "IsLatest",
        "IsDeleteMarker",
        "EncryptionStatus",
    ];
    let rows = vec![
        row(&["archive", "a.txt", "v2", "true", "false", "SSE-S3"]),
        row(&["archive", "a.txt", "v1", "false", "false", "SSE-S3"]),
        row(&["archive", "b.txt", "m1", "true", "true", ""]),
    ];
    let manifest = publish(&fake, "archive", schema, &rows, 1);
    let run = s3tk(
        &fake.uri(),
        &[
            "delete-unencrypted-versions",
            "archive",
            "--inventory",
            &manifest,
            "--format",
            "json",
        ],
    )
    .await;
    run.expect_success();
    assert!(
        run.stdout
            .contains(r#""key":"a.txt","version_id":"v1","result":"encrypted""#),
        "{}",
        run.stdout
    );
    let ops = fake.operations().await;
    assert!(
        !ops.iter()
            .any(|o| o.starts_with("HeadObject") || o.starts_with("ListObject")),
        "{ops:?}"
    );
}

#[tokio::test]
async fn bad_reports_are_refused_and_corrupt_files_stop_the_walk() {
    let fake = FakeS3::start().await;
    fake.bucket("photos", FakeBucket::new("us-east-1"));
    let manifest = publish(&fake, "videos", SCHEMA, &object_rows("videos"), 1);
    let run = s3tk(
        &fake.uri(),
        &["encrypt", "photos", "--dry-run", "--inventory", &manifest],
    )
    .await;
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("the inventory is of bucket videos, not photos"),
        "{}",
        run.stderr
    );

    let run = s3tk(
        &fake.uri(),
        &["encrypt", "photos", "--inventory", "photos/manifest.json"],
    )
    .await;
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("invalid --inventory 'photos/manifest.json': not an s3:// URL"),
        "{}",
        run.stderr
    );

    let run = s3tk(
        &fake.uri(),
        &[
            "encrypt",
            "photos",
            "--inventory",
            &format!("s3://{REPORTS}/nothing/manifest.json"),
        ],
    )
    .await;
    run.assert_code(3);
    assert!(
        run.stderr.contains("could not read the inventory"),
        "{}",
        run.stderr
    );

    // A data file that is not what the manifest says.
    let manifest = publish(&fake, "photos", SCHEMA, &object_rows("photos"), 1);
    fake.file(
        REPORTS,
        "photos/daily/data/part-0.csv.gz",
        gzip(&row(&[
            "photos",
            "other.txt",
            "1",
            "x",
            "STANDARD",
            "NOT-SSE",
        ])),
    );
    let run = s3tk(
        &fake.uri(),
        &["encrypt", "photos", "--dry-run", "--inventory", &manifest],
    )
    .await;
    run.assert_code_because(3, "the inventory stopped the walk");
    assert!(
        run.stderr.contains("does not match the manifest's MD5"),
        "{}",
        run.stderr
    );
}

/// A manifest.json over 16 MiB is not a manifest: refused (exit 2) without reading it whole;
/// a data file without line ends stops the walk after 1 MiB (issue 13, item 7).
#[tokio::test]
async fn oversized_manifests_and_endless_lines_are_refused() {
    let fake = FakeS3::start().await;
    fake.bucket("photos", FakeBucket::new("us-east-1"));
    fake.bucket(REPORTS, FakeBucket::new("us-east-1"));
    let key = "photos/daily/2026-11-26T01-00Z/manifest.json";
    fake.file(REPORTS, key, vec![b' '; (16 << 20) + 1]);
    let run = s3tk(
        &fake.uri(),
        &[
            "encrypt",
            "photos",
            "--dry-run",
            "--inventory",
            &format!("s3://{REPORTS}/{key}"),
        ],
    )
    .await;
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            format!("error: s3://{REPORTS}/{key} is larger than 16 MiB, which no S3 Inventory manifest.json is; give the manifest.json of the report\n").as_str()
        )
    );

    let manifest = publish(&fake, "photos", SCHEMA, &object_rows("photos"), 1);
    let endless = gzip(&"x".repeat((1 << 20) + 10));
    let md5 = md5_hex(&endless);
    fake.file(REPORTS, "photos/daily/data/part-0.csv.gz", endless);
    // The manifest names the new file's checksum, so only the line length is wrong.
    let text = String::from_utf8(
        fake.file_body(
            REPORTS,
            manifest.strip_prefix(&format!("s3://{REPORTS}/")).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["files"][0]["MD5checksum"] = md5.into();
    fake.file(
        REPORTS,
        manifest.strip_prefix(&format!("s3://{REPORTS}/")).unwrap(),
        json.to_string().into_bytes(),
    );
    let run = s3tk(
        &fake.uri(),
        &["encrypt", "photos", "--dry-run", "--inventory", &manifest],
    )
    .await;
    run.assert_code_because(3, "the inventory stopped the walk");
    assert!(
        run.stderr.contains("inventory file photos/daily/data/part-0.csv.gz has a line longer than 1 MiB; it is not an S3 Inventory CSV file"),
        "{}",
        run.stderr
    );
}

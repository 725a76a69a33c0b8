//! `--batch` and `batch-status`: S3 Batch Operations jobs through the fake's S3 Control
//! (CreateJob, DescribeJob), manifests uploaded next to the completion report.

use crate::fake_s3::{FakeBucket, FakeObject, FakeS3, between, md5_hex};
use crate::support::{TempDir, s3tk, s3tk_in};

const ROLE: &str = "arn:aws:iam::123456789012:role/s3tk-batch";
const REPORTS: &str = "batch-reports";

fn media(fake: &FakeS3) {
    fake.account_block(None)
        .bucket(REPORTS, FakeBucket::new("us-east-1"))
        .bucket(
            "media",
            FakeBucket::new("us-east-1")
                .object("a.jpg", FakeObject::new(10))
                .object("space name+1.txt", FakeObject::new(10))
                .object("b.jpg", FakeObject::new(10).storage_class("STANDARD_IA"))
                .object("done.jpg", FakeObject::new(10).sse("AES256", None))
                .object("big.iso", FakeObject::new(6 * 1024 * 1024 * 1024))
                .object("site/index.html", FakeObject::new(10).redirect("/new.html"))
                .object("public.jpg", FakeObject::new(10).grant_all_users("READ"))
                .object(
                    "locked.pdf",
                    FakeObject::new(10).retention("GOVERNANCE", "2099-01-01T00:00:00Z"),
                ),
        );
}

/// (key, result, detail) of the object lines; the batch job lines.
fn lines(stdout: &str) -> (Vec<(String, String, String)>, Vec<serde_json::Value>) {
    let values: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut objects: Vec<(String, String, String)> = values
        .iter()
        .filter(|v| v["key"].is_string())
        .map(|v| {
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (text("key"), text("result"), text("detail"))
        })
        .collect();
    objects.sort();
    let jobs = values
        .into_iter()
        .filter(|v| v["type"] == "batch_job")
        .collect();
    (objects, jobs)
}

#[tokio::test]
async fn encrypt_queues_what_a_batch_copy_keeps_one_job_per_storage_class() {
    let fake = FakeS3::start().await;
    media(&fake);
    let run = s3tk(
        &fake.uri(),
        &[
            "encrypt",
            "media",
            "--batch",
            "--role-arn",
            ROLE,
            "--report",
            &format!("s3://{REPORTS}/s3tk"),
            "--format",
            "json",
        ],
    )
    .await;
    run.assert_code_because(
        1,
        "objects left for the direct engine are still unencrypted",
    );
    let (objects, jobs) = lines(&run.stdout);
    let result = |key: &str| {
        objects
            .iter()
            .find(|o| o.0 == key)
            .unwrap_or_else(|| panic!("{key}: {objects:#?}"))
            .clone()
    };
    assert_eq!(result("a.jpg").1, "queued");
    assert_eq!(
        result("a.jpg").2,
        "not encrypted → SSE-S3, in the STANDARD job"
    );
    assert_eq!(
        result("b.jpg").2,
        "not encrypted → SSE-S3, in the STANDARD_IA job"
    );
    assert_eq!(result("done.jpg").1, "already encrypted");
    for (key, why) in [
        ("big.iso", "over 5 GB"),
        ("site/index.html", "website redirect"),
        ("public.jpg", "ACL is not private"),
        ("locked.pdf", "Object Lock retention"),
    ] {
        let (_, outcome, detail) = result(key);
        assert_eq!(outcome, "left for the direct engine", "{key}");
        assert!(
            detail.contains(why) && detail.ends_with("; encrypt it without --batch"),
            "{key}: {detail}"
        );
    }
    // Nothing was copied here: the jobs do it.
    assert!(!fake.operations().await.iter().any(|o| o == "CopyObject"));
    assert!(!fake.object("media", "a.jpg").unwrap().is_encrypted());

    let created = fake.jobs();
    assert_eq!(created.len(), 2, "one job per storage class");
    assert_eq!(jobs.len(), 2, "{}", run.stdout);
    for (id, xml, region) in &created {
        assert_eq!(
            region, "us-east-1",
            "the job is created in the bucket's region"
        );
        let class = between(xml, "StorageClass");
        let job = jobs.iter().find(|j| j["job_id"] == id.as_str()).unwrap();
        assert_eq!(job["group"], class);
        assert!(xml.contains("<S3PutObjectCopy>"), "{xml}");
        assert_eq!(between(xml, "TargetResource"), "arn:aws:s3:::media");
        assert_eq!(between(xml, "MetadataDirective"), "COPY");
        assert_eq!(between(xml, "SSEAlgorithm"), "AES256");
        assert_eq!(between(xml, "RoleArn"), ROLE);
        assert_eq!(between(xml, "ConfirmationRequired"), "false");
        assert_eq!(between(xml, "Format"), "S3BatchOperations_CSV_20180820");
        assert_eq!(between(xml, "ReportScope"), "AllTasks");
        assert!(
            xml.contains("<Report><Bucket>arn:aws:s3:::batch-reports</Bucket>"),
            "{xml}"
        );
        assert_eq!(between(xml, "Prefix"), "s3tk");
        // The manifest the job names was uploaded, with the ETag the job checks.
        let arn = between(xml, "ObjectArn");
        let key = arn.strip_prefix("arn:aws:s3:::batch-reports/").unwrap();
        assert!(
            key.starts_with("s3tk/s3tk-manifests/media-")
                && key.ends_with(&format!("-{class}.csv")),
            "{key}"
        );
        let manifest = fake.file_body(REPORTS, key).expect("uploaded");
        assert_eq!(between(xml, "ETag"), md5_hex(&manifest));
        let mut rows: Vec<&str> = std::str::from_utf8(&manifest).unwrap().lines().collect();
        rows.sort();
        match class {
            "STANDARD" => assert_eq!(rows, ["media,a.jpg", "media,space%20name%2B1.txt"]),
            "STANDARD_IA" => assert_eq!(rows, ["media,b.jpg"]),
            other => panic!("unexpected job group {other}"),
        }
    }
}

#[tokio::test]
async fn a_rerun_makes_new_jobs_that_skip_objects_modified_since_planning() {
    let fake = FakeS3::start().await;
    media(&fake);
    let args = [
        "encrypt",
        "media",
        "--batch",
        "--role-arn",
        ROLE,
        "--report",
        &format!("s3://{REPORTS}"),
        "--format",
        "json",
    ];
    s3tk(&fake.uri(), &args).await;
    s3tk(&fake.uri(), &args).await;
    let created = fake.jobs();
    // A new manifest per run, so a job that failed (say, for a missing KMS permission) can be
    // made again; an SDK retry inside one run keeps the token.
    assert_eq!(created.len(), 4);
    for (_, xml, _) in &created {
        let since = between(xml, "UnModifiedSinceConstraint");
        assert!(since.starts_with("20") && since.ends_with('Z'), "{xml}");
    }
}

#[tokio::test]
async fn a_dry_run_writes_the_manifests_locally_and_creates_nothing() {
    let fake = FakeS3::start().await;
    media(&fake);
    let dir = TempDir::new("batch-dry-run");
    let endpoint = fake.uri();
    let run = s3tk_in(
        Some(&dir.0),
        &[
            "--endpoint-url",
            &endpoint,
            "encrypt",
            "media",
            "--dry-run",
            "--batch",
            "--role-arn",
            ROLE,
            "--report",
            &format!("s3://{REPORTS}/s3tk"),
        ],
        &[],
    )
    .await;
    run.assert_code(1);
    assert!(fake.jobs().is_empty());
    let ops = fake.operations().await;
    assert!(
        !ops.iter()
            .any(|o| o == "PutObject" || o == "CreateJob" || o == "CopyObject"),
        "{ops:?}"
    );
    assert!(
        run.stdout
            .contains("would create a batch job for 2 objects (STANDARD): manifest "),
        "{}",
        run.stdout
    );
    let written: Vec<std::path::PathBuf> = std::fs::read_dir(&dir.0)
        .unwrap()
        .flat_map(|e| std::fs::read_dir(e.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    let request = written
        .iter()
        .find(|p| p.to_string_lossy().ends_with("STANDARD.job.json"))
        .unwrap_or_else(|| panic!("{written:?}"));
    let request: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(request).unwrap()).unwrap();
    assert_eq!(
        request["Operation"]["S3PutObjectCopy"]["StorageClass"],
        "STANDARD"
    );
    assert_eq!(request["RoleArn"], ROLE);
    assert_eq!(
        written.len(),
        4,
        "two manifests and two requests: {written:?}"
    );
}

/// A Batch copy keeps no Object Lock settings: an object whose settings HeadObject may have
/// hidden (the caller lacks s3:GetObjectLegalHold) is an error, never queued.
#[tokio::test]
async fn objects_with_unreadable_object_lock_settings_are_never_queued() {
    let fake = FakeS3::start().await;
    fake.account_block(None)
        .bucket(REPORTS, FakeBucket::new("us-east-1"))
        .bucket(
            "vault",
            FakeBucket::new("us-east-1")
                .versioning("Enabled")
                .object_lock(None)
                .deny_object_action("s3:GetObjectLegalHold")
                .object("held.pdf", FakeObject::new(10).legal_hold("ON"))
                .object("plain.pdf", FakeObject::new(10)),
        );
    let run = s3tk(
        &fake.uri(),
        &[
            "encrypt",
            "vault",
            "--batch",
            "--role-arn",
            ROLE,
            "--report",
            &format!("s3://{REPORTS}"),
            "--format",
            "json",
        ],
    )
    .await;
    run.assert_code_because(
        3,
        "the objects whose lock settings cannot be read are not handled",
    );
    let (objects, jobs) = lines(&run.stdout);
    assert_eq!(objects.len(), 2);
    for (key, result, detail) in &objects {
        assert_eq!(result, "error", "{key}");
        assert!(
            detail.contains("legal hold could not be read")
                && detail.contains("s3:GetObjectLegalHold"),
            "{key}: {detail}"
        );
    }
    assert!(jobs.is_empty() && fake.jobs().is_empty());
}

/// Checks each `*.job.json` against botocore's model of S3 Control's CreateJob input: required
/// members, no unknown ones, types (no nulls), lengths and enum values. botocore comes with
/// moto in the tools virtualenv and reads its model offline.
const VALIDATE_CREATE_JOB: &str = r#"
import json, sys
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.validate import ParamValidator
model = ServiceModel(Loader().load_service_model("s3control", "service-2"), "s3control")
shape = model.operation_model("CreateJob").input_shape

def enums(value, shape, path, problems):
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if isinstance(value, dict) and name in value:
                enums(value[name], member, path + "." + name, problems)
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            enums(item, shape.member, "%s[%d]" % (path, i), problems)
    elif shape.type_name == "string" and shape.enum and value not in shape.enum:
        problems.append("%s: %r is not one of %s" % (path, value, shape.enum))

for path in sys.argv[1:]:
    params = json.load(open(path))
    problems = []
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        problems.append(report.generate_report())
    enums(params, shape, "CreateJob", problems)
    for p in problems:
        print("%s: %s" % (path, p))
"#;

/// An XML element as JSON: text for a leaf, an object of its children, or an array when its
/// children are list `member`s (restXml).
fn xml_value(xml: &str) -> serde_json::Value {
    use quick_xml::events::Event;
    fn element(reader: &mut quick_xml::Reader<&[u8]>) -> serde_json::Value {
        let mut children: Vec<(String, serde_json::Value)> = Vec::new();
        let mut text = String::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) => {
                    let name = e.local_name().as_ref().to_owned();
                    children.push((name, element(reader)));
                }
                Event::Text(t) => text.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => panic!("an entity the comparison does not decode: {r:?}"),
                Event::End(_) | Event::Eof => break,
                _ => {}
            }
        }
        if children.is_empty() {
            serde_json::Value::String(text)
        } else if children.iter().all(|(n, _)| n == "member") {
            children.into_iter().map(|(_, v)| v).collect()
        } else {
            serde_json::Value::Object(children.into_iter().collect())
        }
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    loop {
        if let quick_xml::events::Event::Start(_) = reader.read_event().unwrap() {
            return element(&mut reader);
        }
    }
}

/// JSON scalars as the text XML carries them, without the members that differ per run.
fn comparable(value: &serde_json::Value, path: &str) -> serde_json::Value {
    const PER_RUN: &[&str] = &[
        ".ClientRequestToken",
        ".Manifest.Location.ObjectArn",
        ".Manifest.Location.ETag",
        ".Operation.S3PutObjectCopy.UnModifiedSinceConstraint",
        // A header, not part of the body.
        ".AccountId",
    ];
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !PER_RUN.contains(&format!("{path}.{k}").as_str()))
            .map(|(k, v)| (k.clone(), comparable(v, &format!("{path}.{k}"))))
            .collect(),
        serde_json::Value::Array(items) => items.iter().map(|v| comparable(v, path)).collect(),
        serde_json::Value::String(s) => serde_json::Value::String(s.clone()),
        other => serde_json::Value::String(other.to_string()),
    }
}

/// `--batch --dry-run` writes the CreateJob request a run sends: a valid request by S3
/// Control's model, with the caller's account and the ETag S3 returns for the manifest, and
/// the same members and values as the request a real run sends (but those that differ per run).
#[tokio::test]
async fn a_dry_run_writes_exactly_the_create_job_request_a_run_sends() {
    let fake = FakeS3::start().await;
    media(&fake);
    let dir = TempDir::new("batch-dry-run-request");
    let endpoint = fake.uri();
    let encrypt = [
        "encrypt",
        "media",
        "--batch",
        "--role-arn",
        ROLE,
        "--report",
        &format!("s3://{REPORTS}/s3tk"),
    ];
    let reset = [
        "reset-object-acl",
        "media",
        "--batch",
        "--role-arn",
        ROLE,
        "--report",
        &format!("s3://{REPORTS}"),
    ];
    let mut requests = Vec::new();
    for args in [&encrypt[..], &reset[..]] {
        let mut all = vec!["--endpoint-url", endpoint.as_str()];
        all.extend_from_slice(args);
        all.push("--dry-run");
        let run = s3tk_in(Some(&dir.0), &all, &[]).await;
        assert!(run.code <= 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "note: the requests name each manifest by the ETag S3 returns for a plain upload (its MD5); if {REPORTS} encrypts uploads with SSE-KMS"
            )),
            "{}",
            run.stderr
        );
    }
    assert!(fake.jobs().is_empty());
    for entry in std::fs::read_dir(&dir.0).unwrap() {
        for file in std::fs::read_dir(entry.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.to_string_lossy().ends_with(".job.json") {
                requests.push(path);
            }
        }
    }
    assert_eq!(
        requests.len(),
        3,
        "two copy jobs and one ACL job: {requests:?}"
    );
    let mut dry: Vec<serde_json::Value> = Vec::new();
    for path in &requests {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(!text.contains("null"), "{text}");
        let request: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(request["AccountId"], crate::fake_s3::ACCOUNT_ID);
        let manifest = std::fs::read(path.with_extension("").with_extension("csv")).unwrap();
        assert_eq!(
            request["Manifest"]["Location"]["ETag"],
            md5_hex(&manifest),
            "the ETag S3 returns for the manifest"
        );
        dry.push(request);
    }
    if let Some(python) = crate::support::tools_python() {
        let out = std::process::Command::new(python)
            .args(["-c", VALIDATE_CREATE_JOB])
            .args(&requests)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stdout.is_empty(),
            "not valid CreateJob input:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The real runs: the fake receives the XML the SDK serializes.
    for args in [&encrypt[..], &reset[..]] {
        let run = s3tk(&endpoint, args).await;
        assert!(run.code <= 1, "{args:?}: {}", run.stderr);
    }
    let mut sent: Vec<serde_json::Value> = fake
        .jobs()
        .iter()
        .map(|(_, xml, _)| comparable(&xml_value(xml), ""))
        .collect();
    let mut dry: Vec<serde_json::Value> = dry.iter().map(|r| comparable(r, "")).collect();
    sent.sort_by_key(|v| v["Description"].to_string());
    dry.sort_by_key(|v| v["Description"].to_string());
    assert_eq!(dry, sent);
}

#[tokio::test]
async fn reset_object_acl_queues_one_put_object_acl_job() {
    let fake = FakeS3::start().await;
    fake.account_block(None)
        .bucket(REPORTS, FakeBucket::new("us-east-1"))
        .bucket(
            "site",
            FakeBucket::new("us-east-1")
                .object("open.html", FakeObject::new(1).grant_all_users("READ"))
                .object("private.html", FakeObject::new(1)),
        );
    let run = s3tk(
        &fake.uri(),
        &[
            "reset-object-acl",
            "site",
            "--batch",
            "--role-arn",
            ROLE,
            "--report",
            &format!("s3://{REPORTS}"),
        ],
    )
    .await;
    run.expect_success();
    let created = fake.jobs();
    assert_eq!(created.len(), 1);
    let xml = &created[0].1;
    assert!(xml.contains("<S3PutObjectAcl>"), "{xml}");
    assert_eq!(between(xml, "CannedAccessControlList"), "private");
    assert!(
        run.stdout.contains("batch job job-1: 1 objects (all)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("open.html: queued"), "{}", run.stdout);
}

#[tokio::test]
async fn batch_input_is_checked_before_any_request() {
    let fake = FakeS3::start().await;
    media(&fake);
    fake.bucket("eu-reports", FakeBucket::new("eu-west-1"));
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "encrypt",
                "media",
                "--batch",
                "--role-arn",
                "s3tk-batch",
                "--report",
                "s3://reports",
            ],
            "invalid --role-arn 's3tk-batch'",
        ),
        (
            &[
                "encrypt",
                "media",
                "--batch",
                "--role-arn",
                ROLE,
                "--report",
                "reports",
            ],
            "invalid --report 'reports'",
        ),
        (
            &[
                "encrypt",
                "media",
                "--batch",
                "--role-arn",
                ROLE,
                "--report",
                "s3://reports",
                "--customer-key",
                "0123456789abcdef0123456789abcdef",
            ],
            "--batch cannot use a customer key",
        ),
        (&["encrypt", "media", "--role-arn", ROLE], "required"),
    ];
    for (args, expected) in cases {
        let run = s3tk(&fake.uri(), args).await;
        run.assert_code_because(2, format_args!("{args:?}"));
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    assert_eq!(fake.answered(), 0);
    let run = s3tk(
        &fake.uri(),
        &[
            "encrypt",
            "media",
            "--batch",
            "--role-arn",
            ROLE,
            "--report",
            "s3://eu-reports",
        ],
    )
    .await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("--report s3://eu-reports/ is in eu-west-1; S3 Batch Operations needs it in the bucket's region (us-east-1)"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn batch_status_shows_progress_and_the_failed_objects() {
    let fake = FakeS3::start().await;
    fake.bucket(REPORTS, FakeBucket::new("us-east-1"));
    fake.job_state(
        "job-9",
        "<Description>s3tk: encrypt 3 objects</Description><Status>Complete</Status><Priority>10</Priority>\
         <ProgressSummary><TotalNumberOfTasks>3</TotalNumberOfTasks><NumberOfTasksSucceeded>2</NumberOfTasksSucceeded><NumberOfTasksFailed>1</NumberOfTasksFailed></ProgressSummary>\
         <Report><Bucket>arn:aws:s3:::batch-reports</Bucket><Format>Report_CSV_20180820</Format><Enabled>true</Enabled><Prefix>s3tk</Prefix><ReportScope>AllTasks</ReportScope></Report>",
    )
    .job_state(
        "job-10",
        "<Status>Active</Status><Priority>10</Priority><ProgressSummary><TotalNumberOfTasks>4</TotalNumberOfTasks><NumberOfTasksSucceeded>1</NumberOfTasksSucceeded><NumberOfTasksFailed>0</NumberOfTasksFailed></ProgressSummary>",
    );
    let results = "s3tk/job-job-9/results/abc.csv";
    fake.file(
        REPORTS,
        "s3tk/job-job-9/manifest.json",
        serde_json::json!({
            "Format": "Report_CSV_20180820",
            "ReportSchema": "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage",
            "Results": [
                {"TaskExecutionStatus": "succeeded", "Bucket": REPORTS, "Key": "s3tk/job-job-9/results/ok.csv"},
                {"TaskExecutionStatus": "failed", "Bucket": REPORTS, "Key": results},
            ]
        })
        .to_string()
        .into_bytes(),
    )
    .file(
        REPORTS,
        results,
        b"media,big%20file.iso,,failed,400,InvalidRequest,\"The specified copy source is larger than the maximum allowable size for a copy source: 5368709120\"\n".to_vec(),
    );
    let run = s3tk(&fake.uri(), &["batch-status", "job-9"]).await;
    run.assert_code(1);
    assert!(run.stdout.starts_with("job job-9: Complete\n  s3tk: encrypt 3 objects\n  3 of 3 tasks done (100%): 2 succeeded, 1 failed\n"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "✘ big file.iso: InvalidRequest (HTTP 400) The specified copy source is larger"
        ),
        "{}",
        run.stdout
    );
    let run = s3tk(&fake.uri(), &["batch-status", "job-10", "--format", "json"]).await;
    run.assert_code_because(4, "still running");
    let status = run.json();
    assert_eq!(status["job"]["status"], "Active");
    assert_eq!(status["job"]["succeeded"], 1);
    let run = s3tk(&fake.uri(), &["batch-status", "job-404"]).await;
    run.assert_code(3);
    assert!(run.stderr.contains("job-404"), "{}", run.stderr);
}

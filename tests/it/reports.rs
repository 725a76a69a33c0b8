//! Reports for CI and audits: several formats in one run agree (CSV read by Python's `csv`
//! module, OCSF checked for the schema's required attributes), the JUnit and SARIF outputs are
//! valid against their published schemas, the Markdown parses as CommonMark with the expected
//! table rows, and `--fail-on` and the ignore file decide the exit code.

use crate::fake_s3::{ACCOUNT_ID, FakeBucket, FakeS3};
use crate::support::{Run, TempDir, s3tk, s3tk_in, tools_python};
use serde_json::Value;

const OPEN_POLICY: &str =
    r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;

fn clean(name: &str) -> FakeBucket {
    FakeBucket::hardened(name, "us-east-1")
}

/// The original s3tk's four checks, which the tests here count on.
const CHECKS: &str = "s3.bucket.public-acl-read,s3.bucket.public-policy-read,s3.bucket.logging-disabled,s3.bucket.versioning-disabled";

/// Three buckets, scanned with `CHECKS`: a critical and a high failure (policy, ACL), a medium
/// failure (versioning), an error (ACL denied) and eight passes.
async fn mixed_account() -> FakeS3 {
    let fake = FakeS3::start().await;
    // No account-level block, so the public findings keep their severity.
    fake.account_block(None);
    let open = FakeBucket::new("us-east-1")
        .logging("central-logs", "open-data/")
        .versioning("Enabled");
    fake.bucket(
        "open-data",
        open.public_read().policy(OPEN_POLICY, Some(true)),
    )
    .bucket(
        "no-versioning",
        FakeBucket::new("eu-west-1").logging("central-logs", "y/"),
    )
    .bucket("locked", clean("locked").fault("acl", 403, "AccessDenied"));
    fake
}

fn xml_attr(xml: &str, element: &str, attr: &str) -> usize {
    let start = xml
        .find(&format!("<{element} "))
        .unwrap_or_else(|| panic!("no <{element}> in {xml}"));
    let tag = &xml[start..start + xml[start..].find('>').unwrap()];
    let value = tag
        .split(&format!(" {attr}=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {attr} in {tag}"));
    value[..value.find('"').unwrap()].parse().unwrap()
}

/// The rows (without the header) of the table that follows `## heading`, parsed as CommonMark.
fn markdown_table(markdown: &str, heading: &str) -> Vec<Vec<String>> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut rows = Vec::new();
    let (mut in_heading, mut after_heading, mut in_table, mut in_head) =
        (false, false, false, false);
    let mut heading_text = String::new();
    let mut row: Vec<String> = Vec::new();
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                heading_text.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                after_heading = heading_text == heading;
            }
            Event::Start(Tag::Table(_)) if after_heading => in_table = true,
            Event::End(TagEnd::Table) if in_table => return rows,
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableRow) if in_table && !in_head => rows.push(row.clone()),
            Event::Start(Tag::TableCell) => row.push(String::new()),
            Event::Text(t) | Event::Code(t) if in_heading => heading_text.push_str(&t),
            Event::Text(t) | Event::Code(t) if in_table => row.last_mut().unwrap().push_str(&t),
            _ => {}
        }
    }
    rows
}

/// The statuses of a report's findings, counted like the JSON summary.
fn counts<'a>(statuses: impl Iterator<Item = &'a str>) -> Value {
    let mut counts = serde_json::json!({"pass": 0, "fail": 0, "error": 0, "skip": 0, "muted": 0});
    for status in statuses {
        *counts
            .get_mut(status)
            .unwrap_or_else(|| panic!("status {status}")) =
            Value::from(counts[status].as_u64().unwrap() + 1);
    }
    counts
}

/// The attributes OCSF 1.4.0 requires of a Detection Finding (class 2004) and of the objects
/// s3tk fills, from the schema's own files at tag 1.4.0
/// (https://github.com/ocsf/ocsf-schema/tree/1.4.0):
/// - events/base_event.json: activity_id, category_uid, class_uid, metadata, severity_id, time,
///   type_uid;
/// - events/findings/finding.json: finding_info (detection_finding.json adds none);
/// - profiles/cloud.json (a profile the finding declares in metadata.profiles): cloud;
/// - objects/metadata.json: product, version; objects/finding_info.json: uid;
///   objects/cloud.json: provider; objects/remediation.json: desc;
/// - objects/_entity.json (product, account, resource_details): at least one of name, uid.
const OCSF_REQUIRED: [&str; 14] = [
    "/activity_id",
    "/category_uid",
    "/class_uid",
    "/metadata",
    "/severity_id",
    "/time",
    "/type_uid",
    "/finding_info",
    "/cloud",
    "/metadata/product",
    "/metadata/version",
    "/finding_info/uid",
    "/cloud/provider",
    "/remediation/desc",
];

/// Fails unless `finding` has every attribute the class requires, with the class's values.
fn assert_ocsf_detection_finding(finding: &Value) {
    for pointer in OCSF_REQUIRED {
        let value = finding.pointer(pointer);
        assert!(
            value.is_some_and(|v| !v.is_null() && v != ""),
            "OCSF requires {pointer}: {finding:#}"
        );
    }
    assert_eq!(
        (
            &finding["class_uid"],
            &finding["category_uid"],
            &finding["type_uid"]
        ),
        (&Value::from(2004), &Value::from(2), &Value::from(200_401)),
        "Detection Finding, Create"
    );
    assert!((1..=5).contains(&finding["severity_id"].as_u64().unwrap()));
    assert!(
        finding["metadata"]["version"]
            .as_str()
            .unwrap()
            .starts_with("1.")
    );
    assert_eq!(
        finding["metadata"]["profiles"],
        serde_json::json!(["cloud", "datetime"])
    );
    for entity in [
        &finding["metadata"]["product"],
        &finding["resources"][0],
        &finding["cloud"]["account"],
    ] {
        assert!(
            entity["name"].is_string() || entity["uid"].is_string(),
            "an entity needs a name or a uid: {entity}"
        );
    }
}

#[tokio::test]
async fn every_format_in_one_run_agrees() {
    let fake = mixed_account().await;
    let dir = TempDir::new("formats");
    // One failure muted, with a reason that needs quoting in CSV.
    std::fs::write(
        dir.0.join("ignore.toml"),
        "[[ignore]]\ncheck = \"s3.bucket.versioning-disabled\"\nreason = \"R&D, \\\"sandbox\\\"\\nreviewed\"\n",
    )
    .unwrap();
    let (junit, markdown, sarif, json, csv, ocsf) = (
        dir.path("ci/s3tk.xml"),
        dir.path("audit.md"),
        dir.path("s3tk.sarif"),
        dir.path("s3tk.json"),
        dir.path("s3tk.csv"),
        dir.path("s3tk.ocsf.json"),
    );
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--checks",
            CHECKS,
            "--ignore-file",
            &dir.path("ignore.toml"),
            "--format",
            "table",
            "--format",
            &format!("junit={junit}"),
            "--format",
            &format!("markdown={markdown}"),
            "--format",
            &format!("sarif={sarif}"),
            "--format",
            &format!("json={json}"),
            "--format",
            &format!("csv={csv}"),
            "--format",
            &format!("ocsf={ocsf}"),
        ],
    )
    .await;
    run.assert_code(1);
    // 3 buckets × 4 checks: open-data fails ACL and policy; no-versioning fails versioning
    // (muted); locked cannot read its ACL.
    let totals = run.stdout.split("\n\n").last().unwrap().replace('\n', " ");
    assert!(
        totals.starts_with(&format!(
            "1 account ({ACCOUNT_ID}), 3 buckets; 4 checks: 2 failed, 1 error, 1 muted, 8 passed, 0 skipped."
        )),
        "{}",
        run.stdout
    );

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let summary = serde_json::json!({"pass": 8, "fail": 2, "error": 1, "skip": 0, "muted": 1});
    assert_eq!(report["summary"], summary);
    assert_eq!(report["run"]["account"], ACCOUNT_ID);
    assert_eq!(
        report["run"]["regions"],
        serde_json::json!(["eu-west-1", "us-east-1"])
    );
    let json_pairs = crate::support::pairs(&report);

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(
        (
            xml_attr(&xml, "testsuites", "tests"),
            xml_attr(&xml, "testsuites", "failures"),
            xml_attr(&xml, "testsuites", "errors")
        ),
        (12, 2, 1)
    );
    assert_eq!(xml.matches("<testsuite ").count(), 4, "one suite per check");
    assert_eq!(xml.matches("<testcase ").count(), 12);
    assert!(xml.contains(r#"<testcase name="[HIGH][s3.bucket.public-acl-read] open-data" classname="s3tk.s3.bucket.public-acl-read""#), "{xml}");

    let md = std::fs::read_to_string(&markdown).unwrap();
    let totals = markdown_table(&md, "Summary").pop().unwrap();
    assert_eq!(
        totals,
        ["total", "2", "1", "1", "8", "0"],
        "Fail, Error, Muted, Pass, Skip"
    );
    let by_check = markdown_table(&md, "By check");
    assert_eq!(
        by_check
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str(), r[3].as_str()))
            .collect::<Vec<_>>(),
        [
            ("s3.bucket.public-policy-read", "critical", "1", "0"),
            ("s3.bucket.public-acl-read", "high", "1", "1"),
            ("s3.bucket.versioning-disabled", "medium", "0", "0"),
        ],
        "check, severity, fail, error: most severe first"
    );
    let acl = markdown_table(
        &md,
        "Bucket ACL lets everyone list or read it (high) · 1 failing",
    );
    assert_eq!(acl.len(), 1);
    assert_eq!(acl[0][0], "open-data");
    assert_eq!(
        markdown_table(&md, "s3.bucket.public-acl-read · 1 not evaluated")[0][0],
        "locked"
    );
    assert!(md.contains(&format!("| Account | {ACCOUNT_ID} |")));

    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 3);
    assert_eq!(
        log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // OCSF: one Detection Finding per finding, each with the class's required attributes.
    let findings: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&ocsf).unwrap()).unwrap();
    findings.iter().for_each(assert_ocsf_detection_finding);
    let ocsf_status =
        |f: &Value| match (f["status_code"].as_str().unwrap(), f["status_id"].as_u64()) {
            ("FAIL", Some(3)) => "muted",
            ("FAIL", _) => "fail",
            ("PASS", _) => "pass",
            ("ERROR", _) => "error",
            ("SKIP", _) => "skip",
            (other, _) => panic!("status_code {other}"),
        };
    assert_eq!(counts(findings.iter().map(ocsf_status)), summary);
    let ocsf_pairs: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            let resource = &f["resources"][0];
            let bucket = match resource["type"].as_str().unwrap() {
                "AwsS3Bucket" => resource["name"].as_str().unwrap().to_owned(),
                _ => "(account)".to_owned(),
            };
            (
                bucket,
                f["metadata"]["event_code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(ocsf_pairs, json_pairs);

    // CSV, as Python's csv module reads it (RFC 4180): one row per finding, the same counts.
    if let Some(python) = tools_python() {
        let out = std::process::Command::new(&python)
            .args([
                "-c",
                "import csv, json, sys\nwith open(sys.argv[1], newline='', encoding='utf-8') as f:\n    print(json.dumps(list(csv.DictReader(f, strict=True))))",
                &csv,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            counts(rows.iter().map(|r| r["status"].as_str().unwrap())),
            summary
        );
        let csv_pairs: Vec<(String, String)> = rows
            .iter()
            .map(|r| {
                let bucket = r["bucket"].as_str().unwrap();
                (
                    if bucket.is_empty() {
                        "(account)"
                    } else {
                        bucket
                    }
                    .to_owned(),
                    r["check"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(csv_pairs, json_pairs);
        let json_messages: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        let csv_messages: Vec<&str> = rows
            .iter()
            .map(|r| r["message"].as_str().unwrap())
            .collect();
        assert_eq!(csv_messages, json_messages);
    }

    let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// Validates with the pinned Python tools; the script prints nothing and exits 0 when valid.
fn validate(python: &str, script: &str, args: &[&str]) {
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "validation failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn junit_and_sarif_are_valid_against_published_schemas() {
    let Some(python) = tools_python() else { return };
    let fake = mixed_account().await;
    // A muted finding and special characters in the reason, too.
    let dir = TempDir::new("schemas");
    std::fs::write(dir.0.join("ignore.toml"), "[[ignore]]\ncheck = \"s3.bucket.versioning-disabled\"\nreason = \"R&D <sandbox> \\\"ok\\\"\"\n").unwrap();
    let (junit, sarif) = (dir.path("s3tk.xml"), dir.path("s3tk.sarif"));
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--ignore-file",
            &dir.path("ignore.toml"),
            "--format",
            &format!("junit={junit}"),
            "--format",
            &format!("sarif={sarif}"),
        ],
    )
    .await;
    run.assert_code(1);
    let schemas = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemas");
    // The Ant schema (the strictest published JUnit schema) plus the totals on <testsuites>
    // that Jenkins' schema allows and the issue asks for.
    validate(
        &python,
        r#"
import sys, xmlschema
xsd = open(sys.argv[1], encoding="utf-8").read()
root = '<xs:element name="testsuites">'
assert xsd.count(root) == 1
totals = "".join('<xs:attribute name="%s" type="%s"/>' % a for a in [("name", "xs:string"), ("tests", "xs:int"), ("failures", "xs:int"), ("errors", "xs:int"), ("time", "xs:decimal")])
start = xsd.index(root)
end = xsd.index("</xs:sequence>", start) + len("</xs:sequence>")
xsd = xsd[:end] + totals + xsd[end:]
xmlschema.XMLSchema(xsd).validate(sys.argv[2])
"#,
        &[&format!("{schemas}/junit-ant.xsd"), &junit],
    );
    validate(
        &python,
        r#"
import sys, json, jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.validate(json.load(open(sys.argv[2], encoding="utf-8")), schema, cls=jsonschema.Draft7Validator)
"#,
        &[&format!("{schemas}/sarif-schema-2.1.0.json"), &sarif],
    );
    // The checks can fail: a JUnit document the schema forbids is refused.
    let broken = dir.path("broken.xml");
    std::fs::write(
        &broken,
        std::fs::read_to_string(&junit).unwrap().replacen(
            "<testsuite ",
            "<testsuite disabled=\"0\" ",
            1,
        ),
    )
    .unwrap();
    let out = std::process::Command::new(&python)
        .args([
            "-c",
            "import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])",
            &format!("{schemas}/junit-ant.xsd"),
            &broken,
        ])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the unpatched Ant schema rejects extra attributes"
    );
}

fn exit_of(run: &Run) -> i32 {
    run.code
}

#[tokio::test]
async fn fail_on_sets_the_threshold() {
    let fake = FakeS3::start().await;
    // Only versioning (medium) fails.
    fake.bucket("medium-only", clean("medium-only").versioning("Suspended"));
    let uri = fake.uri();
    assert_eq!(
        exit_of(&s3tk(&uri, &["scan"]).await),
        1,
        "default low: any failure fails"
    );
    assert_eq!(
        exit_of(&s3tk(&uri, &["scan", "--fail-on", "medium"]).await),
        1
    );
    assert_eq!(
        exit_of(&s3tk(&uri, &["scan", "--fail-on", "high"]).await),
        0,
        "versioning is medium"
    );
    assert_eq!(
        exit_of(&s3tk(&uri, &["scan", "--fail-on", "never"]).await),
        0
    );
    let bad = s3tk(&uri, &["scan", "--fail-on", "severe"]).await;
    bad.assert_code(2);
    assert!(
        bad.stderr
            .contains("'severe' is not one of info, low, medium, high, critical, never"),
        "{}",
        bad.stderr
    );
}

#[tokio::test]
async fn muted_findings_pass_until_the_entry_expires() {
    let fake = FakeS3::start().await;
    // Anyone may write: a critical finding that no Block Public Access neutralises.
    fake.account_block(None);
    let open = clean("public-site").block(s3tk::model::PublicAccessBlock::default());
    fake.bucket("public-site", open.grant_all_users("WRITE"));
    let dir = TempDir::new("ignore");
    let write = |expires: &str| {
        std::fs::write(
            dir.0.join(".s3tk-ignore.toml"),
            format!("# reviewed exceptions\n[[ignore]]\ncheck = \"s3.bucket.public-acl\"\nbucket = \"public-*\"\nreason = \"static website, approved by security\"\nexpires = {expires}\n"),
        )
        .unwrap()
    };
    let uri = fake.uri();
    let args = [
        "--endpoint-url",
        uri.as_str(),
        "scan",
        "--format",
        "json",
        "--checks",
        "s3.bucket.public-acl",
    ];
    let scan = || s3tk_in(Some(&dir.0), &args, &[]);

    write("2999-12-31");
    let run = scan().await;
    run.assert_code_because(0, "a muted critical finding does not fail the run");
    let finding = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "s3.bucket.public-acl-write")
        .cloned()
        .unwrap();
    assert_eq!(
        (
            finding["status"].as_str(),
            finding["severity"].as_str(),
            finding["muted_reason"].as_str()
        ),
        (
            Some("muted"),
            Some("critical"),
            Some("static website, approved by security")
        )
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    write("2020-01-31");
    let run = scan().await;
    run.assert_code_because(1, "after its expiry the entry mutes nothing");
    assert_eq!(
        run.stderr,
        ".s3tk-ignore.toml line 2: the exception for s3.bucket.public-acl on public-* expired on 2020-01-31 and no longer mutes anything\n"
            .replace(".s3tk", "warning: .s3tk")
    );

    std::fs::write(
        dir.0.join(".s3tk-ignore.toml"),
        "[[ignore]]\ncheck = \"s3.bucket.public-acl\"\n\nexpires = 2027-13-01\n",
    )
    .unwrap();
    let run = scan().await;
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("error: .s3tk-ignore.toml line 4: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(
        fake.requests()
            .await
            .iter()
            .filter(|r| r.contains("acl"))
            .count(),
        2,
        "the invalid file stopped the third scan before any request"
    );
}

#[tokio::test]
async fn output_problems_are_usage_errors() {
    let fake = FakeS3::start().await;
    fake.bucket("alpha", clean("alpha"));
    let formats: Vec<&str> = s3tk::registry::reporters().iter().map(|r| r.name).collect();
    for (args, message) in [
        (
            vec!["scan", "--format", "json", "--format", "table"],
            "error: only one format can go to stdout ('json' and 'table'); give the others a file: --format table=PATH\n".to_owned(),
        ),
        (
            vec!["scan", "--format", "yaml"],
            format!(
                "error: unknown format 'yaml' (choose from {}) (see `s3tk scan --help`)\n",
                formats.join(", ")
            ),
        ),
        (
            vec!["scan", "--ignore-file", "/nonexistent/ignore.toml"],
            "error: cannot read ignore file /nonexistent/ignore.toml: No such file or directory\n".to_owned(),
        ),
    ] {
        let run = s3tk(&fake.uri(), &args).await;
        assert_eq!((run.code, run.stderr.as_str()), (2, message.as_str()), "{args:?}");
    }
    assert!(fake.requests().await.is_empty());
    let run = crate::support::s3tk_env(&["reporters"], &[]).await;
    assert_eq!(
        run.stdout
            .lines()
            .map(|l| l.split_whitespace().next().unwrap())
            .collect::<Vec<_>>(),
        s3tk::registry::reporters()
            .iter()
            .map(|r| r.name)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn reports_that_must_cut_say_so_and_point_at_the_complete_one() {
    let fake = FakeS3::start().await;
    fake.account_block(None);
    // 120 buckets with nothing configured: over a thousand failing findings.
    for i in 0..120 {
        fake.bucket(&format!("bare-{i:03}"), FakeBucket::new("us-east-1"));
    }
    let dir = TempDir::new("cuts");
    let (sarif, markdown, json) = (
        dir.path("s3tk.sarif"),
        dir.path("s3tk.md"),
        dir.path("all.json"),
    );
    let started = std::time::Instant::now();
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--sarif-category",
            "prod/123456789012",
            "--markdown-max-bytes",
            "16384",
            "--format",
            &format!("sarif={sarif}"),
            "--format",
            &format!("markdown={markdown}"),
            "--format",
            &format!("json={json}"),
            "--format",
            &format!("junit={}", dir.path("s3tk.xml")),
        ],
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let failing = report["summary"]["fail"].as_u64().unwrap();
    assert!(failing > 1_000, "{failing}");
    let notes: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        notes
            .iter()
            .filter(|l| l.starts_with("note: sarif report: kept the 1000 most severe of "))
            .count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        notes
            .iter()
            .any(|l| l.starts_with("note: markdown report: ") && l.contains("rows are not listed")),
        "{}",
        run.stderr
    );
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let properties = &log["runs"][0]["properties"];
    assert_eq!(properties["resultsLeftOut"], failing - 1_000);
    assert!(
        log["runs"][0]["automationDetails"]["id"]
            .as_str()
            .unwrap()
            .starts_with("prod/123456789012/")
    );
    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(md.len() <= 16_384, "{}", md.len());
    assert!(
        md.trim_end().ends_with(&format!(
            "every finding is in `{json}`, `{}`.",
            dir.path("s3tk.xml")
        )),
        "{}",
        &md[md.len() - 300..]
    );
    // JUnit: the suites add up to the run's wall time, which is no longer than the process ran.
    let xml = std::fs::read_to_string(dir.path("s3tk.xml")).unwrap();
    let millis = |tag: &str| -> u64 {
        let value = tag.split(" time=\"").nth(1).unwrap();
        let (s, ms) = value[..value.find('"').unwrap()].split_once('.').unwrap();
        s.parse::<u64>().unwrap() * 1000 + ms.parse::<u64>().unwrap()
    };
    let total = millis(xml.split("<testsuites ").nth(1).unwrap());
    let suites: u64 = xml.split("<testsuite ").skip(1).map(millis).sum();
    assert_eq!(suites, total);
    assert!(
        total <= elapsed.as_millis() as u64 && total > 0,
        "{total} ms"
    );
}

#[tokio::test]
async fn report_options_are_checked_before_any_request() {
    let fake = FakeS3::start().await;
    fake.bucket("alpha", clean("alpha"));
    for (args, message) in [
        (
            vec!["scan", "--markdown-max-bytes", "1000"],
            "1000 is not in 16384..",
        ),
        (
            vec!["scan", "--sarif-category", "two words"],
            "'two words' is not a category",
        ),
    ] {
        let run = s3tk(&fake.uri(), &args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{}", run.stderr);
    }
    assert!(fake.requests().await.is_empty());
}

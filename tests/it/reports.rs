//! Reports for CI and audits: several formats in one run agree, the JUnit and SARIF outputs are
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

#[tokio::test]
async fn every_format_in_one_run_agrees() {
    let fake = mixed_account().await;
    let dir = TempDir::new("formats");
    let (junit, markdown, sarif, json) = (
        dir.path("ci/s3tk.xml"),
        dir.path("audit.md"),
        dir.path("s3tk.sarif"),
        dir.path("s3tk.json"),
    );
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--checks",
            CHECKS,
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
        ],
    )
    .await;
    run.assert_code(1);
    // 3 buckets × 4 checks: open-data fails ACL and policy; no-versioning fails versioning;
    // locked cannot read its ACL.
    assert!(
        run.stdout
            .ends_with("3 buckets × 4 checks: 8 passed, 3 failed, 1 error, 0 skipped\n"),
        "{}",
        run.stdout
    );

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        report["summary"],
        serde_json::json!({"pass": 8, "fail": 3, "error": 1, "skip": 0, "muted": 0})
    );
    assert_eq!(report["run"]["account"], ACCOUNT_ID);
    assert_eq!(
        report["run"]["regions"],
        serde_json::json!(["eu-west-1", "us-east-1"])
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(
        (
            xml_attr(&xml, "testsuites", "tests"),
            xml_attr(&xml, "testsuites", "failures"),
            xml_attr(&xml, "testsuites", "errors")
        ),
        (12, 3, 1)
    );
    assert_eq!(xml.matches("<testsuite ").count(), 4, "one suite per check");
    assert_eq!(xml.matches("<testcase ").count(), 12);
    assert!(xml.contains(r#"<testcase name="[HIGH][s3.bucket.public-acl-read] open-data" classname="s3tk.s3.bucket.public-acl-read""#), "{xml}");

    let md = std::fs::read_to_string(&markdown).unwrap();
    let totals = markdown_table(&md, "Summary").pop().unwrap();
    assert_eq!(
        totals,
        ["total", "3", "1", "0", "8", "0"],
        "Fail, Error, Muted, Pass, Skip"
    );
    let failing = markdown_table(&md, "Failing findings");
    assert_eq!(failing.len(), 3);
    assert_eq!(
        failing.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["critical", "high", "medium"],
        "sorted by severity"
    );
    assert_eq!(markdown_table(&md, "Could not evaluate").len(), 1);
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
            format!("error: unknown format 'yaml' (choose from {})\n", formats.join(", ")),
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

//! `--format json` of the commands other than `scan` and the object commands: each document is
//! valid against its definition in `docs/schemas/results.schema.json` (the venv's jsonschema)
//! and says what happened; and `batch-status --wait` follows a job until it ends.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::{TempDir, s3tk, tools_python};
use serde_json::Value;

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/schemas/results.schema.json"
);

/// Validates each (definition, document) against the schema's definition and against the
/// whole schema (exactly one of its `oneOf`); `Err` with jsonschema's message otherwise.
fn validate(python: &str, documents: &[(&str, Value)]) -> Result<(), String> {
    let dir = TempDir::new("results-json");
    let mut args = vec![SCHEMA.to_owned()];
    for (i, (definition, document)) in documents.iter().enumerate() {
        let path = dir.path(&format!("{i}.json"));
        std::fs::write(&path, document.to_string()).unwrap();
        args.extend([(*definition).to_owned(), path]);
    }
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(
            r##"
import sys, json, jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
pairs = sys.argv[2:]
for definition, path in zip(pairs[::2], pairs[1::2]):
    document = json.load(open(path, encoding="utf-8"))
    one = {"$ref": "#/definitions/" + definition, "definitions": schema["definitions"]}
    jsonschema.validate(document, one, cls=jsonschema.Draft7Validator)
    jsonschema.validate(document, schema, cls=jsonschema.Draft7Validator)
"##,
        )
        .args(&args)
        .output()
        .expect("python runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

async fn json_of(fake: &FakeS3, args: &[&str], code: i32) -> Value {
    let run = s3tk(&fake.uri(), args).await;
    run.assert_code(code);
    run.json()
}

#[tokio::test]
async fn every_json_document_matches_the_schema_and_says_what_happened() {
    let Some(python) = tools_python() else { return };
    let fake = FakeS3::start().await;
    fake.account_block(None)
        .bucket("app", FakeBucket::new("us-east-1"))
        .bucket("versioned", FakeBucket::new("us-east-1").versioning("Enabled"))
        .bucket(
            "shared",
            FakeBucket::new("us-east-1").grant_authenticated("READ"),
        )
        .job_state("job-done", "<Status>Complete</Status><Priority>10</Priority><ProgressSummary><TotalNumberOfTasks>2</TotalNumberOfTasks><NumberOfTasksSucceeded>2</NumberOfTasksSucceeded><NumberOfTasksFailed>0</NumberOfTasksFailed></ProgressSummary>");
    let json = ["--format", "json"];
    let dry = json_of(
        &fake,
        &["enable-versioning", "app", "--dry-run", json[0], json[1]],
        0,
    )
    .await;
    assert_eq!(dry["results"][0]["outcome"], "would change");
    let changed = json_of(
        &fake,
        &["enable-versioning", "app", "versioned", json[0], json[1]],
        0,
    )
    .await;
    assert_eq!(changed["dry_run"], false);
    assert_eq!(
        changed["counts"],
        serde_json::json!({"changed": 1, "already": 1})
    );
    let app = &changed["results"][0];
    assert_eq!(
        (
            &app["bucket"],
            &app["outcome"],
            &app["verified"][0]["after"]
        ),
        (&"app".into(), &"changed".into(), &"pass".into())
    );
    let refused = json_of(&fake, &["disable-acls", "shared", json[0], json[1]], 1).await;
    assert_eq!(refused["results"][0]["outcome"], "refused");
    let unmatched = json_of(
        &fake,
        &["enable-versioning", "zz-*", "--yes", json[0], json[1]],
        3,
    )
    .await;
    assert_eq!(unmatched["unmatched_patterns"], serde_json::json!(["zz-*"]));
    let account = json_of(
        &fake,
        &[
            "block-public-access",
            "--account",
            "--dry-run",
            json[0],
            json[1],
        ],
        0,
    )
    .await;
    assert_eq!(account["results"][0]["account"], crate::fake_s3::ACCOUNT_ID);

    let set = json_of(
        &fake,
        &["set-policy", "app", "--secure-transport", json[0], json[1]],
        0,
    )
    .await;
    assert_eq!(
        (&set["outcome"], &set["before"]),
        (&"changed".into(), &Value::Null)
    );
    assert!(set["verified"].as_str().unwrap().starts_with("verified:"));
    let same = json_of(
        &fake,
        &["set-policy", "app", "--secure-transport", json[0], json[1]],
        0,
    )
    .await;
    assert_eq!(same["outcome"], "already");
    let update = json_of(
        &fake,
        &[
            "update-policy",
            "app",
            "--encryption",
            "--dry-run",
            json[0],
            json[1],
        ],
        0,
    )
    .await;
    assert_eq!(update["before"], set["after"]);
    let listed = json_of(
        &fake,
        &["list-policy", "app", "versioned", json[0], json[1]],
        0,
    )
    .await;
    let deleted = json_of(&fake, &["delete-policy", "app", json[0], json[1]], 0).await;
    assert_eq!(
        (&deleted["outcome"], &deleted["before"], &deleted["after"]),
        (&"changed".into(), &set["after"], &Value::Null)
    );
    let nothing = json_of(&fake, &["delete-policy", "app", json[0], json[1]], 0).await;
    assert_eq!(nothing["outcome"], "already");
    let job = json_of(&fake, &["batch-status", "job-done", json[0], json[1]], 0).await;

    let mut documents = vec![("list_policy", listed), ("batch_status", job)];
    for doc in [dry, changed.clone(), refused, unmatched, account] {
        documents.push(("remediation", doc));
    }
    for doc in [set, same, update, deleted, nothing] {
        documents.push(("policy_change", doc));
    }
    validate(&python, &documents).unwrap_or_else(|e| panic!("{e}"));
    // The schema can refuse: an outcome it does not list.
    let mut wrong = changed;
    wrong["results"][0]["outcome"] = "done".into();
    assert!(validate(&python, &[("remediation", wrong)]).is_err());
}

#[tokio::test]
async fn batch_status_waits_until_the_job_ends() {
    let fake = FakeS3::start().await;
    let progress = |done: u32| {
        format!(
            "<Status>Active</Status><Priority>10</Priority><ProgressSummary><TotalNumberOfTasks>4</TotalNumberOfTasks><NumberOfTasksSucceeded>{done}</NumberOfTasksSucceeded><NumberOfTasksFailed>0</NumberOfTasksFailed></ProgressSummary>"
        )
    };
    let ended = "<Status>Complete</Status><Priority>10</Priority><ProgressSummary><TotalNumberOfTasks>4</TotalNumberOfTasks><NumberOfTasksSucceeded>4</NumberOfTasksSucceeded><NumberOfTasksFailed>0</NumberOfTasksFailed></ProgressSummary>";
    let (one, two) = (progress(1), progress(3));
    fake.job_states_in_turn("job-7", &[&one, &one, &two, ended]);
    let run = s3tk(
        &fake.uri(),
        &["batch-status", "job-7", "--wait", "--interval", "0.1"],
    )
    .await;
    run.expect_success();
    assert!(
        run.stdout.starts_with("job job-7: Complete\n"),
        "{}",
        run.stdout
    );
    // Without a terminal, a line each time the progress changes.
    assert_eq!(
        run.stderr,
        "job job-7: Active, 1 of 4 tasks done (0 failed)\njob job-7: Active, 3 of 4 tasks done (0 failed)\n"
    );
    let describes = fake
        .requests()
        .await
        .iter()
        .filter(|r| r.contains("/jobs/job-7"))
        .count();
    assert_eq!(describes, 4, "one look per answer until the end");
    // Without --wait, the same job still running would be 4; --interval needs --wait.
    let run = s3tk(&fake.uri(), &["batch-status", "job-7", "--interval", "1"]).await;
    run.assert_code(2);
}

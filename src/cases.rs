//! Check scenarios as data: beside each check's file, `<file>.cases.json` holds states and the
//! finding each must give, in the state file format ([`crate::state::snapshot`]):
//!
//! ```json
//! {"cases": [
//!   {"name": "a READ grant to AllUsers fails",
//!    "bucket": {"facets": {"acl": {"value": {"owner_id": "o", "grants": [
//!                 {"grantee": {"type": "group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
//!                  "permission": "READ"}]}},
//!               "public_access_block": {"not_configured": true}}},
//!    "account": {"public_access_block": {"not_configured": true}},
//!    "expect": {"status": "fail", "severity": "high",
//!               "message": "ACL grants READ to AllUsers (anyone on the internet)"}}]}
//! ```
//!
//! `bucket` is a bucket record without its name (`example-bucket` unless given) whose region is
//! `us-east-1` unless given; `account` holds the account-wide facets (the account id is
//! `111122223333` unless given); `options` are the scan options ([`CheckOptions`]). A facet a
//! case leaves out is not recorded, so a check that reads it gives an `error`: a case says what
//! the check reads. `expect` names the status, and optionally the severity and the message
//! (`message`, exact, or `message_contains`). One registry-wide test runs every case of every
//! check; `S3TK_UPDATE_SNAPSHOTS=1` rewrites the expected messages from what the checks say.
//!
//! The integration tests also serve every case on the HTTP fake of S3 and scan it with the
//! `s3tk` binary (the options as flags). A case that cannot run there (a network failure has
//! no HTTP answer) says why in `"offline_only": "<reason>"`; those are counted and named.

use crate::check::{CheckEntry, CheckKind, CheckOptions, Scope};
use crate::report::{Finding, Resource, Status};
use crate::state::snapshot::{
    AccountFacets, AccountRecord, Answer, BucketFacetRecords, BucketRecord, Source,
};
use crate::state::{AccountState, BucketState};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// The account of every case unless it says otherwise.
pub const ACCOUNT_ID: &str = "111122223333";
const BUCKET: &str = "example-bucket";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    pub cases: Vec<Case>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<CaseBucket>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountFacets>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<CaseOptions>,
    /// Why the case runs only offline, not on the HTTP fake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_only: Option<String>,
    pub expect: Expect,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseBucket {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Answer<String>>,
    #[serde(default)]
    pub facets: BucketFacetRecords,
}

/// [`CheckOptions`], as a case writes them.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseOptions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_buckets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_accounts: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<crate::check::Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_contains: Option<String>,
}

/// Where a check's cases are: beside its source file.
pub fn path_of(check: &CheckEntry) -> PathBuf {
    // `file!()` of a plugin reads `src/../checks/…`: the folder is mounted with `#[path]`.
    let source = check
        .meta
        .source_file
        .trim_start_matches("src/../")
        .trim_end_matches(".rs");
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("{source}.cases.json"))
}

/// A check's cases; `Err` names the file and what is wrong with it.
pub fn load(check: &CheckEntry) -> Result<CaseFile, String> {
    let path = path_of(check);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {}", path.display(), crate::input::reason(&e)))?;
    let mut json = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        format!(
            "{}: line {} column {} (field {field}): {inner}",
            path.display(),
            inner.line(),
            inner.column()
        )
    })
}

/// The name of the case's bucket.
pub fn bucket_name(case: &Case) -> String {
    case.bucket
        .as_ref()
        .and_then(|b| b.name.clone())
        .unwrap_or_else(|| BUCKET.into())
}

/// The case's state as a state file's account record: its account facets (with the default
/// account id) and its one bucket (with the default region).
pub fn account_record(case: &Case) -> AccountRecord {
    let mut facets = case.account.as_ref().map(clone_json).unwrap_or_default();
    if facets.account_id.is_none() {
        facets.account_id = Some(Answer(Ok(ACCOUNT_ID.into())));
    }
    let bucket = case.bucket.as_ref();
    let mut record = BucketRecord::new(bucket_name(case));
    record.region = Some(
        bucket
            .and_then(|b| b.region.clone())
            .unwrap_or_else(|| Answer(Ok("us-east-1".into()))),
    );
    if let Some(bucket) = bucket {
        record.facets = clone_json(&bucket.facets);
    }
    AccountRecord {
        account_id: None,
        source: Source::S3,
        region: Some("us-east-1".into()),
        observed_at: None,
        facets,
        buckets: vec![record],
    }
}

/// The finding `check` gives on the case's state, offline.
pub async fn evaluate(check: &'static CheckEntry, case: &Case) -> Finding {
    let name = bucket_name(case);
    let account = AccountState::from_record(account_record(case));
    let options = case
        .options
        .as_ref()
        .map_or_else(CheckOptions::default, |o| CheckOptions {
            log_buckets: o.log_buckets.clone(),
            log_prefix: o.log_prefix.clone(),
            trusted_accounts: o.trusted_accounts.clone(),
        });
    match check.check {
        CheckKind::Bucket(bucket_check) => {
            let state = BucketState::new(name.clone(), None, account);
            let result = bucket_check.evaluate(&state, &options).await;
            Finding::new(
                check.meta,
                Resource::Bucket(name),
                Some("us-east-1"),
                result,
                Duration::ZERO,
            )
        }
        CheckKind::Account(account_check) => {
            let result = account_check.evaluate(&account, &options).await;
            Finding::new(
                check.meta,
                Resource::Account(ACCOUNT_ID.into()),
                Some("us-east-1"),
                result,
                Duration::ZERO,
            )
        }
        CheckKind::Dns(_) => {
            unreachable!("DNS checks take a record, not a state: {}", check.meta.id)
        }
    }
}

/// What is wrong with `finding` against `expect`, if anything.
pub fn mismatch(expect: &Expect, finding: &Finding) -> Option<String> {
    differences(expect, finding.status, finding.severity, &finding.message)
}

/// What is wrong with a finding's status, severity and message against `expect`, if anything
/// (for findings read back from a report).
pub fn differences(
    expect: &Expect,
    status: Status,
    severity: crate::check::Severity,
    message: &str,
) -> Option<String> {
    let mut wrong = Vec::new();
    if expect.status != status {
        wrong.push(format!(
            "status {} (expected {})",
            status.as_str(),
            expect.status.as_str()
        ));
    }
    if let Some(expected) = expect.severity.filter(|s| *s != severity) {
        wrong.push(format!("severity {severity} (expected {expected})"));
    }
    if let Some(expected) = expect.message.as_ref().filter(|m| **m != message) {
        wrong.push(format!("message {message:?} (expected {expected:?})"));
    }
    if let Some(part) = expect
        .message_contains
        .as_ref()
        .filter(|p| !message.contains(p.as_str()))
    {
        wrong.push(format!(
            "message {message:?} (expected it to contain {part:?})"
        ));
    }
    (!wrong.is_empty()).then(|| wrong.join("; "))
}

/// Whether a check takes a state (bucket and account checks) and so has cases.
pub fn has_cases(check: &CheckEntry) -> bool {
    check.meta.scope != Scope::Dns
}

/// The records hold no `Clone`; a case is evaluated from a copy of its own JSON.
fn clone_json<T: Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    serde_json::from_value(serde_json::to_value(value).expect("a record serialises"))
        .expect("a record reads back")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;

    /// Every case of every check, offline; all failures reported together. With
    /// `S3TK_UPDATE_SNAPSHOTS=1`, expected messages are rewritten from what the checks say.
    #[tokio::test]
    async fn every_check_gives_what_its_cases_expect() {
        let update = std::env::var("S3TK_UPDATE_SNAPSHOTS").as_deref() == Ok("1");
        let mut problems = Vec::new();
        for check in registry::checks().into_iter().filter(|c| has_cases(c)) {
            let mut file = match load(check) {
                Ok(file) => file,
                Err(e) => {
                    problems.push(format!("{}: {e}", check.meta.id));
                    continue;
                }
            };
            let statuses: Vec<Status> = file.cases.iter().map(|c| c.expect.status).collect();
            for needed in [Status::Pass, Status::Fail] {
                if !statuses.contains(&needed) {
                    problems.push(format!(
                        "{}: {} has no case that expects {}",
                        check.meta.id,
                        path_of(check).display(),
                        needed.as_str()
                    ));
                }
            }
            let mut rewritten = false;
            for case in &mut file.cases {
                let finding = evaluate(check, case).await;
                if update
                    && case.expect.status == finding.status
                    && case
                        .expect
                        .message
                        .as_ref()
                        .is_some_and(|m| *m != finding.message)
                {
                    case.expect.message = Some(finding.message.clone());
                    rewritten = true;
                    continue;
                }
                if let Some(wrong) = mismatch(&case.expect, &finding) {
                    problems.push(format!("{} case {:?}: {wrong}", check.meta.id, case.name));
                }
            }
            if rewritten {
                let text = serde_json::to_string_pretty(&file).expect("cases serialise") + "\n";
                std::fs::write(path_of(check), text).expect("cases file written");
            }
        }
        assert!(
            problems.is_empty(),
            "{} problem(s) in check cases (checks/**/*.cases.json; S3TK_UPDATE_SNAPSHOTS=1 cargo test --lib cases rewrites changed messages):\n{}",
            problems.len(),
            problems.join("\n")
        );
    }

    #[tokio::test]
    async fn a_case_that_leaves_out_a_facet_the_check_reads_is_an_error() {
        let check = registry::checks()
            .into_iter()
            .find(|c| c.meta.id == "s3.bucket.versioning-disabled")
            .unwrap();
        let case: Case =
            serde_json::from_str(r#"{"name": "nothing recorded", "expect": {"status": "error"}}"#)
                .unwrap();
        let finding = evaluate(check, &case).await;
        assert_eq!(
            mismatch(&case.expect, &finding),
            None,
            "{}",
            finding.message
        );
        assert!(
            finding
                .message
                .contains("GetBucketVersioning is not in the state file"),
            "{}",
            finding.message
        );
        let wrong: Expect = serde_json::from_str(r#"{"status": "pass", "message": "x"}"#).unwrap();
        assert_eq!(
            mismatch(&wrong, &finding).unwrap(),
            format!(
                "status error (expected pass); message {:?} (expected \"x\")",
                finding.message
            )
        );
    }
}

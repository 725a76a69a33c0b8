//! S3 Batch Operations mode (`--batch`): instead of copying or re-ACLing objects itself, s3tk
//! writes a CSV manifest of exactly the objects that need the change and can take it without
//! loss, uploads it next to the job's completion report, and creates one S3 Batch Operations job
//! per storage class (a Batch copy sets one storage class for the whole job). AWS then runs the
//! job with its own retries, at any scale. `batch-status` reads the job and its failures back.
//!
//! What a Batch copy cannot keep is never sent to it (aws-s3-semantics §6.8): objects over 5 GB,
//! SSE-C, per-object ACLs other than private, Object Lock retention or legal holds, and website
//! redirects (job-wide settings in a Batch copy) stay with the direct engine, and are listed.

use crate::aws::{S3Clients, classify};
use crate::data_events::partition;
use crate::error::{FetchError, FetchErrorKind};
use crate::facet::Facet;
use crate::objects::sse::Target;
use aws_sdk_s3control::operation::create_job::CreateJobInput;
use aws_sdk_s3control::types::{
    JobManifest, JobManifestFieldName, JobManifestFormat, JobManifestLocation, JobManifestSpec,
    JobOperation, JobReport, JobReportFormat, JobReportScope, S3AccessControlPolicy,
    S3CannedAccessControlList, S3CopyObjectOperation, S3MetadataDirective, S3ObjectMetadata,
    S3SetObjectAclOperation, S3SseAlgorithm, S3StorageClass,
};
use md5::{Digest, Md5};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where the job writes its completion report (and s3tk its manifests): `s3://bucket[/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLocation {
    pub bucket: String,
    /// Without leading or trailing slash; may be empty.
    pub prefix: String,
}

impl ReportLocation {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            format!("invalid --report '{url}': expected s3://BUCKET or s3://BUCKET/PREFIX")
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        crate::select::validate_bucket_name(bucket)
            .map_err(|why| format!("invalid --report '{url}': {why}"))?;
        Ok(ReportLocation {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }

    /// The key of a file s3tk writes under the prefix.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }
}

impl std::fmt::Display for ReportLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// The storage classes a Batch copy can set (S3 Control's `S3StorageClass`); objects in any
/// other class stay with the direct engine.
pub const COPY_STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
];

/// `arn:PARTITION:iam::ACCOUNT:role/NAME`.
pub fn validate_role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = matches!(
        parts[..],
        ["arn", "aws" | "aws-cn" | "aws-us-gov", "iam", "", account, resource]
            if account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty())
    );
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid --role-arn '{arn}': expected arn:aws:iam::ACCOUNT_ID:role/NAME"
        ))
    }
}

/// What the job does to every object of its manifest.
#[derive(Clone, PartialEq)]
pub enum Operation {
    /// PutObjectCopy onto itself with this encryption, keeping the storage class.
    Encrypt {
        target: Target,
        storage_class: String,
    },
    /// PutObjectAcl with this canned ACL.
    SetAcl { canned: String },
}

/// One job to create: everything CreateJob needs, in one place for the request and its JSON.
#[derive(Clone)]
pub struct JobRequest {
    pub bucket: String,
    pub region: String,
    pub operation: Operation,
    pub role_arn: String,
    pub report: ReportLocation,
    pub manifest_key: String,
    /// The uploaded manifest's ETag, without quotes (in a dry run, the one S3 is expected to
    /// return: [`expected_manifest_etag`]).
    pub manifest_etag: String,
    pub objects: u64,
    /// The manifest's lines, digested in any order ([`ManifestFile::content`]).
    pub content: u128,
    /// A copy job skips objects modified after this (the start of the walk that planned it):
    /// an object rewritten since may carry what the plan kept out of the job.
    pub unmodified_since: Option<std::time::SystemTime>,
}

impl JobRequest {
    fn arn(&self, bucket: &str) -> String {
        format!("arn:{}:s3:::{bucket}", partition(&self.region))
    }

    pub fn description(&self) -> String {
        let what = match &self.operation {
            Operation::Encrypt {
                target,
                storage_class,
            } => format!(
                "encrypt {} objects ({storage_class}) with {target}",
                self.objects
            ),
            Operation::SetAcl { canned } => format!("set {canned} on {} objects", self.objects),
        };
        // CreateJob allows 256 characters.
        format!("s3tk: {what} in {}", self.bucket)
            .chars()
            .take(256)
            .collect()
    }

    /// Same manifest, same job: an SDK retry after a lost answer gets the job already created.
    /// The manifest's key is per run, so running the command again makes a new job (after a
    /// failed one, say).
    pub fn client_request_token(&self) -> String {
        let digest = Md5::digest(format!(
            "{}\n{}\n{:032x}\n{}\n{}",
            self.bucket,
            self.manifest_key,
            self.content,
            self.description(),
            self.role_arn
        ));
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The CreateJob request for `account_id`: what `create_job` sends, and what `--dry-run`
    /// writes as JSON ([`input_json`]), so the two cannot differ.
    pub fn input(&self, account_id: &str) -> Result<CreateJobInput, FetchError> {
        let build = |e: aws_sdk_s3control::error::BuildError| {
            FetchError::new(
                Facet::CreateJob,
                FetchErrorKind::Malformed {
                    detail: e.to_string(),
                },
            )
        };
        let manifest = JobManifest::builder()
            .spec(
                JobManifestSpec::builder()
                    .format(JobManifestFormat::S3BatchOperationsCsv20180820)
                    .fields(JobManifestFieldName::Bucket)
                    .fields(JobManifestFieldName::Key)
                    .build()
                    .map_err(build)?,
            )
            .location(
                JobManifestLocation::builder()
                    .object_arn(format!(
                        "{}/{}",
                        self.arn(&self.report.bucket),
                        self.manifest_key
                    ))
                    .e_tag(&self.manifest_etag)
                    .build()
                    .map_err(build)?,
            )
            .build();
        let report = JobReport::builder()
            .bucket(self.arn(&self.report.bucket))
            .set_prefix((!self.report.prefix.is_empty()).then(|| self.report.prefix.clone()))
            .format(JobReportFormat::ReportCsv20180820)
            .enabled(true)
            .report_scope(JobReportScope::AllTasks)
            .build();
        CreateJobInput::builder()
            .account_id(account_id)
            .operation(self.operation())
            .manifest(manifest)
            .report(report)
            .priority(10)
            .role_arn(&self.role_arn)
            .confirmation_required(false)
            .description(self.description())
            .client_request_token(self.client_request_token())
            .build()
            .map_err(build)
    }

    fn operation(&self) -> JobOperation {
        match &self.operation {
            Operation::Encrypt {
                target,
                storage_class,
            } => {
                let (algorithm, key) = sse(target);
                let copy = S3CopyObjectOperation::builder()
                    .target_resource(self.arn(&self.bucket))
                    .metadata_directive(S3MetadataDirective::Copy)
                    .new_object_metadata(
                        S3ObjectMetadata::builder()
                            .sse_algorithm(S3SseAlgorithm::from(algorithm))
                            .build(),
                    )
                    .set_sse_aws_kms_key_id(key.map(str::to_owned))
                    .set_bucket_key_enabled((algorithm == "KMS").then_some(true))
                    .storage_class(S3StorageClass::from(storage_class.as_str()))
                    .set_un_modified_since_constraint(
                        self.unmodified_since
                            .map(aws_sdk_s3control::primitives::DateTime::from),
                    )
                    .build();
                JobOperation::builder().s3_put_object_copy(copy).build()
            }
            Operation::SetAcl { canned } => JobOperation::builder()
                .s3_put_object_acl(
                    S3SetObjectAclOperation::builder()
                        .access_control_policy(
                            S3AccessControlPolicy::builder()
                                .canned_access_control_list(S3CannedAccessControlList::from(
                                    canned.as_str(),
                                ))
                                .build(),
                        )
                        .build(),
                )
                .build(),
        }
    }
}

/// A CreateJob request as JSON, in the API's member names (those of the AWS CLI's
/// `--cli-input-json` and botocore), with exactly the members the SDK serializes: absent
/// options and false defaults are left out, as on the wire. Only the members `JobRequest`
/// sets are mapped; a test checks the result against what the SDK sends.
pub fn input_json(input: &CreateJobInput) -> Value {
    let mut job = Map::new();
    put(&mut job, "AccountId", input.account_id());
    put(
        &mut job,
        "ConfirmationRequired",
        input.confirmation_required(),
    );
    if let Some(operation) = input.operation() {
        job.insert("Operation".into(), operation_json(operation));
    }
    if let Some(report) = input.report() {
        let mut r = Map::new();
        put(&mut r, "Bucket", report.bucket());
        put(&mut r, "Format", report.format().map(|f| f.as_str()));
        r.insert("Enabled".into(), json!(report.enabled()));
        put(&mut r, "Prefix", report.prefix());
        put(
            &mut r,
            "ReportScope",
            report.report_scope().map(|s| s.as_str()),
        );
        put(
            &mut r,
            "ExpectedBucketOwner",
            report.expected_bucket_owner(),
        );
        job.insert("Report".into(), Value::Object(r));
    }
    put(&mut job, "ClientRequestToken", input.client_request_token());
    if let Some(manifest) = input.manifest() {
        let mut m = Map::new();
        if let Some(spec) = manifest.spec() {
            let fields: Vec<&str> = spec.fields().iter().map(|f| f.as_str()).collect();
            let mut s = Map::new();
            s.insert("Format".into(), json!(spec.format().as_str()));
            if !fields.is_empty() {
                s.insert("Fields".into(), json!(fields));
            }
            m.insert("Spec".into(), Value::Object(s));
        }
        if let Some(location) = manifest.location() {
            let mut l = Map::new();
            l.insert("ObjectArn".into(), json!(location.object_arn()));
            put(&mut l, "ObjectVersionId", location.object_version_id());
            l.insert("ETag".into(), json!(location.e_tag()));
            m.insert("Location".into(), Value::Object(l));
        }
        job.insert("Manifest".into(), Value::Object(m));
    }
    put(&mut job, "Description", input.description());
    put(&mut job, "Priority", input.priority());
    put(&mut job, "RoleArn", input.role_arn());
    Value::Object(job)
}

fn put<T: Into<Value>>(map: &mut Map<String, Value>, name: &str, value: Option<T>) {
    if let Some(v) = value {
        map.insert(name.into(), v.into());
    }
}

fn timestamp(t: &aws_sdk_s3control::primitives::DateTime) -> Value {
    json!(
        t.fmt(aws_sdk_s3control::primitives::DateTimeFormat::DateTime)
            .unwrap_or_default()
    )
}

fn operation_json(operation: &JobOperation) -> Value {
    let mut out = Map::new();
    if let Some(copy) = operation.s3_put_object_copy() {
        let mut c = Map::new();
        put(&mut c, "TargetResource", copy.target_resource());
        put(
            &mut c,
            "MetadataDirective",
            copy.metadata_directive().map(|d| d.as_str()),
        );
        if let Some(metadata) = copy.new_object_metadata() {
            let mut m = Map::new();
            put(
                &mut m,
                "SSEAlgorithm",
                metadata.sse_algorithm().map(|a| a.as_str()),
            );
            c.insert("NewObjectMetadata".into(), Value::Object(m));
        }
        put(
            &mut c,
            "StorageClass",
            copy.storage_class().map(|s| s.as_str()),
        );
        put(
            &mut c,
            "UnModifiedSinceConstraint",
            copy.un_modified_since_constraint().map(timestamp),
        );
        put(&mut c, "SSEAwsKmsKeyId", copy.sse_aws_kms_key_id());
        if copy.bucket_key_enabled() {
            c.insert("BucketKeyEnabled".into(), json!(true));
        }
        out.insert("S3PutObjectCopy".into(), Value::Object(c));
    }
    if let Some(acl) = operation.s3_put_object_acl() {
        let canned = acl
            .access_control_policy()
            .and_then(|p| p.canned_access_control_list())
            .map(|c| c.as_str());
        let mut policy = Map::new();
        put(&mut policy, "CannedAccessControlList", canned);
        out.insert(
            "S3PutObjectAcl".into(),
            json!({"AccessControlPolicy": Value::Object(policy)}),
        );
    }
    Value::Object(out)
}

/// The Batch copy's `SSEAlgorithm` and KMS key for a target (SSE-C is refused before).
fn sse(target: &Target) -> (&'static str, Option<&str>) {
    match target {
        Target::Kms(key) => ("KMS", key.as_deref()),
        _ => ("AES256", None),
    }
}

/// The manifests being written, one CSV file per job (`Bucket,Key`, keys URL-encoded).
pub struct Manifests {
    dir: PathBuf,
    bucket: String,
    stem: String,
    files: BTreeMap<String, (BufWriter<File>, u64, u128)>,
}

/// A finished manifest file.
#[derive(Debug, Clone)]
pub struct ManifestFile {
    /// The job group (a storage class, or `all`).
    pub group: String,
    pub path: PathBuf,
    pub name: String,
    pub objects: u64,
    /// The sum of the lines' MD5s: the same set of lines in any order gives the same value.
    pub content: u128,
}

/// Batch Operations CSV manifests want keys URL-encoded (RFC 3986 unreserved kept).
fn encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string()
}

impl Manifests {
    /// Manifests of `bucket` in `dir`, named `BUCKET-STAMP-GROUP.csv`.
    pub fn new(dir: &Path, bucket: &str, stamp: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Manifests {
            dir: dir.to_owned(),
            bucket: bucket.to_owned(),
            stem: format!("{bucket}-{stamp}"),
            files: BTreeMap::new(),
        })
    }

    pub fn add(&mut self, group: &str, key: &str) -> std::io::Result<()> {
        if !self.files.contains_key(group) {
            let path = self.dir.join(format!("{}-{group}.csv", self.stem));
            self.files.insert(
                group.to_owned(),
                (BufWriter::new(File::create(path)?), 0, 0),
            );
        }
        let (file, count, content) = self.files.get_mut(group).expect("inserted above");
        let line = format!("{},{}\n", self.bucket, encode_key(key));
        file.write_all(line.as_bytes())?;
        *count += 1;
        *content = content.wrapping_add(u128::from_be_bytes(Md5::digest(&line).into()));
        Ok(())
    }

    pub fn finish(self) -> std::io::Result<Vec<ManifestFile>> {
        let mut done = Vec::new();
        for (group, (mut file, objects, content)) in self.files {
            file.flush()?;
            let name = format!("{}-{group}.csv", self.stem);
            done.push(ManifestFile {
                path: self.dir.join(&name),
                name,
                group,
                objects,
                content,
            });
        }
        Ok(done)
    }
}

/// Uploads a manifest and returns its ETag (CreateJob checks it).
pub async fn upload_manifest(
    clients: &S3Clients,
    region: &str,
    report: &ReportLocation,
    key: &str,
    path: &Path,
) -> Result<String, FetchError> {
    let body = aws_sdk_s3::primitives::ByteStream::from_path(path)
        .await
        .map_err(|e| {
            FetchError::new(
                Facet::PutObject,
                FetchErrorKind::Malformed {
                    detail: format!("reading {}: {e}", path.display()),
                },
            )
        })?;
    let _permit = clients.permit().await;
    let out = clients
        .client(region)
        .put_object()
        .bucket(&report.bucket)
        .key(key)
        .content_type("text/csv")
        .body(body)
        .send()
        .await
        .map_err(|e| classify(Facet::PutObject, e))?;
    Ok(out.e_tag().unwrap_or_default().trim_matches('"').to_owned())
}

/// What S3 answers a single-part upload of `path` (no SSE-KMS, no SSE-C) with as its ETag:
/// the MD5 of its bytes, as [`upload_manifest`] returns it (without quotes).
pub fn expected_manifest_etag(path: &Path) -> std::io::Result<String> {
    let digest = Md5::digest(std::fs::read(path)?);
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Creates the job `input` describes ([`JobRequest::input`]) in `region`; returns its id.
pub async fn create_job(
    clients: &S3Clients,
    region: &str,
    input: CreateJobInput,
) -> Result<String, FetchError> {
    let CreateJobInput {
        account_id,
        confirmation_required,
        operation,
        report,
        client_request_token,
        manifest,
        description,
        priority,
        role_arn,
        tags,
        manifest_generator,
        ..
    } = input;
    let _permit = clients.permit().await;
    let out = clients
        .control(region)
        .create_job()
        .set_account_id(account_id)
        .set_confirmation_required(confirmation_required)
        .set_operation(operation)
        .set_report(report)
        .set_client_request_token(client_request_token)
        .set_manifest(manifest)
        .set_description(description)
        .set_priority(priority)
        .set_role_arn(role_arn)
        .set_tags(tags)
        .set_manifest_generator(manifest_generator)
        .send()
        .await
        .map_err(|e| classify(Facet::CreateJob, e))?;
    out.job_id().map(str::to_owned).ok_or_else(|| {
        FetchError::new(
            Facet::CreateJob,
            FetchErrorKind::Malformed {
                detail: "CreateJob returned no JobId".into(),
            },
        )
    })
}

/// A job as `batch-status` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JobView {
    pub job_id: String,
    pub status: String,
    pub description: Option<String>,
    pub total: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub failure_reasons: Vec<String>,
    pub status_update_reason: Option<String>,
    /// Where the completion report goes (`s3://bucket/prefix`).
    pub report: Option<ReportLocation>,
}

impl serde::Serialize for ReportLocation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl JobView {
    pub fn finished(&self) -> bool {
        matches!(self.status.as_str(), "Complete" | "Failed" | "Cancelled")
    }
}

pub async fn describe_job(
    clients: &S3Clients,
    account_id: &str,
    job_id: &str,
) -> Result<JobView, FetchError> {
    let _permit = clients.permit().await;
    let out = clients
        .control(clients.default_region())
        .describe_job()
        .account_id(account_id)
        .job_id(job_id)
        .send()
        .await
        .map_err(|e| classify(Facet::DescribeJob, e))?;
    let job = out.job().ok_or_else(|| {
        FetchError::new(
            Facet::DescribeJob,
            FetchErrorKind::Malformed {
                detail: "DescribeJob returned no Job".into(),
            },
        )
    })?;
    let progress = job.progress_summary();
    let report = job.report().filter(|r| r.enabled()).and_then(|r| {
        let bucket = r.bucket()?.rsplit(":::").next()?.to_owned();
        Some(ReportLocation {
            bucket,
            prefix: r.prefix().unwrap_or_default().trim_matches('/').to_owned(),
        })
    });
    Ok(JobView {
        job_id: job.job_id().unwrap_or(job_id).to_owned(),
        status: job
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        description: job.description().map(str::to_owned),
        total: progress
            .and_then(|p| p.total_number_of_tasks())
            .unwrap_or(0),
        succeeded: progress
            .and_then(|p| p.number_of_tasks_succeeded())
            .unwrap_or(0),
        failed: progress
            .and_then(|p| p.number_of_tasks_failed())
            .unwrap_or(0),
        failure_reasons: job
            .failure_reasons()
            .iter()
            .map(|f| {
                format!(
                    "{}: {}",
                    f.failure_code().unwrap_or("?"),
                    f.failure_reason().unwrap_or_default()
                )
            })
            .collect(),
        status_update_reason: job.status_update_reason().map(str::to_owned),
        report,
    })
}

/// One failed task of a completion report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FailedTask {
    pub key: String,
    pub version_id: Option<String>,
    pub error_code: String,
    pub http_status: String,
    pub message: String,
}

/// The failed tasks listed in the job's completion report (`PREFIX/job-ID/manifest.json`,
/// then its `failed` result files).
pub async fn report_failures(
    clients: &S3Clients,
    account: &crate::state::AccountState,
    job: &JobView,
) -> Result<Vec<FailedTask>, FetchError> {
    let Some(report) = &job.report else {
        return Ok(Vec::new());
    };
    let region = account.bucket_region(&report.bucket).await?;
    let client = clients.client(&region);
    let manifest_key = report.key(&format!("job-{}/manifest.json", job.job_id));
    let manifest = read(&client, &report.bucket, &manifest_key).await?;
    let manifest: Value = serde_json::from_slice(&manifest).map_err(|e| {
        FetchError::new(
            Facet::GetObject,
            FetchErrorKind::Malformed {
                detail: format!("the completion report's manifest: {e}"),
            },
        )
    })?;
    let mut failed = Vec::new();
    for result in manifest["Results"].as_array().into_iter().flatten() {
        if result["TaskExecutionStatus"] != "failed" {
            continue;
        }
        let key = result["Key"].as_str().unwrap_or_default();
        let body = read(&client, &report.bucket, key).await?;
        for line in String::from_utf8_lossy(&body).lines() {
            let fields = super::inventory::csv_fields(line).unwrap_or_default();
            let field = |i: usize| fields.get(i).cloned().unwrap_or_default();
            if fields.len() < 6 {
                failed.push(FailedTask {
                    key: String::new(),
                    version_id: None,
                    error_code: "unreadable".into(),
                    http_status: String::new(),
                    message: format!("a report line s3tk cannot read: {line}"),
                });
                continue;
            }
            // The schema says ErrorCode, HTTPStatusCode; AWS's own examples have them the
            // other way round. The numeric one is the status.
            let (mut error_code, mut http_status) = (field(4), field(5));
            if error_code.bytes().all(|b| b.is_ascii_digit()) {
                std::mem::swap(&mut error_code, &mut http_status);
            }
            failed.push(FailedTask {
                key: super::inventory::decode_key(&field(1)),
                version_id: Some(field(2)).filter(|v| !v.is_empty()),
                error_code,
                http_status,
                message: field(6),
            });
        }
    }
    Ok(failed)
}

async fn read(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<Vec<u8>, FetchError> {
    let body = super::s3::get_object(client, bucket, key).await?;
    body.collect()
        .await
        .map(|b| b.into_bytes().to_vec())
        .map_err(|e| {
            FetchError::new(
                Facet::GetObject,
                FetchErrorKind::Network {
                    detail: crate::aws::error_chain(&e),
                },
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_locations_and_role_arns_are_validated() {
        assert_eq!(
            ReportLocation::parse("s3://reports/batch/").unwrap(),
            ReportLocation {
                bucket: "reports".into(),
                prefix: "batch".into()
            }
        );
        assert_eq!(
            ReportLocation::parse("s3://reports").unwrap().key("x.csv"),
            "x.csv"
        );
        assert!(ReportLocation::parse("reports/batch").is_err());
        assert!(validate_role_arn("arn:aws:iam::111122223333:role/s3tk-batch").is_ok());
        assert!(validate_role_arn("arn:aws:iam::111122223333:role/path/s3tk").is_ok());
        for bad in [
            "s3tk-batch",
            "arn:aws:iam::111122223333:user/me",
            "arn:aws:iam::1111:role/x",
            "arn:aws:iam::111122223333:role/",
        ] {
            assert!(validate_role_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn manifests_are_written_per_group_with_encoded_keys() {
        let dir = std::env::temp_dir().join(format!("s3tk-manifests-{}", std::process::id()));
        let mut manifests = Manifests::new(&dir, "photos", "20261127T000000Z").unwrap();
        manifests.add("STANDARD", "a b/ü+x.jpg").unwrap();
        manifests.add("STANDARD_IA", "old,1.jpg").unwrap();
        manifests.add("STANDARD", "c.jpg").unwrap();
        let files = manifests.finish().unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].name, "photos-20261127T000000Z-STANDARD.csv");
        assert_eq!(files[0].objects, 2);
        assert_eq!(
            std::fs::read_to_string(&files[0].path).unwrap(),
            "photos,a%20b/%C3%BC%2Bx.jpg\nphotos,c.jpg\n"
        );
        assert_eq!(
            std::fs::read_to_string(&files[1].path).unwrap(),
            "photos,old%2C1.jpg\n"
        );
        // The same lines in another order digest the same.
        let mut reordered = Manifests::new(&dir, "photos", "again").unwrap();
        reordered.add("STANDARD", "c.jpg").unwrap();
        reordered.add("STANDARD", "a b/ü+x.jpg").unwrap();
        assert_eq!(reordered.finish().unwrap()[0].content, files[0].content);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn the_job_request_keeps_what_the_copy_can_keep() {
        let request = JobRequest {
            bucket: "photos".into(),
            region: "eu-west-1".into(),
            operation: Operation::Encrypt {
                target: Target::Kms(Some("arn:aws:kms:eu-west-1:111122223333:key/k".into())),
                storage_class: "STANDARD_IA".into(),
            },
            role_arn: "arn:aws:iam::111122223333:role/batch".into(),
            report: ReportLocation::parse("s3://reports/s3tk").unwrap(),
            manifest_key: "s3tk/photos-1-STANDARD_IA.csv".into(),
            manifest_etag: "abc".into(),
            objects: 3,
            content: 42,
            unmodified_since: Some(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_200_000),
            ),
        };
        let json = input_json(&request.input("111122223333").unwrap());
        assert_eq!(json["AccountId"], "111122223333");
        assert_eq!(json["Manifest"]["Location"]["ETag"], "abc");
        let copy = &json["Operation"]["S3PutObjectCopy"];
        assert_eq!(copy["TargetResource"], "arn:aws:s3:::photos");
        assert_eq!(copy["MetadataDirective"], "COPY");
        assert_eq!(copy["NewObjectMetadata"]["SSEAlgorithm"], "KMS");
        assert_eq!(
            copy["SSEAwsKmsKeyId"],
            "arn:aws:kms:eu-west-1:111122223333:key/k"
        );
        assert_eq!(copy["BucketKeyEnabled"], true);
        assert_eq!(copy["StorageClass"], "STANDARD_IA");
        assert_eq!(copy["UnModifiedSinceConstraint"], "2025-11-26T23:33:20Z");
        assert_eq!(
            json["Manifest"]["Location"]["ObjectArn"],
            "arn:aws:s3:::reports/s3tk/photos-1-STANDARD_IA.csv"
        );
        assert_eq!(json["Report"]["ReportScope"], "AllTasks");
        assert_eq!(
            json["Description"],
            "s3tk: encrypt 3 objects (STANDARD_IA) with SSE-KMS (arn:aws:kms:eu-west-1:111122223333:key/k) in photos"
        );
        // SSE-S3 names no key and no Bucket Key; an empty prefix is left out, not sent empty.
        let sse_s3 = JobRequest {
            operation: Operation::Encrypt {
                target: Target::S3,
                storage_class: "STANDARD".into(),
            },
            report: ReportLocation::parse("s3://reports").unwrap(),
            ..request.clone()
        };
        let json = input_json(&sse_s3.input("111122223333").unwrap());
        let copy = json["Operation"]["S3PutObjectCopy"].as_object().unwrap();
        assert_eq!(copy["NewObjectMetadata"]["SSEAlgorithm"], "AES256");
        assert!(!copy.contains_key("SSEAwsKmsKeyId") && !copy.contains_key("BucketKeyEnabled"));
        assert!(!json["Report"].as_object().unwrap().contains_key("Prefix"));
        let acl = JobRequest {
            operation: Operation::SetAcl {
                canned: "private".into(),
            },
            ..request.clone()
        };
        assert_eq!(
            input_json(&acl.input("111122223333").unwrap())["Operation"],
            serde_json::json!({"S3PutObjectAcl": {"AccessControlPolicy": {"CannedAccessControlList": "private"}}})
        );
        // The token follows the manifest: a retry of the same request gets the same job, a new
        // run (a new manifest key) a new one.
        let again = request.clone();
        assert_eq!(request.client_request_token(), again.client_request_token());
        let mut rerun = request.clone();
        rerun.manifest_key = "s3tk/photos-2-STANDARD_IA.csv".into();
        assert_ne!(request.client_request_token(), rerun.client_request_token());
    }
}

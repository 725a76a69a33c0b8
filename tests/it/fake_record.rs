//! State-file records served on the fake: every answer a record can hold (a value, "not
//! configured", an error) becomes the HTTP answer S3 (or STS, S3 Control, CloudTrail) gives for
//! it, so a live scan of the fake reads back the record. A facet the record does not hold is
//! answered with [`UNRECORDED`], an error, as a scan of the record itself gives one.

use crate::fake_s3::{FakeBucket, FakeS3, FakeTrail, retention_xml, subresource_of};
use s3tk::error::FetchErrorKind;
use s3tk::facet::Facet;
use s3tk::model::{EventSelectors, Trail};
use s3tk::state::snapshot::{
    AccountFacets, AccountRecord, Answer, BucketFacetRecords, BucketRecord, RecordedError,
};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The answer to a request for something the record does not hold: an error S3 never gives,
/// and that the SDK does not retry.
pub const UNRECORDED: (u16, &str) = (501, "NotRecorded");

/// What a scan of a served record needs besides the fake's endpoint: the environment that
/// makes the fake's caller the record's account and gives throttled answers their attempts.
pub struct ScanEnv {
    pub env: Vec<(&'static str, String)>,
}

/// The (status, code) answer that reads back as `error`; `Err` says why no HTTP answer can.
fn fault_of(error: &RecordedError) -> Result<(u16, String), String> {
    Ok(match &error.kind {
        FetchErrorKind::AccessDenied => (403, "AccessDenied".into()),
        FetchErrorKind::NoSuchBucket => (404, "NoSuchBucket".into()),
        FetchErrorKind::Throttled { code, .. } => (503, code.clone()),
        FetchErrorKind::WrongRegion { .. } => (301, "PermanentRedirect".into()),
        FetchErrorKind::CredentialsRejected { code } => (403, code.clone()),
        FetchErrorKind::Service { code, status, .. } => (
            status.unwrap_or(400),
            code.clone().unwrap_or_else(|| "InvalidRequest".into()),
        ),
        FetchErrorKind::Offline | FetchErrorKind::NotRecorded { .. } => {
            (UNRECORDED.0, UNRECORDED.1.into())
        }
        FetchErrorKind::Network { .. } => {
            return Err("a network failure is no HTTP answer: the fake cannot give one".into());
        }
        FetchErrorKind::Unsupported => {
            return Err(
                "an endpoint that does not implement the API is no S3 answer: the fake cannot give one"
                    .into(),
            );
        }
        FetchErrorKind::Malformed { .. } => {
            return Err(
                "the fake answers a malformed payload only for the bucket policy and its status"
                    .into(),
            );
        }
    })
}

/// The attempts a throttled answer records: the scan must make as many.
fn attempts_of<T>(answer: Option<&Answer<T>>) -> Option<u32> {
    match answer.map(|a| &a.0) {
        Some(Err(RecordedError {
            kind: FetchErrorKind::Throttled { attempts, .. },
            ..
        })) => Some(attempts.unwrap_or(1)),
        _ => None,
    }
}

/// The error answer for a sub-resource: the recorded error, or [`UNRECORDED`] for an absent one.
fn fault_for<T>(answer: Option<&Answer<T>>) -> Result<Option<(u16, String)>, String> {
    match answer.map(|a| &a.0) {
        None => Ok(Some((UNRECORDED.0, UNRECORDED.1.into()))),
        Some(Ok(_)) => Ok(None),
        Some(Err(e)) => fault_of(e).map(Some),
    }
}

fn sub(facet: Facet) -> &'static str {
    subresource_of(facet).expect("a bucket sub-resource")
}

impl FakeBucket {
    /// The bucket a record describes, in the fake's model; `Err` names what the fake cannot
    /// answer.
    pub fn from_record(record: &BucketRecord) -> Result<FakeBucket, String> {
        let f = &record.facets;
        // Every answer a record can hold is served below: a new one must be added here.
        let BucketFacetRecords {
            acl: _,
            policy: _,
            policy_status: _,
            public_access_block: _,
            ownership_controls: _,
            encryption: _,
            logging: _,
            versioning: _,
            object_lock: _,
            lifecycle: _,
            replication: _,
            notifications: _,
            website: _,
            access_points: _,
        } = f;
        let mut bucket = match record.region.as_ref().map(|a| &a.0) {
            Some(Ok(region)) => FakeBucket::new(region),
            other => {
                // HeadBucket answers the error, without naming a region.
                let (status, code) = match other {
                    Some(Err(e)) => fault_of(e)?,
                    _ => (UNRECORDED.0, UNRECORDED.1.into()),
                };
                let mut bucket = FakeBucket::new("us-east-1").fault("", status, &code);
                bucket.faults.get_mut("").expect("just set").region_header = false;
                bucket
            }
        };
        bucket.listed_region.clone_from(&record.listed_region);

        // The bucket-level sub-resources: each value in the model, each error as a fault.
        let mut faults: Vec<(Facet, Option<(u16, String)>)> = vec![
            (Facet::Acl, fault_for(f.acl.as_ref())?),
            (
                Facet::PublicAccessBlock,
                fault_for(f.public_access_block.as_ref())?,
            ),
            (
                Facet::OwnershipControls,
                fault_for(f.ownership_controls.as_ref())?,
            ),
            (Facet::Encryption, fault_for(f.encryption.as_ref())?),
            (Facet::Logging, fault_for(f.logging.as_ref())?),
            (Facet::Versioning, fault_for(f.versioning.as_ref())?),
            (Facet::ObjectLock, fault_for(f.object_lock.as_ref())?),
            (Facet::Lifecycle, fault_for(f.lifecycle.as_ref())?),
            (Facet::Replication, fault_for(f.replication.as_ref())?),
            (Facet::Notifications, fault_for(f.notifications.as_ref())?),
            (Facet::Website, fault_for(f.website.as_ref())?),
        ];
        if let Some(Answer(Ok(acl))) = &f.acl {
            bucket.acl = Some(acl.clone());
        }
        if let Some(Answer(Ok(block))) = &f.public_access_block {
            bucket.public_access_block = *block;
        }
        if let Some(Answer(Ok(ownership))) = &f.ownership_controls {
            bucket.ownership = ownership.as_ref().map(|o| match o {
                s3tk::model::ObjectOwnership::Other(other) => other.clone(),
                known => format!("{known:?}"),
            });
        }
        if let Some(Answer(Ok(encryption))) = &f.encryption {
            bucket.encryption.clone_from(encryption);
        }
        if let Some(Answer(Ok(logging))) = &f.logging {
            bucket.logging = logging
                .as_ref()
                .map(|l| (l.bucket.clone(), l.prefix.clone()));
        }
        if let Some(Answer(Ok(versioning))) = &f.versioning {
            bucket.versioning = versioning.status.map(|s| match s {
                s3tk::model::VersioningStatus::Enabled => "Enabled",
                s3tk::model::VersioningStatus::Suspended => "Suspended",
            });
            bucket.mfa_delete = versioning.mfa_delete;
        }
        if let Some(Answer(Ok(lock))) = &f.object_lock {
            if let Some(retention) = lock.as_ref().and_then(|l| l.default_retention.as_deref())
                && retention_xml(retention).is_none()
            {
                return Err(format!(
                    "the fake answers a default retention worded \"MODE for N days|years\", not {retention:?}"
                ));
            }
            bucket.object_lock.clone_from(lock);
        }
        if let Some(Answer(Ok(lifecycle))) = &f.lifecycle {
            bucket.lifecycle.clone_from(lifecycle);
        }
        if let Some(Answer(Ok(replication))) = &f.replication {
            bucket.replication.clone_from(replication);
        }
        if let Some(Answer(Ok(notifications))) = &f.notifications {
            bucket.notifications = notifications.clone();
        }
        if let Some(Answer(Ok(website))) = &f.website {
            bucket.website.clone_from(website);
        }

        // The policy and its status are two answers; the fake derives the second from the
        // first unless told otherwise.
        match f.policy.as_ref().map(|a| &a.0) {
            Some(Ok(policy)) => bucket.policy = policy.as_ref().map(|p| p.to_json_string()),
            Some(Err(RecordedError {
                kind: FetchErrorKind::Malformed { .. },
                ..
            })) => bucket = bucket.raw(sub(Facet::Policy), "{ this is not JSON"),
            _ => faults.push((Facet::Policy, fault_for(f.policy.as_ref())?)),
        }
        match f.policy_status.as_ref().map(|a| &a.0) {
            Some(Ok(Some(public))) if bucket.policy.is_some() => {
                bucket.policy_is_public = Some(*public);
            }
            Some(Ok(Some(public))) => {
                let body = format!("<PolicyStatus><IsPublic>{public}</IsPublic></PolicyStatus>");
                bucket = bucket.raw(sub(Facet::PolicyStatus), &body);
            }
            Some(Ok(None)) => {
                let code = Facet::PolicyStatus.absent_code().expect("it has one");
                bucket = bucket.fault(sub(Facet::PolicyStatus), 404, code);
            }
            Some(Err(RecordedError {
                kind: FetchErrorKind::Malformed { .. },
                ..
            })) => bucket = bucket.raw(sub(Facet::PolicyStatus), "<PolicyStatus></PolicyStatus>"),
            _ => faults.push((Facet::PolicyStatus, fault_for(f.policy_status.as_ref())?)),
        }
        for (facet, fault) in faults {
            if let Some((status, code)) = fault {
                bucket = bucket.fault(sub(facet), status, &code);
            }
        }

        match f.access_points.as_ref().map(|a| &a.0) {
            Some(Ok(points)) => bucket.access_points.clone_from(points),
            _ => bucket.access_points_fault = fault_for(f.access_points.as_ref())?,
        }
        Ok(bucket)
    }

    /// The most attempts a throttled answer of the record made.
    fn throttled_attempts(record: &BucketRecord) -> Option<u32> {
        let f = &record.facets;
        [
            attempts_of(record.region.as_ref()),
            attempts_of(f.acl.as_ref()),
            attempts_of(f.policy.as_ref()),
            attempts_of(f.policy_status.as_ref()),
            attempts_of(f.public_access_block.as_ref()),
            attempts_of(f.ownership_controls.as_ref()),
            attempts_of(f.encryption.as_ref()),
            attempts_of(f.logging.as_ref()),
            attempts_of(f.versioning.as_ref()),
            attempts_of(f.object_lock.as_ref()),
            attempts_of(f.lifecycle.as_ref()),
            attempts_of(f.replication.as_ref()),
            attempts_of(f.notifications.as_ref()),
            attempts_of(f.website.as_ref()),
            attempts_of(f.access_points.as_ref()),
        ]
        .into_iter()
        .flatten()
        .max()
    }
}

/// CloudTrail's GetEventSelectors answer (without `TrailARN`) for recorded selectors.
fn selectors_json(selectors: &EventSelectors) -> Value {
    match selectors {
        EventSelectors::Basic(basic) => json!({"EventSelectors": basic.iter().map(|s| json!({
            "ReadWriteType": s.read_write_type,
            "IncludeManagementEvents": true,
            "DataResources": if s.s3_object_values.is_empty() {
                json!([])
            } else {
                json!([{"Type": "AWS::S3::Object", "Values": s.s3_object_values}])
            },
        })).collect::<Vec<_>>()}),
        EventSelectors::Advanced(advanced) => {
            json!({"AdvancedEventSelectors": advanced.iter().map(|s| {
                let fields: Vec<Value> = s.fields.iter().map(|f| {
                    let mut field = json!({"Field": f.field});
                    for (key, values) in [
                        ("Equals", &f.equals),
                        ("StartsWith", &f.starts_with),
                        ("EndsWith", &f.ends_with),
                        ("NotEquals", &f.not_equals),
                        ("NotStartsWith", &f.not_starts_with),
                        ("NotEndsWith", &f.not_ends_with),
                    ] {
                        if !values.is_empty() {
                            field[key] = json!(values);
                        }
                    }
                    field
                }).collect();
                let mut selector = json!({"FieldSelectors": fields});
                if let Some(name) = &s.name {
                    selector["Name"] = json!(name);
                }
                selector
            }).collect::<Vec<_>>()})
        }
    }
}

fn fake_trail(trail: &Trail) -> FakeTrail {
    FakeTrail {
        name: trail.name.clone(),
        arn: Some(trail.arn.clone()),
        home_region: trail.home_region.clone(),
        multi_region: trail.multi_region,
        logging: trail.logging,
        selectors: selectors_json(&trail.selectors),
    }
}

impl FakeS3 {
    /// Serves an account record: its account-wide answers and its buckets. The scan must run
    /// with the returned environment (the record's account is the caller's). `Err` names what
    /// the fake cannot answer.
    pub fn serve_record(&self, record: &AccountRecord) -> Result<ScanEnv, String> {
        let f = &record.facets;
        // Every answer a record can hold is served below: a new one must be added here.
        let AccountFacets {
            account_id: _,
            public_access_block: _,
            multi_region_access_points: _,
            bucket_list: _,
            trails: _,
            bucket_regions: _,
        } = f;
        let mut env = Vec::new();
        let mut attempts = Vec::new();

        // The caller's account: assumed-role style keys (`ASIA<account>`) make the fake's
        // STS, S3 Control and ListBuckets answer as that account.
        let account = match f.account_id.as_ref().map(|a| &a.0) {
            Some(Ok(id)) => {
                env.push(("AWS_ACCESS_KEY_ID", format!("ASIA{id}")));
                id.clone()
            }
            other => {
                let (status, code) = match other {
                    Some(Err(e)) => fault_of(e)?,
                    _ => (UNRECORDED.0, UNRECORDED.1.into()),
                };
                self.caller_identity_fault(status, &code);
                crate::fake_s3::ACCOUNT_ID.to_owned()
            }
        };
        attempts.push(attempts_of(f.account_id.as_ref()));

        match f.public_access_block.as_ref().map(|a| &a.0) {
            Some(Ok(block)) => {
                self.account_block(*block);
            }
            _ => {
                self.account_block(None);
                if let Some((status, code)) = fault_for(f.public_access_block.as_ref())? {
                    self.control_fault_on("configuration/publicAccessBlock", status, &code);
                }
            }
        }
        attempts.push(attempts_of(f.public_access_block.as_ref()));

        match f.multi_region_access_points.as_ref().map(|a| &a.0) {
            Some(Ok(points)) => {
                for point in points {
                    if point.network_origin != "Internet" {
                        return Err(format!(
                            "Multi-Region Access Point {} has network origin {}: S3 lists only Internet ones",
                            point.name, point.network_origin
                        ));
                    }
                    self.multi_region_access_point(&point.name, point.public_access_block);
                }
            }
            _ => {
                if let Some((status, code)) = fault_for(f.multi_region_access_points.as_ref())? {
                    self.control_fault_on("mrap", status, &code);
                }
            }
        }
        attempts.push(attempts_of(f.multi_region_access_points.as_ref()));

        let mut trail_regions = HashMap::new();
        let mut trails: Vec<&Trail> = Vec::new();
        for (region, answer) in &f.trails {
            match &answer.0 {
                Ok(listed) => {
                    trail_regions.insert(region.clone(), None);
                    trails.extend(listed);
                }
                Err(e) => {
                    trail_regions.insert(region.clone(), Some(fault_of(e)?));
                }
            }
            attempts.push(attempts_of(Some(answer)));
        }
        // DescribeTrails lists them in the order the fake holds them: the recorded one.
        let mut seen = std::collections::BTreeSet::new();
        for trail in trails {
            if seen.insert(&trail.arn) {
                self.trail(fake_trail(trail));
            }
        }
        self.trail_regions(trail_regions, UNRECORDED);

        // Buckets the record names but does not describe: the account's other buckets, and
        // buckets elsewhere whose region was read (log targets).
        let served: Vec<&str> = record.buckets.iter().map(|b| b.name.as_str()).collect();
        self.unknown_buckets(UNRECORDED.0, UNRECORDED.1);
        for (name, answer) in &f.bucket_regions {
            if served.contains(&name.as_str()) {
                continue;
            }
            match &answer.0 {
                Ok(region) => {
                    self.foreign_bucket(name, region);
                }
                Err(e) => {
                    let (status, code) = fault_of(e)?;
                    self.bucket_fault(name, status, &code);
                }
            }
            attempts.push(attempts_of(Some(answer)));
        }
        let listed = match f.bucket_list.as_ref().map(|a| &a.0) {
            Some(Ok(names)) => Some(names),
            _ => {
                if let Some((status, code)) = fault_for(f.bucket_list.as_ref())? {
                    self.list_fault(status, &code);
                }
                None
            }
        };
        attempts.push(attempts_of(f.bucket_list.as_ref()));
        for name in listed.into_iter().flatten() {
            if served.contains(&name.as_str()) {
                continue;
            }
            let region = match f.bucket_regions.get(name).map(|a| &a.0) {
                Some(Ok(region)) => region.as_str(),
                _ => "us-east-1",
            };
            self.bucket(name, FakeBucket::new(region).in_account(&account));
        }

        for record_bucket in &record.buckets {
            let mut bucket = FakeBucket::from_record(record_bucket)?.in_account(&account);
            bucket.unlisted = listed.is_some_and(|names| !names.contains(&record_bucket.name));
            attempts.push(FakeBucket::throttled_attempts(record_bucket));
            self.bucket(&record_bucket.name, bucket);
        }

        if let Some(most) = attempts.into_iter().flatten().max() {
            env.push(("AWS_MAX_ATTEMPTS", most.to_string()));
            // Attempts in milliseconds, not seconds.
            env.push(("S3TK_RETRY_BASE_MS", "1".into()));
        }
        Ok(ScanEnv { env })
    }
}

/// Where the answers a scan saved (`--save-state`) differ from those the fake served from
/// `served`: the fake must read back as the record it serves. Only answers both hold are
/// compared (a scan reads what its checks need); errors by their kind, not their description,
/// and a malformed answer not by its detail (the fake serves a payload of its own).
pub fn read_back_differences(served: &AccountRecord, saved: &[AccountRecord]) -> Vec<String> {
    let mut wrong = Vec::new();
    let [saved] = saved else {
        return vec![format!("{} accounts saved, not one", saved.len())];
    };
    compare(
        "account",
        &json(&served.facets),
        &json(&saved.facets),
        &mut wrong,
    );
    for bucket in &served.buckets {
        let path = format!("bucket {}", bucket.name);
        match saved.buckets.iter().find(|b| b.name == bucket.name) {
            Some(read) => {
                compare(
                    &path,
                    &json(&bucket.region),
                    &json(&read.region),
                    &mut wrong,
                );
                compare(
                    &path,
                    &json(&bucket.facets),
                    &json(&read.facets),
                    &mut wrong,
                );
            }
            None => wrong.push(format!("{path} was not saved")),
        }
    }
    wrong
}

fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("a record serialises")
}

fn compare(path: &str, served: &Value, saved: &Value, wrong: &mut Vec<String>) {
    let answer = |v: &Value| {
        v.as_object().is_some_and(|o| {
            ["value", "not_configured", "error"]
                .iter()
                .any(|k| o.contains_key(*k))
        })
    };
    let without_description = |v: &Value| {
        let mut v = v.clone();
        if let Some(error) = v.get_mut("error").and_then(Value::as_object_mut) {
            error.remove("description");
            if error.get("kind").and_then(Value::as_str) == Some("malformed") {
                error.remove("detail");
            }
        }
        v
    };
    if served.is_null() || saved.is_null() {
        return;
    }
    if answer(served) {
        let (served, saved) = (without_description(served), without_description(saved));
        if served != saved {
            wrong.push(format!(
                "{path} was served as {served} but read back as {saved}"
            ));
        }
        return;
    }
    if let (Some(served), Some(saved)) = (served.as_object(), saved.as_object()) {
        for (key, saved_value) in saved {
            if let Some(served_value) = served.get(key) {
                compare(&format!("{path}.{key}"), served_value, saved_value, wrong);
            }
        }
    }
}

/// A record holding every kind of answer the state format has, with the values the checks'
/// cases do not use yet, served and scanned by every check: each reads back as served.
#[tokio::test]
async fn every_answer_a_record_can_hold_reads_back_from_the_fake() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Partner","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::rich/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}"#;
    let public = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
    let open = json!({"block_public_acls": true, "ignore_public_acls": false,
                      "block_public_policy": true, "restrict_public_buckets": false});
    let record: AccountRecord = serde_json::from_value(json!({
        "source": "s3",
        "facets": {
            "account_id": {"value": "111122223333"},
            "public_access_block": {"value": open},
            "multi_region_access_points": {"value": [
                {"name": "global", "network_origin": "Internet", "public_access_block": open}]},
            "bucket_list": {"value": ["broken", "denied", "other", "rich"]},
            "trails": {
                "us-east-1": {"value": [{
                    "name": "reads", "arn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/reads",
                    "home_region": "us-east-1", "multi_region": false, "logging": true,
                    "selectors": {"basic": [{"read_write_type": "ReadOnly",
                                             "s3_object_values": ["arn:aws:s3:::rich/"]}]}}]},
                "eu-west-1": {"value": [{
                    "name": "writes", "arn": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/writes",
                    "home_region": "eu-west-1", "multi_region": false, "logging": false,
                    "selectors": {"advanced": [{"name": "uploads", "fields": [
                        {"field": "eventCategory", "equals": ["Data"], "starts_with": [], "ends_with": [],
                         "not_equals": [], "not_starts_with": [], "not_ends_with": []},
                        {"field": "resources.ARN", "equals": [], "starts_with": ["arn:aws:s3:::denied/"],
                         "ends_with": [], "not_equals": ["arn:aws:s3:::denied/x"],
                         "not_starts_with": ["arn:aws:s3:::denied/tmp/"],
                         "not_ends_with": [".log"]}]}]}}]}
            },
            "bucket_regions": {
                "central-logs": {"value": "eu-west-1"},
                "gone-logs": {"error": {"kind": "no_such_bucket"}}
            }
        },
        "buckets": [
            {"name": "rich", "region": {"value": "us-east-1"}, "facets": {
                "acl": {"value": {"owner_id": "owner", "grants": [
                    {"grantee": {"type": "canonical_user", "id": "owner"}, "permission": "FULL_CONTROL"},
                    {"grantee": {"type": "group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
                     "permission": "READ"},
                    {"grantee": {"type": "email", "address": "someone@example.com"}, "permission": "READ_ACP"}]}},
                "policy": {"value": policy},
                "policy_status": {"value": false},
                "public_access_block": {"not_configured": true},
                "ownership_controls": {"value": {"Other": "SomethingNew"}},
                "encryption": {"value": {"algorithm": null, "kms_key_id": null,
                                         "bucket_key_enabled": true,
                                         "blocked_encryption_types": ["SSE-C"]}},
                "logging": {"value": {"bucket": "central-logs", "prefix": "rich/"}},
                "versioning": {"value": {"status": null, "mfa_delete": false}},
                "object_lock": {"value": {"enabled": true, "default_retention": "COMPLIANCE for 2 years"}},
                "lifecycle": {"value": [
                    {"id": null, "enabled": false, "expires_noncurrent_versions": false,
                     "expires_current_versions": true, "aborts_incomplete_uploads": true}]},
                "replication": {"value": [
                    {"id": "one", "enabled": true, "destination_bucket": "arn:aws:s3:::replica"},
                    {"id": null, "enabled": false, "destination_bucket": "arn:aws:s3:::old"}]},
                "notifications": {"value": {"topics": 2, "queues": 1, "lambda_functions": 1,
                                            "event_bridge": false}},
                "website": {"value": {"index_document": null, "redirect_all_to": "www.example.com"}},
                "access_points": {"value": [
                    {"name": "inside", "network_origin": "VPC", "public_access_block": open}]}
            }},
            {"name": "denied", "region": {"value": "eu-west-1"}, "facets": {
                "acl": {"error": {"kind": "access_denied"}},
                "policy": {"value": public},
                "policy_status": {"error": {"kind": "malformed",
                                            "detail": "the answer has no IsPublic"}},
                "public_access_block": {"error": {"kind": "throttled", "code": "SlowDown", "attempts": 3}},
                "ownership_controls": {"error": {"kind": "no_such_bucket"}},
                "encryption": {"not_configured": true},
                "logging": {"value": {"bucket": "gone-logs", "prefix": ""}},
                "versioning": {"value": {"status": "suspended", "mfa_delete": null}},
                "object_lock": {"not_configured": true},
                "lifecycle": {"not_configured": true},
                "replication": {"not_configured": true},
                "notifications": {"value": {"topics": 0, "queues": 0, "lambda_functions": 0,
                                            "event_bridge": true}},
                "website": {"not_configured": true},
                "access_points": {"error": {"kind": "access_denied"}}
            }},
            {"name": "broken", "region": {"value": "us-east-1"}, "facets": {
                "policy": {"error": {"kind": "malformed", "detail": "any"}},
                "website": {"error": {"kind": "service", "code": "InvalidRequest", "status": 400,
                                      "message": "injected fault"}},
                "lifecycle": {"error": {"kind": "wrong_region", "region": "us-east-1"}},
                "acl": {"error": {"kind": "credentials_rejected", "code": "ExpiredToken"}}
            }}
        ]
    }))
    .expect("a valid record");
    let fake = FakeS3::start().await;
    let served = fake.serve_record(&record).expect("the fake serves it");
    let dir = crate::support::TempDir::new("read-back");
    let state = dir.path("state.json");
    let uri = fake.uri();
    let args = [
        "--endpoint-url",
        uri.as_str(),
        "scan",
        "--object-level-logging",
        "--format",
        "json",
        "--save-state",
        state.as_str(),
    ];
    let env: Vec<(&str, &str)> = served.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = crate::support::s3tk_env(&args, &env).await;
    let saved = s3tk::state::snapshot::Snapshot::load(std::path::Path::new(&state))
        .unwrap_or_else(|e| panic!("{e}; exit {}; stderr: {}", run.code, run.stderr));
    assert_eq!(
        read_back_differences(&record, &saved.accounts),
        Vec::<String>::new(),
        "stderr: {}",
        run.stderr
    );
    // Every answer served was read (else the comparison above skipped it).
    let saved = json(&saved.accounts[0]);
    let mut unread = Vec::new();
    for bucket in &record.buckets {
        let read = saved["buckets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|b| b["name"] == bucket.name.as_str())
            .map_or(&Value::Null, |b| &b["facets"]);
        for (facet, _) in json(&bucket.facets).as_object().into_iter().flatten() {
            if read.get(facet).is_none() {
                unread.push(format!("{}.{facet}", bucket.name));
            }
        }
    }
    for (facet, _) in json(&record.facets).as_object().into_iter().flatten() {
        // Only `scan-dns` reads the account's bucket list.
        if saved["facets"].get(facet).is_none() && facet != "bucket_list" {
            unread.push(format!("account.{facet}"));
        }
    }
    assert!(unread.is_empty(), "no check read {unread:?}");
}

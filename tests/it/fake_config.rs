//! `ConfigSource` against a fake of AWS Config's JSON protocol (awsJson1_1, the operation in
//! `X-Amz-Target: StarlingDoveService.<Operation>`): pagination, aggregators across accounts
//! and regions, a batch that fails for one bucket, unprocessed keys, and bad input.

use crate::support::clients;
use s3tk::error::FetchErrorKind;
use s3tk::state::aws_config::ConfigSource;
use s3tk::state::snapshot::{Answer, BucketRecord};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers::any};

const OWN_ACCOUNT: &str = "111122223333";
const PAGE: usize = 100;

/// One recorded bucket: (account, region, name).
type Recorded = (String, String, String);

#[derive(Default)]
struct FakeConfig {
    buckets: Vec<Recorded>,
    /// Accounts whose AWS::S3::AccountPublicAccessBlock is recorded (in every region seen).
    account_pab: BTreeSet<String>,
    aggregator: Option<String>,
    /// A bucket whose presence in a batch makes Config answer HTTP 500.
    poisoned: Option<String>,
    /// Buckets left unprocessed the first time they are asked for.
    unprocessed_once: Mutex<BTreeSet<String>>,
    /// The error every request gets: (HTTP status, __type).
    failing: Option<(u16, &'static str)>,
    /// (operation, the number of keys of a batch).
    log: Mutex<Vec<(String, usize)>>,
    /// Supplementary configuration entries that replace the default ones of a bucket's item.
    supplementary: BTreeMap<String, Value>,
    /// How long every answer takes.
    latency: Duration,
}

impl FakeConfig {
    fn count(&self, operation: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(op, _)| op == operation)
            .count()
    }

    fn batch_sizes(&self) -> Vec<usize> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(op, _)| op.starts_with("BatchGet"))
            .map(|(_, n)| *n)
            .collect()
    }

    fn item(&self, account: &str, region: &str, name: &str) -> Value {
        let acl = json!({
            "grantSet": null,
            "grantList": [{"grantee": {"id": "owner-id", "displayName": null}, "permission": "FullControl"}],
            "owner": {"displayName": null, "id": "owner-id"},
            "isRequesterCharged": false
        });
        json!({
            "version": "1.3",
            "accountId": account,
            "configurationItemCaptureTime": 1_700_000_000.5,
            "configurationItemStatus": "OK",
            "configurationStateId": "1700000000500",
            "arn": format!("arn:aws:s3:::{name}"),
            "resourceType": "AWS::S3::Bucket",
            "resourceId": name,
            "resourceName": name,
            "awsRegion": region,
            "availabilityZone": "Regional",
            "configuration": json!({"name": name, "owner": {"id": "owner-id"}}).to_string(),
            "supplementaryConfiguration": self.supplementary_of(name, acl),
        })
    }

    fn supplementary_of(&self, name: &str, acl: Value) -> Value {
        let mut supplementary = json!({
            "AccessControlList": serde_json::to_string(&acl.to_string()).unwrap(),
            "BucketPolicy": "{\"policyText\":null}",
            "BucketLoggingConfiguration": "{\"destinationBucketName\":null,\"logFilePrefix\":null}",
            "BucketVersioningConfiguration": "{\"status\":\"Enabled\",\"isMfaDeleteEnabled\":null}",
            "BucketNotificationConfiguration": "{\"configurations\":{}}",
            "IsRequesterPaysEnabled": "false"
        });
        if let Some(Value::Object(entries)) = self.supplementary.get(name) {
            for (key, value) in entries {
                supplementary[key] = value.clone();
            }
        }
        supplementary
    }

    fn pab_item(&self, account: &str, region: &str) -> Value {
        json!({
            "accountId": account,
            "configurationItemCaptureTime": 1_700_000_000,
            "resourceType": "AWS::S3::AccountPublicAccessBlock",
            "resourceId": account,
            "awsRegion": region,
            "configuration": "{\"blockPublicAcls\":true,\"ignorePublicAcls\":true,\"blockPublicPolicy\":true,\"restrictPublicBuckets\":true}",
            "supplementaryConfiguration": {}
        })
    }

    /// The recorded resources of a type, as (account, region, id).
    fn resources(&self, resource_type: &str, aggregate: bool) -> Vec<Recorded> {
        match resource_type {
            "AWS::S3::Bucket" => self
                .buckets
                .iter()
                .filter(|(a, r, _)| aggregate || (a == OWN_ACCOUNT && r == "us-east-1"))
                .cloned()
                .collect(),
            _ => {
                let regions: BTreeSet<(String, String)> = self
                    .buckets
                    .iter()
                    .filter(|(a, _, _)| self.account_pab.contains(a))
                    .map(|(a, r, _)| (a.clone(), r.clone()))
                    .collect();
                regions
                    .into_iter()
                    .filter(|(a, r)| aggregate || (a == OWN_ACCOUNT && r == "us-east-1"))
                    .map(|(a, r)| (a.clone(), r, a))
                    .collect()
            }
        }
    }

    fn error(status: u16, kind: &str) -> ResponseTemplate {
        ResponseTemplate::new(status)
            .insert_header("content-type", "application/x-amz-json-1.1")
            .set_body_string(json!({"__type": kind, "message": format!("fake {kind}")}).to_string())
    }

    fn list(&self, body: &Value, aggregate: bool) -> ResponseTemplate {
        let field = |camel: &str, pascal: &str| {
            if aggregate {
                body[pascal].clone()
            } else {
                body[camel].clone()
            }
        };
        if aggregate && body["ConfigurationAggregatorName"].as_str() != self.aggregator.as_deref() {
            return Self::error(400, "NoSuchConfigurationAggregatorException");
        }
        let resource_type = field("resourceType", "ResourceType");
        let all = self.resources(resource_type.as_str().unwrap(), aggregate);
        let start: usize = field("nextToken", "NextToken")
            .as_str()
            .map_or(0, |t| t.parse().unwrap());
        let page = &all[start..(start + PAGE).min(all.len())];
        let identifiers: Vec<Value> = page
            .iter()
            .map(|(account, region, id)| {
                if aggregate {
                    json!({"SourceAccountId": account, "SourceRegion": region, "ResourceId": id,
                           "ResourceType": resource_type, "ResourceName": id})
                } else {
                    json!({"resourceType": resource_type, "resourceId": id, "resourceName": id})
                }
            })
            .collect();
        let mut out = if aggregate {
            json!({ "ResourceIdentifiers": identifiers })
        } else {
            json!({ "resourceIdentifiers": identifiers })
        };
        if start + PAGE < all.len() {
            out[if aggregate { "NextToken" } else { "nextToken" }] =
                json!((start + PAGE).to_string());
        }
        ResponseTemplate::new(200).set_body_string(out.to_string())
    }

    fn batch(&self, body: &Value, aggregate: bool) -> ResponseTemplate {
        let keys: Vec<(String, String, String, String)> = if aggregate {
            body["ResourceIdentifiers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| {
                    (
                        k["SourceAccountId"].as_str().unwrap().to_owned(),
                        k["SourceRegion"].as_str().unwrap().to_owned(),
                        k["ResourceType"].as_str().unwrap().to_owned(),
                        k["ResourceId"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        } else {
            body["resourceKeys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| {
                    (
                        OWN_ACCOUNT.to_owned(),
                        "us-east-1".to_owned(),
                        k["resourceType"].as_str().unwrap().to_owned(),
                        k["resourceId"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        assert!(keys.len() <= 100, "a batch of {} keys", keys.len());
        self.log.lock().unwrap().last_mut().unwrap().1 = keys.len();
        if keys.iter().any(|k| Some(&k.3) == self.poisoned.as_ref()) {
            return Self::error(500, "InternalFailure");
        }
        let mut items = Vec::new();
        let mut unprocessed = Vec::new();
        for (account, region, resource_type, id) in keys {
            if self.unprocessed_once.lock().unwrap().remove(&id) {
                unprocessed.push(if aggregate {
                    json!({"SourceAccountId": account, "SourceRegion": region, "ResourceId": id, "ResourceType": resource_type})
                } else {
                    json!({"resourceType": resource_type, "resourceId": id})
                });
            } else if resource_type == "AWS::S3::Bucket" {
                items.push(self.item(&account, &region, &id));
            } else {
                items.push(self.pab_item(&account, &region));
            }
        }
        let out = if aggregate {
            json!({"BaseConfigurationItems": items, "UnprocessedResourceIdentifiers": unprocessed})
        } else {
            json!({"baseConfigurationItems": items, "unprocessedResourceKeys": unprocessed})
        };
        ResponseTemplate::new(200).set_body_string(out.to_string())
    }
}

impl wiremock::Respond for FakeConfig {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.answer(req).set_delay(self.latency)
    }
}

impl FakeConfig {
    fn answer(&self, req: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&req.body);
        if body.contains("Action=GetCallerIdentity") {
            self.log
                .lock()
                .unwrap()
                .push(("GetCallerIdentity".into(), 0));
            return ResponseTemplate::new(200).set_body_string(format!(
                r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::{OWN_ACCOUNT}:user/auditor</Arn><UserId>AIDAFAKE</UserId><Account>{OWN_ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#
            ));
        }
        let target = req
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let operation = target
            .strip_prefix("StarlingDoveService.")
            .unwrap_or_else(|| panic!("not an AWS Config request: {target:?}"))
            .to_owned();
        self.log.lock().unwrap().push((operation.clone(), 0));
        if let Some((status, kind)) = self.failing {
            return Self::error(status, kind);
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let resource_type = body["resourceType"]
            .as_str()
            .or(body["ResourceType"].as_str())
            .unwrap_or("batch");
        self.log.lock().unwrap().last_mut().unwrap().0 = match operation.as_str() {
            "ListDiscoveredResources" | "ListAggregateDiscoveredResources" => {
                format!("{operation} {resource_type}")
            }
            _ => operation.clone(),
        };
        match operation.as_str() {
            "ListDiscoveredResources" => self.list(&body, false),
            "ListAggregateDiscoveredResources" => self.list(&body, true),
            "BatchGetResourceConfig" => self.batch(&body, false),
            "BatchGetAggregateResourceConfig" => {
                if body["ConfigurationAggregatorName"].as_str() != self.aggregator.as_deref() {
                    return Self::error(400, "NoSuchConfigurationAggregatorException");
                }
                self.batch(&body, true)
            }
            other => panic!("unexpected operation {other}"),
        }
    }
}

/// Serves `fake` and returns the server and a handle to read its log.
async fn serve(fake: FakeConfig) -> (MockServer, std::sync::Arc<FakeConfig>) {
    let fake = std::sync::Arc::new(fake);
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Shared(std::sync::Arc::clone(&fake)))
        .mount(&server)
        .await;
    (server, fake)
}

struct Shared(std::sync::Arc<FakeConfig>);

impl wiremock::Respond for Shared {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.0.respond(req)
    }
}

fn own_buckets(n: usize) -> Vec<Recorded> {
    (0..n)
        .map(|i| {
            (
                OWN_ACCOUNT.to_owned(),
                "us-east-1".to_owned(),
                format!("bucket-{i:04}"),
            )
        })
        .collect()
}

async fn drain(source: &mut ConfigSource) -> Vec<(String, BucketRecord)> {
    let mut all = Vec::new();
    while let Some(batch) = source.next_batch().await {
        assert!(batch.len() <= 100);
        all.extend(batch);
    }
    all
}

#[tokio::test]
async fn pages_and_batches_of_one_account() {
    let (server, fake) = serve(FakeConfig {
        buckets: own_buckets(250),
        ..FakeConfig::default()
    })
    .await;
    let clients = clients(&server.uri(), 4);
    let mut source = ConfigSource::open(&clients, None).await.unwrap();
    // 3 pages of buckets, 1 (empty) page of account Block Public Access, 1 GetCallerIdentity.
    assert_eq!(source.requests(), 5);
    let accounts = source.accounts();
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    assert_eq!(account.account_id.as_deref(), Some(OWN_ACCOUNT));
    assert_eq!(account.region.as_deref(), Some("us-east-1"));
    let Some(Answer(Ok(names))) = &account.facets.bucket_list else {
        panic!("no bucket list")
    };
    assert_eq!(names.len(), 250);
    // Not recorded: left out, so its checks are explicit skips.
    assert!(account.facets.public_access_block.is_none());

    let records = drain(&mut source).await;
    assert_eq!(records.len(), 250);
    assert_eq!(source.requests(), 8);
    assert_eq!(fake.count("ListDiscoveredResources AWS::S3::Bucket"), 3);
    assert_eq!(fake.batch_sizes(), vec![100, 100, 50]);
    let got: BTreeSet<&str> = records.iter().map(|(_, r)| r.name.as_str()).collect();
    assert_eq!(&got, &names.iter().map(String::as_str).collect());
    let (account_id, record) = &records[0];
    assert_eq!(account_id, OWN_ACCOUNT);
    assert_eq!(
        record.observed_at.as_deref(),
        Some("2023-11-14T22:13:20.5Z")
    );
    assert!(matches!(record.facets.acl, Some(Answer(Ok(_)))));
    assert!(source.next_batch().await.is_none());
}

#[tokio::test]
async fn an_aggregator_reads_two_accounts_in_two_regions() {
    let mut buckets = Vec::new();
    for account in [OWN_ACCOUNT, "444455556666"] {
        for region in ["us-east-1", "eu-west-1"] {
            for i in 0..30 {
                buckets.push((
                    account.to_owned(),
                    region.to_owned(),
                    format!("{account}-{region}-{i}"),
                ));
            }
        }
    }
    let (server, fake) = serve(FakeConfig {
        buckets,
        account_pab: [OWN_ACCOUNT.to_owned()].into(),
        aggregator: Some("org".into()),
        ..FakeConfig::default()
    })
    .await;
    let clients = clients(&server.uri(), 4);
    let mut source = ConfigSource::open(&clients, Some("org")).await.unwrap();
    // 2 pages of buckets, 1 page of account Block Public Access items, 1 batch of them.
    assert_eq!(source.requests(), 4);
    assert_eq!(fake.count("GetCallerIdentity"), 0);
    let accounts = source.accounts();
    assert_eq!(accounts.len(), 2);
    for account in &accounts {
        let Some(Answer(Ok(names))) = &account.facets.bucket_list else {
            panic!("no bucket list")
        };
        assert_eq!(names.len(), 60);
        let id = account.account_id.as_deref().unwrap();
        assert!(names.iter().all(|n| n.starts_with(id)));
        assert_eq!(account.region.as_deref(), Some("us-east-1"));
    }
    assert_eq!(
        accounts[0].facets.public_access_block,
        Some(Answer(Ok(Some(
            s3tk::state::model::PublicAccessBlock::ALL_ON
        ))))
    );
    assert!(accounts[1].facets.public_access_block.is_none());

    let records = drain(&mut source).await;
    assert_eq!(records.len(), 120);
    assert_eq!(source.requests(), 6);
    assert_eq!(fake.batch_sizes(), vec![1, 100, 20]);
    for (account, record) in &records {
        let Some(Answer(Ok(region))) = &record.region else {
            panic!("no region")
        };
        assert!(record.name.starts_with(&format!("{account}-{region}-")));
    }
}

#[tokio::test]
async fn one_failing_bucket_costs_only_itself() {
    let (server, fake) = serve(FakeConfig {
        buckets: own_buckets(10),
        poisoned: Some("bucket-0003".into()),
        ..FakeConfig::default()
    })
    .await;
    let clients = clients(&server.uri(), 4);
    let mut source = ConfigSource::open(&clients, None).await.unwrap();
    let records = drain(&mut source).await;
    assert_eq!(records.len(), 10);
    for (_, record) in &records {
        let failed = record.name == "bucket-0003";
        match (&record.facets.acl, failed) {
            (Some(Answer(Ok(_))), false) => {}
            (Some(Answer(Err(e))), true) => {
                assert!(
                    matches!(
                        e.kind,
                        FetchErrorKind::Service {
                            status: Some(500),
                            ..
                        }
                    ),
                    "{e:?}"
                );
                assert!(matches!(record.facets.policy, Some(Answer(Err(_)))));
                assert!(matches!(record.facets.versioning, Some(Answer(Err(_)))));
            }
            (other, _) => panic!("{}: {other:?}", record.name),
        }
    }
    // 10 → 5 (poisoned) + 5; 5 → 2 + 3 (poisoned); 3 → 1 + 2 (poisoned); 2 → 1 + 1 (poisoned).
    assert_eq!(fake.batch_sizes(), vec![10, 5, 2, 3, 1, 2, 1, 1, 5]);
}

#[tokio::test]
async fn unprocessed_keys_are_asked_again() {
    let (server, fake) = serve(FakeConfig {
        buckets: own_buckets(5),
        unprocessed_once: Mutex::new(["bucket-0001".to_owned(), "bucket-0004".to_owned()].into()),
        ..FakeConfig::default()
    })
    .await;
    let clients = clients(&server.uri(), 4);
    let mut source = ConfigSource::open(&clients, None).await.unwrap();
    let records = drain(&mut source).await;
    assert_eq!(records.len(), 5);
    assert!(
        records
            .iter()
            .all(|(_, r)| matches!(r.facets.acl, Some(Answer(Ok(_))))),
        "{records:?}"
    );
    assert_eq!(fake.batch_sizes(), vec![5, 2]);
}

/// `open`'s error as the CLI would print it: one line, no Debug text.
async fn open_error(fake: FakeConfig, aggregator: Option<&str>) -> String {
    let (server, _fake) = serve(fake).await;
    let clients = clients(&server.uri(), 4);
    let message = match ConfigSource::open(&clients, aggregator).await {
        Ok(_) => panic!("open succeeded"),
        Err(e) => e.to_string(),
    };
    assert!(!message.contains('\n'), "{message}");
    assert!(!message.contains("ErrorMetadata"), "{message}");
    assert!(!message.contains("{ "), "{message}");
    message
}

#[tokio::test]
async fn an_unknown_aggregator_is_named() {
    let message = open_error(
        FakeConfig {
            buckets: own_buckets(3),
            aggregator: Some("org".into()),
            ..FakeConfig::default()
        },
        Some("nope"),
    )
    .await;
    assert_eq!(
        message,
        "ListAggregateDiscoveredResources failed: NoSuchConfigurationAggregatorException: \
         AWS Config has no configuration aggregator named 'nope' in this region"
    );
}

#[tokio::test]
async fn config_not_recording_and_access_denied_are_one_line_each() {
    let message = open_error(
        FakeConfig {
            failing: Some((400, "NoAvailableConfigurationRecorderException")),
            ..FakeConfig::default()
        },
        None,
    )
    .await;
    assert!(
        message.starts_with(
            "ListDiscoveredResources failed: NoAvailableConfigurationRecorderException: \
             AWS Config is not recording in this region"
        ),
        "{message}"
    );
    let message = open_error(
        FakeConfig {
            failing: Some((400, "AccessDeniedException")),
            ..FakeConfig::default()
        },
        None,
    )
    .await;
    assert_eq!(
        message,
        "access denied to ListDiscoveredResources: the caller needs config:ListDiscoveredResources"
    );
}

/// A public bucket's supplementary configuration: a policy anyone may read objects with.
fn public_policy(name: &str) -> Value {
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{name}/*")}]});
    json!({"BucketPolicy": json!({"policyText": policy.to_string()}).to_string()})
}

const OFFLINE: &[(&str, &str)] = &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")];

#[tokio::test]
async fn scan_from_aws_config_reports_capture_times_and_skips_what_config_lacks() {
    let mut buckets = Vec::new();
    for account in [OWN_ACCOUNT, "444455556666"] {
        for i in 0..3 {
            buckets.push((
                account.to_owned(),
                "eu-west-1".to_owned(),
                format!("{account}-b{i}"),
            ));
        }
    }
    let public = format!("{OWN_ACCOUNT}-b1");
    let (server, fake) = serve(FakeConfig {
        buckets,
        account_pab: [OWN_ACCOUNT.to_owned()].into(),
        aggregator: Some("org".into()),
        supplementary: [(public.clone(), public_policy(&public))].into(),
        ..FakeConfig::default()
    })
    .await;
    let dir = crate::support::TempDir::new("config-state");
    let state = dir.path("config.json");
    let run = crate::support::s3tk(
        &server.uri(),
        &[
            "scan",
            "--from-aws-config",
            "--aggregator",
            "org",
            "--format",
            "json",
            "--save-state",
            &state,
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("read 6 bucket configuration(s) from AWS Config in 4 request(s)"),
        "{}",
        run.stderr
    );
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    let of = |bucket: &str, check: &str| {
        findings
            .iter()
            .find(|f| f["bucket"] == bucket && f["check"] == check)
            .unwrap_or_else(|| panic!("no {check} finding for {bucket}"))
    };
    let public_read = of(&public, "s3.bucket.public-policy-read");
    assert_eq!(public_read["status"], "fail", "{public_read}");
    assert_eq!(public_read["account"], OWN_ACCOUNT);
    assert_eq!(public_read["region"], "eu-west-1");
    assert_eq!(public_read["observed_at"], "2023-11-14T22:13:20.5Z");
    assert!(
        public_read["message"]
            .as_str()
            .unwrap()
            .contains("not confirmed by AWS: AWS Config does not record GetBucketPolicyStatus"),
        "{public_read}"
    );
    let acls = of(&format!("{OWN_ACCOUNT}-b0"), "s3.bucket.acls-enabled");
    assert_eq!(
        (
            acls["status"].as_str().unwrap(),
            acls["message"].as_str().unwrap()
        ),
        (
            "skip",
            "not evaluated: AWS Config does not record GetBucketOwnershipControls; a live scan of the bucket reads it"
        )
    );
    // Account checks once per account: Config records the first account's Block Public
    // Access, not the second's.
    let account_block: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f["check"] == "s3.account.public-access-block-disabled")
        .map(|f| {
            (
                f["account"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        account_block,
        vec![(OWN_ACCOUNT, "pass"), ("444455556666", "skip")]
    );
    assert!(
        !findings.iter().any(|f| f["status"] == "error"),
        "{findings:#?}"
    );

    // The saved state gives the same report, skips included, with no request.
    let requests = fake.log.lock().unwrap().len();
    let again = crate::support::s3tk_env(
        &["scan", "--from-state", &state, "--format", "json"],
        OFFLINE,
    )
    .await;
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert_eq!(fake.log.lock().unwrap().len(), requests);
    assert_eq!(
        crate::state::without_times(again.json()),
        crate::state::without_times(report)
    );
}

#[tokio::test]
async fn scan_from_aws_config_reads_only_the_selected_buckets() {
    let (server, fake) = serve(FakeConfig {
        buckets: own_buckets(250),
        ..FakeConfig::default()
    })
    .await;
    let run = crate::support::s3tk(
        &server.uri(),
        &[
            "scan",
            "--from-aws-config",
            "--format",
            "json",
            "bucket-00[0-4]?",
            "not-recorded",
        ],
    )
    .await;
    assert_eq!(run.code, 1, "logging is off: {}", run.stderr);
    assert_eq!(fake.batch_sizes(), vec![50]);
    assert!(
        run.stderr.contains("no bucket matches 'not-recorded'"),
        "{}",
        run.stderr
    );
    let buckets: BTreeSet<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["bucket"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(buckets.len(), 50);
}

#[tokio::test]
async fn an_unreadable_aws_config_is_exit_3_in_one_line() {
    let (server, _fake) = serve(FakeConfig {
        buckets: own_buckets(3),
        aggregator: Some("org".into()),
        ..FakeConfig::default()
    })
    .await;
    let dir = crate::support::TempDir::new("config-bad");
    let report = dir.path("report.json");
    let run = crate::support::s3tk(
        &server.uri(),
        &[
            "scan",
            "--from-aws-config",
            "--aggregator",
            "nope",
            "--format",
            &format!("json={report}"),
        ],
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: could not read AWS Config aggregator nope: ListAggregateDiscoveredResources failed: \
         NoSuchConfigurationAggregatorException: AWS Config has no configuration aggregator named 'nope' in this region\n"
    );
    assert!(!std::path::Path::new(&report).exists());
}

//! A fake of AWS Config's JSON protocol (awsJson1_1, the operation in
//! `X-Amz-Target: StarlingDoveService.<Operation>`) for `AWS::S3::Bucket` configuration items in
//! AWS's documented shapes: pagination, aggregators across accounts and regions, a batch that
//! fails for one bucket, unprocessed keys, and errors. `config.rs` holds its tests.

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers::any};

pub const OWN_ACCOUNT: &str = "111122223333";
const PAGE: usize = 100;

/// One recorded bucket: (account, region, name).
pub type Recorded = (String, String, String);

#[derive(Default)]
pub struct FakeConfig {
    pub buckets: Vec<Recorded>,
    /// Accounts whose AWS::S3::AccountPublicAccessBlock is recorded (in every region seen).
    pub account_pab: BTreeSet<String>,
    pub aggregator: Option<String>,
    /// A bucket whose presence in a batch makes Config answer HTTP 500.
    pub poisoned: Option<String>,
    /// Buckets left unprocessed the first time they are asked for.
    pub unprocessed_once: Mutex<BTreeSet<String>>,
    /// The error every request gets: (HTTP status, __type).
    pub failing: Option<(u16, &'static str)>,
    /// (operation, the number of keys of a batch).
    pub log: Mutex<Vec<(String, usize)>>,
    /// Supplementary configuration entries that replace the default ones of a bucket's item.
    pub supplementary: BTreeMap<String, Value>,
    /// How long every answer takes.
    pub latency: Duration,
}

impl FakeConfig {
    pub fn count(&self, operation: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(op, _)| op == operation)
            .count()
    }

    pub fn batch_sizes(&self) -> Vec<usize> {
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
pub async fn serve(fake: FakeConfig) -> (MockServer, std::sync::Arc<FakeConfig>) {
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

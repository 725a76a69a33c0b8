//! A stateful fake of the S3 HTTP API on wiremock: an in-memory model of buckets answers
//! path-style requests with XML shaped like S3's, so every integration test drives the real
//! SDK, the real cache and the real checks. Requests signed for the wrong region get the 301
//! `PermanentRedirect` S3 sends, which proves per-region clients. Faults (an error code for one
//! facet, a number of throttled answers) and latency can be injected per bucket.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const ACCOUNT_ID: &str = "123456789012";
pub const OWNER_ID: &str = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// An injected error answer for one facet (the S3 sub-resource name, e.g. `acl`, `policy`).
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub code: &'static str,
    /// How many requests get the fault before normal answers resume (`None`: all of them).
    pub times: Option<usize>,
    /// Whether the answer names the bucket's region (S3 does; some S3-compatible stores don't).
    pub region_header: bool,
}

#[derive(Debug, Clone, Default)]
pub struct FakeBucket {
    pub region: String,
    /// (grantee group URI, permission), on top of the owner's FULL_CONTROL.
    pub group_grants: Vec<(&'static str, &'static str)>,
    pub policy: Option<String>,
    /// What GetBucketPolicyStatus answers when a policy exists; `None` answers like a store
    /// without that API (501 NotImplemented).
    pub policy_is_public: Option<bool>,
    pub logging: Option<(String, String)>,
    pub versioning: Option<&'static str>,
    pub faults: HashMap<&'static str, Fault>,
    /// A 200 answer with this body instead of the modelled one, per facet.
    pub raw: HashMap<&'static str, &'static str>,
    /// The region ListBuckets reports, when it should differ from the real one (stale data).
    pub listed_region: Option<String>,
}

impl FakeBucket {
    pub fn new(region: &str) -> Self {
        FakeBucket {
            region: region.into(),
            ..Default::default()
        }
    }
    pub fn public_read(mut self) -> Self {
        self.group_grants.push((ALL_USERS, "READ"));
        self
    }
    pub fn grant_authenticated(mut self, permission: &'static str) -> Self {
        self.group_grants.push((AUTHENTICATED_USERS, permission));
        self
    }
    pub fn log_delivery(mut self) -> Self {
        self.group_grants.push((LOG_DELIVERY, "WRITE"));
        self.group_grants.push((LOG_DELIVERY, "READ_ACP"));
        self
    }
    pub fn policy(mut self, json: &str, aws_says_public: Option<bool>) -> Self {
        self.policy = Some(json.into());
        self.policy_is_public = aws_says_public;
        self
    }
    pub fn logging(mut self, target: &str, prefix: &str) -> Self {
        self.logging = Some((target.into(), prefix.into()));
        self
    }
    pub fn versioning(mut self, status: &'static str) -> Self {
        self.versioning = Some(status);
        self
    }
    pub fn fault(mut self, facet: &'static str, status: u16, code: &'static str) -> Self {
        let fault = Fault {
            status,
            code,
            times: None,
            region_header: true,
        };
        self.faults.insert(facet, fault);
        self
    }
    pub fn fault_times(
        mut self,
        facet: &'static str,
        status: u16,
        code: &'static str,
        times: usize,
    ) -> Self {
        let fault = Fault {
            status,
            code,
            times: Some(times),
            region_header: true,
        };
        self.faults.insert(facet, fault);
        self
    }
    /// HeadBucket answers a bare 403 without naming the region.
    pub fn head_denied_without_region(mut self) -> Self {
        let fault = Fault {
            status: 403,
            code: "AccessDenied",
            times: None,
            region_header: false,
        };
        self.faults.insert("", fault);
        self
    }
    pub fn raw(mut self, facet: &'static str, body: &'static str) -> Self {
        self.raw.insert(facet, body);
        self
    }
    pub fn listed_in(mut self, region: &str) -> Self {
        self.listed_region = Some(region.into());
        self
    }
}

#[derive(Debug, Default)]
struct Model {
    buckets: BTreeMap<String, FakeBucket>,
    /// ListBuckets page size (S3 allows up to 10,000; small values exercise pagination).
    page_size: usize,
    /// Whether ListBuckets reports `BucketRegion` (real S3 does; moto does not).
    list_regions: bool,
    latency: Duration,
    /// Requests signed with these access keys get 403 InvalidAccessKeyId.
    rejected_keys: Vec<String>,
}

/// The fake server. Cloning shares the model.
#[derive(Clone)]
pub struct FakeS3 {
    server: Arc<MockServer>,
    model: Arc<Mutex<Model>>,
}

impl FakeS3 {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let model = Arc::new(Mutex::new(Model {
            page_size: 1000,
            list_regions: true,
            ..Default::default()
        }));
        Mock::given(any())
            .respond_with(Responder(Arc::clone(&model)))
            .mount(&server)
            .await;
        FakeS3 {
            server: Arc::new(server),
            model,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn bucket(&self, name: &str, bucket: FakeBucket) -> &Self {
        self.model
            .lock()
            .unwrap()
            .buckets
            .insert(name.into(), bucket);
        self
    }

    pub fn page_size(&self, n: usize) -> &Self {
        self.model.lock().unwrap().page_size = n;
        self
    }

    pub fn list_regions(&self, on: bool) -> &Self {
        self.model.lock().unwrap().list_regions = on;
        self
    }

    pub fn reject_access_key(&self, key: &str) -> &Self {
        self.model.lock().unwrap().rejected_keys.push(key.into());
        self
    }

    pub fn latency(&self, delay: Duration) -> &Self {
        self.model.lock().unwrap().latency = delay;
        self
    }

    /// Every request received so far, as `METHOD /path?query`.
    pub async fn requests(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let query = r.url.query().map(|q| format!("?{q}")).unwrap_or_default();
                format!("{} {}{query}", r.method, r.url.path())
            })
            .collect()
    }

    /// The region each request was signed for, in arrival order.
    pub async fn signed_regions(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(signed_region)
            .collect()
    }

    /// The access key ids that signed the requests received so far, deduplicated.
    pub async fn access_keys(&self) -> Vec<String> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        let mut keys: Vec<String> = requests.iter().filter_map(access_key).collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// How many requests targeted `bucket`'s sub-resource (`acl`, `policy`, …; `""` for HEAD).
    pub async fn count(&self, bucket: &str, subresource: &str) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| route(r).is_some_and(|(b, s)| b == bucket && s == subresource))
            .count()
    }
}

/// (bucket, sub-resource) of a path-style bucket request; `None` for ListBuckets.
fn route(req: &Request) -> Option<(String, String)> {
    let bucket = req
        .url
        .path()
        .trim_matches('/')
        .split('/')
        .next()
        .filter(|b| !b.is_empty())?;
    let sub = req
        .url
        .query_pairs()
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default();
    Some((bucket.to_owned(), sub))
}

/// The access key id that signed the request.
fn access_key(req: &Request) -> Option<String> {
    let auth = req.headers.get("authorization")?.to_str().ok()?;
    Some(
        auth.split("Credential=")
            .nth(1)?
            .split('/')
            .next()?
            .to_owned(),
    )
}

/// The region the request was signed for (SigV4 credential scope).
fn signed_region(req: &Request) -> Option<String> {
    let auth = req.headers.get("authorization")?.to_str().ok()?;
    let scope = auth.split("Credential=").nth(1)?;
    scope.split('/').nth(2).map(str::to_owned)
}

struct Responder(Arc<Mutex<Model>>);

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut model = self.0.lock().unwrap();
        let latency = model.latency;
        respond(&mut model, req).set_delay(latency)
    }
}

fn respond(model: &mut Model, req: &Request) -> ResponseTemplate {
    let method = req.method.as_str();
    if access_key(req).is_some_and(|k| model.rejected_keys.contains(&k)) {
        let template = ResponseTemplate::new(403);
        return if method == "HEAD" {
            template
        } else {
            with_error_body(
                template,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            )
        };
    }
    let Some((name, sub)) = route(req) else {
        return match method {
            "GET" => list_buckets(model, req),
            // The CLI's endpoint override applies to STS too: answer GetCallerIdentity.
            "POST" if String::from_utf8_lossy(&req.body).contains("Action=GetCallerIdentity") => {
                ResponseTemplate::new(200).set_body_raw(
                    format!(
                        r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT_ID}:user/auditor</Arn><UserId>AIDAFAKEUSER</UserId><Account>{ACCOUNT_ID}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#
                    ),
                    "text/xml",
                )
            }
            _ => error(405, "MethodNotAllowed", "not supported by the fake"),
        };
    };
    let head = method == "HEAD";
    let Some(bucket) = model.buckets.get_mut(&name) else {
        return if head {
            ResponseTemplate::new(404)
        } else {
            error(404, "NoSuchBucket", "The specified bucket does not exist")
        };
    };
    // S3 names the bucket's region on wrong-region answers; the Rust SDK does not follow them.
    if signed_region(req).as_deref() != Some(bucket.region.as_str()) {
        let redirect =
            ResponseTemplate::new(301).insert_header("x-amz-bucket-region", bucket.region.as_str());
        return if head {
            redirect
        } else {
            with_error_body(
                redirect,
                "PermanentRedirect",
                "The bucket you are attempting to access must be addressed using the specified endpoint.",
            )
        };
    }
    if let Some(fault) = bucket.faults.get_mut(sub.as_str()) {
        let active = fault.times.is_none_or(|n| n > 0);
        if let Some(n) = fault.times.as_mut() {
            *n = n.saturating_sub(1);
        }
        if active {
            let mut template = ResponseTemplate::new(fault.status);
            if fault.region_header {
                template = template.insert_header("x-amz-bucket-region", bucket.region.as_str());
            }
            return if head {
                template
            } else {
                with_error_body(template, fault.code, "injected fault")
            };
        }
    }
    if let Some(body) = bucket.raw.get(sub.as_str()) {
        return xml(body.to_string());
    }
    match (method, sub.as_str()) {
        ("HEAD", "") => {
            ResponseTemplate::new(200).insert_header("x-amz-bucket-region", bucket.region.as_str())
        }
        ("GET", "acl") => xml(acl_xml(bucket)),
        ("GET", "policy") => match &bucket.policy {
            Some(p) => ResponseTemplate::new(200).set_body_raw(p.clone(), "application/json"),
            None => error(
                404,
                "NoSuchBucketPolicy",
                "The bucket policy does not exist",
            ),
        },
        ("GET", "policyStatus") => match (&bucket.policy, bucket.policy_is_public) {
            (None, _) => error(
                404,
                "NoSuchBucketPolicy",
                "The bucket policy does not exist",
            ),
            (Some(_), None) => error(
                501,
                "NotImplemented",
                "A header you provided implies functionality that is not implemented",
            ),
            (Some(_), Some(public)) => xml(format!(
                "<PolicyStatus><IsPublic>{public}</IsPublic></PolicyStatus>"
            )),
        },
        ("GET", "logging") => xml(match &bucket.logging {
            Some((target, prefix)) => format!(
                r#"<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LoggingEnabled><TargetBucket>{}</TargetBucket><TargetPrefix>{}</TargetPrefix></LoggingEnabled></BucketLoggingStatus>"#,
                escape(target),
                escape(prefix)
            ),
            None => {
                r#"<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#.into()
            }
        }),
        ("GET", "versioning") => xml(match bucket.versioning {
            Some(status) => format!(
                r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>{status}</Status></VersioningConfiguration>"#
            ),
            None => r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#
                .into(),
        }),
        _ => error(501, "NotImplemented", "not supported by the fake"),
    }
}

fn list_buckets(model: &Model, req: &Request) -> ResponseTemplate {
    let query: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
    let start = query.get("continuation-token").cloned().unwrap_or_default();
    let limit = query
        .get("max-buckets")
        .and_then(|m| m.parse().ok())
        .unwrap_or(usize::MAX)
        .min(model.page_size);
    let names: Vec<(&String, &FakeBucket)> = model
        .buckets
        .iter()
        .filter(|(n, _)| n.as_str() > start.as_str())
        .collect();
    let page = &names[..names.len().min(limit)];
    let mut body = format!(
        r#"<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>{OWNER_ID}</ID></Owner><Buckets>"#
    );
    for (name, bucket) in page {
        body += &format!(
            "<Bucket><Name>{}</Name><CreationDate>2024-05-01T10:00:00.000Z</CreationDate>",
            escape(name)
        );
        if model.list_regions {
            body += &format!(
                "<BucketRegion>{}</BucketRegion>",
                bucket.listed_region.as_ref().unwrap_or(&bucket.region)
            );
        }
        body += "</Bucket>";
    }
    body += "</Buckets>";
    if names.len() > page.len() {
        // The token is the last name of this page: the next page starts after it.
        body += &format!(
            "<ContinuationToken>{}</ContinuationToken>",
            escape(page.last().unwrap().0)
        );
    }
    body += "</ListAllMyBucketsResult>";
    xml(body)
}

fn acl_xml(bucket: &FakeBucket) -> String {
    let grant = |grantee: String, permission: &str| {
        format!(
            r#"<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" {grantee}</Grantee><Permission>{permission}</Permission></Grant>"#
        )
    };
    let mut grants = grant(
        format!(r#"xsi:type="CanonicalUser"><ID>{OWNER_ID}</ID>"#),
        "FULL_CONTROL",
    );
    for (uri, permission) in &bucket.group_grants {
        grants += &grant(format!(r#"xsi:type="Group"><URI>{uri}</URI>"#), permission);
    }
    format!(
        r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>{OWNER_ID}</ID></Owner><AccessControlList>{grants}</AccessControlList></AccessControlPolicy>"#
    )
}

fn xml(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        format!(r#"<?xml version="1.0" encoding="UTF-8"?>{body}"#),
        "application/xml",
    )
}

fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    with_error_body(ResponseTemplate::new(status), code, message)
}

fn with_error_body(template: ResponseTemplate, code: &str, message: &str) -> ResponseTemplate {
    template.set_body_raw(
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{}</Message><RequestId>FAKE</RequestId></Error>"#,
            escape(message)
        ),
        "application/xml",
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

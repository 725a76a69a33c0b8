//! A stateful fake of the S3 HTTP API on wiremock: an in-memory model of buckets answers
//! path-style requests with XML shaped like S3's, so every integration test drives the real
//! SDK, the real cache and the real checks. Requests signed for the wrong region get the 301
//! `PermanentRedirect` S3 sends, which proves per-region clients. Faults (an error code for one
//! facet, a number of throttled answers) and latency can be injected per bucket.

#[path = "fake_objects.rs"]
mod objects;
#[path = "fake_services.rs"]
mod services;

pub use objects::{FakeObject, Ignores, Synthetic, Upload};
use s3tk::model::{
    AccessPoint, Acl, DefaultEncryption, Grant, Grantee, LifecycleRule, Notifications, ObjectLock,
    PublicAccessBlock, ReplicationRule, Website,
};
pub use services::{FakeRecord, FakeTrail, FakeZone, Published};
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

fn group(uri: &str, permission: &str) -> Grant {
    Grant {
        grantee: Grantee::Group { uri: uri.into() },
        permission: permission.into(),
    }
}

/// An injected error answer for one facet (the S3 sub-resource name, e.g. `acl`, `policy`).
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub code: String,
    /// How many requests get the fault before normal answers resume (`None`: all of them).
    pub times: Option<usize>,
    /// Whether the answer names the bucket's region (S3 does; some S3-compatible stores don't).
    pub region_header: bool,
}

#[derive(Debug, Clone, Default)]
pub struct FakeBucket {
    pub region: String,
    /// (grantee group URI, permission), on top of the owner's FULL_CONTROL.
    pub grants: Vec<Grant>,
    /// An ACL answered exactly as given (a recorded one) instead of the owner's FULL_CONTROL
    /// plus `grants`; a PutBucketAcl replaces it.
    pub acl: Option<Acl>,
    pub policy: Option<String>,
    /// What GetBucketPolicyStatus answers when a policy exists; `None` answers like a store
    /// without that API (501 NotImplemented).
    pub policy_is_public: Option<bool>,
    pub logging: Option<(String, String)>,
    pub versioning: Option<&'static str>,
    pub faults: HashMap<&'static str, Fault>,
    /// A 200 answer with this body instead of the modelled one, per facet.
    pub raw: HashMap<&'static str, String>,
    /// The region ListBuckets reports, when it should differ from the real one (stale data).
    pub listed_region: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
    pub ownership: Option<String>,
    pub encryption: Option<DefaultEncryption>,
    /// Its default retention is "MODE for N days" or "MODE for N years", as s3tk words it.
    pub object_lock: Option<ObjectLock>,
    pub lifecycle: Option<Vec<LifecycleRule>>,
    pub replication: Option<Vec<ReplicationRule>>,
    pub notifications: Notifications,
    pub website: Option<Website>,
    /// `MfaDelete` in GetBucketVersioning's answer; `None` leaves it out (never configured).
    pub mfa_delete: Option<bool>,
    pub access_points: Vec<AccessPoint>,
    /// ListBuckets leaves it out (a recorded bucket list that does not name it).
    pub unlisted: bool,
    /// An error (status, code) for ListAccessPoints of this bucket.
    pub access_points_fault: Option<(u16, String)>,
    /// Each key's versions, oldest first (see `fake_objects`).
    pub objects: BTreeMap<String, Vec<FakeObject>>,
    pub synthetic: Option<Synthetic>,
    /// The account that owns it (ListBuckets of that account lists it); `None` is ACCOUNT_ID.
    pub account: Option<String>,
    /// Keys that another writer replaces right after their next HeadObject.
    pub concurrent_writes: Vec<String>,
    /// operation → (status, code, normal answers first, faulty answers)
    pub object_faults: HashMap<&'static str, (u16, &'static str, usize, usize)>,
    /// operation → (status, code, every how many requests, requests so far): a steady
    /// fraction of failing answers, deterministic.
    pub periodic_faults: HashMap<&'static str, (u16, &'static str, usize, usize)>,
    /// Multipart uploads in progress, by upload id.
    pub uploads: HashMap<String, Upload>,
    /// Object-level IAM actions the caller lacks here (`s3:GetObjectRetention`, …): their
    /// requests get 403, and HeadObject leaves out what they would reveal, as S3 does.
    pub denied_object_actions: Vec<&'static str>,
    /// What an unfaithful S3-compatible store ignores (see [`Ignores`]).
    pub ignores: Ignores,
}

impl FakeBucket {
    pub fn block(mut self, block: PublicAccessBlock) -> Self {
        self.public_access_block = Some(block);
        self
    }
    pub fn ownership(mut self, ownership: &str) -> Self {
        self.ownership = Some(ownership.to_owned());
        self
    }
    pub fn encryption(mut self, algorithm: &str, key: Option<&str>, bucket_key: bool) -> Self {
        self.encryption = Some(DefaultEncryption {
            algorithm: Some(algorithm.to_owned()),
            kms_key_id: key.map(str::to_owned),
            bucket_key_enabled: bucket_key,
            blocked_encryption_types: Vec::new(),
        });
        self
    }
    pub fn object_lock(mut self, retention_days: Option<u32>) -> Self {
        self.object_lock = Some(ObjectLock {
            enabled: true,
            default_retention: retention_days.map(|d| format!("GOVERNANCE for {d} days")),
        });
        self
    }
    pub fn lifecycle_rule(mut self, id: &str, enabled: bool, expires_noncurrent: bool) -> Self {
        self.lifecycle
            .get_or_insert_with(Vec::new)
            .push(LifecycleRule {
                id: Some(id.to_owned()),
                enabled,
                expires_noncurrent_versions: expires_noncurrent,
                expires_current_versions: false,
                aborts_incomplete_uploads: false,
            });
        self
    }
    pub fn replication(mut self, destination: &str) -> Self {
        self.replication = Some(vec![ReplicationRule {
            id: Some("all".into()),
            enabled: true,
            destination_bucket: destination.to_owned(),
        }]);
        self
    }
    pub fn event_bridge(mut self) -> Self {
        self.notifications.event_bridge = true;
        self
    }
    pub fn website(mut self, index: &str) -> Self {
        self.website = Some(Website {
            index_document: Some(index.to_owned()),
            redirect_all_to: None,
        });
        self
    }
    pub fn access_point(mut self, name: &str, block: PublicAccessBlock) -> Self {
        self.access_points.push(AccessPoint {
            name: name.to_owned(),
            network_origin: "Internet".into(),
            public_access_block: block,
        });
        self
    }

    /// A bucket that passes every check: Block Public Access, ACLs disabled, a policy that
    /// denies HTTP and unencrypted uploads, SSE-KMS with a Bucket Key and SSE-C blocked,
    /// logging to `central-logs` (which exists, in another account), versioning with MFA
    /// delete, Object Lock, a lifecycle rule, replication to `replica` (in another Region) and
    /// EventBridge notifications.
    pub fn hardened(name: &str, region: &str) -> Self {
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"AllowSSLRequestsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{name}","arn:aws:s3:::{name}/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}},{{"Sid":"DenyUnencryptedUploads","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::{name}/*","Condition":{{"Null":{{"s3:x-amz-server-side-encryption":"true"}}}}}}]}}"#
        );
        let mut bucket = FakeBucket::new(region)
            .block(PublicAccessBlock::ALL_ON)
            .ownership("BucketOwnerEnforced")
            .policy(&policy, Some(false))
            .encryption(
                "aws:kms",
                Some("arn:aws:kms:us-east-1:123456789012:key/k"),
                true,
            )
            .logging("central-logs", &format!("{name}/"))
            .versioning("Enabled")
            .object_lock(Some(30))
            .lifecycle_rule("expire-old-versions", true, true)
            .replication("arn:aws:s3:::replica")
            .event_bridge();
        bucket.mfa_delete = Some(true);
        if let Some(rule) = &mut bucket.encryption {
            rule.blocked_encryption_types = vec!["SSE-C".into()];
        }
        bucket
    }

    pub fn new(region: &str) -> Self {
        FakeBucket {
            region: region.into(),
            ..Default::default()
        }
    }

    /// Owned by another account (listed only to that account's credentials).
    pub fn in_account(mut self, account: &str) -> Self {
        self.account = Some(account.into());
        self
    }
    pub fn public_read(mut self) -> Self {
        self.grants.push(group(ALL_USERS, "READ"));
        self
    }
    pub fn grant_all_users(mut self, permission: &'static str) -> Self {
        self.grants.push(group(ALL_USERS, permission));
        self
    }
    pub fn grant_authenticated(mut self, permission: &'static str) -> Self {
        self.grants.push(group(AUTHENTICATED_USERS, permission));
        self
    }
    pub fn log_delivery(mut self) -> Self {
        self.grants.push(group(LOG_DELIVERY, "WRITE"));
        self.grants.push(group(LOG_DELIVERY, "READ_ACP"));
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
    pub fn fault(mut self, facet: &'static str, status: u16, code: &str) -> Self {
        let fault = Fault {
            status,
            code: code.to_owned(),
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
            code: code.to_owned(),
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
            code: "AccessDenied".into(),
            times: None,
            region_header: false,
        };
        self.faults.insert("", fault);
        self
    }
    pub fn raw(mut self, facet: &'static str, body: &str) -> Self {
        self.raw.insert(facet, body.to_owned());
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
    /// ListObjectsV2 / ListObjectVersions page size (S3's is 1,000).
    object_page_size: usize,
    /// Requests answered (also when request recording is off).
    answered: usize,
    /// Whether ListBuckets reports `BucketRegion` (real S3 does; moto does not).
    list_regions: bool,
    latency: Duration,
    /// Requests signed with these access keys get 403 InvalidAccessKeyId.
    rejected_keys: Vec<String>,
    /// The account-level Block Public Access (S3 Control).
    account_block: Option<PublicAccessBlock>,
    /// An error (status, code) for every S3 Control request.
    control_fault: Option<(u16, &'static str)>,
    /// Errors (status, code) for the S3 Control requests whose path (after `/v20180820/`)
    /// starts with the key.
    control_path_faults: Vec<(String, u16, String)>,
    /// An error (status, code) for STS GetCallerIdentity.
    caller_identity_fault: Option<(u16, String)>,
    /// An error (status, code) for ListBuckets.
    list_fault: Option<(u16, String)>,
    /// The answer (status, code) to a request for a bucket the model does not hold, by name;
    /// `unknown_buckets` for the others (404 NoSuchBucket when `None`).
    bucket_faults: HashMap<String, (u16, String)>,
    unknown_buckets: Option<(u16, String)>,
    /// Multi-Region Access Points: (name, Block Public Access).
    multi_region_access_points: Vec<(String, PublicAccessBlock)>,
    /// Buckets that exist in other accounts (HeadBucket answers 403 with their region), e.g.
    /// a central log bucket.
    foreign: HashMap<String, String>,
    /// Route 53, CloudTrail and SNS.
    services: services::Services,
    /// Plain files GetObject serves, by (bucket, key): inventory manifests and data files.
    files: HashMap<(String, String), Vec<u8>>,
    /// Accounts whose role AssumeRole refuses.
    denied_roles: Vec<String>,
    /// S3 Batch Operations jobs created: (job id, CreateJob request body, signed region).
    jobs: Vec<(String, String, String)>,
    /// DescribeJob answers by job id (the `<Job>` element's content), in turn: each answer but
    /// the last is given once.
    job_states: HashMap<String, Vec<String>>,
}

/// The fake server. Cloning shares the model.
#[derive(Clone)]
pub struct FakeS3 {
    server: Arc<MockServer>,
    model: Arc<Mutex<Model>>,
}

impl FakeS3 {
    pub async fn start() -> Self {
        Self::start_with(MockServer::start().await).await
    }

    /// A server that keeps no record of requests (for benchmarks of millions of requests);
    /// [`FakeS3::answered`] still counts them.
    pub async fn start_unrecorded() -> Self {
        Self::start_with(
            MockServer::builder()
                .disable_request_recording()
                .start()
                .await,
        )
        .await
    }

    async fn start_with(server: MockServer) -> Self {
        // The account starts hardened, `central-logs` exists elsewhere and `replica` in
        // another Region, so hardened buckets pass every check; tests about those change them.
        let model = Arc::new(Mutex::new(Model {
            page_size: 1000,
            object_page_size: 1000,
            list_regions: true,
            account_block: Some(PublicAccessBlock::ALL_ON),
            foreign: HashMap::from([
                ("central-logs".to_owned(), "us-east-1".to_owned()),
                ("replica".to_owned(), "us-west-2".to_owned()),
            ]),
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

    pub fn object_page_size(&self, n: usize) -> &Self {
        self.model.lock().unwrap().object_page_size = n;
        self
    }

    /// How many requests the fake answered.
    pub fn answered(&self) -> usize {
        self.model.lock().unwrap().answered
    }

    /// The current version of an object, as stored.
    pub fn object(&self, bucket: &str, key: &str) -> Option<FakeObject> {
        self.versions(bucket, key).pop()
    }

    /// Every version of an object, oldest first.
    pub fn versions(&self, bucket: &str, key: &str) -> Vec<FakeObject> {
        self.model.lock().unwrap().buckets[bucket]
            .objects
            .get(key)
            .cloned()
            .unwrap_or_default()
    }

    /// Multipart uploads still open in a bucket.
    pub fn open_uploads(&self, bucket: &str) -> usize {
        self.model.lock().unwrap().buckets[bucket].uploads.len()
    }

    /// How many requests carried `header` (e.g. `x-amz-copy-source`: the copies).
    pub async fn count_with_header(&self, header: &str) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.headers.contains_key(header))
            .count()
    }

    pub fn page_size(&self, n: usize) -> &Self {
        self.model.lock().unwrap().page_size = n;
        self
    }

    pub fn list_regions(&self, on: bool) -> &Self {
        self.model.lock().unwrap().list_regions = on;
        self
    }

    pub fn account_block(&self, block: Option<PublicAccessBlock>) -> &Self {
        self.model.lock().unwrap().account_block = block;
        self
    }

    pub fn multi_region_access_point(&self, name: &str, block: PublicAccessBlock) -> &Self {
        self.model
            .lock()
            .unwrap()
            .multi_region_access_points
            .push((name.into(), block));
        self
    }

    pub fn control_fault(&self, status: u16, code: &'static str) -> &Self {
        self.model.lock().unwrap().control_fault = Some((status, code));
        self
    }

    /// An error for the S3 Control requests whose path (after `/v20180820/`) starts with
    /// `prefix`: `configuration/publicAccessBlock`, `mrap`, `accesspoint`.
    pub fn control_fault_on(&self, prefix: &str, status: u16, code: &str) -> &Self {
        self.model
            .lock()
            .unwrap()
            .control_path_faults
            .push((prefix.into(), status, code.into()));
        self
    }

    /// An error for STS GetCallerIdentity.
    pub fn caller_identity_fault(&self, status: u16, code: &str) -> &Self {
        self.model.lock().unwrap().caller_identity_fault = Some((status, code.into()));
        self
    }

    /// An error for ListBuckets.
    pub fn list_fault(&self, status: u16, code: &str) -> &Self {
        self.model.lock().unwrap().list_fault = Some((status, code.into()));
        self
    }

    /// The answer to requests for `name`, a bucket the model does not hold, instead of 404.
    pub fn bucket_fault(&self, name: &str, status: u16, code: &str) -> &Self {
        self.model
            .lock()
            .unwrap()
            .bucket_faults
            .insert(name.into(), (status, code.into()));
        self
    }

    /// The answer to requests for any other bucket the model does not hold, instead of 404.
    pub fn unknown_buckets(&self, status: u16, code: &str) -> &Self {
        self.model.lock().unwrap().unknown_buckets = Some((status, code.into()));
        self
    }

    /// Makes DescribeTrails answer only in the regions of `regions`: normally, or with the
    /// error (status, code) given; in any other region, with `elsewhere`.
    pub fn trail_regions(
        &self,
        regions: HashMap<String, Option<(u16, String)>>,
        elsewhere: (u16, &str),
    ) -> &Self {
        let mut model = self.model.lock().unwrap();
        model.services.trail_regions = Some(regions);
        model.services.trail_fault_elsewhere = (elsewhere.0, elsewhere.1.to_owned());
        self
    }

    /// How many S3 Control requests went to `path` (after `/v20180820/`).
    pub async fn control_count(&self, path: &str) -> usize {
        let wanted = format!("/v20180820/{path}");
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests.iter().filter(|r| r.url.path() == wanted).count()
    }

    pub fn reject_access_key(&self, key: &str) -> &Self {
        self.model.lock().unwrap().rejected_keys.push(key.into());
        self
    }

    pub fn latency(&self, delay: Duration) -> &Self {
        self.model.lock().unwrap().latency = delay;
        self
    }

    /// Makes AssumeRole refuse the role in `account`.
    pub fn deny_role_in(&self, account: &str) -> &Self {
        self.model.lock().unwrap().denied_roles.push(account.into());
        self
    }

    /// The accounts of the organization (ListAccounts): (id, state).
    pub fn organization(&self, accounts: &[(&str, &str)]) -> &Self {
        self.model.lock().unwrap().services.organization = accounts
            .iter()
            .map(|(id, state)| (id.to_string(), state.to_string()))
            .collect();
        self
    }

    /// A file as stored (uploaded, or served).
    pub fn file_body(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.model
            .lock()
            .unwrap()
            .files
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned()
    }

    /// The Batch Operations jobs created: (job id, CreateJob request XML, signed region).
    pub fn jobs(&self) -> Vec<(String, String, String)> {
        self.model.lock().unwrap().jobs.clone()
    }

    /// What DescribeJob answers for `id` (the content of `<Job>` after `<JobId>`).
    pub fn job_state(&self, id: &str, job_xml: &str) -> &Self {
        self.job_states_in_turn(id, &[job_xml])
    }

    /// What DescribeJob answers for `id`, one answer per request, the last one from then on.
    pub fn job_states_in_turn(&self, id: &str, job_xmls: &[&str]) -> &Self {
        self.model.lock().unwrap().job_states.insert(
            id.into(),
            job_xmls.iter().map(|x| (*x).to_owned()).collect(),
        );
        self
    }

    /// A file GetObject serves from `bucket` (which must exist), outside the object model.
    pub fn file(&self, bucket: &str, key: &str, body: Vec<u8>) -> &Self {
        self.model
            .lock()
            .unwrap()
            .files
            .insert((bucket.into(), key.into()), body);
        self
    }

    /// A Route 53 hosted zone with its records (`name` with the trailing dot, as Route 53 has it).
    pub fn zone(&self, id: &str, name: &str, private: bool, records: Vec<FakeRecord>) -> &Self {
        self.model.lock().unwrap().services.zones.push(FakeZone {
            id: id.into(),
            name: name.into(),
            private,
            records,
        });
        self
    }

    /// Route 53 page sizes for hosted zones and record sets.
    pub fn route53_page_sizes(&self, zones: usize, records: usize) -> &Self {
        let mut model = self.model.lock().unwrap();
        model.services.zone_page_size = zones;
        model.services.record_page_size = records;
        self
    }

    pub fn route53_fault(&self, status: u16, code: &'static str) -> &Self {
        self.model.lock().unwrap().services.route53_fault = Some((status, code));
        self
    }

    /// Marks a bucket as existing in another account (HeadBucket answers 403 with its region).
    pub fn foreign_bucket(&self, name: &str, region: &str) -> &Self {
        self.model
            .lock()
            .unwrap()
            .foreign
            .insert(name.into(), region.into());
        self
    }

    pub fn trail(&self, trail: FakeTrail) -> &Self {
        self.model.lock().unwrap().services.trails.push(trail);
        self
    }

    /// An error for one CloudTrail operation (`*` for all).
    pub fn cloudtrail_fault(
        &self,
        operation: &'static str,
        status: u16,
        code: &'static str,
    ) -> &Self {
        self.model.lock().unwrap().services.cloudtrail_fault = Some((operation, status, code));
        self
    }

    pub fn sns_fault(&self, status: u16, code: &'static str) -> &Self {
        self.model.lock().unwrap().services.sns_fault = Some((status, code));
        self
    }

    /// The messages published to SNS.
    pub fn published(&self) -> Vec<Published> {
        self.model.lock().unwrap().services.published.clone()
    }

    /// The AWS operation of every request received so far, named as `Facet::operation` names
    /// them (object-level requests as `METHOD /path`).
    pub async fn operations(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| services::operation(r).unwrap_or_else(|| s3_operation(r)))
            .collect()
    }

    /// Every request received so far: its operation, the (bucket, key) of an S3 request
    /// (`None` for another service's, or for ListBuckets), and its body.
    pub async fn sent(&self) -> Vec<(String, Option<(String, Option<String>)>, String)> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let (operation, target) = match services::operation(r) {
                    Some(operation) => (operation, None),
                    None => (
                        s3_operation(r),
                        route(r).map(|(bucket, _)| (bucket, objects::object_key(r))),
                    ),
                };
                (
                    operation,
                    target,
                    String::from_utf8_lossy(&r.body).into_owned(),
                )
            })
            .collect()
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

    /// The bucket's policy as stored.
    pub fn policy_of(&self, bucket: &str) -> Option<String> {
        self.model
            .lock()
            .unwrap()
            .buckets
            .get(bucket)
            .and_then(|b| b.policy.clone())
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

/// The bucket sub-resources of S3's REST API (the query key) and the operations' common name
/// (`Get…`/`Put…`/`Delete…` it).
const SUBRESOURCES: &[(&str, &str)] = &[
    ("acl", "BucketAcl"),
    ("policy", "BucketPolicy"),
    ("policyStatus", "BucketPolicyStatus"),
    ("publicAccessBlock", "PublicAccessBlock"),
    ("ownershipControls", "BucketOwnershipControls"),
    ("encryption", "BucketEncryption"),
    ("logging", "BucketLogging"),
    ("versioning", "BucketVersioning"),
    ("object-lock", "ObjectLockConfiguration"),
    ("lifecycle", "BucketLifecycleConfiguration"),
    ("replication", "BucketReplication"),
    ("notification", "BucketNotificationConfiguration"),
    ("website", "BucketWebsite"),
];

/// The sub-resource the fake reads a bucket facet from (for [`FakeBucket::fault`]); `None`
/// for facets that are not a bucket sub-resource (S3 Control, other services).
pub fn subresource_of(facet: s3tk::facet::Facet) -> Option<&'static str> {
    SUBRESOURCES
        .iter()
        .find(|(_, name)| s3tk::facet::Facet::by_operation(&format!("Get{name}")) == Some(facet))
        .map(|(sub, _)| *sub)
}

/// The S3 operation of a bucket-level request.
fn s3_operation(req: &Request) -> String {
    let method = req.method.as_str();
    if let Some(operation) = objects::facet_operation(req) {
        return operation.to_owned();
    }
    let Some((_, sub)) = route(req) else {
        return "ListBuckets".into();
    };
    let name = match SUBRESOURCES.iter().find(|(s, _)| *s == sub) {
        _ if sub.is_empty() && method == "HEAD" => "HeadBucket",
        Some((_, name)) => name,
        None => return format!("{method} {}", req.url.path()),
    };
    match method {
        "HEAD" => name.to_owned(),
        "GET" => format!("Get{name}"),
        "PUT" => format!("Put{name}"),
        "DELETE" => format!("Delete{name}"),
        other => format!("{other} {name}"),
    }
}

/// (bucket, sub-resource) of a path-style bucket request; `None` for ListBuckets.
fn route(req: &Request) -> Option<(String, String)> {
    if req.url.path().starts_with("/v20180820/") {
        return None;
    }
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

/// The account of the credentials that signed the request: assumed-role keys are
/// `ASIA<account id>` (see AssumeRole below), anything else is ACCOUNT_ID.
fn requester_account(req: &Request) -> String {
    access_key(req)
        .and_then(|k| k.strip_prefix("ASIA").map(str::to_owned))
        .unwrap_or_else(|| ACCOUNT_ID.to_owned())
}

/// STS AssumeRole: credentials for the role's account, unless the fake denies that account.
fn assume_role(model: &Model, req: &Request) -> ResponseTemplate {
    let arn = services::form(req)
        .into_iter()
        .find_map(|(k, v)| (k == "RoleArn").then_some(v))
        .unwrap_or_default();
    let account = arn.split(':').nth(4).unwrap_or_default().to_owned();
    if model.denied_roles.contains(&account) {
        return ResponseTemplate::new(403).set_body_raw(
            format!(
                r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole on resource: {arn}</Message></Error><RequestId>fake</RequestId></ErrorResponse>"#
            ),
            "text/xml",
        );
    }
    ResponseTemplate::new(200).set_body_raw(
        format!(
            r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIA{account}</AccessKeyId><SecretAccessKey>fake-secret</SecretAccessKey><SessionToken>fake-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:s3tk-scan</AssumedRoleId><Arn>{arn}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></AssumeRoleResponse>"#
        ),
        "text/xml",
    )
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
        model.answered += 1;
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
    if let Some(answer) = services::respond(&mut model.services, req) {
        return answer;
    }
    if let Some(path) = req.url.path().strip_prefix("/v20180820/") {
        return control(model, req, path);
    }
    let Some((name, sub)) = route(req) else {
        return match method {
            "GET" => match &model.list_fault {
                Some((status, code)) => error(*status, code, "injected fault"),
                None => list_buckets(model, req),
            },
            // The CLI's endpoint override applies to STS too: answer GetCallerIdentity.
            "POST" if String::from_utf8_lossy(&req.body).contains("Action=GetCallerIdentity") => {
                if let Some((status, code)) = &model.caller_identity_fault {
                    return ResponseTemplate::new(*status).set_body_raw(
                        format!(
                            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>{code}</Code><Message>injected fault</Message></Error><RequestId>fake</RequestId></ErrorResponse>"#
                        ),
                        "text/xml",
                    );
                }
                let account = requester_account(req);
                ResponseTemplate::new(200).set_body_raw(
                    format!(
                        r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::{account}:user/auditor</Arn><UserId>AIDAFAKEUSER</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#
                    ),
                    "text/xml",
                )
            }
            "POST" if String::from_utf8_lossy(&req.body).contains("Action=AssumeRole") => {
                assume_role(model, req)
            }
            _ => error(405, "MethodNotAllowed", "not supported by the fake"),
        };
    };
    let head = method == "HEAD";
    let account_ignores_public_acls = model.account_block.is_some_and(|b| b.ignore_public_acls);
    if let (true, Some(region)) = (head, model.foreign.get(&name)) {
        return ResponseTemplate::new(403).insert_header("x-amz-bucket-region", region.as_str());
    }
    let Some(bucket) = model.buckets.get_mut(&name) else {
        let (status, code) = model
            .bucket_faults
            .get(&name)
            .or(model.unknown_buckets.as_ref())
            .map_or((404, "NoSuchBucket"), |(s, c)| (*s, c.as_str()));
        return if head {
            ResponseTemplate::new(status)
        } else {
            error(status, code, "The specified bucket does not exist")
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
    // A plain upload (a Batch Operations manifest) becomes a file.
    if let Some(key) = objects::object_key(req)
        && method == "PUT"
        && req.url.query_pairs().all(|(k, _)| k == "x-id")
        && req.headers.get("x-amz-copy-source").is_none()
    {
        let body = decode_aws_chunked(req);
        let etag = md5_hex(&body);
        model.files.insert((name.clone(), key), body);
        return ResponseTemplate::new(200).insert_header("etag", format!("\"{etag}\"").as_str());
    }
    if let Some(key) = objects::object_key(req)
        && method == "GET"
        && req.url.query_pairs().all(|(k, _)| k == "x-id")
        && let Some(body) = model.files.get(&(name.clone(), key))
    {
        return ResponseTemplate::new(200)
            .set_body_bytes(body.clone())
            .insert_header("etag", "\"file\"");
    }
    if objects::object_key(req).is_some() || objects::is_listing(req) {
        return objects::respond(model, &name, req);
    }
    // A fault keyed "PUT versioning" hits only that method; "versioning" hits every method.
    let method_key = format!("{method} {sub}");
    let key = if bucket.faults.contains_key(method_key.as_str()) {
        method_key.as_str()
    } else {
        sub.as_str()
    };
    if let Some(fault) = bucket.faults.get_mut(key) {
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
                with_error_body(template, &fault.code, "injected fault")
            };
        }
    }
    if let Some(body) = bucket.raw.get(sub.as_str()) {
        return xml(body.to_string());
    }
    if method == "PUT" {
        return put(model, &name, &sub, req);
    }
    if (method, sub.as_str()) == ("DELETE", "policy") {
        bucket.policy = None;
        bucket.policy_is_public = None;
        return ResponseTemplate::new(204);
    }
    let ns = r#"xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#;
    match (method, sub.as_str()) {
        ("GET", "publicAccessBlock") => match &bucket.public_access_block {
            Some(block) => xml(format!(
                "<PublicAccessBlockConfiguration {ns}>{}</PublicAccessBlockConfiguration>",
                block_xml(block)
            )),
            None => error(
                404,
                "NoSuchPublicAccessBlockConfiguration",
                "The public access block configuration was not found",
            ),
        },
        ("GET", "ownershipControls") => match &bucket.ownership {
            Some(o) => xml(format!(
                "<OwnershipControls {ns}><Rule><ObjectOwnership>{o}</ObjectOwnership></Rule></OwnershipControls>"
            )),
            None => error(
                404,
                "OwnershipControlsNotFoundError",
                "The bucket ownership controls were not found",
            ),
        },
        ("GET", "encryption") => match &bucket.encryption {
            Some(rule) => {
                let key = rule
                    .kms_key_id
                    .as_ref()
                    .map(|k| format!("<KMSMasterKeyID>{k}</KMSMasterKeyID>"))
                    .unwrap_or_default();
                let default = rule
                    .algorithm
                    .as_ref()
                    .map(|a| format!("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>{a}</SSEAlgorithm>{key}</ApplyServerSideEncryptionByDefault>"))
                    .unwrap_or_default();
                let blocked = if rule.blocked_encryption_types.is_empty() {
                    String::new()
                } else {
                    let types: String = rule
                        .blocked_encryption_types
                        .iter()
                        .map(|t| format!("<EncryptionType>{t}</EncryptionType>"))
                        .collect();
                    format!("<BlockedEncryptionTypes>{types}</BlockedEncryptionTypes>")
                };
                xml(format!(
                    "<ServerSideEncryptionConfiguration {ns}><Rule>{default}<BucketKeyEnabled>{}</BucketKeyEnabled>{blocked}</Rule></ServerSideEncryptionConfiguration>",
                    rule.bucket_key_enabled
                ))
            }
            None => error(
                404,
                "ServerSideEncryptionConfigurationNotFoundError",
                "The server side encryption configuration was not found",
            ),
        },
        ("GET", "object-lock") => match &bucket.object_lock {
            Some(lock) => {
                let enabled = if lock.enabled {
                    "<ObjectLockEnabled>Enabled</ObjectLockEnabled>"
                } else {
                    ""
                };
                let rule = lock
                    .default_retention
                    .as_deref()
                    .map(|r| {
                        let retention = retention_xml(r).expect("a retention the fake can answer");
                        format!("<Rule><DefaultRetention>{retention}</DefaultRetention></Rule>")
                    })
                    .unwrap_or_default();
                xml(format!(
                    "<ObjectLockConfiguration {ns}>{enabled}{rule}</ObjectLockConfiguration>"
                ))
            }
            None => error(
                404,
                "ObjectLockConfigurationNotFoundError",
                "Object Lock configuration does not exist for this bucket",
            ),
        },
        ("GET", "lifecycle") => match &bucket.lifecycle {
            Some(rules) => {
                let rules: String = rules
                    .iter()
                    .map(|rule| {
                        let id = rule.id.as_ref().map(|id| format!("<ID>{}</ID>", escape(id))).unwrap_or_default();
                        let status = if rule.enabled { "Enabled" } else { "Disabled" };
                        let mut actions = String::new();
                        if rule.expires_current_versions {
                            actions += "<Expiration><Days>365</Days></Expiration>";
                        }
                        if rule.expires_noncurrent_versions {
                            actions += "<NoncurrentVersionExpiration><NoncurrentDays>90</NoncurrentDays></NoncurrentVersionExpiration>";
                        }
                        if rule.aborts_incomplete_uploads {
                            actions += "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>";
                        }
                        format!("<Rule>{id}<Filter><Prefix></Prefix></Filter><Status>{status}</Status>{actions}</Rule>")
                    })
                    .collect();
                xml(format!(
                    "<LifecycleConfiguration {ns}>{rules}</LifecycleConfiguration>"
                ))
            }
            None => error(
                404,
                "NoSuchLifecycleConfiguration",
                "The lifecycle configuration does not exist",
            ),
        },
        ("GET", "replication") => match &bucket.replication {
            Some(rules) => {
                let rules: String = rules
                    .iter()
                    .enumerate()
                    .map(|(n, rule)| {
                        let id = rule.id.as_ref().map(|id| format!("<ID>{}</ID>", escape(id))).unwrap_or_default();
                        let status = if rule.enabled { "Enabled" } else { "Disabled" };
                        format!(
                            "<Rule>{id}<Priority>{}</Priority><Filter><Prefix></Prefix></Filter><Status>{status}</Status><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication><Destination><Bucket>{}</Bucket></Destination></Rule>",
                            n + 1,
                            escape(&rule.destination_bucket)
                        )
                    })
                    .collect();
                xml(format!(
                    "<ReplicationConfiguration {ns}><Role>arn:aws:iam::{ACCOUNT_ID}:role/replication</Role>{rules}</ReplicationConfiguration>"
                ))
            }
            None => error(
                404,
                "ReplicationConfigurationNotFoundError",
                "The replication configuration was not found",
            ),
        },
        ("GET", "notification") => xml(format!(
            "<NotificationConfiguration {ns}>{}</NotificationConfiguration>",
            notifications_xml(&bucket.notifications)
        )),
        ("GET", "website") => match &bucket.website {
            Some(site) => {
                let index = site
                    .index_document
                    .as_ref()
                    .map(|i| {
                        format!(
                            "<IndexDocument><Suffix>{}</Suffix></IndexDocument>",
                            escape(i)
                        )
                    })
                    .unwrap_or_default();
                let redirect = site
                    .redirect_all_to
                    .as_ref()
                    .map(|h| format!("<RedirectAllRequestsTo><HostName>{}</HostName></RedirectAllRequestsTo>", escape(h)))
                    .unwrap_or_default();
                xml(format!(
                    "<WebsiteConfiguration {ns}>{redirect}{index}</WebsiteConfiguration>"
                ))
            }
            None => error(
                404,
                "NoSuchWebsiteConfiguration",
                "The specified bucket does not have a website configuration",
            ),
        },
        ("HEAD", "") => {
            ResponseTemplate::new(200).insert_header("x-amz-bucket-region", bucket.region.as_str())
        }
        ("GET", "acl") => {
            // With IgnorePublicAcls in effect S3 answers the effective ACL: public grants hidden.
            let hide = account_ignores_public_acls
                || bucket
                    .public_access_block
                    .is_some_and(|b| b.ignore_public_acls);
            xml(match &bucket.acl {
                Some(acl) => access_control_policy(
                    acl.owner_id.as_deref().unwrap_or_default(),
                    acl.grants.iter(),
                ),
                None => acl_xml(bucket, hide),
            })
        }
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
        ("GET", "versioning") => {
            let status = bucket
                .versioning
                .map(|s| format!("<Status>{s}</Status>"))
                .unwrap_or_default();
            let mfa = match bucket.mfa_delete {
                Some(true) => "<MfaDelete>Enabled</MfaDelete>",
                Some(false) => "<MfaDelete>Disabled</MfaDelete>",
                None => "",
            };
            xml(format!(
                "<VersioningConfiguration {ns}>{status}{mfa}</VersioningConfiguration>"
            ))
        }
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
    let account = requester_account(req);
    let names: Vec<(&String, &FakeBucket)> = model
        .buckets
        .iter()
        .filter(|(n, _)| n.as_str() > start.as_str())
        .filter(|(_, b)| b.account.as_deref().unwrap_or(ACCOUNT_ID) == account && !b.unlisted)
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

fn acl_xml(bucket: &FakeBucket, hide_public: bool) -> String {
    let owner = Grant {
        grantee: Grantee::CanonicalUser {
            id: OWNER_ID.into(),
        },
        permission: "FULL_CONTROL".into(),
    };
    let public = |g: &&Grant| matches!(&g.grantee, Grantee::Group { uri } if uri == ALL_USERS || uri == AUTHENTICATED_USERS);
    access_control_policy(
        OWNER_ID,
        std::iter::once(&owner).chain(bucket.grants.iter().filter(|g| !(hide_public && public(g)))),
    )
}

/// An `AccessControlPolicy` document (GetBucketAcl, GetObjectAcl).
fn access_control_policy<'a>(owner: &str, grants: impl Iterator<Item = &'a Grant>) -> String {
    let grant = |g: &Grant| {
        let grantee = match &g.grantee {
            Grantee::CanonicalUser { id } => format!(r#"xsi:type="CanonicalUser"><ID>{id}</ID>"#),
            Grantee::Group { uri } => format!(r#"xsi:type="Group"><URI>{uri}</URI>"#),
            Grantee::Email { address } => format!(
                r#"xsi:type="AmazonCustomerByEmail"><EmailAddress>{address}</EmailAddress>"#
            ),
            // A recorded grantee s3tk did not recognise: a type S3 does not have.
            Grantee::Unknown => r#"xsi:type="Unrecognised">"#.to_owned(),
        };
        format!(
            r#"<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" {grantee}</Grantee><Permission>{}</Permission></Grant>"#,
            g.permission
        )
    };
    let grants: String = grants.map(grant).collect();
    format!(
        r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>{owner}</ID></Owner><AccessControlList>{grants}</AccessControlList></AccessControlPolicy>"#
    )
}

/// The text of the first `<name>` element in `xml` (enough for the request bodies the SDK sends).
fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(&xml[start..end])
}

fn flag(xml: &str, name: &str) -> bool {
    tag(xml, name) == Some("true")
}

/// The writes the remediations send, with S3's own refusals.
fn put(model: &mut Model, name: &str, sub: &str, req: &Request) -> ResponseTemplate {
    let body = String::from_utf8_lossy(&req.body).into_owned();
    let account_block = model.account_block;
    if let ("logging", Some(target)) = (sub, tag(&body, "TargetBucket")) {
        let source_region = model.buckets[name].region.clone();
        let Some(t) = model.buckets.get(target) else {
            return if model.foreign.contains_key(target) {
                error(
                    400,
                    "InvalidTargetBucketForLogging",
                    "The owner for the bucket to be logged and the target bucket must be the same.",
                )
            } else {
                error(
                    400,
                    "InvalidTargetBucketForLogging",
                    "The target bucket for logging does not exist",
                )
            };
        };
        if t.region != source_region {
            return error(
                403,
                "CrossLocationLoggingProhibitted",
                "Cross S3 location logging not allowed.",
            );
        }
        let enforced = t.ownership.as_deref() == Some("BucketOwnerEnforced");
        if enforced && body.contains("<TargetGrants>") {
            return error(
                400,
                "AccessControlListNotSupported",
                "Target grants not allowed for bucket owner enforced buckets",
            );
        }
        let delivers = if enforced {
            t.policy
                .as_deref()
                .is_some_and(|p| p.contains("logging.s3.amazonaws.com"))
        } else {
            let log = |p: &str| t.grants.contains(&group(LOG_DELIVERY, p));
            log("WRITE") && log("READ_ACP")
        };
        if !delivers {
            return error(
                400,
                "InvalidTargetBucketForLogging",
                "You must give the log-delivery group WRITE and READ_ACP permissions to the target bucket",
            );
        }
    }
    let bucket = model
        .buckets
        .get_mut(name)
        .expect("routed to an existing bucket");
    match sub {
        "publicAccessBlock" => {
            bucket.public_access_block = Some(PublicAccessBlock {
                block_public_acls: flag(&body, "BlockPublicAcls"),
                ignore_public_acls: flag(&body, "IgnorePublicAcls"),
                block_public_policy: flag(&body, "BlockPublicPolicy"),
                restrict_public_buckets: flag(&body, "RestrictPublicBuckets"),
            });
        }
        "versioning" => {
            bucket.versioning = match tag(&body, "Status") {
                Some("Enabled") => Some("Enabled"),
                Some("Suspended") => Some("Suspended"),
                _ => return error(400, "MalformedXML", "no versioning status"),
            };
        }
        "encryption" => {
            let Some(algorithm) = tag(&body, "SSEAlgorithm") else {
                return error(400, "MalformedXML", "no SSEAlgorithm");
            };
            bucket.encryption = Some(DefaultEncryption {
                algorithm: Some(algorithm.to_owned()),
                kms_key_id: tag(&body, "KMSMasterKeyID").map(str::to_owned),
                bucket_key_enabled: flag(&body, "BucketKeyEnabled"),
                blocked_encryption_types: Vec::new(),
            });
        }
        "logging" => {
            bucket.logging = tag(&body, "TargetBucket").map(|t| {
                (
                    t.to_owned(),
                    tag(&body, "TargetPrefix").unwrap_or_default().to_owned(),
                )
            });
        }
        "policy" => {
            let doc = match s3tk::policy::PolicyDocument::parse(&body)
                .and_then(|d| d.validate().map(|()| d))
            {
                Ok(doc) => doc,
                Err(e) => return error(400, "MalformedPolicy", &e.to_string()),
            };
            let public = s3tk::policy::evaluate_public(&doc).is_public();
            let blocks = bucket
                .public_access_block
                .is_some_and(|b| b.block_public_policy)
                || account_block.is_some_and(|b| b.block_public_policy);
            if public && blocks {
                return error(
                    403,
                    "AccessDenied",
                    "public policies are blocked by the BlockPublicPolicy block public access setting",
                );
            }
            bucket.policy = Some(body.clone());
            bucket.policy_is_public = Some(public);
        }
        "acl" => {
            let mut grants = Vec::new();
            for part in body.split("<Grant>").skip(1) {
                let permission = tag(part, "Permission").unwrap_or_default().to_owned();
                let grantee = if let Some(uri) = tag(part, "URI") {
                    Grantee::Group {
                        uri: uri.to_owned(),
                    }
                } else if let Some(id) = tag(part, "ID") {
                    Grantee::CanonicalUser { id: id.to_owned() }
                } else {
                    return error(400, "MalformedACLError", "unknown grantee");
                };
                let grant = Grant {
                    grantee,
                    permission,
                };
                let owner = matches!(&grant.grantee, Grantee::CanonicalUser { id } if id == OWNER_ID)
                    && grant.permission == "FULL_CONTROL";
                if !owner {
                    grants.push(grant);
                }
            }
            if bucket.ownership.as_deref() == Some("BucketOwnerEnforced") && !grants.is_empty() {
                return error(
                    400,
                    "AccessControlListNotSupported",
                    "The bucket does not allow ACLs",
                );
            }
            bucket.grants = grants;
            bucket.acl = None;
        }
        "ownershipControls" => {
            let ownership = tag(&body, "ObjectOwnership").unwrap_or_default().to_owned();
            if ownership == "BucketOwnerEnforced" && !bucket.grants.is_empty() {
                return error(
                    400,
                    "InvalidBucketAclWithObjectOwnership",
                    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                );
            }
            bucket.ownership = Some(ownership);
        }
        _ => return error(501, "NotImplemented", "not supported by the fake"),
    }
    ResponseTemplate::new(200)
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

/// A `<DefaultRetention>`'s content from s3tk's wording of it ("GOVERNANCE for 30 days").
pub fn retention_xml(retention: &str) -> Option<String> {
    let (mode, period) = retention.split_once(" for ")?;
    let (n, unit) = period.split_once(' ')?;
    let n: u32 = n.parse().ok()?;
    let unit = match unit {
        "days" => "Days",
        "years" => "Years",
        _ => return None,
    };
    let mode = if mode == "no mode" {
        String::new()
    } else {
        format!("<Mode>{mode}</Mode>")
    };
    Some(format!("{mode}<{unit}>{n}</{unit}>"))
}

/// A `<NotificationConfiguration>`'s content: that many topic, queue and Lambda
/// configurations, and EventBridge when it is on.
fn notifications_xml(n: &Notifications) -> String {
    let each = |count: usize, element: &str, target: &str, arn: &str| -> String {
        (0..count)
            .map(|i| format!("<{element}><Id>{i}</Id><{target}>{arn}-{i}</{target}><Event>s3:ObjectCreated:*</Event></{element}>"))
            .collect()
    };
    let mut xml = each(
        n.topics,
        "TopicConfiguration",
        "Topic",
        "arn:aws:sns:us-east-1:123456789012:t",
    );
    xml += &each(
        n.queues,
        "QueueConfiguration",
        "Queue",
        "arn:aws:sqs:us-east-1:123456789012:q",
    );
    xml += &each(
        n.lambda_functions,
        "CloudFunctionConfiguration",
        "CloudFunction",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
    );
    if n.event_bridge {
        xml += "<EventBridgeConfiguration></EventBridgeConfiguration>";
    }
    xml
}

fn block_xml(b: &PublicAccessBlock) -> String {
    format!(
        "<BlockPublicAcls>{}</BlockPublicAcls><IgnorePublicAcls>{}</IgnorePublicAcls><BlockPublicPolicy>{}</BlockPublicPolicy><RestrictPublicBuckets>{}</RestrictPublicBuckets>",
        b.block_public_acls, b.ignore_public_acls, b.block_public_policy, b.restrict_public_buckets
    )
}

/// S3 Control: the account-level Block Public Access and access points.
fn control(model: &mut Model, req: &Request, path: &str) -> ResponseTemplate {
    if req
        .headers
        .get("x-amz-account-id")
        .and_then(|v| v.to_str().ok())
        != Some(requester_account(req).as_str())
    {
        return control_error(403, "AccessDenied", "wrong or missing x-amz-account-id");
    }
    if let Some((status, code)) = model.control_fault {
        return control_error(status, code, "injected fault");
    }
    if let Some((_, status, code)) = model
        .control_path_faults
        .iter()
        .find(|(prefix, ..)| path.starts_with(prefix.as_str()))
    {
        return control_error(*status, code, "injected fault");
    }
    let ns = r#"xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/""#;
    let point = |bucket: &str, p: &AccessPoint| {
        format!(
            "<Name>{}</Name><Bucket>{bucket}</Bucket><NetworkOrigin>{}</NetworkOrigin><PublicAccessBlockConfiguration>{}</PublicAccessBlockConfiguration>",
            escape(&p.name),
            p.network_origin,
            block_xml(&p.public_access_block)
        )
    };
    if req.method.as_str() == "POST" && path == "jobs" {
        let body = String::from_utf8_lossy(&req.body).into_owned();
        let token = between(&body, "ClientRequestToken");
        let existing = model
            .jobs
            .iter()
            .find(|(_, b, _)| between(b, "ClientRequestToken") == token);
        let id = match existing {
            Some((id, ..)) => id.clone(),
            None => {
                let id = format!("job-{}", model.jobs.len() + 1);
                model
                    .jobs
                    .push((id.clone(), body, signed_region(req).unwrap_or_default()));
                id
            }
        };
        return xml(format!(
            "<CreateJobResult {ns}><JobId>{id}</JobId></CreateJobResult>"
        ));
    }
    if let Some(id) = path.strip_prefix("jobs/") {
        let job = match model.job_states.get_mut(id) {
            Some(states) if states.len() > 1 => Some(states.remove(0)),
            Some(states) => states.first().cloned(),
            None => None,
        };
        return match job {
            Some(job) => xml(format!(
                "<DescribeJobResult {ns}><Job><JobId>{id}</JobId>{job}</Job></DescribeJobResult>"
            )),
            None => control_error(404, "NoSuchJob", "The specified job does not exist"),
        };
    }
    if req.method.as_str() == "PUT" && path == "configuration/publicAccessBlock" {
        let body = String::from_utf8_lossy(&req.body).into_owned();
        model.account_block = Some(PublicAccessBlock {
            block_public_acls: flag(&body, "BlockPublicAcls"),
            ignore_public_acls: flag(&body, "IgnorePublicAcls"),
            block_public_policy: flag(&body, "BlockPublicPolicy"),
            restrict_public_buckets: flag(&body, "RestrictPublicBuckets"),
        });
        return ResponseTemplate::new(200);
    }
    match path {
        "configuration/publicAccessBlock" => match &model.account_block {
            Some(block) => xml(format!(
                "<PublicAccessBlockConfiguration {ns}>{}</PublicAccessBlockConfiguration>",
                block_xml(block)
            )),
            None => control_error(
                404,
                "NoSuchPublicAccessBlockConfiguration",
                "The public access block configuration was not found",
            ),
        },
        "mrap/instances" => {
            // The Multi-Region Access Point control plane answers in us-west-2 only.
            if signed_region(req).as_deref() != Some("us-west-2") {
                return control_error(
                    400,
                    "InvalidRequest",
                    "Multi-Region Access Point requests go to us-west-2",
                );
            }
            let points: String = model
                .multi_region_access_points
                .iter()
                .map(|(name, block)| {
                    format!(
                        "<AccessPoint><Name>{name}</Name><Alias>{name}.mrap</Alias><PublicAccessBlock>{}</PublicAccessBlock><Status>READY</Status></AccessPoint>",
                        block_xml(block)
                    )
                })
                .collect();
            xml(format!(
                "<ListMultiRegionAccessPointsResult {ns}><AccessPoints>{points}</AccessPoints></ListMultiRegionAccessPointsResult>"
            ))
        }
        "accesspoint" => {
            let bucket: Option<String> = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "bucket")
                .map(|(_, v)| v.into_owned());
            if let Some((status, code)) = bucket
                .as_ref()
                .and_then(|b| model.buckets.get(b))
                .and_then(|b| b.access_points_fault.as_ref())
            {
                return control_error(*status, code, "injected fault");
            }
            let points: String = model
                .buckets
                .iter()
                .filter(|(name, _)| bucket.as_deref().is_none_or(|b| b == name.as_str()))
                .flat_map(|(name, b)| {
                    b.access_points
                        .iter()
                        .map(move |p| format!("<AccessPoint>{}</AccessPoint>", point(name, p)))
                })
                .collect();
            xml(format!(
                "<ListAccessPointsResult {ns}><AccessPointList>{points}</AccessPointList></ListAccessPointsResult>"
            ))
        }
        other => match other.strip_prefix("accesspoint/") {
            Some(wanted) => model
                .buckets
                .iter()
                .find_map(|(name, b)| {
                    b.access_points
                        .iter()
                        .find(|p| p.name == wanted)
                        .map(|p| point(name, p))
                })
                .map(|body| {
                    xml(format!(
                        "<GetAccessPointResult {ns}>{body}</GetAccessPointResult>"
                    ))
                })
                .unwrap_or_else(|| {
                    control_error(
                        404,
                        "NoSuchAccessPoint",
                        "The specified accesspoint does not exist",
                    )
                }),
            None => control_error(501, "NotImplemented", "not supported by the fake"),
        },
    }
}

/// S3 Control wraps its errors in `<ErrorResponse>`, unlike S3.
/// The hex MD5 of `bytes` (S3's ETag of a plain upload, an inventory file's checksum).
pub fn md5_hex(bytes: &[u8]) -> String {
    <md5::Md5 as md5::Digest>::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The payload of a streaming upload (`aws-chunked`: `SIZE;chunk-signature=…\r\nDATA\r\n`
/// until a 0-size chunk, then trailers), or the body as it is.
fn decode_aws_chunked(req: &Request) -> Vec<u8> {
    let chunked = req
        .headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("aws-chunked"));
    if !chunked {
        return req.body.clone();
    }
    let mut out = Vec::new();
    let mut rest = req.body.as_slice();
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let header = String::from_utf8_lossy(&rest[..end]);
        let size =
            usize::from_str_radix(header.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let data = &rest[end + 2..];
        out.extend_from_slice(&data[..size]);
        rest = &data[size + 2..];
    }
    out
}

/// The text of the first `<tag>…</tag>` in `xml`.
pub fn between<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    xml.split_once(open.as_str())
        .and_then(|(_, rest)| rest.split_once(format!("</{tag}>").as_str()))
        .map_or("", |(text, _)| text)
}

fn control_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>{code}</Code><Message>{}</Message></Error><RequestId>FAKE</RequestId></ErrorResponse>"#,
            escape(message)
        ),
        "application/xml",
    )
}

//! Our own small types for each facet, built from SDK answers by `state/fetch.rs` (bucket and
//! account facets, CloudTrail trails), `state/aws_config.rs` (the same from AWS Config) and
//! `dns.rs` (Route 53 records that point at S3). Checks read these, never SDK types, so they
//! stay testable offline and serialisable as evidence. A leaf: plain data, no requests.

use serde::{Deserialize, Serialize};

pub const ALL_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTHENTICATED_USERS_URI: &str =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub const LOG_DELIVERY_URI: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// A bucket or object ACL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub owner_id: Option<String>,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    /// `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP` or `FULL_CONTROL`.
    pub permission: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Grantee {
    CanonicalUser { id: String },
    Group { uri: String },
    Email { address: String },
    Unknown,
}

/// The two predefined groups that make an ACL public (S3 User Guide, "The meaning of public").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PublicGroup {
    /// Anyone, signed or anonymous.
    AllUsers,
    /// Any AWS account in the world, not only this account's users.
    AuthenticatedUsers,
}

impl PublicGroup {
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri {
            ALL_USERS_URI => Some(PublicGroup::AllUsers),
            AUTHENTICATED_USERS_URI => Some(PublicGroup::AuthenticatedUsers),
            _ => None,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            PublicGroup::AllUsers => "AllUsers",
            PublicGroup::AuthenticatedUsers => "AuthenticatedUsers",
        }
    }

    pub const fn meaning(self) -> &'static str {
        match self {
            PublicGroup::AllUsers => "anyone on the internet",
            PublicGroup::AuthenticatedUsers => "any AWS account",
        }
    }
}

impl Acl {
    /// Whether the LogDelivery group has the `WRITE` and `READ_ACP` grants that legacy,
    /// ACL-based log delivery needs.
    pub fn grants_log_delivery(&self) -> bool {
        let has = |permission: &str| {
            self.grants.iter().any(|g| {
                g.permission == permission
                    && matches!(&g.grantee, Grantee::Group { uri } if uri == LOG_DELIVERY_URI)
            })
        };
        has("WRITE") && has("READ_ACP")
    }

    /// This ACL plus the LogDelivery grants it lacks.
    pub fn with_log_delivery(&self) -> Acl {
        let mut acl = self.clone();
        for permission in ["WRITE", "READ_ACP"] {
            let grant = Grant {
                grantee: Grantee::Group {
                    uri: LOG_DELIVERY_URI.into(),
                },
                permission: permission.into(),
            };
            if !acl.grants.contains(&grant) {
                acl.grants.push(grant);
            }
        }
        acl
    }

    /// The grants to anyone but the owner.
    pub fn foreign_grants(&self) -> Vec<&Grant> {
        self.grants
            .iter()
            .filter(|g| !matches!(&g.grantee, Grantee::CanonicalUser { id } if Some(id) == self.owner_id.as_ref()))
            .collect()
    }

    /// The owner's FULL_CONTROL and nothing else: what a private ACL is.
    pub fn owner_only(&self) -> Acl {
        let owner = self.owner_id.clone().unwrap_or_default();
        Acl {
            owner_id: self.owner_id.clone(),
            grants: vec![Grant {
                grantee: Grantee::CanonicalUser { id: owner },
                permission: "FULL_CONTROL".into(),
            }],
        }
    }

    /// Grants to `AllUsers` or `AuthenticatedUsers`, in ACL order.
    pub fn public_grants(&self) -> impl Iterator<Item = (PublicGroup, &str)> {
        self.grants.iter().filter_map(|g| match &g.grantee {
            Grantee::Group { uri } => {
                PublicGroup::from_uri(uri).map(|p| (p, g.permission.as_str()))
            }
            _ => None,
        })
    }
}

/// Where server access logs are delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggingTarget {
    pub bucket: String,
    pub prefix: String,
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.grantee {
            Grantee::CanonicalUser { id } => {
                write!(f, "{} to canonical user {id}", self.permission)
            }
            Grantee::Group { uri } => {
                let group = uri.rsplit('/').next().unwrap_or(uri);
                write!(f, "{} to the {group} group", self.permission)
            }
            Grantee::Email { address } => write!(f, "{} to {address}", self.permission),
            Grantee::Unknown => write!(f, "{} to an unknown grantee", self.permission),
        }
    }
}

impl std::fmt::Display for LoggingTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersioningStatus {
    Enabled,
    Suspended,
}

/// GetBucketVersioning's answer. A never-versioned bucket has no status at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versioning {
    pub status: Option<VersioningStatus>,
    /// `Some(true)` when MFA delete is enabled; `None` when it was never configured.
    pub mfa_delete: Option<bool>,
}

/// The four Block Public Access flags at one level (bucket, account or access point). A level
/// with no configuration has all four off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    pub const ALL_ON: PublicAccessBlock = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// The flags that are off, by their API names.
    pub fn missing(&self) -> Vec<&'static str> {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
        .into_iter()
        .filter(|(_, on)| !on)
        .map(|(name, _)| name)
        .collect()
    }
}

/// Object Ownership (`GetBucketOwnershipControls`); no configuration behaves as `ObjectWriter`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectOwnership {
    /// ACLs are disabled: the bucket owner owns every object and ACLs grant nothing.
    BucketOwnerEnforced,
    BucketOwnerPreferred,
    ObjectWriter,
    Other(String),
}

/// The default encryption rule (`GetBucketEncryption`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultEncryption {
    /// `AES256` (SSE-S3), `aws:kms` (SSE-KMS), `aws:kms:dsse` (DSSE-KMS); `None` when the rule
    /// has no default (a rule may carry only `BucketKeyEnabled`).
    pub algorithm: Option<String>,
    /// The KMS key; `None` with a KMS algorithm means the AWS managed key `aws/s3`.
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: bool,
    /// `BlockedEncryptionTypes`, e.g. `SSE-C`.
    pub blocked_encryption_types: Vec<String>,
}

impl DefaultEncryption {
    pub fn is_kms(&self) -> bool {
        matches!(self.algorithm.as_deref(), Some("aws:kms" | "aws:kms:dsse"))
    }

    /// "SSE-S3", "SSE-KMS with key …", in words.
    pub fn describe(&self) -> String {
        match self.algorithm.as_deref() {
            Some("AES256") => "SSE-S3 (AES256)".into(),
            Some(kms @ ("aws:kms" | "aws:kms:dsse")) => {
                let kind = if kms == "aws:kms" {
                    "SSE-KMS"
                } else {
                    "DSSE-KMS"
                };
                match &self.kms_key_id {
                    Some(key) => format!("{kind} with key {key}"),
                    None => format!("{kind} with the AWS managed key aws/s3"),
                }
            }
            Some(other) => other.to_owned(),
            None => "no default algorithm".into(),
        }
    }
}

/// Object Lock (`GetObjectLockConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLock {
    pub enabled: bool,
    /// Default retention, e.g. "GOVERNANCE for 30 days".
    pub default_retention: Option<String>,
}

/// One lifecycle rule, reduced to what the checks need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleRule {
    pub id: Option<String>,
    pub enabled: bool,
    pub expires_noncurrent_versions: bool,
    pub expires_current_versions: bool,
    pub aborts_incomplete_uploads: bool,
}

/// One replication rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationRule {
    pub id: Option<String>,
    pub enabled: bool,
    pub destination_bucket: String,
}

/// Where event notifications go (`GetBucketNotificationConfiguration`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notifications {
    pub topics: usize,
    pub queues: usize,
    pub lambda_functions: usize,
    pub event_bridge: bool,
}

impl Notifications {
    pub fn is_empty(&self) -> bool {
        self.topics + self.queues + self.lambda_functions == 0 && !self.event_bridge
    }
}

/// Static website hosting (`GetBucketWebsite`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Website {
    pub index_document: Option<String>,
    /// Set when the website only redirects every request to another host.
    pub redirect_all_to: Option<String>,
}

/// An S3 access point of the bucket, with its own Block Public Access settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPoint {
    pub name: String,
    /// `Internet` or `VPC` (a VPC access point is never public).
    pub network_origin: String,
    pub public_access_block: PublicAccessBlock,
}

/// A trail that logs in some region, with what it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    /// `GetTrailStatus.IsLogging`: a stopped trail records nothing.
    pub logging: bool,
    pub selectors: EventSelectors,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSelectors {
    Basic(Vec<BasicSelector>),
    Advanced(Vec<AdvancedSelector>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicSelector {
    /// `ReadOnly`, `WriteOnly` or `All` (the default).
    pub read_write_type: String,
    /// The values of the selector's `AWS::S3::Object` data resources.
    pub s3_object_values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvancedSelector {
    pub name: Option<String>,
    pub fields: Vec<FieldSelector>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_equals: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

/// Whether an S3 endpoint serves the REST API or static websites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Rest,
    Website,
}

/// An S3 endpoint hostname, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Endpoint {
    pub kind: EndpointKind,
    /// The endpoint's region; `None` for the global endpoints (`s3.amazonaws.com`,
    /// `s3-accelerate`), which serve buckets of every region.
    pub region: Option<String>,
    /// The bucket named in a virtual-hosted endpoint (`NAME.s3.amazonaws.com`), if any.
    pub bucket_in_host: Option<String>,
}

/// A Route 53 record that points at S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Record {
    pub zone_id: String,
    /// A private hosted zone answers only inside its VPCs.
    pub private_zone: bool,
    /// The record name, lowercase, without the trailing dot (`*.example.com` for wildcards).
    pub name: String,
    /// `CNAME`, or `A`/`AAAA` for aliases.
    pub record_type: String,
    /// The CNAME value or alias target, without the trailing dot.
    pub target: String,
    pub endpoint: S3Endpoint,
}

impl S3Record {
    /// The bucket S3 serves for the record: the one named like the hostname.
    pub fn bucket(&self) -> &str {
        &self.name
    }

    pub fn is_wildcard(&self) -> bool {
        self.name.starts_with("*.")
    }
}

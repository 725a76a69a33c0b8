//! The `Remediation` plugin kind. A remediation never writes: `plan` reads cached state and
//! returns the typed [`Change`]s it wants; one executor ([`crate::state::apply`]) performs every
//! write, so all writes to AWS are in one reviewed place and `--dry-run` is exact by
//! construction.

use crate::error::FetchError;
use crate::policy::PolicyDocument;
use crate::state::model::{Acl, PublicAccessBlock};
use crate::state::{AccountState, BucketState, Facet};
use async_trait::async_trait;
use std::fmt;

/// Settings of the remediation commands.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    /// `enable-logging --log-bucket`.
    pub log_bucket: Option<String>,
    /// `enable-logging --log-prefix`; `{bucket}` is replaced by the bucket name.
    pub log_prefix: Option<String>,
    /// `enable-default-encryption --kms-key-id`, validated.
    pub kms_key_id: Option<String>,
    /// `disable-acls --force`: remove grants to other accounts and groups.
    pub force: bool,
}

/// What a plan may read beyond the bucket itself.
pub struct FixContext {
    pub options: FixOptions,
    /// The state of `--log-bucket`, shared by every bucket's plan so that its facets are read
    /// once.
    pub log_target: Option<std::sync::Arc<BucketState>>,
}

/// The constant description of a remediation.
#[derive(Debug)]
pub struct RemediationMeta {
    /// Same namespace as checks, imperative: `s3.bucket.enable-versioning`.
    pub id: &'static str,
    /// The command that runs it for one bucket, `{bucket}` standing for the name:
    /// `s3tk enable-versioning {bucket}`.
    pub usage: &'static str,
    pub title: &'static str,
    /// Ids of the checks it fixes (the registry tests check they exist).
    pub fixes: &'static [&'static str],
    /// Safe to run unattended (`scan --fix --apply`): it changes nothing a working client
    /// relies on. Logging and ACL changes are not safe in that sense.
    pub safe: bool,
    /// The options of its command, beyond the buckets and `--dry-run` every one has.
    pub options: &'static [FixOption],
    /// The APIs its plan reads and its changes write. Its command also re-runs the checks it
    /// fixes, so the IAM actions of its command are these and theirs ([`crate::iam`]).
    pub facets: &'static [Facet],
    /// Markdown with `## What it does` and `## What can break`.
    pub doc: &'static str,
}

impl RemediationMeta {
    /// The command that runs it (`enable-versioning`), the second word of its usage.
    pub fn command(&self) -> &'static str {
        self.usage.split_whitespace().nth(1).unwrap_or_default()
    }
}

/// One option of a remediation's command, which sets one [`FixOptions`] field: the command and
/// its help are built from these, so a registered remediation always has its command.
#[derive(Debug)]
pub struct FixOption {
    /// `log-bucket` for `--log-bucket`.
    pub long: &'static str,
    /// `Some("NAME")` for an option with a value, `None` for a flag.
    pub value_name: Option<&'static str>,
    pub help: &'static str,
    pub required: bool,
    pub default: Option<&'static str>,
    pub field: FixField,
}

/// The [`FixOptions`] field an option sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixField {
    LogBucket,
    LogPrefix,
    KmsKeyId,
    Force,
}

impl FixOptions {
    /// Sets the field of an option with a value.
    pub fn set(&mut self, field: FixField, value: String) {
        match field {
            FixField::LogBucket => self.log_bucket = Some(value),
            FixField::LogPrefix => self.log_prefix = Some(value),
            FixField::KmsKeyId => self.kms_key_id = Some(value),
            FixField::Force => self.force = true,
        }
    }
}

/// One write, described as data: what `--dry-run` prints and what the executor performs.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    PutPublicAccessBlock {
        bucket: String,
        block: PublicAccessBlock,
    },
    PutAccountPublicAccessBlock {
        account: String,
        block: PublicAccessBlock,
    },
    EnableVersioning {
        bucket: String,
    },
    PutDefaultEncryption {
        bucket: String,
        /// `AES256` or `aws:kms`.
        algorithm: &'static str,
        kms_key_id: Option<String>,
        bucket_key: bool,
        /// Kept from the current rule (`BlockedEncryptionTypes`, e.g. `SSE-C`).
        blocked_encryption_types: Vec<String>,
    },
    PutLogging {
        bucket: String,
        target_bucket: String,
        target_prefix: String,
    },
    /// Replaces a bucket policy (with every other statement kept by the planner).
    PutPolicy {
        bucket: String,
        policy: PolicyDocument,
        summary: String,
    },
    /// Deletes a bucket policy.
    DeletePolicy {
        bucket: String,
    },
    /// Replaces a bucket ACL (with the owner and every kept grant listed by the planner).
    PutAcl {
        bucket: String,
        acl: Acl,
        summary: String,
    },
    EnforceBucketOwner {
        bucket: String,
    },
}

impl Change {
    /// The bucket the change writes to (the account id for the account block).
    pub fn target(&self) -> &str {
        match self {
            Change::PutPublicAccessBlock { bucket, .. }
            | Change::EnableVersioning { bucket }
            | Change::PutDefaultEncryption { bucket, .. }
            | Change::PutLogging { bucket, .. }
            | Change::PutPolicy { bucket, .. }
            | Change::DeletePolicy { bucket }
            | Change::PutAcl { bucket, .. }
            | Change::EnforceBucketOwner { bucket } => bucket,
            Change::PutAccountPublicAccessBlock { account, .. } => account,
        }
    }
}

fn flags(block: &PublicAccessBlock) -> String {
    let on = |b: bool| if b { "on" } else { "off" };
    format!(
        "BlockPublicAcls={}, IgnorePublicAcls={}, BlockPublicPolicy={}, RestrictPublicBuckets={}",
        on(block.block_public_acls),
        on(block.ignore_public_acls),
        on(block.block_public_policy),
        on(block.restrict_public_buckets)
    )
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::PutPublicAccessBlock { bucket, block } => {
                write!(f, "PutPublicAccessBlock {bucket}: {}", flags(block))
            }
            Change::PutAccountPublicAccessBlock { account, block } => {
                write!(
                    f,
                    "PutPublicAccessBlock (account {account}): {}",
                    flags(block)
                )
            }
            Change::EnableVersioning { bucket } => {
                write!(f, "PutBucketVersioning {bucket}: Status=Enabled")
            }
            Change::PutDefaultEncryption {
                bucket,
                algorithm,
                kms_key_id,
                bucket_key,
                ..
            } => {
                write!(f, "PutBucketEncryption {bucket}: SSEAlgorithm={algorithm}")?;
                if let Some(key) = kms_key_id {
                    write!(f, ", KMSMasterKeyID={key}")?;
                }
                write!(f, ", BucketKeyEnabled={bucket_key}")
            }
            Change::PutLogging {
                bucket,
                target_bucket,
                target_prefix,
            } => {
                write!(
                    f,
                    "PutBucketLogging {bucket}: TargetBucket={target_bucket}, TargetPrefix={target_prefix}"
                )
            }
            Change::PutPolicy {
                bucket, summary, ..
            } => write!(f, "PutBucketPolicy {bucket}: {summary}"),
            Change::DeletePolicy { bucket } => write!(f, "DeleteBucketPolicy {bucket}"),
            Change::PutAcl {
                bucket, summary, ..
            } => write!(f, "PutBucketAcl {bucket}: {summary}"),
            Change::EnforceBucketOwner { bucket } => {
                write!(
                    f,
                    "PutBucketOwnershipControls {bucket}: ObjectOwnership=BucketOwnerEnforced"
                )
            }
        }
    }
}

/// What a remediation decided for one bucket (or the account).
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Nothing to do; says why (the current state).
    Already(String),
    /// These writes, in order. Changes to another bucket (a log target) come first.
    Change(Vec<Change>),
    /// Not applicable to this bucket, and says why (e.g. the log bucket itself).
    Skip(String),
    /// Will not touch it, and says why (e.g. grants that `--force` would remove).
    Refuse(String),
}

#[async_trait]
pub trait Remediation: Send + Sync + 'static {
    /// Decides what to change, from cached state only. Never writes.
    async fn plan(&self, bucket: &BucketState, context: &FixContext) -> Result<Plan, FetchError>;
}

#[async_trait]
pub trait AccountRemediation: Send + Sync + 'static {
    async fn plan(&self, account: &AccountState, context: &FixContext) -> Result<Plan, FetchError>;
}

/// The behaviour behind a registered remediation, by scope.
pub enum RemediationKind {
    Account(&'static dyn AccountRemediation),
    Bucket(&'static dyn Remediation),
}

pub struct RemediationEntry {
    pub meta: &'static RemediationMeta,
    pub remediation: RemediationKind,
}

inventory::collect!(RemediationEntry);

/// Declares a remediation: doc comment, unit struct, `META` and registration.
#[macro_export]
macro_rules! declare_remediation {
    (
        $(#[doc = $doc:literal])*
        $vis:vis $name:ident {
            id: $id:literal,
            usage: $usage:literal,
            title: $title:literal,
            scope: $scope:ident,
            fixes: [$($fixes:literal),* $(,)?],
            safe: $safe:literal,
            $(options: [$($option:expr),* $(,)?],)?
            facets: [$($facet:ident),* $(,)?] $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug)]
        $vis struct $name;

        impl $name {
            pub const META: $crate::remediation::RemediationMeta = $crate::remediation::RemediationMeta {
                id: $id,
                usage: $usage,
                title: $title,
                fixes: &[$($fixes),*],
                safe: $safe,
                options: &[$($($option),*)?],
                facets: &[$($crate::state::Facet::$facet),*],
                doc: concat!($($doc, "\n"),*),
            };
        }

        ::inventory::submit! {
            $crate::remediation::RemediationEntry {
                meta: &$name::META,
                remediation: $crate::remediation::RemediationKind::$scope(&$name),
            }
        }
    };
}

/// Validates a KMS key reference: a key ARN, an alias ARN, a key id (UUID or multi-Region
/// `mrk-…`), or `alias/NAME`.
pub fn validate_kms_key(key: &str) -> Result<(), String> {
    let is_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let is_uuid = |s: &str| {
        let parts: Vec<&str> = s.split('-').collect();
        parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| is_hex(p))
    };
    let is_key_id = |s: &str| {
        is_uuid(s)
            || s.strip_prefix("mrk-")
                .is_some_and(|h| h.len() == 32 && is_hex(h))
    };
    let is_alias = |s: &str| {
        s.strip_prefix("alias/").is_some_and(|n| {
            !n.is_empty()
                && n.len() <= 250
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
        })
    };
    let valid = if let Some(rest) = key.strip_prefix("arn:") {
        // arn:PARTITION:kms:REGION:ACCOUNT:key/ID or …:alias/NAME
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        parts.len() == 5
            && parts[0].starts_with("aws")
            && parts[1] == "kms"
            && !parts[2].is_empty()
            && parts[3].len() == 12
            && parts[3].bytes().all(|b| b.is_ascii_digit())
            && (parts[4].strip_prefix("key/").is_some_and(is_key_id) || is_alias(parts[4]))
    } else {
        is_key_id(key) || is_alias(key)
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid --kms-key-id '{key}': give a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), an alias ARN, a key id or alias/NAME"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_key_forms() {
        for good in [
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
            "arn:aws:kms:eu-west-1:111122223333:alias/data-key",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "mrk-1234abcd12ab34cd56ef1234567890ab",
            "alias/team/data_key-1",
        ] {
            assert_eq!(validate_kms_key(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "my-key",
            "alias/",
            "arn:aws:kms:us-east-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:s3:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890",
            "alias/bad name",
        ] {
            assert!(validate_kms_key(bad).is_err(), "{bad}");
        }
    }
}

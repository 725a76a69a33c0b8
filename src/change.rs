//! [`Change`]: one write, described as data. Remediations plan them, `--dry-run` prints them and
//! the executor ([`crate::apply`]) performs them; as data they sit below all three.

use crate::model::{Acl, PublicAccessBlock};
use crate::policy::PolicyDocument;
use std::fmt;

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

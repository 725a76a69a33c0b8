//! The `Remediation` plugin kind. A remediation never writes: `plan` reads cached state and
//! returns the typed changes it wants; one executor in `src/` performs every write, so all
//! writes to AWS are in one reviewed place and `--dry-run` is exact by construction.

use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

/// The constant description of a remediation.
#[derive(Debug)]
pub struct RemediationMeta {
    /// Same namespace as checks, imperative: `s3.bucket.enable-versioning`.
    pub id: &'static str,
    /// The s3tk command that runs it, e.g. `enable-versioning`.
    pub command: &'static str,
    pub title: &'static str,
    /// Ids of the checks it fixes (the registry tests check they exist).
    pub fixes: &'static [&'static str],
    /// Markdown with `## What it does` and `## What can break`.
    pub doc: &'static str,
}

/// One planned write, described as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The S3 operation, e.g. `PutBucketVersioning`.
    pub operation: &'static str,
    /// What it sets, in words a reviewer can check.
    pub detail: String,
}

#[async_trait]
pub trait Remediation: Send + Sync + 'static {
    /// The changes that would fix the bucket, from cached state only; `None` when nothing is needed.
    async fn plan(&self, bucket: &BucketState) -> Result<Option<Vec<Change>>, FetchError>;
}

pub struct RemediationEntry {
    pub meta: &'static RemediationMeta,
    pub remediation: &'static dyn Remediation,
}

inventory::collect!(RemediationEntry);

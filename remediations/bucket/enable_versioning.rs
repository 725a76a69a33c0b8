use crate::change::Change;
use crate::declare_remediation;
use crate::error::FetchError;
use crate::model::VersioningStatus;
use crate::remediation::{FixContext, Plan, Remediation};
use crate::state::BucketState;
use async_trait::async_trait;

declare_remediation! {
    /// ## What it does
    /// Sets versioning to `Enabled` on buckets where it was never enabled or is suspended.
    /// MFA delete, if set, is left as it is (changing the versioning state of such a bucket
    /// needs the root user's MFA code, so S3 refuses and the error is reported).
    ///
    /// ## What can break
    /// Nothing stops working, but every overwrite and delete now keeps the previous version,
    /// so storage grows: add a lifecycle rule that expires noncurrent versions
    /// (`s3.bucket.versioned-without-lifecycle`). Versioning can never be turned off again,
    /// only suspended. Writes right after enabling may see brief `NoSuchKey` errors while the
    /// setting propagates (AWS recommends waiting 15 minutes).
    pub EnableVersioning {
        id: "s3.bucket.enable-versioning",
        usage: "s3tk enable-versioning {bucket}",
        title: "Enable versioning",
        scope: Bucket,
        fixes: ["s3.bucket.versioning-disabled"],
        safe: true,
        facets: [Versioning, PutVersioning],
    }
}

#[async_trait]
impl Remediation for EnableVersioning {
    async fn plan(&self, bucket: &BucketState, _: &FixContext) -> Result<Plan, FetchError> {
        Ok(match bucket.versioning().await?.status {
            Some(VersioningStatus::Enabled) => Plan::Already("versioning is enabled".into()),
            _ => Plan::Change(vec![Change::EnableVersioning {
                bucket: bucket.name().to_owned(),
            }]),
        })
    }
}

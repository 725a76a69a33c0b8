use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::model::VersioningStatus;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether versioning is `Enabled`. A bucket that was never versioned and a bucket whose
    /// versioning is `Suspended` both fail; the message says which.
    ///
    /// ## Why it matters
    /// Without versioning an overwrite or a delete (by mistake, by a buggy job, or by an
    /// attacker or ransomware holding write access) destroys the only copy. With versioning the
    /// previous versions stay recoverable. Security Hub S3.14 rates this low; s3tk rates it
    /// medium, as Prowler does, because it is the precondition for recovering from data loss.
    /// Keep a lifecycle rule that expires noncurrent versions so storage does not grow forever.
    ///
    /// ## How to fix
    /// `aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled`,
    /// then add a lifecycle rule with `NoncurrentVersionExpiration`.
    pub VersioningDisabled {
        id: "s3.bucket.versioning-disabled",
        title: "Bucket versioning is not enabled",
        scope: Bucket,
        severity: Medium,
        facets: [Versioning],
        compliance: [SecurityHub("S3.14")],
    }
}

#[async_trait]
impl Check for VersioningDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let versioning = bucket.versioning().await?;
        Ok(match versioning.status {
            Some(VersioningStatus::Enabled) => Outcome::Pass("versioning is enabled".into()),
            Some(VersioningStatus::Suspended) => Outcome::Fail("versioning is suspended".into()),
            None => Outcome::Fail("versioning has never been enabled".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Versioning;
    use crate::state::OfflineBucket;

    async fn outcome(status: Option<VersioningStatus>) -> Outcome {
        let bucket = OfflineBucket::new("b")
            .versioning(Ok(Versioning {
                status,
                mfa_delete: None,
            }))
            .build();
        VersioningDisabled
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn only_enabled_passes() {
        assert_eq!(
            outcome(Some(VersioningStatus::Enabled)).await,
            Outcome::Pass("versioning is enabled".into())
        );
        assert_eq!(
            outcome(Some(VersioningStatus::Suspended)).await,
            Outcome::Fail("versioning is suspended".into())
        );
        assert_eq!(
            outcome(None).await,
            Outcome::Fail("versioning has never been enabled".into())
        );
    }
}

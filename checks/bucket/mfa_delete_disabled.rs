use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::model::VersioningStatus;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether MFA delete is enabled, so that permanently deleting an object version or
    /// changing the bucket's versioning state needs the root user's MFA code. MFA delete needs
    /// versioning; the message says when versioning is off too.
    ///
    /// ## Why it matters
    /// Versioning protects against overwrites and deletes only as long as the old versions
    /// survive; anyone with `s3:DeleteObjectVersion` or `s3:PutBucketVersioning` can remove
    /// them. MFA delete puts those two operations behind a hardware or virtual MFA device.
    /// CIS AWS Foundations "Ensure MFA Delete is enabled on S3 buckets"; Security Hub S3.20
    /// (low). It is incompatible with lifecycle rules that expire versions, and only the root
    /// user can turn it on, so many teams choose Object Lock instead: s3tk rates it low.
    ///
    /// ## How to fix
    /// As the root user: `aws s3api put-bucket-versioning --bucket BUCKET
    /// --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa "SERIAL CODE"`.
    pub MfaDeleteDisabled {
        id: "s3.bucket.mfa-delete-disabled",
        title: "MFA delete is not enabled",
        scope: Bucket,
        severity: Low,
        facets: [Versioning],
        compliance: [
            SecurityHub("S3.20"),
            Cis("1.4", "2.1.3"),
            Cis("1.5", "2.1.3"),
            Cis("2.0", "2.1.2"),
            Cis("3.0", "2.1.2"),
            Cis("4.0", "2.1.2"),
            Cis("5.0", "2.1.2"),
            Cis("6.0", "3.1.2"),
            Cis("7.0", "3.1.2"),
        ],
    }
}

#[async_trait]
impl Check for MfaDeleteDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let versioning = bucket.versioning().await?;
        Ok(match (versioning.mfa_delete, versioning.status) {
            (Some(true), _) => Outcome::Pass("MFA delete is enabled".into()),
            (_, Some(VersioningStatus::Enabled)) => Outcome::Fail("MFA delete is disabled".into()),
            _ => Outcome::Fail(
                "MFA delete is disabled (and versioning, which it needs, is off)".into(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Versioning;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn mfa_delete_states() {
        let run = |status, mfa_delete| async move {
            let bucket = OfflineBucket::new("b")
                .versioning(Ok(Versioning { status, mfa_delete }))
                .build();
            MfaDeleteDisabled
                .evaluate(&bucket, &CheckOptions::default())
                .await
                .unwrap()
        };
        assert_eq!(
            run(Some(VersioningStatus::Enabled), Some(true)).await,
            Outcome::Pass("MFA delete is enabled".into())
        );
        assert_eq!(
            run(Some(VersioningStatus::Enabled), Some(false)).await,
            Outcome::Fail("MFA delete is disabled".into())
        );
        assert!(matches!(run(None, None).await, Outcome::Fail(m) if m.contains("versioning")));
    }
}

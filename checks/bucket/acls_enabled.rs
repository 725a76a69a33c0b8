use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::model::ObjectOwnership;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether ACLs are disabled, i.e. Object Ownership is `BucketOwnerEnforced`. A bucket
    /// without ownership controls behaves as `ObjectWriter`, with ACLs in force.
    ///
    /// ## Why it matters
    /// With ACLs enabled, access is decided by two systems, policies and ACLs, and an ACL on
    /// one object can expose it (or leave it owned by another account that uploaded it). With
    /// `BucketOwnerEnforced` the bucket owner owns every object and only policies grant access.
    /// AWS disables ACLs on every new bucket since April 2023. Security Hub S3.12 (medium).
    ///
    /// ## How to fix
    /// Check first that nothing relies on ACLs (grants to other accounts, or the LogDelivery
    /// group on a log bucket, which needs a bucket-policy statement instead), then
    /// `aws s3api put-bucket-ownership-controls --bucket BUCKET --ownership-controls
    /// 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'`.
    pub AclsEnabled {
        id: "s3.bucket.acls-enabled",
        title: "Bucket ACLs are enabled",
        scope: Bucket,
        severity: Medium,
        facets: [OwnershipControls],
        compliance: [Fsbp("S3.12")],
    }
}

#[async_trait]
impl Check for AclsEnabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        Ok(match bucket.ownership_controls().await? {
            Some(ObjectOwnership::BucketOwnerEnforced) => {
                Outcome::Pass("ACLs are disabled (BucketOwnerEnforced)".into())
            }
            Some(ObjectOwnership::BucketOwnerPreferred) => {
                Outcome::Fail("ACLs are enabled (Object Ownership is BucketOwnerPreferred)".into())
            }
            Some(ObjectOwnership::ObjectWriter) => {
                Outcome::Fail("ACLs are enabled (Object Ownership is ObjectWriter)".into())
            }
            Some(ObjectOwnership::Other(other)) => {
                Outcome::Fail(format!("ACLs are enabled (Object Ownership is {other})"))
            }
            None => Outcome::Fail(
                "ACLs are enabled (no Object Ownership setting, which behaves as ObjectWriter)"
                    .into(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn only_bucket_owner_enforced_passes() {
        let run = |o: Option<ObjectOwnership>| async move {
            let bucket = OfflineBucket::new("b").ownership_controls(Ok(o)).build();
            AclsEnabled
                .evaluate(&bucket, &CheckOptions::default())
                .await
                .unwrap()
        };
        assert!(matches!(
            run(Some(ObjectOwnership::BucketOwnerEnforced)).await,
            Outcome::Pass(_)
        ));
        assert!(matches!(
            run(Some(ObjectOwnership::BucketOwnerPreferred)).await,
            Outcome::Fail(_)
        ));
        assert_eq!(
            run(None).await,
            Outcome::Fail(
                "ACLs are enabled (no Object Ownership setting, which behaves as ObjectWriter)"
                    .into()
            )
        );
    }
}

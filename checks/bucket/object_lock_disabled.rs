use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether Object Lock is enabled on the bucket, and with which default retention.
    ///
    /// ## Why it matters
    /// Object Lock keeps object versions from being deleted or overwritten for a retention
    /// period, even by the root user in compliance mode: the strongest defence against
    /// ransomware and insider deletion, and a requirement of some regulations (SEC 17a-4,
    /// FINRA). Security Hub S3.15 (medium). s3tk rates it info: most buckets hold data that
    /// must stay deletable, and the lock is hard to undo, so it is a deliberate choice per
    /// bucket rather than a default.
    ///
    /// ## How to fix
    /// For new buckets, `aws s3api create-bucket … --object-lock-enabled-for-bucket`; for
    /// existing ones, enable versioning and then `aws s3api put-object-lock-configuration
    /// --bucket BUCKET --object-lock-configuration '{"ObjectLockEnabled":"Enabled",
    /// "Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":30}}}'`.
    pub ObjectLockDisabled {
        id: "s3.bucket.object-lock-disabled",
        title: "Object Lock is not enabled",
        scope: Bucket,
        severity: Info,
        facets: [ObjectLock],
        compliance: [SecurityHub("S3.15")],
    }
}

#[async_trait]
impl Check for ObjectLockDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        Ok(match bucket.object_lock().await? {
            Some(lock) if lock.enabled => Outcome::Pass(match &lock.default_retention {
                Some(retention) => format!("Object Lock is enabled, default retention {retention}"),
                None => "Object Lock is enabled, without a default retention".into(),
            }),
            _ => Outcome::Fail("Object Lock is not enabled".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ObjectLock;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn lock_states() {
        let run = |lock: Option<ObjectLock>| async move {
            let bucket = OfflineBucket::new("b").object_lock(Ok(lock)).build();
            ObjectLockDisabled
                .evaluate(&bucket, &CheckOptions::default())
                .await
                .unwrap()
        };
        let lock = ObjectLock {
            enabled: true,
            default_retention: Some("COMPLIANCE for 30 days".into()),
        };
        assert_eq!(
            run(Some(lock)).await,
            Outcome::Pass(
                "Object Lock is enabled, default retention COMPLIANCE for 30 days".into()
            )
        );
        assert_eq!(
            run(None).await,
            Outcome::Fail("Object Lock is not enabled".into())
        );
    }
}

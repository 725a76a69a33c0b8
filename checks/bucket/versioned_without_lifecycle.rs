use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::model::VersioningStatus;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether a versioned bucket has an enabled lifecycle rule. Buckets that were never
    /// versioned are skipped. The message says whether any rule expires noncurrent versions.
    ///
    /// ## Why it matters
    /// In a versioned bucket every overwrite and delete keeps the old version: without a rule
    /// that expires noncurrent versions, storage (and cost) only grows, and so does the amount
    /// of old, possibly sensitive data kept. Security Hub S3.10 (medium). s3tk rates it low: it
    /// is hygiene and cost, not exposure.
    ///
    /// ## How to fix
    /// Add a rule with `NoncurrentVersionExpiration` (e.g. 90 days) and
    /// `AbortIncompleteMultipartUpload`: `aws s3api put-bucket-lifecycle-configuration …`.
    pub VersionedWithoutLifecycle {
        id: "s3.bucket.versioned-without-lifecycle",
        title: "Versioned bucket has no lifecycle rule",
        scope: Bucket,
        severity: Low,
        facets: [Versioning, Lifecycle],
        compliance: [SecurityHub("S3.10")],
    }
}

#[async_trait]
impl Check for VersionedWithoutLifecycle {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        if bucket.versioning().await?.status.is_none() {
            return Ok(Outcome::Skip("the bucket has never been versioned".into()));
        }
        let rules = bucket.lifecycle().await?.as_deref().unwrap_or_default();
        let enabled: Vec<_> = rules.iter().filter(|r| r.enabled).collect();
        Ok(if enabled.is_empty() {
            let status = match bucket.versioning().await?.status {
                Some(VersioningStatus::Suspended) => {
                    "versioning is suspended, but old versions remain"
                }
                _ => "versioning is enabled",
            };
            Outcome::Fail(format!("no enabled lifecycle rule ({status})"))
        } else if enabled.iter().any(|r| r.expires_noncurrent_versions) {
            Outcome::Pass(format!(
                "{} enabled lifecycle rule(s), noncurrent versions expire",
                enabled.len()
            ))
        } else {
            Outcome::Pass(format!(
                "{} enabled lifecycle rule(s), but none expires noncurrent versions",
                enabled.len()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LifecycleRule, Versioning};
    use crate::state::OfflineBucket;

    async fn outcome(
        status: Option<VersioningStatus>,
        rules: Option<Vec<LifecycleRule>>,
    ) -> Outcome {
        let bucket = OfflineBucket::new("b")
            .versioning(Ok(Versioning {
                status,
                mfa_delete: None,
            }))
            .lifecycle(Ok(rules))
            .build();
        VersionedWithoutLifecycle
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap()
    }

    fn rule(enabled: bool, noncurrent: bool) -> LifecycleRule {
        LifecycleRule {
            id: None,
            enabled,
            expires_noncurrent_versions: noncurrent,
            expires_current_versions: false,
            aborts_incomplete_uploads: false,
        }
    }

    #[tokio::test]
    async fn versioned_buckets_need_an_enabled_rule() {
        assert!(matches!(outcome(None, None).await, Outcome::Skip(_)));
        assert_eq!(
            outcome(Some(VersioningStatus::Enabled), None).await,
            Outcome::Fail("no enabled lifecycle rule (versioning is enabled)".into())
        );
        assert!(matches!(
            outcome(
                Some(VersioningStatus::Suspended),
                Some(vec![rule(false, true)])
            )
            .await,
            Outcome::Fail(_)
        ));
        assert_eq!(
            outcome(
                Some(VersioningStatus::Enabled),
                Some(vec![rule(true, true)])
            )
            .await,
            Outcome::Pass("1 enabled lifecycle rule(s), noncurrent versions expire".into())
        );
        assert!(
            matches!(outcome(Some(VersioningStatus::Enabled), Some(vec![rule(true, false)])).await, Outcome::Pass(m) if m.contains("none expires"))
        );
    }
}

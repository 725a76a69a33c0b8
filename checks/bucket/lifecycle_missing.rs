use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket has at least one enabled lifecycle rule (any rule: expiration,
    /// transition, noncurrent-version expiry or aborting incomplete uploads).
    ///
    /// ## Why it matters
    /// Without lifecycle rules data is kept forever: costs grow, and so does the amount of old
    /// data that could leak. Incomplete multipart uploads are billed until aborted. Security
    /// Hub S3.13 (low). s3tk rates it info: many buckets legitimately keep everything, and
    /// `s3.bucket.versioned-without-lifecycle` covers the case that matters most.
    ///
    /// ## How to fix
    /// Add a rule that fits the data, at least `AbortIncompleteMultipartUpload` after a few days:
    /// `aws s3api put-bucket-lifecycle-configuration --bucket BUCKET --lifecycle-configuration
    /// '{"Rules":[{"ID":"abort-uploads","Status":"Enabled","Filter":{},"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":7}}]}'`.
    pub LifecycleMissing {
        id: "s3.bucket.lifecycle-missing",
        title: "Bucket has no lifecycle rule",
        scope: Bucket,
        severity: Info,
        facets: [Lifecycle],
        compliance: [Fsbp("S3.13")],
    }
}

#[async_trait]
impl Check for LifecycleMissing {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let rules = bucket.lifecycle().await?.as_deref().unwrap_or_default();
        let enabled = rules.iter().filter(|r| r.enabled).count();
        Ok(match (rules.len(), enabled) {
            (0, _) => Outcome::Fail("no lifecycle configuration".into()),
            (_, 0) => Outcome::Fail("every lifecycle rule is disabled".into()),
            (_, n) => Outcome::Pass(format!("{n} enabled lifecycle rule(s)")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LifecycleRule;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn any_enabled_rule_passes() {
        let run = |rules: Option<Vec<LifecycleRule>>| async move {
            let bucket = OfflineBucket::new("b").lifecycle(Ok(rules)).build();
            LifecycleMissing
                .evaluate(&bucket, &CheckOptions::default())
                .await
                .unwrap()
        };
        let rule = |enabled| LifecycleRule {
            id: None,
            enabled,
            expires_noncurrent_versions: false,
            expires_current_versions: true,
            aborts_incomplete_uploads: false,
        };
        assert_eq!(
            run(None).await,
            Outcome::Fail("no lifecycle configuration".into())
        );
        assert_eq!(
            run(Some(vec![rule(false)])).await,
            Outcome::Fail("every lifecycle rule is disabled".into())
        );
        assert_eq!(
            run(Some(vec![rule(true)])).await,
            Outcome::Pass("1 enabled lifecycle rule(s)".into())
        );
    }
}

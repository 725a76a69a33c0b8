use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket replicates its objects (an enabled replication rule), and where to.
    ///
    /// ## Why it matters
    /// A replica in another region or account survives the loss of the region, of the
    /// account, or of the source bucket's data (if the replica is locked down separately).
    /// Security Hub S3.7 (low) asks for cross-region replication in particular; this check
    /// accepts any enabled rule, so it is not mapped to S3.7;
    /// `s3.bucket.cross-region-replication-disabled` is. s3tk rates it info: most data does not
    /// need a second copy, and replication doubles storage cost.
    ///
    /// ## How to fix
    /// Enable versioning on both buckets, then `aws s3api put-bucket-replication --bucket
    /// BUCKET --replication-configuration file://replication.json` with a role S3 can assume.
    pub ReplicationDisabled {
        id: "s3.bucket.replication-disabled",
        title: "Bucket is not replicated",
        scope: Bucket,
        severity: Info,
        facets: [Replication],
        compliance: [],
    }
}

#[async_trait]
impl Check for ReplicationDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let rules = bucket.replication().await?.as_deref().unwrap_or_default();
        let targets: Vec<&str> = rules
            .iter()
            .filter(|r| r.enabled)
            .map(|r| r.destination_bucket.as_str())
            .collect();
        Ok(if targets.is_empty() {
            Outcome::Fail(if rules.is_empty() {
                "no replication is configured".into()
            } else {
                "every replication rule is disabled".into()
            })
        } else {
            Outcome::Pass(format!("replicates to {}", targets.join(", ")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReplicationRule;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn enabled_rules_count() {
        let run = |rules: Option<Vec<ReplicationRule>>| async move {
            let bucket = OfflineBucket::new("b").replication(Ok(rules)).build();
            ReplicationDisabled
                .evaluate(&bucket, &CheckOptions::default())
                .await
                .unwrap()
        };
        let rule = |enabled| ReplicationRule {
            id: None,
            enabled,
            destination_bucket: "arn:aws:s3:::replica".into(),
        };
        assert_eq!(
            run(Some(vec![rule(true)])).await,
            Outcome::Pass("replicates to arn:aws:s3:::replica".into())
        );
        assert_eq!(
            run(Some(vec![rule(false)])).await,
            Outcome::Fail("every replication rule is disabled".into())
        );
        assert_eq!(
            run(None).await,
            Outcome::Fail("no replication is configured".into())
        );
    }
}

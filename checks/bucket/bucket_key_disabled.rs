use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether a bucket whose default encryption is SSE-KMS has the S3 Bucket Key enabled.
    /// Buckets not encrypted with SSE-KMS are skipped, DSSE-KMS included: S3 Bucket Keys do not
    /// support it.
    ///
    /// ## Why it matters
    /// Without a Bucket Key every object write and read calls KMS, which costs money and
    /// counts against the account's KMS request quota, shared with every other service in
    /// the region: heavy S3 traffic can throttle unrelated workloads. The Bucket Key cuts
    /// those calls by up to 99%. Rated info: a cost and availability matter, not an exposure.
    ///
    /// ## How to fix
    /// Re-apply the encryption configuration with `"BucketKeyEnabled": true`; it applies to
    /// new objects.
    pub BucketKeyDisabled {
        id: "s3.bucket.bucket-key-disabled",
        title: "KMS-encrypted bucket does not use an S3 Bucket Key",
        scope: Bucket,
        severity: Info,
        facets: [Encryption],
        compliance: [],
    }
}

#[async_trait]
impl Check for BucketKeyDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        Ok(match bucket.encryption().await? {
            Some(rule)
                if rule.algorithm.as_deref() == Some("aws:kms") && rule.bucket_key_enabled =>
            {
                Outcome::Pass("the S3 Bucket Key is enabled".into())
            }
            Some(rule) if rule.algorithm.as_deref() == Some("aws:kms") => Outcome::Fail(format!(
                "{} without an S3 Bucket Key: every object request calls KMS",
                rule.describe()
            )),
            _ => Outcome::Skip("default encryption is not SSE-KMS".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DefaultEncryption;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn only_kms_buckets_are_judged() {
        let run = |algorithm: &str, bucket_key: bool| {
            let rule = DefaultEncryption {
                algorithm: Some(algorithm.into()),
                kms_key_id: None,
                bucket_key_enabled: bucket_key,
                blocked_encryption_types: vec![],
            };
            let bucket = OfflineBucket::new("b").encryption(Ok(Some(rule))).build();
            async move {
                BucketKeyDisabled
                    .evaluate(&bucket, &CheckOptions::default())
                    .await
                    .unwrap()
            }
        };
        assert!(matches!(run("aws:kms", true).await, Outcome::Pass(_)));
        assert!(
            matches!(run("aws:kms", false).await, Outcome::Fail(m) if m.ends_with("every object request calls KMS"))
        );
        assert!(matches!(run("AES256", false).await, Outcome::Skip(_)));
        assert!(
            matches!(run("aws:kms:dsse", false).await, Outcome::Skip(_)),
            "Bucket Keys do not support DSSE-KMS"
        );
    }
}

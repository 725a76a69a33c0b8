use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket has a default encryption configuration (the original s3tk's
    /// "Default encryption" check; skip it with `--skip-default-encryption`). The message names
    /// the algorithm and key. Since January 2023 AWS applies SSE-S3 to every bucket, so on AWS
    /// this only fails for a configuration without a default algorithm; emulators and
    /// S3-compatible stores often have none. `s3.bucket.kms-encryption-disabled` checks the
    /// stronger requirement.
    ///
    /// ## Why it matters
    /// Objects written without encryption headers are stored unencrypted when there is no
    /// default. CIS AWS Foundations 1.4/1.5 "Ensure all S3 buckets employ encryption-at-rest"
    /// (Security Hub's S3.4 was retired once SSE-S3 became the default).
    ///
    /// ## How to fix
    /// `aws s3api put-bucket-encryption --bucket BUCKET --server-side-encryption-configuration
    /// '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'`, or
    /// SSE-KMS with a customer managed key and the S3 Bucket Key.
    pub DefaultEncryptionDisabled {
        id: "s3.bucket.default-encryption-disabled",
        title: "Default encryption is not configured",
        scope: Bucket,
        severity: Medium,
        facets: [Encryption],
        compliance: [Cis("1.4", "2.1.1"), Cis("1.5", "2.1.1")],
    }
}

#[async_trait]
impl Check for DefaultEncryptionDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        Ok(match bucket.encryption().await? {
            None => Outcome::Fail("no default encryption is configured".into()),
            Some(rule) if rule.algorithm.is_none() => {
                Outcome::Fail("the encryption configuration sets no default algorithm".into())
            }
            Some(rule) => Outcome::Pass(format!("default encryption is {}", rule.describe())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DefaultEncryption;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn any_default_algorithm_passes() {
        let run = |rule: Option<DefaultEncryption>| async move {
            let bucket = OfflineBucket::new("b").encryption(Ok(rule)).build();
            DefaultEncryptionDisabled
                .evaluate(&bucket, &CheckOptions::default())
                .await
                .unwrap()
        };
        let sse_s3 = DefaultEncryption {
            algorithm: Some("AES256".into()),
            kms_key_id: None,
            bucket_key_enabled: false,
            blocked_encryption_types: vec![],
        };
        assert_eq!(
            run(Some(sse_s3.clone())).await,
            Outcome::Pass("default encryption is SSE-S3 (AES256)".into())
        );
        assert_eq!(
            run(None).await,
            Outcome::Fail("no default encryption is configured".into())
        );
        let key_only = DefaultEncryption {
            algorithm: None,
            bucket_key_enabled: true,
            ..sse_s3
        };
        assert!(matches!(run(Some(key_only)).await, Outcome::Fail(_)));
    }
}

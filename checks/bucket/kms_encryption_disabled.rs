use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether default encryption uses AWS KMS (SSE-KMS or DSSE-KMS). The message names the
    /// key: the AWS managed `aws/s3` key or a customer managed key.
    ///
    /// ## Why it matters
    /// SSE-S3 encrypts at rest, but anyone allowed to read an object reads it decrypted. With
    /// KMS a second permission guards the data (`kms:Decrypt` on the key, under a key policy
    /// you control), every use of the key is logged in CloudTrail, and disabling the key
    /// makes the data unreadable at once. Security Hub S3.17 (medium). s3tk rates it low: it
    /// is a policy choice with costs (KMS requests, quotas), not an exposure.
    ///
    /// ## How to fix
    /// `aws s3api put-bucket-encryption --bucket BUCKET --server-side-encryption-configuration
    /// '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"KEY-ARN"},"BucketKeyEnabled":true}]}'`;
    /// existing objects keep their encryption until rewritten.
    pub KmsEncryptionDisabled {
        id: "s3.bucket.kms-encryption-disabled",
        title: "Default encryption does not use KMS",
        scope: Bucket,
        severity: Low,
        facets: [Encryption],
        compliance: [SecurityHub("S3.17")],
    }
}

#[async_trait]
impl Check for KmsEncryptionDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        Ok(match bucket.encryption().await? {
            Some(rule) if rule.is_kms() => {
                Outcome::Pass(format!("default encryption is {}", rule.describe()))
            }
            Some(rule) => Outcome::Fail(format!(
                "default encryption is {}, not SSE-KMS",
                rule.describe()
            )),
            None => Outcome::Fail("no default encryption is configured".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DefaultEncryption;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn kms_or_dsse_pass() {
        let run = |algorithm: &str, key: Option<&str>| {
            let rule = DefaultEncryption {
                algorithm: Some(algorithm.into()),
                kms_key_id: key.map(str::to_owned),
                bucket_key_enabled: true,
                blocked_encryption_types: vec![],
            };
            let bucket = OfflineBucket::new("b").encryption(Ok(Some(rule))).build();
            async move {
                KmsEncryptionDisabled
                    .evaluate(&bucket, &CheckOptions::default())
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            run("aws:kms", None).await,
            Outcome::Pass("default encryption is SSE-KMS with the AWS managed key aws/s3".into())
        );
        assert!(
            matches!(run("aws:kms:dsse", Some("arn:aws:kms:us-east-1:111122223333:key/k")).await, Outcome::Pass(m) if m.contains("DSSE-KMS with key arn"))
        );
        assert_eq!(
            run("AES256", None).await,
            Outcome::Fail("default encryption is SSE-S3 (AES256), not SSE-KMS".into())
        );
    }
}

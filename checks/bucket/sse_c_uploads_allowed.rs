use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket's default encryption rule blocks uploads with customer-provided keys
    /// (`BlockedEncryptionTypes` holds `SSE-C`). A bucket without a default encryption rule
    /// (older S3-compatible stores) blocks nothing and fails too. From AWS Config, a
    /// configuration item recorded before AWS added the field cannot show the block and reads
    /// as allowed.
    ///
    /// ## Why it matters
    /// With SSE-C, S3 stores no key: whoever can write to the bucket can encrypt objects with a
    /// key the owner never sees, and without that key nobody, the owner included, can read
    /// them back. Stolen write credentials are then enough to hold the data to ransom, and
    /// AWS's own recovery tools cannot help. Since April 2026 AWS blocks SSE-C on new general
    /// purpose buckets (and on existing ones in accounts that never stored an SSE-C object);
    /// a bucket that still allows it is one that predates the change or had it turned back on.
    /// Rated low: it matters only together with stolen write access, and some applications
    /// rely on SSE-C on purpose.
    ///
    /// ## How to fix
    /// If no application writes SSE-C objects, re-apply the bucket's default encryption with
    /// the block added, keeping its algorithm and key: `aws s3api put-bucket-encryption
    /// --bucket BUCKET --server-side-encryption-configuration
    /// '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"},"BlockedEncryptionTypes":{"EncryptionType":["SSE-C"]}}]}'`.
    /// SSE-C writes then fail with 403 AccessDenied; objects already stored with SSE-C stay
    /// readable with their keys.
    pub SseCUploadsAllowed {
        id: "s3.bucket.sse-c-uploads-allowed",
        title: "Bucket accepts uploads encrypted with customer-provided keys (SSE-C)",
        scope: Bucket,
        severity: Low,
        facets: [Encryption],
        compliance: [],
    }
}

#[async_trait]
impl Check for SseCUploadsAllowed {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        Ok(match bucket.encryption().await? {
            None => {
                Outcome::Fail("no default encryption rule, so nothing blocks SSE-C uploads".into())
            }
            Some(rule) if rule.blocked_encryption_types.iter().any(|t| t == "SSE-C") => {
                Outcome::Pass("SSE-C uploads are blocked (BlockedEncryptionTypes)".into())
            }
            Some(_) => Outcome::Fail(
                "SSE-C uploads are allowed: the default encryption rule does not block them".into(),
            ),
        })
    }
}

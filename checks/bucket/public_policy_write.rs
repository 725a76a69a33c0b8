use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::exposure;
use crate::policy::Access;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket policy lets the public write, delete or reconfigure: a public `Allow`
    /// statement (same rule as `s3.bucket.public-policy-read`) that grants `s3:PutObject`,
    /// `s3:DeleteObject`, `s3:PutBucketPolicy`, `s3:PutBucketAcl`, `s3:Put*`, `s3:*` or any
    /// other write action. `GetBucketPolicyStatus` is reconciled and `RestrictPublicBuckets`
    /// lowers the severity exactly as for public read.
    ///
    /// ## Why it matters
    /// Anyone can upload content you pay for and serve, overwrite or delete your data, or
    /// rewrite the bucket's own policy. Security Hub control S3.3 (critical).
    ///
    /// ## How to fix
    /// Remove the statement or limit its principal to named accounts or roles; uploads from
    /// the public belong behind pre-signed URLs. Turn on Block Public Access
    /// (`BlockPublicPolicy`, `RestrictPublicBuckets`).
    pub PublicPolicyWrite {
        id: "s3.bucket.public-policy-write",
        title: "Bucket policy lets everyone write or delete",
        scope: Bucket,
        severity: Critical,
        facets: [Policy, PolicyStatus, PublicAccessBlock, AccountPublicAccessBlock, AccountId],
        compliance: [Fsbp("S3.3"), Cis("7.0", "2.21")],
    }
}

#[async_trait]
impl Check for PublicPolicyWrite {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        exposure::public_policy(bucket, Access::Write).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyDocument;
    use crate::state::{OfflineAccount, OfflineBucket};

    async fn outcome(policy: &str) -> Outcome {
        let account = OfflineAccount::new().public_access_block(Ok(None)).build();
        let bucket = OfflineBucket::in_account("b", account)
            .policy(Ok(Some(PolicyDocument::parse(policy).unwrap())))
            .policy_status(Ok(Some(true)))
            .public_access_block(Ok(None))
            .build();
        PublicPolicyWrite
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn only_write_actions_fail() {
        let write = r#"{"Statement":[{"Sid":"Drop","Effect":"Allow","Principal":"*","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"*"}]}"#;
        assert_eq!(
            outcome(write).await,
            Outcome::Fail("policy allows public write access: statement \"Drop\" (#1) allows Principal \"*\" (everyone) with no condition".into())
        );
        let read = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert!(matches!(outcome(read).await, Outcome::Pass(_)));
    }
}

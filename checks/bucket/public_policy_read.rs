use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::exposure;
use crate::policy::Access;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket policy lets the public read: an `Allow` statement that is public by
    /// AWS's definition ("The meaning of public" in the S3 User Guide) and grants a read action
    /// (`s3:GetObject`, `s3:ListBucket`, `s3:Get*`, `s3:*`, …). A statement is public when its
    /// principal reaches beyond fixed AWS principals (`"*"`, `{"AWS": "*"}`, a `"*"` inside a
    /// principal list, a `Federated` principal, `NotPrincipal`) and no condition limits it to
    /// fixed values of `aws:SourceIp` (each value no broader than /8 for IPv4, /32 for IPv6,
    /// and a list no more internet addresses together than one such value), `aws:SourceVpc`,
    /// `aws:SourceVpce`, `aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOwner`,
    /// `aws:PrincipalOrgID`, `aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:userid`,
    /// `s3:x-amz-server-side-encryption-aws-kms-key-id`, `s3:DataAccessPointArn` or
    /// `s3:DataAccessPointAccount`, with `StringEquals`, `StringEqualsIgnoreCase`,
    /// `StringLike`, `ArnEquals`, `ArnLike` or `IpAddress` (also under `ForAnyValue:`).
    /// Wildcards, policy variables, negated operators, `...IfExists` and `ForAllValues:` limit
    /// nothing; `Deny` statements never make a policy public, and an unconditional `Deny` to
    /// everyone removes the actions it covers. The message names each public statement by Sid
    /// and position.
    ///
    /// Where `GetBucketPolicyStatus` answers, AWS's verdict wins and a disagreement with the
    /// local evaluation is stated; without that permission the local verdict is reported as
    /// unconfirmed. When AWS says public but only other access is public locally, a read
    /// statement limited by conditions AWS may judge differently fails as unconfirmed. If
    /// `RestrictPublicBuckets` (bucket or account level) neutralises the policy, the finding
    /// stays, at low severity, naming the setting.
    ///
    /// ## Why it matters
    /// A public read policy exposes the objects to the internet. Security Hub control S3.2
    /// (critical); CIS AWS Foundations 7.0 recommendation 2.21 (no resource policy allows
    /// `Principal: "*"`).
    ///
    /// ## How to fix
    /// Remove the public statement, or restrict it with a fixed-value condition such as
    /// `"StringEquals": {"aws:SourceVpce": "vpce-…"}` or `"aws:PrincipalOrgID"`; serve public
    /// content through CloudFront with origin access control instead. Block Public Access
    /// (`BlockPublicPolicy`, `RestrictPublicBuckets`) stops new public policies and neutralises
    /// existing ones.
    pub PublicPolicyRead {
        id: "s3.bucket.public-policy-read",
        title: "Bucket policy lets everyone read",
        scope: Bucket,
        severity: Critical,
        facets: [Policy, PolicyStatus, PublicAccessBlock, AccountPublicAccessBlock, AccountId],
        compliance: [Fsbp("S3.2"), Cis("7.0", "2.21")],
    }
}

#[async_trait]
impl Check for PublicPolicyRead {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        exposure::public_policy(bucket, Access::Read).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Severity;
    use crate::error::FetchErrorKind;
    use crate::facet::Facet;
    use crate::model::PublicAccessBlock;
    use crate::policy::PolicyDocument;
    use crate::state::{OfflineAccount, OfflineBucket};

    const PUBLIC: &str = r#"{"Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    const PRIVATE: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    const PUBLIC_WRITE: &str = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#;

    async fn outcome(
        policy: Option<&str>,
        status: Result<Option<bool>, FetchError>,
        block: Option<PublicAccessBlock>,
    ) -> Outcome {
        let policy = policy.map(|p| PolicyDocument::parse(p).unwrap());
        let account = OfflineAccount::new().public_access_block(Ok(None)).build();
        let bucket = OfflineBucket::in_account("b", account)
            .policy(Ok(policy))
            .policy_status(status)
            .public_access_block(Ok(block))
            .build();
        PublicPolicyRead
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn no_policy_passes() {
        assert_eq!(
            outcome(None, Ok(None), None).await,
            Outcome::Pass("bucket has no policy".into())
        );
    }

    #[tokio::test]
    async fn agreement() {
        assert_eq!(
            outcome(Some(PUBLIC), Ok(Some(true)), None).await,
            Outcome::Fail("policy allows public read access: statement \"Open\" (#1) allows Principal \"*\" (everyone) with no condition".into())
        );
        assert_eq!(
            outcome(Some(PRIVATE), Ok(Some(false)), None).await,
            Outcome::Pass("policy grants no public read access".into())
        );
    }

    #[tokio::test]
    async fn public_write_only_is_not_a_read_finding() {
        let Outcome::Pass(m) = outcome(Some(PUBLIC_WRITE), Ok(Some(true)), None).await else {
            panic!("write only")
        };
        assert!(
            m.starts_with("policy is public, but for other than read access"),
            "{m}"
        );
    }

    #[tokio::test]
    async fn a_limited_read_statement_is_not_ruled_out_by_aws_public_bit() {
        let policy = r#"{"Statement":[
            {"Sid":"Drop","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"},
            {"Sid":"Office","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"3.0.0.0/8"}}}
        ]}"#;
        assert_eq!(
            outcome(Some(policy), Ok(Some(true)), None).await,
            Outcome::Fail(
                "GetBucketPolicyStatus reports the policy public and read access is unconfirmed: \
                 locally only other access is public (statement \"Drop\" (#1) allows Principal \"*\" \
                 (everyone) with no condition), but AWS may count statement \"Office\" (#2) allows \
                 Principal \"*\" (everyone) only under IpAddress aws:SourceIp as public"
                    .into()
            )
        );
        let Outcome::Pass(_) = outcome(Some(policy), Ok(Some(false)), None).await else {
            panic!("AWS says not public: nothing to doubt")
        };
    }

    #[tokio::test]
    async fn aws_verdict_wins_and_disagreement_is_reported() {
        let Outcome::Pass(m) = outcome(Some(PUBLIC), Ok(Some(false)), None).await else {
            panic!("AWS says not public")
        };
        assert!(
            m.contains("reports the policy not public") && m.contains("\"Open\""),
            "{m}"
        );
        let Outcome::Fail(m) = outcome(Some(PRIVATE), Ok(Some(true)), None).await else {
            panic!("AWS says public")
        };
        assert!(m.contains("no statement was found public locally"), "{m}");
    }

    #[tokio::test]
    async fn denied_status_falls_back_to_local_verdict() {
        let denied = Err(FetchError::new(
            Facet::PolicyStatus,
            FetchErrorKind::AccessDenied,
        ));
        let Outcome::Fail(m) = outcome(Some(PUBLIC), denied, None).await else {
            panic!("locally public")
        };
        assert!(
            m.ends_with("(not confirmed by AWS: access denied to GetBucketPolicyStatus: the caller needs s3:GetBucketPolicyStatus)"),
            "{m}"
        );
    }

    #[tokio::test]
    async fn restrict_public_buckets_neutralises() {
        let block = PublicAccessBlock {
            restrict_public_buckets: true,
            ..Default::default()
        };
        let Outcome::FailAt(severity, m) = outcome(Some(PUBLIC), Ok(Some(true)), Some(block)).await
        else {
            panic!("neutralised")
        };
        assert_eq!(severity, Severity::Low);
        assert!(
            m.ends_with(", currently blocked by bucket-level RestrictPublicBuckets"),
            "{m}"
        );
    }

    #[tokio::test]
    async fn unreadable_policy_is_an_error() {
        let denied = FetchError::new(Facet::Policy, FetchErrorKind::AccessDenied);
        let bucket = OfflineBucket::new("b").policy(Err(denied.clone())).build();
        assert_eq!(
            PublicPolicyRead
                .evaluate(&bucket, &CheckOptions::default())
                .await,
            Err(denied)
        );
    }
}

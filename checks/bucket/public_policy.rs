use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::policy::evaluate_public;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket policy is public by AWS's definition ("The meaning of public" in the
    /// S3 User Guide). An `Allow` statement is public when its principal reaches beyond fixed
    /// AWS principals (`"*"`, `{"AWS": "*"}`, a `"*"` inside a principal list, a `Federated`
    /// principal, `NotPrincipal`) and no condition limits it to fixed values of
    /// `aws:SourceIp` (no broader than /8 for IPv4, /32 for IPv6), `aws:SourceVpc`,
    /// `aws:SourceVpce`, `aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOwner`,
    /// `aws:PrincipalOrgID`, `aws:userid`, the SSE-KMS key id or the access-point keys.
    /// Wildcards, policy variables, negated operators, `...IfExists` and `ForAllValues` do not
    /// limit anything. `Deny` statements never make a policy public. The message names each
    /// public statement by Sid and position.
    ///
    /// Where `GetBucketPolicyStatus` answers, AWS's verdict wins and any disagreement with the
    /// local evaluation is stated in the message; without that permission the local verdict
    /// is reported and marked as unconfirmed.
    ///
    /// ## Why it matters
    /// A public policy can expose every object to the internet, or let anyone write or delete
    /// them, depending on the actions granted. Security Hub controls S3.2 and S3.3 (critical).
    ///
    /// ## How to fix
    /// Remove the public statement, or restrict it with a fixed-value condition such as
    /// `"StringEquals": {"aws:SourceVpce": "vpce-…"}` or `"aws:PrincipalOrgID"`; serve public
    /// content through CloudFront with origin access control instead. Turn on Block Public
    /// Access (`BlockPublicPolicy` and `RestrictPublicBuckets`) to stop new public policies and
    /// neutralise existing ones: `aws s3api put-public-access-block --bucket BUCKET
    /// --public-access-block-configuration BlockPublicPolicy=true,RestrictPublicBuckets=true,BlockPublicAcls=true,IgnorePublicAcls=true`.
    pub PublicPolicy {
        id: "s3.bucket.public-policy",
        title: "Bucket policy allows public access",
        severity: Critical,
        facets: [Policy, PolicyStatus],
        remediation: None,
        compliance: [Fsbp("S3.2"), Fsbp("S3.3")],
    }
}

#[async_trait]
impl Check for PublicPolicy {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let Some(policy) = bucket.policy().await? else {
            return Ok(Outcome::Pass("bucket has no policy".into()));
        };
        let local = evaluate_public(policy);
        let deny_note = if local.conditional_deny {
            ", perhaps because a conditional Deny narrows it"
        } else {
            ""
        };
        Ok(match (bucket.policy_status().await, local.is_public()) {
            (Ok(Some(true)), true) => Outcome::Fail(format!("policy is public: {}", local.explain())),
            (Ok(Some(true)), false) => Outcome::Fail(
                "GetBucketPolicyStatus reports the policy public although no statement was found public locally \
                 (AWS's verdict wins)"
                    .into(),
            ),
            (Ok(Some(false)), true) => Outcome::Pass(format!(
                "GetBucketPolicyStatus reports the policy not public{deny_note}, although locally {} \
                 (AWS's verdict wins)",
                local.explain()
            )),
            (Ok(Some(false)), false) => {
                Outcome::Pass("policy grants access only to fixed principals or under fixed-value conditions".into())
            }
            // No status (the policy changed between the two reads) or no permission to read it:
            // report the local verdict and say it is unconfirmed.
            (unconfirmed, public) => {
                let why = match unconfirmed {
                    Err(e) => e.to_string(),
                    Ok(_) => "GetBucketPolicyStatus found no policy".into(),
                };
                if public {
                    Outcome::Fail(format!("policy is public: {} (not confirmed by AWS: {why})", local.explain()))
                } else {
                    Outcome::Pass(format!(
                        "no statement is public by local evaluation (not confirmed by AWS: {why})"
                    ))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FetchErrorKind;
    use crate::policy::PolicyDocument;
    use crate::state::{Facet, OfflineBucket};

    const PUBLIC: &str = r#"{"Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    const PRIVATE: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;

    async fn outcome(policy: Option<&str>, status: Result<Option<bool>, FetchError>) -> Outcome {
        let policy = policy.map(|p| PolicyDocument::parse(p).unwrap());
        let bucket = OfflineBucket::new("b")
            .policy(Ok(policy))
            .policy_status(status)
            .build();
        PublicPolicy
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn no_policy_passes() {
        assert_eq!(
            outcome(None, Ok(None)).await,
            Outcome::Pass("bucket has no policy".into())
        );
    }

    #[tokio::test]
    async fn agreement() {
        assert_eq!(
            outcome(Some(PUBLIC), Ok(Some(true))).await,
            Outcome::Fail("policy is public: statement \"Open\" (#1) allows Principal \"*\" (everyone) with no condition".into())
        );
        assert!(matches!(
            outcome(Some(PRIVATE), Ok(Some(false))).await,
            Outcome::Pass(_)
        ));
    }

    #[tokio::test]
    async fn aws_verdict_wins_and_disagreement_is_reported() {
        let Outcome::Pass(m) = outcome(Some(PUBLIC), Ok(Some(false))).await else {
            panic!("AWS says not public")
        };
        assert!(
            m.contains("reports the policy not public") && m.contains("\"Open\""),
            "{m}"
        );
        let Outcome::Fail(m) = outcome(Some(PRIVATE), Ok(Some(true))).await else {
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
        let Outcome::Fail(m) = outcome(Some(PUBLIC), denied).await else {
            panic!("locally public")
        };
        assert!(m.ends_with("(not confirmed by AWS: access denied to GetBucketPolicyStatus: the caller needs s3:GetBucketPolicyStatus)"), "{m}");
    }

    #[tokio::test]
    async fn unreadable_policy_is_an_error() {
        let denied = FetchError::new(Facet::Policy, FetchErrorKind::AccessDenied);
        let bucket = OfflineBucket::new("b").policy(Err(denied.clone())).build();
        assert_eq!(
            PublicPolicy
                .evaluate(&bucket, &CheckOptions::default())
                .await,
            Err(denied)
        );
    }
}

use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::exposure;
use crate::policy::Effect;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket policy allows principals of other AWS accounts: `Allow` statements
    /// whose `AWS` principals name an account (an account id, or an IAM or STS ARN), or whose
    /// condition limits `aws:PrincipalAccount` or `aws:PrincipalArn` to listed values
    /// (`StringEquals`, `StringEqualsIgnoreCase`, `StringLike`, `ArnEquals`, `ArnLike`, also
    /// under `ForAnyValue:`), other than the scanning account, unless the account is listed
    /// with `--trusted-account ID` (repeatable). Every account such a condition admits is a
    /// granted account. The message names each statement, the accounts and the actions
    /// granted. Public statements (`"*"` with no limiting condition) are the public-policy
    /// checks' business; service principals are not accounts. Deliberately not flagged: a
    /// canonical user id (the policy does not say which account it is), `aws:SourceAccount`
    /// and `aws:SourceArn` (the account of a resource an AWS service acts for, not a caller)
    /// and `aws:PrincipalOrgID` (an organization, whose accounts are the owner's to manage).
    /// While the policy is public and RestrictPublicBuckets is on, S3 refuses other accounts'
    /// access through it: the finding is lowered to low and names the setting.
    ///
    /// ## Why it matters
    /// Cross-account grants are easy to forget: a partner, a vendor, a decommissioned account
    /// that changed hands. Each keeps the access the policy gives it, often including writes
    /// or changes to the bucket's own permissions. Security Hub S3.6 (high) flags only grants of
    /// five permission-changing actions to other accounts; this check lists every grant, so it
    /// is not mapped to S3.6, and the expected ones can be trusted explicitly.
    ///
    /// ## How to fix
    /// Remove statements for accounts that should no longer have access, narrow the actions of
    /// the rest (never `s3:PutBucketPolicy`, `s3:PutBucketAcl`, `s3:DeleteBucketPolicy`,
    /// `s3:PutEncryptionConfiguration` or `s3:PutObjectAcl`), and pass the accounts you do
    /// trust with `--trusted-account`.
    pub CrossAccountAccess {
        id: "s3.bucket.cross-account-access",
        title: "Bucket policy grants access to other accounts",
        scope: Bucket,
        severity: High,
        facets: [Policy, PolicyStatus, PublicAccessBlock, AccountPublicAccessBlock, AccountId],
        compliance: [],
    }
}

#[async_trait]
impl Check for CrossAccountAccess {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        options: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let Some(policy) = bucket.policy().await? else {
            return Ok(Outcome::Pass("the bucket has no policy".into()));
        };
        let own = bucket.account().account_id().await?;
        let grants: Vec<String> = policy
            .statements()
            .iter()
            .filter(|s| s.effect() == Effect::Allow)
            .filter_map(|s| {
                let foreign: Vec<String> = s
                    .granted_accounts()
                    .into_iter()
                    .filter(|a| a != own && !options.trusted_accounts.contains(a))
                    .collect();
                if foreign.is_empty() {
                    return None;
                }
                let actions = match s.strings("Action") {
                    actions if !actions.is_empty() => actions.join(", "),
                    _ => format!("every action except {}", s.strings("NotAction").join(", ")),
                };
                Some(format!(
                    "{} allows account {} to {actions}",
                    s.label(),
                    foreign.join(", ")
                ))
            })
            .collect();
        if grants.is_empty() {
            return Ok(Outcome::Pass(
                "no statement grants access to an untrusted account".into(),
            ));
        }
        let message = grants.join("; ");
        Ok(match exposure::cross_account_blocked_by(bucket).await? {
            Some(by) => Outcome::FailAt(
                exposure::NEUTRALISED,
                format!("{message}, currently blocked by {by} (the policy is public)"),
            ),
            None => Outcome::Fail(message),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyDocument;
    use crate::state::{OfflineAccount, OfflineBucket};

    const POLICY: &str = r#"{"Statement":[
        {"Sid":"Self","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"},
        {"Sid":"Partner","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:role/reader","555566667777"]},"Action":["s3:GetObject","s3:PutObject"],"Resource":"*"},
        {"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"},
        {"Sid":"ByCondition","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"777788889999"}}},
        {"Sid":"IgnoringCase","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:PrincipalAccount":"222233334444"}}},
        {"Sid":"AnyArn","Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"*","Condition":{"ForAnyValue:ArnLike":{"aws:PrincipalArn":["arn:aws:iam::333344445555:role/*","arn:aws:iam::111122223333:role/own"]}}},
        {"Sid":"IfExists","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:PrincipalAccount":"666677778888"}}},
        {"Effect":"Deny","Principal":{"AWS":"999988887777"},"Action":"s3:*","Resource":"*"}
    ]}"#;

    async fn outcome(trusted: &[&str]) -> Outcome {
        let account = OfflineAccount::new()
            .account_id(Ok("111122223333".into()))
            .build();
        let bucket = OfflineBucket::in_account("b", account)
            .policy(Ok(Some(PolicyDocument::parse(POLICY).unwrap())))
            .build();
        let options = CheckOptions {
            trusted_accounts: trusted.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        CrossAccountAccess
            .evaluate(&bucket, &options)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn other_accounts_unless_trusted() {
        assert_eq!(
            outcome(&[]).await,
            Outcome::Fail(
                "statement \"Partner\" (#2) allows account 444455556666, 555566667777 to s3:GetObject, s3:PutObject; \
                 statement \"ByCondition\" (#4) allows account 777788889999 to s3:GetObject; \
                 statement \"IgnoringCase\" (#5) allows account 222233334444 to s3:GetObject; \
                 statement \"AnyArn\" (#6) allows account 333344445555 to s3:ListBucket"
                    .into()
            )
        );
        let partners = [
            "555566667777",
            "777788889999",
            "222233334444",
            "333344445555",
        ];
        assert_eq!(
            outcome(&partners).await,
            Outcome::Fail("statement \"Partner\" (#2) allows account 444455556666 to s3:GetObject, s3:PutObject".into())
        );
        assert!(matches!(
            outcome(&[&partners[..], &["444455556666"]].concat()).await,
            Outcome::Pass(_)
        ));
    }
}

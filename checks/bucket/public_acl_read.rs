use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::exposure;
use crate::policy::Access;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket's ACL lets everyone read: `READ` (list the keys), `READ_ACP` (read
    /// the ACL) or `FULL_CONTROL` granted to `AllUsers` (anyone, signed or anonymous) or
    /// `AuthenticatedUsers` (any AWS account in the world, not just yours). The message names
    /// each group and permission. Grants to `LogDelivery` or to specific accounts are not
    /// public. If Block Public Access (`IgnorePublicAcls`, at the bucket or account level)
    /// currently neutralises the grant, it is still reported, at low severity, naming the
    /// setting: turning the block off would expose the bucket again.
    ///
    /// ## Why it matters
    /// A bucket that anyone can list leaks every object name, and often the structure of the
    /// data behind them; `READ_ACP` leaks the owner's and grantees' canonical ids. Security Hub
    /// control S3.2 (critical) covers public read.
    ///
    /// ## How to fix
    /// Turn on Block Public Access (`aws s3api put-public-access-block --bucket BUCKET
    /// --public-access-block-configuration
    /// BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`),
    /// then remove the grants (`aws s3api put-bucket-acl --bucket BUCKET --acl private`) and
    /// disable ACLs with Object Ownership `BucketOwnerEnforced`.
    pub PublicAclRead {
        id: "s3.bucket.public-acl-read",
        title: "Bucket ACL lets everyone list or read it",
        scope: Bucket,
        severity: High,
        facets: [Acl, PublicAccessBlock, AccountPublicAccessBlock, AccountId],
        compliance: [Fsbp("S3.2")],
    }
}

#[async_trait]
impl Check for PublicAclRead {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        exposure::public_acl(bucket, Access::Read).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Severity;
    use crate::model::{
        ALL_USERS_URI, AUTHENTICATED_USERS_URI, Acl, Grant, Grantee, LOG_DELIVERY_URI,
        PublicAccessBlock,
    };
    use crate::state::{OfflineAccount, OfflineBucket};

    fn group(uri: &str, permission: &str) -> Grant {
        Grant {
            grantee: Grantee::Group { uri: uri.into() },
            permission: permission.into(),
        }
    }

    async fn outcome(grants: Vec<Grant>, account_block: Option<PublicAccessBlock>) -> Outcome {
        let account = OfflineAccount::new()
            .public_access_block(Ok(account_block))
            .build();
        let bucket = OfflineBucket::in_account("b", account)
            .acl(Ok(Acl {
                owner_id: Some("owner".into()),
                grants,
            }))
            .public_access_block(Ok(None))
            .build();
        PublicAclRead
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn log_delivery_and_write_grants_are_not_public_reads() {
        let result = outcome(
            vec![
                group(LOG_DELIVERY_URI, "WRITE"),
                group(ALL_USERS_URI, "WRITE"),
            ],
            None,
        )
        .await;
        assert!(matches!(result, Outcome::Pass(_)), "{result:?}");
    }

    #[tokio::test]
    async fn names_every_group_and_permission() {
        let grants = vec![
            group(ALL_USERS_URI, "READ"),
            group(AUTHENTICATED_USERS_URI, "READ_ACP"),
            group(ALL_USERS_URI, "FULL_CONTROL"),
        ];
        assert_eq!(
            outcome(grants, None).await,
            Outcome::Fail(
                "ACL grants READ, FULL_CONTROL to AllUsers (anyone on the internet) and READ_ACP to AuthenticatedUsers (any AWS account)".into()
            )
        );
    }

    #[tokio::test]
    async fn a_block_lowers_the_severity_and_says_which() {
        let block = PublicAccessBlock {
            ignore_public_acls: true,
            ..Default::default()
        };
        assert_eq!(
            outcome(vec![group(ALL_USERS_URI, "READ")], Some(block)).await,
            Outcome::FailAt(
                Severity::Low,
                "ACL grants READ to AllUsers (anyone on the internet), currently blocked by account-level IgnorePublicAcls".into()
            )
        );
    }
}

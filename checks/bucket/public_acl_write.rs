use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::exposure;
use crate::policy::Access;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket's ACL lets everyone write: `WRITE` (create, overwrite and delete
    /// objects), `WRITE_ACP` (rewrite the ACL itself) or `FULL_CONTROL` granted to `AllUsers`
    /// or `AuthenticatedUsers`. The message names each group and permission. A grant that Block
    /// Public Access (`IgnorePublicAcls`) currently neutralises is still reported, at low
    /// severity, naming the setting.
    ///
    /// ## Why it matters
    /// Anyone can store objects you pay for, replace your data, or with `WRITE_ACP` take over
    /// the bucket's permissions. Security Hub control S3.3 (critical).
    ///
    /// ## How to fix
    /// Turn on Block Public Access (`aws s3api put-public-access-block --bucket BUCKET
    /// --public-access-block-configuration
    /// BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`),
    /// remove the grants (`aws s3api put-bucket-acl --bucket BUCKET --acl private`) and disable
    /// ACLs with Object Ownership `BucketOwnerEnforced`.
    pub PublicAclWrite {
        id: "s3.bucket.public-acl-write",
        title: "Bucket ACL lets everyone write to it",
        scope: Bucket,
        severity: Critical,
        facets: [Acl, PublicAccessBlock, AccountPublicAccessBlock, AccountId],
        compliance: [Fsbp("S3.3")],
    }
}

#[async_trait]
impl Check for PublicAclWrite {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        exposure::public_acl(bucket, Access::Write).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ALL_USERS_URI, Acl, Grant, Grantee};
    use crate::state::{OfflineAccount, OfflineBucket};

    #[tokio::test]
    async fn write_grants_fail_and_reads_pass() {
        let run = |permission: &str| {
            let grant = Grant {
                grantee: Grantee::Group {
                    uri: ALL_USERS_URI.into(),
                },
                permission: permission.into(),
            };
            let account = OfflineAccount::new().public_access_block(Ok(None)).build();
            let bucket = OfflineBucket::in_account("b", account)
                .acl(Ok(Acl {
                    owner_id: None,
                    grants: vec![grant],
                }))
                .public_access_block(Ok(None))
                .build();
            async move {
                PublicAclWrite
                    .evaluate(&bucket, &CheckOptions::default())
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            run("WRITE_ACP").await,
            Outcome::Fail("ACL grants WRITE_ACP to AllUsers (anyone on the internet)".into())
        );
        assert!(matches!(run("READ").await, Outcome::Pass(_)));
    }
}

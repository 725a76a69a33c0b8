use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::exposure::EffectiveBlock;
use crate::model::PublicAccessBlock;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether all four Block Public Access settings (`BlockPublicAcls`, `IgnorePublicAcls`,
    /// `BlockPublicPolicy`, `RestrictPublicBuckets`) are in effect for the bucket. S3 applies
    /// the most restrictive combination of the bucket-level and account-level settings, so a
    /// flag counts as on when either level sets it; the message says which level provides it,
    /// and which flags are off at both. (Security Hub S3.8 looks at the bucket level alone;
    /// s3tk passes a bucket the account-level block fully covers, and says so.) A bucket
    /// without a configuration of its own has every bucket-level flag off.
    ///
    /// ## Why it matters
    /// Block Public Access is the guard rail that keeps a mistaken ACL or policy from exposing
    /// the bucket; without it one `PutBucketPolicy` can publish everything. AWS turns it on for
    /// every new bucket since April 2023; older buckets often lack it. Security Hub S3.8 (high);
    /// CIS AWS Foundations "Ensure that S3 is configured with Block Public Access".
    ///
    /// ## How to fix
    /// `aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration
    /// BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
    /// or better, turn it on for the whole account (`s3.account.public-access-block-disabled`).
    /// A bucket that must stay public (a website) is better served through CloudFront.
    pub PublicAccessBlockDisabled {
        id: "s3.bucket.public-access-block-disabled",
        title: "Block Public Access is not fully on for the bucket",
        scope: Bucket,
        severity: High,
        facets: [PublicAccessBlock, AccountPublicAccessBlock, AccountId],
        compliance: [
            Fsbp("S3.8"),
            Cis("1.4", "2.1.5"),
            Cis("1.5", "2.1.5"),
            Cis("2.0", "2.1.4"),
            Cis("3.0", "2.1.4"),
            Cis("4.0", "2.1.4"),
            Cis("5.0", "2.1.4"),
            Cis("6.0", "3.1.4"),
            Cis("7.0", "3.1.4"),
        ],
    }
}

#[async_trait]
impl Check for PublicAccessBlockDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let block = EffectiveBlock::of(bucket).await;
        let bucket_level = match (&block.bucket, &block.account) {
            (Ok(b), _) => *b,
            // The account-level block covers the bucket whatever its own settings are.
            (Err(e), Ok(account)) if *account == PublicAccessBlock::ALL_ON => {
                return Ok(Outcome::Pass(format!(
                    "all four settings are on through the account-level block (bucket level unknown: {e})"
                )));
            }
            (Err(e), _) => return Err(e.clone()),
        };
        if bucket_level == PublicAccessBlock::ALL_ON {
            return Ok(Outcome::Pass(
                "all four settings are on at the bucket level".into(),
            ));
        }
        let account_level = match &block.account {
            Ok(account) => *account,
            Err(e) => {
                let missing = bucket_level.missing().join(", ");
                return Ok(Outcome::Fail(format!(
                    "{missing} off at the bucket level (account-level block unknown: {e})"
                )));
            }
        };
        let effective = PublicAccessBlock {
            block_public_acls: bucket_level.block_public_acls || account_level.block_public_acls,
            ignore_public_acls: bucket_level.ignore_public_acls || account_level.ignore_public_acls,
            block_public_policy: bucket_level.block_public_policy
                || account_level.block_public_policy,
            restrict_public_buckets: bucket_level.restrict_public_buckets
                || account_level.restrict_public_buckets,
        };
        let missing = effective.missing();
        Ok(if missing.is_empty() {
            Outcome::Pass(if account_level == PublicAccessBlock::ALL_ON {
                "all four settings are on through the account-level block".into()
            } else {
                "all four settings are on, combining the bucket and account levels".into()
            })
        } else {
            Outcome::Fail(format!(
                "{} off at both the bucket and the account level",
                missing.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FetchErrorKind;
    use crate::facet::Facet;
    use crate::state::{OfflineAccount, OfflineBucket};

    async fn outcome(
        bucket: Option<PublicAccessBlock>,
        account: Result<Option<PublicAccessBlock>, FetchError>,
    ) -> Outcome {
        let account = OfflineAccount::new().public_access_block(account).build();
        let state = OfflineBucket::in_account("b", account)
            .public_access_block(Ok(bucket))
            .build();
        PublicAccessBlockDisabled
            .evaluate(&state, &CheckOptions::default())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn bucket_or_account_level() {
        let all = Some(PublicAccessBlock::ALL_ON);
        assert_eq!(
            outcome(all, Ok(None)).await,
            Outcome::Pass("all four settings are on at the bucket level".into())
        );
        assert_eq!(
            outcome(None, Ok(all)).await,
            Outcome::Pass("all four settings are on through the account-level block".into())
        );
        let acls = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            ..Default::default()
        };
        let policy = PublicAccessBlock {
            block_public_policy: true,
            restrict_public_buckets: true,
            ..Default::default()
        };
        assert!(
            matches!(outcome(Some(acls), Ok(Some(policy))).await, Outcome::Pass(m) if m.contains("combining"))
        );
        assert_eq!(
            outcome(Some(acls), Ok(None)).await,
            Outcome::Fail("BlockPublicPolicy, RestrictPublicBuckets off at both the bucket and the account level".into())
        );
        assert_eq!(
            outcome(None, Ok(None)).await,
            Outcome::Fail("BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets off at both the bucket and the account level".into())
        );
    }

    #[tokio::test]
    async fn unreadable_account_level_is_said() {
        let denied = Err(FetchError::new(
            Facet::AccountPublicAccessBlock,
            FetchErrorKind::AccessDenied,
        ));
        let Outcome::Fail(m) = outcome(None, denied).await else {
            panic!("bucket level is off")
        };
        assert!(m.ends_with("(account-level block unknown: access denied to GetPublicAccessBlock (account): the caller needs s3:GetAccountPublicAccessBlock)"), "{m}");
    }
}

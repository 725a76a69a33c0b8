use crate::check::{AccountCheck, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::model::PublicAccessBlock;
use crate::state::AccountState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether all four Block Public Access settings are on at the account level (S3 Control
    /// `GetPublicAccessBlock`, which reports the effective account setting, including one
    /// inherited from an AWS Organizations policy). The message lists the flags that are off.
    ///
    /// ## Why it matters
    /// The account-level block covers every bucket, present and future, and cannot be undone
    /// by a bucket policy that lets users change a bucket's own settings; AWS recommends it for
    /// every account that does not serve public buckets. Security Hub S3.1; CIS AWS
    /// Foundations "Ensure that S3 is configured with Block Public Access".
    ///
    /// ## How to fix
    /// `aws s3control put-public-access-block --account-id ACCOUNT
    /// --public-access-block-configuration
    /// BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
    /// or set it for the whole organization with an S3 policy in AWS Organizations.
    pub AccountPublicAccessBlockDisabled {
        id: "s3.account.public-access-block-disabled",
        title: "Block Public Access is not fully on for the account",
        scope: Account,
        severity: High,
        facets: [AccountPublicAccessBlock, AccountId],
        compliance: [
            Fsbp("S3.1"),
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
impl AccountCheck for AccountPublicAccessBlockDisabled {
    async fn evaluate(
        &self,
        account: &AccountState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        Ok(match account.public_access_block().await? {
            None => Outcome::Fail("the account has no Block Public Access configuration".into()),
            Some(block) if *block == PublicAccessBlock::ALL_ON => {
                Outcome::Pass("all four settings are on at the account level".into())
            }
            Some(block) => Outcome::Fail(format!(
                "{} off at the account level",
                block.missing().join(", ")
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::OfflineAccount;

    #[tokio::test]
    async fn all_four_flags_are_needed() {
        let run = |block: Option<PublicAccessBlock>| async move {
            let account = OfflineAccount::new().public_access_block(Ok(block)).build();
            AccountPublicAccessBlockDisabled
                .evaluate(&account, &CheckOptions::default())
                .await
                .unwrap()
        };
        assert_eq!(
            run(Some(PublicAccessBlock::ALL_ON)).await,
            Outcome::Pass("all four settings are on at the account level".into())
        );
        assert_eq!(
            run(None).await,
            Outcome::Fail("the account has no Block Public Access configuration".into())
        );
        let partial = PublicAccessBlock {
            ignore_public_acls: true,
            restrict_public_buckets: true,
            ..Default::default()
        };
        assert_eq!(
            run(Some(partial)).await,
            Outcome::Fail("BlockPublicAcls, BlockPublicPolicy off at the account level".into())
        );
    }
}

use crate::change::Change;
use crate::declare_remediation;
use crate::error::FetchError;
use crate::model::PublicAccessBlock;
use crate::remediation::{AccountRemediation, FixContext, Plan};
use crate::state::AccountState;
use async_trait::async_trait;

declare_remediation! {
    /// ## What it does
    /// Turns on all four Block Public Access settings for the whole account (S3 Control
    /// `PutPublicAccessBlock`), after printing the account id it will change.
    ///
    /// ## What can break
    /// Every public bucket and object in the account stops being public at once: static
    /// websites served straight from S3, public downloads, and cross-account access granted by
    /// a *public* bucket policy. Check `s3tk scan` for public findings first; serve public
    /// content through CloudFront with origin access control instead.
    pub AccountBlockPublicAccess {
        id: "s3.account.block-public-access",
        usage: "s3tk block-public-access --account",
        title: "Turn on Block Public Access for the account",
        scope: Account,
        fixes: ["s3.account.public-access-block-disabled"],
        safe: false,
        facets: [PutAccountPublicAccessBlock, AccountPublicAccessBlock, AccountId],
    }
}

#[async_trait]
impl AccountRemediation for AccountBlockPublicAccess {
    async fn plan(&self, account: &AccountState, _: &FixContext) -> Result<Plan, FetchError> {
        let current = account.public_access_block().await?.unwrap_or_default();
        if current == PublicAccessBlock::ALL_ON {
            return Ok(Plan::Already(
                "all four settings are on at the account level".into(),
            ));
        }
        let account = account.account_id().await?.to_owned();
        Ok(Plan::Change(vec![Change::PutAccountPublicAccessBlock {
            account,
            block: PublicAccessBlock::ALL_ON,
        }]))
    }
}

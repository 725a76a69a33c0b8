use crate::check::{AccountCheck, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::model::PublicAccessBlock;
use crate::state::AccountState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether every Multi-Region Access Point of the account has all four Block Public Access
    /// settings on (S3 Control `ListMultiRegionAccessPoints`, answered by the us-west-2 control
    /// plane). An account without Multi-Region Access Points passes.
    ///
    /// ## Why it matters
    /// A Multi-Region Access Point fronts buckets in several regions with one global endpoint
    /// and its own policy; without Block Public Access a public policy on it exposes every
    /// bucket behind it. Its settings are chosen when it is created and cannot be changed.
    /// Security Hub S3.24 (high).
    ///
    /// ## How to fix
    /// Create a replacement Multi-Region Access Point with Block Public Access on
    /// (`aws s3control create-multi-region-access-point` with
    /// `PublicAccessBlock={BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true}`),
    /// move clients to it, then delete the old one.
    pub MultiRegionAccessPointPublicAccessBlockDisabled {
        id: "s3.account.multi-region-access-point-public-access-block-disabled",
        title: "A Multi-Region Access Point lacks Block Public Access",
        scope: Account,
        severity: High,
        facets: [MultiRegionAccessPoints, AccountId],
        compliance: [Fsbp("S3.24")],
    }
}

#[async_trait]
impl AccountCheck for MultiRegionAccessPointPublicAccessBlockDisabled {
    async fn evaluate(
        &self,
        account: &AccountState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let points = account.multi_region_access_points().await?;
        if points.is_empty() {
            return Ok(Outcome::Pass(
                "the account has no Multi-Region Access Points".into(),
            ));
        }
        let open: Vec<String> = points
            .iter()
            .filter(|p| p.public_access_block != PublicAccessBlock::ALL_ON)
            .map(|p| {
                format!(
                    "{} ({} off)",
                    p.name,
                    p.public_access_block.missing().join(", ")
                )
            })
            .collect();
        Ok(if open.is_empty() {
            Outcome::Pass(format!(
                "all {} Multi-Region Access Points block public access",
                points.len()
            ))
        } else {
            Outcome::Fail(format!("Multi-Region Access Point {}", open.join("; ")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccessPoint;
    use crate::state::OfflineAccount;

    #[tokio::test]
    async fn every_point_must_block() {
        let run = |points: Vec<AccessPoint>| async move {
            let account = OfflineAccount::new()
                .multi_region_access_points(Ok(points))
                .build();
            MultiRegionAccessPointPublicAccessBlockDisabled
                .evaluate(&account, &CheckOptions::default())
                .await
                .unwrap()
        };
        assert_eq!(
            run(vec![]).await,
            Outcome::Pass("the account has no Multi-Region Access Points".into())
        );
        let point = |name: &str, block| AccessPoint {
            name: name.into(),
            network_origin: "Internet".into(),
            public_access_block: block,
        };
        assert!(matches!(
            run(vec![point("global", PublicAccessBlock::ALL_ON)]).await,
            Outcome::Pass(_)
        ));
        let open = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            ..Default::default()
        };
        assert_eq!(
            run(vec![point("global", open)]).await,
            Outcome::Fail("Multi-Region Access Point global (RestrictPublicBuckets off)".into())
        );
    }
}

use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::model::PublicAccessBlock;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether every access point of the bucket has all four Block Public Access settings on
    /// (S3 Control `ListAccessPoints` and `GetAccessPoint`). An access point's settings can only
    /// be chosen when it is created. An access point is covered when the account-level block
    /// is fully on; the message says so. A bucket without access points passes.
    ///
    /// ## Why it matters
    /// An access point has its own policy and its own Block Public Access settings: a public
    /// access-point policy can expose the bucket's data through the access point even when the
    /// bucket itself is locked down. Security Hub S3.19 (critical).
    ///
    /// ## How to fix
    /// Access-point settings cannot be changed: create a replacement access point with Block
    /// Public Access on (`aws s3control create-access-point … --public-access-block-configuration
    /// BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`),
    /// move clients to it, and delete the old one; or turn on the account-level block.
    pub AccessPointPublicAccessBlockDisabled {
        id: "s3.bucket.access-point-public-access-block-disabled",
        title: "An access point of the bucket lacks Block Public Access",
        scope: Bucket,
        severity: Critical,
        facets: [AccessPoints, AccountPublicAccessBlock, AccountId],
        compliance: [Fsbp("S3.19")],
    }
}

#[async_trait]
impl Check for AccessPointPublicAccessBlockDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let points = bucket.access_points().await?;
        if points.is_empty() {
            return Ok(Outcome::Pass("the bucket has no access points".into()));
        }
        let open: Vec<String> = points
            .iter()
            .filter(|p| p.public_access_block != PublicAccessBlock::ALL_ON)
            .map(|p| {
                format!(
                    "{} ({} origin; {} off)",
                    p.name,
                    p.network_origin,
                    p.public_access_block.missing().join(", ")
                )
            })
            .collect();
        if open.is_empty() {
            return Ok(Outcome::Pass(format!(
                "all {} access points block public access",
                points.len()
            )));
        }
        let covered = matches!(bucket.account().public_access_block().await, Ok(Some(a)) if *a == PublicAccessBlock::ALL_ON);
        Ok(if covered {
            Outcome::Pass(format!(
                "covered by the account-level block: {}",
                open.join("; ")
            ))
        } else {
            Outcome::Fail(format!("access point {}", open.join("; access point ")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccessPoint;
    use crate::state::{OfflineAccount, OfflineBucket};

    async fn outcome(points: Vec<AccessPoint>, account: Option<PublicAccessBlock>) -> Outcome {
        let account = OfflineAccount::new()
            .public_access_block(Ok(account))
            .build();
        let bucket = OfflineBucket::in_account("b", account)
            .access_points(Ok(points))
            .build();
        AccessPointPublicAccessBlockDisabled
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap()
    }

    fn point(name: &str, block: PublicAccessBlock) -> AccessPoint {
        AccessPoint {
            name: name.into(),
            network_origin: "Internet".into(),
            public_access_block: block,
        }
    }

    #[tokio::test]
    async fn every_access_point_must_block() {
        assert_eq!(
            outcome(vec![], None).await,
            Outcome::Pass("the bucket has no access points".into())
        );
        assert!(matches!(
            outcome(vec![point("a", PublicAccessBlock::ALL_ON)], None).await,
            Outcome::Pass(_)
        ));
        let open = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            ..Default::default()
        };
        assert_eq!(
            outcome(
                vec![
                    point("a", PublicAccessBlock::ALL_ON),
                    point("partner", open)
                ],
                None
            )
            .await,
            Outcome::Fail(
                "access point partner (Internet origin; RestrictPublicBuckets off)".into()
            )
        );
        assert!(
            matches!(outcome(vec![point("partner", open)], Some(PublicAccessBlock::ALL_ON)).await, Outcome::Pass(m) if m.starts_with("covered by the account-level block"))
        );
    }
}

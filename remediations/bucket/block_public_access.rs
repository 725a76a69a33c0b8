use crate::change::Change;
use crate::declare_remediation;
use crate::error::FetchError;
use crate::model::PublicAccessBlock;
use crate::remediation::{FixContext, Plan, Remediation};
use crate::state::BucketState;
use async_trait::async_trait;

declare_remediation! {
    /// ## What it does
    /// Turns on all four bucket-level Block Public Access settings (`BlockPublicAcls`,
    /// `IgnorePublicAcls`, `BlockPublicPolicy`, `RestrictPublicBuckets`), keeping any that are
    /// already on. Buckets with all four on are left alone.
    ///
    /// ## What can break
    /// Public access the bucket grants through its ACL or policy stops working: a static
    /// website served from the bucket, public downloads, and other accounts' access through a
    /// *public* policy. Access through non-public grants to named accounts keeps working.
    pub BlockPublicAccess {
        id: "s3.bucket.block-public-access",
        usage: "s3tk block-public-access {bucket}",
        title: "Turn on Block Public Access for the bucket",
        scope: Bucket,
        fixes: [
            "s3.bucket.public-access-block-disabled",
            "s3.bucket.public-acl-read",
            "s3.bucket.public-acl-write",
            "s3.bucket.public-policy-read",
            "s3.bucket.public-policy-write",
        ],
        safe: true,
        facets: [PublicAccessBlock, PutPublicAccessBlock],
    }
}

#[async_trait]
impl Remediation for BlockPublicAccess {
    async fn plan(&self, bucket: &BucketState, _: &FixContext) -> Result<Plan, FetchError> {
        let current = bucket.public_access_block().await?.unwrap_or_default();
        if current == PublicAccessBlock::ALL_ON {
            return Ok(Plan::Already("all four settings are on".into()));
        }
        Ok(Plan::Change(vec![Change::PutPublicAccessBlock {
            bucket: bucket.name().to_owned(),
            block: PublicAccessBlock::ALL_ON,
        }]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remediation::FixOptions;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn turns_on_whatever_is_off() {
        let context = FixContext {
            options: FixOptions::default(),
            log_target: None,
        };
        let plan = |block: Option<PublicAccessBlock>| {
            let bucket = OfflineBucket::new("b")
                .public_access_block(Ok(block))
                .build();
            let context = &context;
            async move { BlockPublicAccess.plan(&bucket, context).await.unwrap() }
        };
        assert_eq!(
            plan(Some(PublicAccessBlock::ALL_ON)).await,
            Plan::Already("all four settings are on".into())
        );
        let partial = PublicAccessBlock {
            block_public_acls: true,
            ..Default::default()
        };
        assert_eq!(
            plan(Some(partial)).await,
            Plan::Change(vec![Change::PutPublicAccessBlock {
                bucket: "b".into(),
                block: PublicAccessBlock::ALL_ON
            }])
        );
        assert!(matches!(plan(None).await, Plan::Change(_)));
    }
}

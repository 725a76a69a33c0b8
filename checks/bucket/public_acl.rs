use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket's access control list grants any permission (`READ`, `WRITE`,
    /// `READ_ACP`, `WRITE_ACP` or `FULL_CONTROL`) to one of the two predefined groups that
    /// S3 treats as public: `AllUsers` (anyone, signed or anonymous) and `AuthenticatedUsers`
    /// (any AWS account in the world, not just yours). The message names each group and
    /// permission. Grants to the `LogDelivery` group or to specific accounts are not public.
    ///
    /// ## Why it matters
    /// `READ` lets anyone list the bucket's keys; `WRITE` lets anyone store objects you pay for
    /// and overwrite data; `WRITE_ACP` or `FULL_CONTROL` hands over control of the ACL itself.
    /// Security Hub controls S3.2 and S3.3 (critical) cover this.
    ///
    /// ## How to fix
    /// Turn on Block Public Access for the bucket, which makes S3 ignore public ACLs
    /// (`aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration
    /// BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`),
    /// then remove the grants (`aws s3api put-bucket-acl --bucket BUCKET --acl private`) and
    /// disable ACLs altogether with Object Ownership `BucketOwnerEnforced`.
    pub PublicAcl {
        id: "s3.bucket.public-acl",
        title: "Bucket ACL grants access to everyone",
        severity: Critical,
        facets: [Acl],
        remediation: None,
        compliance: [Fsbp("S3.2"), Fsbp("S3.3")],
    }
}

#[async_trait]
impl Check for PublicAcl {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let acl = bucket.acl().await?;
        let mut by_group: Vec<(_, Vec<&str>)> = Vec::new();
        for (group, permission) in acl.public_grants() {
            match by_group.iter_mut().find(|(g, _)| *g == group) {
                Some((_, permissions)) => permissions.push(permission),
                None => by_group.push((group, vec![permission])),
            }
        }
        if by_group.is_empty() {
            return Ok(Outcome::Pass(
                "ACL grants nothing to AllUsers or AuthenticatedUsers".into(),
            ));
        }
        let parts: Vec<String> = by_group
            .iter()
            .map(|(group, permissions)| {
                format!(
                    "{} to {} ({})",
                    permissions.join(", "),
                    group.name(),
                    group.meaning()
                )
            })
            .collect();
        Ok(Outcome::Fail(format!("ACL grants {}", parts.join(" and "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::OfflineBucket;
    use crate::state::model::{
        ALL_USERS_URI, AUTHENTICATED_USERS_URI, Acl, Grant, Grantee, LOG_DELIVERY_URI,
    };

    fn group(uri: &str, permission: &str) -> Grant {
        Grant {
            grantee: Grantee::Group { uri: uri.into() },
            permission: permission.into(),
        }
    }

    async fn outcome(grants: Vec<Grant>) -> Outcome {
        let owner = Grant {
            grantee: Grantee::CanonicalUser { id: "owner".into() },
            permission: "FULL_CONTROL".into(),
        };
        let acl = Acl {
            owner_id: Some("owner".into()),
            grants: [vec![owner], grants].concat(),
        };
        let bucket = OfflineBucket::new("b").acl(Ok(acl)).build();
        PublicAcl
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn owner_and_log_delivery_are_not_public() {
        let result = outcome(vec![
            group(LOG_DELIVERY_URI, "WRITE"),
            group(LOG_DELIVERY_URI, "READ_ACP"),
        ])
        .await;
        assert!(matches!(result, Outcome::Pass(_)), "{result:?}");
    }

    #[tokio::test]
    async fn names_every_group_and_permission() {
        let result = outcome(vec![
            group(ALL_USERS_URI, "READ"),
            group(AUTHENTICATED_USERS_URI, "READ_ACP"),
            group(ALL_USERS_URI, "WRITE"),
        ])
        .await;
        assert_eq!(
            result,
            Outcome::Fail(
                "ACL grants READ, WRITE to AllUsers (anyone on the internet) and READ_ACP to AuthenticatedUsers (any AWS account)"
                    .into()
            )
        );
    }
}

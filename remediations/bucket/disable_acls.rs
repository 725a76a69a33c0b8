use crate::change::Change;
use crate::declare_remediation;
use crate::error::FetchError;
use crate::model::{Grant, Grantee, LOG_DELIVERY_URI, ObjectOwnership};
use crate::policy::{PolicyDocument, allows_log_delivery, log_delivery_statement};
use crate::remediation::{FixContext, FixField, FixOption, Plan, Remediation};
use crate::state::BucketState;
use async_trait::async_trait;

declare_remediation! {
    /// ## What it does
    /// Disables ACLs: sets Object Ownership to `BucketOwnerEnforced`, so the bucket owner owns
    /// every object and only policies grant access. S3 refuses that while the bucket ACL
    /// grants anyone but the owner, so it first resets the bucket ACL to the owner alone. A
    /// log bucket's LogDelivery grants are replaced by the equivalent bucket-policy statement
    /// (`logging.s3.amazonaws.com`, scoped with `aws:SourceAccount`), so log delivery goes on.
    /// Any other grant (another account, `AllUsers`, `AuthenticatedUsers`) makes it refuse and
    /// list them, unless `--force`. While `IgnorePublicAcls` is on, S3 hides stored public
    /// grants yet still refuses `BucketOwnerEnforced` because of them, so the ACL is then reset
    /// to the owner alone too (those grants give no access while the block is on).
    ///
    /// ## What can break
    /// Whatever relied on ACLs: other accounts that were granted access by the bucket ACL or by
    /// object ACLs (object ACLs stay stored but stop granting anything), and writers that send
    /// an ACL other than `bucket-owner-full-control` with their uploads (S3 then answers 400
    /// `AccessControlListNotSupported`). Grant such access in the bucket policy first.
    pub DisableAcls {
        id: "s3.bucket.disable-acls",
        usage: "s3tk disable-acls {bucket}",
        title: "Disable ACLs (Object Ownership BucketOwnerEnforced)",
        scope: Bucket,
        fixes: ["s3.bucket.acls-enabled"],
        safe: false,
        options: [FixOption {
            long: "force",
            value_name: None,
            help: "Remove grants to other accounts and groups too",
            required: false,
            default: None,
            field: FixField::Force,
        }],
        facets: [
            PutOwnershipControls,
            OwnershipControls,
            Acl,
            PutAcl,
            Policy,
            PutPolicy,
            // Public grants hidden by IgnorePublicAcls are cleared too.
            PublicAccessBlock,
            AccountPublicAccessBlock,
            AccountId,
        ],
    }
}

#[async_trait]
impl Remediation for DisableAcls {
    async fn plan(&self, bucket: &BucketState, context: &FixContext) -> Result<Plan, FetchError> {
        if let Some(ObjectOwnership::BucketOwnerEnforced) = bucket.ownership_controls().await? {
            return Ok(Plan::Already(
                "ACLs are disabled (BucketOwnerEnforced)".into(),
            ));
        }
        let acl = bucket.acl().await?;
        let foreign = acl.foreign_grants();
        let (log_delivery, others): (Vec<&Grant>, Vec<&Grant>) = foreign
            .iter()
            .partition(|g| matches!(&g.grantee, Grantee::Group { uri } if uri == LOG_DELIVERY_URI));
        if !others.is_empty() && !context.options.force {
            let listed: Vec<String> = others.iter().map(|g| g.to_string()).collect();
            return Ok(Plan::Refuse(format!(
                "the ACL grants {}; disabling ACLs removes them (grant that access in the bucket policy, or use --force)",
                listed.join(", ")
            )));
        }
        let name = bucket.name().to_owned();
        let mut changes = Vec::new();
        if !log_delivery.is_empty() {
            let policy = bucket.policy().await?;
            if !policy.as_ref().is_some_and(allows_log_delivery) {
                let account = bucket.account().account_id().await?;
                let statement = log_delivery_statement(&name, account);
                let policy = match policy {
                    Some(p) => p.with_statement(statement),
                    None => PolicyDocument::from_statements(vec![statement]),
                };
                let summary = "add statement S3ServerAccessLogsPolicy so log delivery no longer needs the ACL".into();
                changes.push(Change::PutPolicy {
                    bucket: name.clone(),
                    policy,
                    summary,
                });
            }
        }
        // Under IgnorePublicAcls S3 hides stored public grants from GetBucketAcl, yet refuses
        // BucketOwnerEnforced while they exist: rewrite the ACL anyway (they grant nothing now).
        let block = crate::exposure::EffectiveBlock::of(bucket).await;
        let hidden = block.neutralised_by(crate::exposure::Flag::IgnorePublicAcls);
        if !foreign.is_empty() {
            let removed: Vec<String> = foreign.iter().map(|g| g.to_string()).collect();
            let summary = format!("owner only, removing {}", removed.join(", "));
            changes.push(Change::PutAcl {
                bucket: name.clone(),
                acl: acl.owner_only(),
                summary,
            });
        } else if let Some(by) = hidden {
            let summary =
                format!("owner only, clearing any public grants S3 hides while {by} is on");
            changes.push(Change::PutAcl {
                bucket: name.clone(),
                acl: acl.owner_only(),
                summary,
            });
        }
        changes.push(Change::EnforceBucketOwner { bucket: name });
        Ok(Plan::Change(changes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ALL_USERS_URI, Acl};
    use crate::remediation::FixOptions;
    use crate::state::{OfflineAccount, OfflineBucket};

    fn grant(grantee: Grantee, permission: &str) -> Grant {
        Grant {
            grantee,
            permission: permission.into(),
        }
    }

    async fn plan(grants: Vec<Grant>, force: bool) -> Plan {
        let owner = grant(Grantee::CanonicalUser { id: "o".into() }, "FULL_CONTROL");
        let account = OfflineAccount::new()
            .account_id(Ok("111122223333".into()))
            .build();
        let bucket = OfflineBucket::in_account("logs", account)
            .ownership_controls(Ok(None))
            .acl(Ok(Acl {
                owner_id: Some("o".into()),
                grants: [vec![owner], grants].concat(),
            }))
            .policy(Ok(None))
            .build();
        let context = FixContext {
            options: FixOptions {
                force,
                ..Default::default()
            },
            log_target: None,
        };
        DisableAcls.plan(&bucket, &context).await.unwrap()
    }

    #[tokio::test]
    async fn owner_only_acls_are_simply_enforced() {
        assert_eq!(
            plan(vec![], false).await,
            Plan::Change(vec![Change::EnforceBucketOwner {
                bucket: "logs".into()
            }])
        );
    }

    #[tokio::test]
    async fn log_delivery_grants_move_into_the_policy() {
        let log = |p| {
            grant(
                Grantee::Group {
                    uri: LOG_DELIVERY_URI.into(),
                },
                p,
            )
        };
        let Plan::Change(changes) = plan(vec![log("WRITE"), log("READ_ACP")], false).await else {
            panic!("a change")
        };
        assert!(
            matches!(&changes[0], Change::PutPolicy { policy, .. } if allows_log_delivery(policy))
        );
        assert!(matches!(&changes[1], Change::PutAcl { acl, .. } if acl.grants.len() == 1));
        assert_eq!(
            changes[2],
            Change::EnforceBucketOwner {
                bucket: "logs".into()
            }
        );
    }

    #[tokio::test]
    async fn other_grants_need_force() {
        let public = grant(
            Grantee::Group {
                uri: ALL_USERS_URI.into(),
            },
            "READ",
        );
        let partner = grant(
            Grantee::CanonicalUser {
                id: "partner".into(),
            },
            "WRITE",
        );
        assert_eq!(
            plan(vec![public.clone(), partner.clone()], false).await,
            Plan::Refuse(
                "the ACL grants READ to the AllUsers group, WRITE to canonical user partner; disabling ACLs removes them \
                 (grant that access in the bucket policy, or use --force)"
                    .into()
            )
        );
        assert!(matches!(plan(vec![public, partner], true).await, Plan::Change(c) if c.len() == 2));
    }
}

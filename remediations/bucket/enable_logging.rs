use crate::change::Change;
use crate::declare_remediation;
use crate::error::{FetchError, FetchErrorKind};
use crate::model::ObjectOwnership;
use crate::policy::{PolicyDocument, allows_log_delivery, log_delivery_statement};
use crate::remediation::{FixContext, FixField, FixOption, Plan, Remediation};
use crate::state::BucketState;
use async_trait::async_trait;

declare_remediation! {
    /// ## What it does
    /// Turns on server access logging into `--log-bucket`, under `--log-prefix` (default
    /// `{bucket}/`, the bucket's own name). Buckets that already log are left alone, and the
    /// message says where they log. It refuses, with the reason, when the log bucket is the
    /// bucket itself, does not exist, or is in another region (S3 delivers logs only within a
    /// region). It makes sure the log bucket accepts deliveries first: when its ACLs are
    /// disabled (`BucketOwnerEnforced`, the default since 2023) it adds a bucket-policy
    /// statement for `logging.s3.amazonaws.com` scoped with `aws:SourceAccount`, keeping every
    /// other statement; otherwise it adds the LogDelivery group's `WRITE` and `READ_ACP` to
    /// the log bucket's ACL, keeping every other grant. It never sends `TargetGrants`, which
    /// s3tk 0.5 misused and which fail on buckets with ACLs disabled.
    ///
    /// ## What can break
    /// Nothing on the source bucket. Logs cost storage in the log bucket: add a lifecycle rule
    /// there. Changing the log bucket's policy or ACL can interact with a policy that other
    /// tools manage (Terraform, CloudFormation): they may remove the statement on their next
    /// run, which stops log delivery.
    pub EnableLogging {
        id: "s3.bucket.enable-logging",
        usage: "s3tk enable-logging {bucket} --log-bucket LOG_BUCKET",
        title: "Enable server access logging",
        scope: Bucket,
        fixes: ["s3.bucket.logging-disabled"],
        safe: false,
        options: [
            FixOption {
                long: "log-bucket",
                value_name: Some("NAME"),
                help: "The bucket that receives the logs (same account and region)",
                required: true,
                default: None,
                field: FixField::LogBucket,
            },
            FixOption {
                long: "log-prefix",
                value_name: Some("TEMPLATE"),
                help: "Prefix of the log objects; {bucket} is replaced by the bucket name",
                required: false,
                default: Some("{bucket}/"),
                field: FixField::LogPrefix,
            },
        ],
        facets: [
            PutLogging,
            Logging,
            OwnershipControls,
            Policy,
            PutPolicy,
            Acl,
            PutAcl,
            AccountId,
        ],
    }
}

#[async_trait]
impl Remediation for EnableLogging {
    async fn plan(&self, bucket: &BucketState, context: &FixContext) -> Result<Plan, FetchError> {
        let target = context
            .log_target
            .as_ref()
            .expect("the CLI requires --log-bucket");
        let template = context.options.log_prefix.as_deref().unwrap_or("{bucket}/");
        let prefix = template.replace("{bucket}", bucket.name());
        if let Some(current) = bucket.logging().await? {
            return Ok(Plan::Already(format!("already logs to {current}")));
        }
        if bucket.name() == target.name() {
            return Ok(Plan::Skip(
                "this is the log bucket: logging into itself would log its own log deliveries, without end".into(),
            ));
        }
        let target_region = match target.region().await {
            Err(FetchError {
                kind: FetchErrorKind::NoSuchBucket,
                ..
            }) => {
                return Ok(Plan::Refuse(format!(
                    "the log bucket {} does not exist",
                    target.name()
                )));
            }
            other => other?,
        };
        let region = bucket.region().await?;
        if target_region != region {
            return Ok(Plan::Refuse(format!(
                "the log bucket {} is in {target_region} and this bucket in {region}: S3 delivers logs only within a region",
                target.name()
            )));
        }
        let mut changes = Vec::new();
        if let Some(ObjectOwnership::BucketOwnerEnforced) = target.ownership_controls().await? {
            let policy = target.policy().await?;
            if !policy.as_ref().is_some_and(allows_log_delivery) {
                let account = bucket.account().account_id().await?;
                let statement = log_delivery_statement(target.name(), account);
                let (policy, summary) = match policy {
                    Some(p) => (
                        p.with_statement(statement),
                        format!(
                            "add statement S3ServerAccessLogsPolicy (logging.s3.amazonaws.com, account {account}), keep {} others",
                            p.statements().len()
                        ),
                    ),
                    None => (
                        PolicyDocument::from_statements(vec![statement]),
                        format!(
                            "new policy with statement S3ServerAccessLogsPolicy (logging.s3.amazonaws.com, account {account})"
                        ),
                    ),
                };
                changes.push(Change::PutPolicy {
                    bucket: target.name().to_owned(),
                    policy,
                    summary,
                });
            }
        } else {
            let acl = target.acl().await?;
            if !acl.grants_log_delivery() {
                let summary = format!(
                    "add WRITE and READ_ACP for the LogDelivery group, keep {} other grants",
                    acl.grants.len()
                );
                changes.push(Change::PutAcl {
                    bucket: target.name().to_owned(),
                    acl: acl.with_log_delivery(),
                    summary,
                });
            }
        }
        changes.push(Change::PutLogging {
            bucket: bucket.name().to_owned(),
            target_bucket: target.name().to_owned(),
            target_prefix: prefix,
        });
        Ok(Plan::Change(changes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facet::Facet;
    use crate::model::{Acl, Grant, Grantee, LoggingTarget};
    use crate::remediation::FixOptions;
    use crate::state::{OfflineAccount, OfflineBucket};
    use std::sync::Arc;

    fn context(target: BucketState) -> FixContext {
        let options = FixOptions {
            log_bucket: Some(target.name().into()),
            ..Default::default()
        };
        FixContext {
            options,
            log_target: Some(Arc::new(target)),
        }
    }

    fn account() -> Arc<crate::state::AccountState> {
        OfflineAccount::new()
            .account_id(Ok("111122223333".into()))
            .build()
    }

    #[tokio::test]
    async fn a_target_with_acls_disabled_gets_a_policy_statement() {
        let target = OfflineBucket::in_account("logs", account())
            .ownership_controls(Ok(Some(ObjectOwnership::BucketOwnerEnforced)))
            .policy(Ok(None))
            .build();
        let source = OfflineBucket::in_account("app", account())
            .logging(Ok(None))
            .build();
        let Plan::Change(changes) = EnableLogging.plan(&source, &context(target)).await.unwrap()
        else {
            panic!("a change")
        };
        assert_eq!(changes.len(), 2);
        let Change::PutPolicy { bucket, policy, .. } = &changes[0] else {
            panic!("policy first: {changes:?}")
        };
        assert_eq!(bucket, "logs");
        assert!(allows_log_delivery(policy));
        assert!(
            !crate::policy::evaluate_public(policy).is_public(),
            "the delivery statement is not public"
        );
        assert_eq!(
            changes[1],
            Change::PutLogging {
                bucket: "app".into(),
                target_bucket: "logs".into(),
                target_prefix: "app/".into()
            }
        );
    }

    #[tokio::test]
    async fn a_target_with_acls_gets_the_log_delivery_grants() {
        let owner = Grant {
            grantee: Grantee::CanonicalUser { id: "o".into() },
            permission: "FULL_CONTROL".into(),
        };
        let target = OfflineBucket::in_account("logs", account())
            .ownership_controls(Ok(None))
            .acl(Ok(Acl {
                owner_id: Some("o".into()),
                grants: vec![owner],
            }))
            .build();
        let source = OfflineBucket::in_account("app", account())
            .logging(Ok(None))
            .build();
        let Plan::Change(changes) = EnableLogging.plan(&source, &context(target)).await.unwrap()
        else {
            panic!("a change")
        };
        let Change::PutAcl { acl, .. } = &changes[0] else {
            panic!("ACL first")
        };
        assert!(
            acl.grants_log_delivery() && acl.grants.len() == 3,
            "{acl:?}"
        );
    }

    #[tokio::test]
    async fn refusals_and_already() {
        let target = || OfflineBucket::in_account("logs", account()).build();
        let logging = LoggingTarget {
            bucket: "elsewhere".into(),
            prefix: "p/".into(),
        };
        let source = OfflineBucket::in_account("app", account())
            .logging(Ok(Some(logging)))
            .build();
        assert_eq!(
            EnableLogging
                .plan(&source, &context(target()))
                .await
                .unwrap(),
            Plan::Already("already logs to s3://elsewhere/p/".into())
        );
        let itself = OfflineBucket::in_account("logs", account())
            .logging(Ok(None))
            .build();
        assert!(
            matches!(EnableLogging.plan(&itself, &context(target())).await.unwrap(), Plan::Skip(m) if m.starts_with("this is the log bucket"))
        );
        let missing = FetchError::new(Facet::Region, FetchErrorKind::NoSuchBucket);
        let gone = OfflineAccount::new()
            .bucket_region("gone", Err(missing))
            .build();
        let target = BucketState::new("gone", None, gone);
        let source = OfflineBucket::in_account("app", account())
            .logging(Ok(None))
            .build();
        assert_eq!(
            EnableLogging.plan(&source, &context(target)).await.unwrap(),
            Plan::Refuse("the log bucket gone does not exist".into())
        );
    }
}

//! The executor: the only code that changes a bucket's or the account's settings. Each
//! [`Change`] a remediation planned becomes exactly one request, sent to the bucket's own
//! region. (The object commands write objects through [`crate::objects`], and `scan
//! --sns-topic` publishes through [`crate::notify`]; the crate docs list every module that
//! sends requests.)

use crate::aws::classify;
use crate::change::Change;
use crate::error::{FetchError, FetchErrorKind};
use crate::facet::Facet;
use crate::model::{Acl, Grantee, PublicAccessBlock};
use crate::state::AccountState;
use aws_sdk_s3::types as s3;

fn invalid(facet: Facet, detail: String) -> FetchError {
    FetchError::new(facet, FetchErrorKind::Malformed { detail })
}

fn bucket_block(block: &PublicAccessBlock) -> s3::PublicAccessBlockConfiguration {
    s3::PublicAccessBlockConfiguration::builder()
        .block_public_acls(block.block_public_acls)
        .ignore_public_acls(block.ignore_public_acls)
        .block_public_policy(block.block_public_policy)
        .restrict_public_buckets(block.restrict_public_buckets)
        .build()
}

fn access_control_policy(acl: &Acl) -> Result<s3::AccessControlPolicy, FetchError> {
    let grants = acl
        .grants
        .iter()
        .map(|g| {
            let grantee = match &g.grantee {
                Grantee::CanonicalUser { id } => s3::Grantee::builder()
                    .r#type(s3::Type::CanonicalUser)
                    .id(id),
                Grantee::Group { uri } => s3::Grantee::builder().r#type(s3::Type::Group).uri(uri),
                Grantee::Email { address } => s3::Grantee::builder()
                    .r#type(s3::Type::AmazonCustomerByEmail)
                    .email_address(address),
                Grantee::Unknown => {
                    return Err(invalid(
                        Facet::PutAcl,
                        "an ACL grant has an unknown grantee".into(),
                    ));
                }
            };
            let grantee = grantee
                .build()
                .map_err(|e| invalid(Facet::PutAcl, e.to_string()))?;
            Ok(s3::Grant::builder()
                .grantee(grantee)
                .permission(s3::Permission::from(g.permission.as_str()))
                .build())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let owner = s3::Owner::builder().set_id(acl.owner_id.clone()).build();
    Ok(s3::AccessControlPolicy::builder()
        .owner(owner)
        .set_grants(Some(grants))
        .build())
}

/// Performs one change.
pub async fn apply(account: &AccountState, change: &Change) -> Result<(), FetchError> {
    let clients = account
        .clients()
        .ok_or_else(|| account.unavailable(Facet::PutPolicy))?;
    if let Change::PutAccountPublicAccessBlock { account: id, block } = change {
        let config = aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
            .block_public_acls(block.block_public_acls)
            .ignore_public_acls(block.ignore_public_acls)
            .block_public_policy(block.block_public_policy)
            .restrict_public_buckets(block.restrict_public_buckets)
            .build();
        let control = clients.control(clients.default_region());
        let _permit = clients.permit().await;
        control
            .put_public_access_block()
            .account_id(id)
            .public_access_block_configuration(config)
            .send()
            .await
            .map_err(|e| classify(Facet::PutAccountPublicAccessBlock, e))?;
        return Ok(());
    }
    let bucket = change.target();
    let region = account.bucket_region(bucket).await?;
    let client = clients.client(&region);
    let _permit = clients.permit().await;
    match change {
        Change::PutPublicAccessBlock { block, .. } => {
            client
                .put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(bucket_block(block))
                .send()
                .await
                .map_err(|e| classify(Facet::PutPublicAccessBlock, e))?;
        }
        Change::EnableVersioning { .. } => {
            let config = s3::VersioningConfiguration::builder()
                .status(s3::BucketVersioningStatus::Enabled)
                .build();
            client
                .put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(config)
                .send()
                .await
                .map_err(|e| classify(Facet::PutVersioning, e))?;
        }
        Change::PutDefaultEncryption {
            algorithm,
            kms_key_id,
            bucket_key,
            blocked_encryption_types,
            ..
        } => {
            let default = s3::ServerSideEncryptionByDefault::builder()
                .sse_algorithm(s3::ServerSideEncryption::from(*algorithm))
                .set_kms_master_key_id(kms_key_id.clone())
                .build()
                .map_err(|e| invalid(Facet::PutEncryption, e.to_string()))?;
            let blocked = (!blocked_encryption_types.is_empty()).then(|| {
                s3::BlockedEncryptionTypes::builder()
                    .set_encryption_type(Some(
                        blocked_encryption_types
                            .iter()
                            .map(|t| s3::EncryptionType::from(t.as_str()))
                            .collect(),
                    ))
                    .build()
            });
            let rule = s3::ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .bucket_key_enabled(*bucket_key)
                .set_blocked_encryption_types(blocked)
                .build();
            let config = s3::ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .map_err(|e| invalid(Facet::PutEncryption, e.to_string()))?;
            client
                .put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(config)
                .send()
                .await
                .map_err(|e| classify(Facet::PutEncryption, e))?;
        }
        Change::PutLogging {
            target_bucket,
            target_prefix,
            ..
        } => {
            let enabled = s3::LoggingEnabled::builder()
                .target_bucket(target_bucket)
                .target_prefix(target_prefix)
                .build()
                .map_err(|e| invalid(Facet::PutLogging, e.to_string()))?;
            client
                .put_bucket_logging()
                .bucket(bucket)
                .bucket_logging_status(
                    s3::BucketLoggingStatus::builder()
                        .logging_enabled(enabled)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| classify(Facet::PutLogging, e))?;
        }
        Change::PutPolicy { policy, .. } => {
            client
                .put_bucket_policy()
                .bucket(bucket)
                .policy(policy.to_json_string())
                .send()
                .await
                .map_err(|e| classify(Facet::PutPolicy, e))?;
        }
        Change::DeletePolicy { .. } => {
            client
                .delete_bucket_policy()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| classify(Facet::DeletePolicy, e))?;
        }
        Change::PutAcl { acl, .. } => {
            client
                .put_bucket_acl()
                .bucket(bucket)
                .access_control_policy(access_control_policy(acl)?)
                .send()
                .await
                .map_err(|e| classify(Facet::PutAcl, e))?;
        }
        Change::EnforceBucketOwner { .. } => {
            let rule = s3::OwnershipControlsRule::builder()
                .object_ownership(s3::ObjectOwnership::BucketOwnerEnforced)
                .build()
                .map_err(|e| invalid(Facet::PutOwnershipControls, e.to_string()))?;
            let controls = s3::OwnershipControls::builder()
                .rules(rule)
                .build()
                .map_err(|e| invalid(Facet::PutOwnershipControls, e.to_string()))?;
            client
                .put_bucket_ownership_controls()
                .bucket(bucket)
                .ownership_controls(controls)
                .send()
                .await
                .map_err(|e| classify(Facet::PutOwnershipControls, e))?;
        }
        Change::PutAccountPublicAccessBlock { .. } => unreachable!("handled above"),
    }
    Ok(())
}

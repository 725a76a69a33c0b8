//! One function per facet: send the S3 request, map "not configured" answers to `None`,
//! classify everything else with [`crate::aws::classify`], and convert to our model types.

use super::model::{Acl, Grant, Grantee, LoggingTarget, Versioning, VersioningStatus};
use super::{BucketState, Facet};
use crate::aws::{bucket_region_header, classify};
use crate::error::{FetchError, FetchErrorKind};
use crate::policy::PolicyDocument;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{BucketVersioningStatus, MfaDeleteStatus, Type};
use tokio::sync::SemaphorePermit;

pub(super) async fn region(b: &BucketState) -> Result<String, FetchError> {
    if let Some(region) = &b.listed_region {
        return Ok(region.clone());
    }
    let clients = b
        .account
        .clients()
        .ok_or_else(|| BucketState::offline_error(Facet::Region))?;
    let default = clients.default_region();
    let _permit = clients.permit().await;
    match clients
        .client(default)
        .head_bucket()
        .bucket(&b.name)
        .send()
        .await
    {
        Ok(out) => Ok(out.bucket_region().unwrap_or(default).to_owned()),
        // S3 names the region on 403 and 301 answers too, whatever the caller may do.
        Err(err) => match bucket_region_header(&err) {
            Some(region) => Ok(region),
            None => match classify(Facet::Region, err) {
                // Without s3:ListBucket some S3-compatible stores omit the header: try the
                // default region and let each facet's own request decide.
                FetchError {
                    kind: FetchErrorKind::AccessDenied,
                    ..
                } => Ok(default.to_owned()),
                other => Err(other),
            },
        },
    }
}

/// The regional client for the bucket and a request slot, taken in that order: resolving the
/// region itself needs a slot, so holding one while waiting for it could deadlock.
async fn client_for(
    b: &BucketState,
    facet: Facet,
) -> Result<(Client, SemaphorePermit<'_>), FetchError> {
    let region = b.region().await?;
    let clients = b
        .account
        .clients()
        .ok_or_else(|| BucketState::offline_error(facet))?;
    let client = clients.client(region);
    Ok((client, clients.permit().await))
}

pub(super) async fn acl(b: &BucketState) -> Result<Acl, FetchError> {
    let (client, _permit) = client_for(b, Facet::Acl).await?;
    let out = client
        .get_bucket_acl()
        .bucket(&b.name)
        .send()
        .await
        .map_err(|e| classify(Facet::Acl, e))?;
    Ok(Acl {
        owner_id: out.owner().and_then(|o| o.id()).map(str::to_owned),
        grants: out.grants().iter().map(grant).collect(),
    })
}

fn grant(g: &aws_sdk_s3::types::Grant) -> Grant {
    let grantee = match g.grantee() {
        Some(ge) => match ge.r#type() {
            Type::CanonicalUser => Grantee::CanonicalUser {
                id: ge.id().unwrap_or_default().to_owned(),
            },
            Type::Group => Grantee::Group {
                uri: ge.uri().unwrap_or_default().to_owned(),
            },
            Type::AmazonCustomerByEmail => Grantee::Email {
                address: ge.email_address().unwrap_or_default().to_owned(),
            },
            _ => Grantee::Unknown,
        },
        None => Grantee::Unknown,
    };
    Grant {
        grantee,
        permission: g
            .permission()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
    }
}

pub(super) async fn policy(b: &BucketState) -> Result<Option<PolicyDocument>, FetchError> {
    let (client, _permit) = client_for(b, Facet::Policy).await?;
    match client.get_bucket_policy().bucket(&b.name).send().await {
        Ok(out) => {
            let text = out.policy().unwrap_or_default();
            PolicyDocument::parse(text).map(Some).map_err(|e| {
                FetchError::new(
                    Facet::Policy,
                    FetchErrorKind::Malformed {
                        detail: e.to_string(),
                    },
                )
            })
        }
        Err(e) if e.code() == Facet::Policy.absent_code() => Ok(None),
        Err(e) => Err(classify(Facet::Policy, e)),
    }
}

pub(super) async fn policy_status(b: &BucketState) -> Result<Option<bool>, FetchError> {
    let (client, _permit) = client_for(b, Facet::PolicyStatus).await?;
    match client
        .get_bucket_policy_status()
        .bucket(&b.name)
        .send()
        .await
    {
        // An answer without IsPublic is no verdict (some emulators answer an unrelated document).
        Ok(out) => match out.policy_status().and_then(|s| s.is_public()) {
            Some(public) => Ok(Some(public)),
            None => Err(FetchError::new(
                Facet::PolicyStatus,
                FetchErrorKind::Malformed {
                    detail: "the answer has no IsPublic".into(),
                },
            )),
        },
        Err(e) if e.code() == Facet::PolicyStatus.absent_code() => Ok(None),
        Err(e) => Err(classify(Facet::PolicyStatus, e)),
    }
}

pub(super) async fn logging(b: &BucketState) -> Result<Option<LoggingTarget>, FetchError> {
    let (client, _permit) = client_for(b, Facet::Logging).await?;
    let out = client
        .get_bucket_logging()
        .bucket(&b.name)
        .send()
        .await
        .map_err(|e| classify(Facet::Logging, e))?;
    Ok(out.logging_enabled().map(|l| LoggingTarget {
        bucket: l.target_bucket().to_owned(),
        prefix: l.target_prefix().to_owned(),
    }))
}

pub(super) async fn versioning(b: &BucketState) -> Result<Versioning, FetchError> {
    let (client, _permit) = client_for(b, Facet::Versioning).await?;
    let out = client
        .get_bucket_versioning()
        .bucket(&b.name)
        .send()
        .await
        .map_err(|e| classify(Facet::Versioning, e))?;
    Ok(Versioning {
        status: match out.status() {
            Some(BucketVersioningStatus::Enabled) => Some(VersioningStatus::Enabled),
            Some(BucketVersioningStatus::Suspended) => Some(VersioningStatus::Suspended),
            _ => None,
        },
        mfa_delete: out.mfa_delete().map(|m| *m == MfaDeleteStatus::Enabled),
    })
}

//! One function per facet: send the request, map "not configured" answers to `None`, classify
//! everything else with [`crate::aws::classify`], and convert to our model types.

use super::{AccountState, BucketState};
use crate::aws::{S3Clients, bucket_region_header, classify, is_empty_success};
use crate::error::{FetchError, FetchErrorKind};
use crate::facet::Facet;
use crate::model::{
    AccessPoint, Acl, DefaultEncryption, Grant, Grantee, LifecycleRule, LoggingTarget,
    Notifications, ObjectLock, ObjectOwnership, PublicAccessBlock, ReplicationRule, Versioning,
    VersioningStatus, Website,
};
use crate::model::{AdvancedSelector, BasicSelector, EventSelectors, FieldSelector, Trail};
use crate::policy::PolicyDocument;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{BucketVersioningStatus, ExpirationStatus, MfaDeleteStatus, Type};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::SemaphorePermit;

fn clients(account: &AccountState, facet: Facet) -> Result<&S3Clients, FetchError> {
    account.clients().ok_or_else(|| account.unavailable(facet))
}

fn malformed(facet: Facet, detail: &str) -> FetchError {
    FetchError::new(
        facet,
        FetchErrorKind::Malformed {
            detail: detail.to_owned(),
        },
    )
}

pub(super) async fn account_id(account: &AccountState) -> Result<String, FetchError> {
    let clients = clients(account, Facet::AccountId)?;
    let _permit = clients.permit().await;
    let out = clients
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify(Facet::AccountId, e))?;
    out.account()
        .map(str::to_owned)
        .ok_or_else(|| malformed(Facet::AccountId, "the answer has no Account"))
}

pub(super) async fn account_public_access_block(
    account: &AccountState,
) -> Result<Option<PublicAccessBlock>, FetchError> {
    let facet = Facet::AccountPublicAccessBlock;
    let id = account.account_id().await?;
    let clients = clients(account, facet)?;
    let control = clients.control(clients.default_region());
    let _permit = clients.permit().await;
    match control
        .get_public_access_block()
        .account_id(id)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .public_access_block_configuration()
            .map(|c| PublicAccessBlock {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            })),
        Err(e) if e.code() == facet.absent_code() => Ok(None),
        Err(e) => Err(classify(facet, e)),
    }
}

/// Multi-Region Access Points live in the us-west-2 control plane, whatever the account's
/// other regions.
pub(super) async fn multi_region_access_points(
    account: &AccountState,
) -> Result<Vec<AccessPoint>, FetchError> {
    let facet = Facet::MultiRegionAccessPoints;
    let id = account.account_id().await?;
    let clients = clients(account, facet)?;
    let control = clients.control("us-west-2");
    let mut points = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _permit = clients.permit().await;
            control
                .list_multi_region_access_points()
                .account_id(id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify(facet, e))?
        };
        points.extend(page.access_points().iter().map(|p| {
            AccessPoint {
                name: p.name().unwrap_or_default().to_owned(),
                network_origin: "Internet".into(),
                public_access_block: p
                    .public_access_block()
                    .map(|c| PublicAccessBlock {
                        block_public_acls: c.block_public_acls().unwrap_or(false),
                        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                        block_public_policy: c.block_public_policy().unwrap_or(false),
                        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                    })
                    .unwrap_or_default(),
            }
        }));
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(points),
        }
    }
}

pub(super) async fn region(
    account: &AccountState,
    bucket: &str,
    listed: Option<&str>,
) -> Result<String, FetchError> {
    if let Some(region) = listed {
        return Ok(region.to_owned());
    }
    let clients = clients(account, Facet::Region)?;
    let default = clients.default_region();
    let _permit = clients.permit().await;
    match clients
        .client(default)
        .head_bucket()
        .bucket(bucket)
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
    let clients = clients(&b.account, facet)?;
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

pub(crate) fn grant(g: &aws_sdk_s3::types::Grant) -> Grant {
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

/// Sends a request whose "not configured" answer becomes `None`.
macro_rules! optional {
    ($facet:expr, $request:expr) => {
        match $request.send().await {
            Ok(out) => Some(out),
            Err(e) if e.code() == $facet.absent_code() => None,
            Err(e) => return Err(classify($facet, e)),
        }
    };
}

pub(super) async fn policy(b: &BucketState) -> Result<Option<PolicyDocument>, FetchError> {
    let (client, _permit) = client_for(b, Facet::Policy).await?;
    let Some(out) = optional!(Facet::Policy, client.get_bucket_policy().bucket(&b.name)) else {
        return Ok(None);
    };
    PolicyDocument::parse(out.policy().unwrap_or_default())
        .map(Some)
        .map_err(|e| malformed(Facet::Policy, &e.to_string()))
}

pub(super) async fn policy_status(b: &BucketState) -> Result<Option<bool>, FetchError> {
    let (client, _permit) = client_for(b, Facet::PolicyStatus).await?;
    let Some(out) = optional!(
        Facet::PolicyStatus,
        client.get_bucket_policy_status().bucket(&b.name)
    ) else {
        return Ok(None);
    };
    // An answer without IsPublic is no verdict (some emulators answer an unrelated document).
    match out.policy_status().and_then(|s| s.is_public()) {
        Some(public) => Ok(Some(public)),
        None => Err(malformed(Facet::PolicyStatus, "the answer has no IsPublic")),
    }
}

pub(super) async fn public_access_block(
    b: &BucketState,
) -> Result<Option<PublicAccessBlock>, FetchError> {
    let (client, _permit) = client_for(b, Facet::PublicAccessBlock).await?;
    let out = optional!(
        Facet::PublicAccessBlock,
        client.get_public_access_block().bucket(&b.name)
    );
    Ok(out
        .and_then(|o| o.public_access_block_configuration().cloned())
        .map(|c| PublicAccessBlock {
            block_public_acls: c.block_public_acls().unwrap_or(false),
            ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
            block_public_policy: c.block_public_policy().unwrap_or(false),
            restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
        }))
}

pub(super) async fn ownership_controls(
    b: &BucketState,
) -> Result<Option<ObjectOwnership>, FetchError> {
    let (client, _permit) = client_for(b, Facet::OwnershipControls).await?;
    let out = optional!(
        Facet::OwnershipControls,
        client.get_bucket_ownership_controls().bucket(&b.name)
    );
    let rule = out
        .as_ref()
        .and_then(|o| o.ownership_controls())
        .and_then(|c| c.rules().first());
    Ok(rule.map(|r| match r.object_ownership().as_str() {
        "BucketOwnerEnforced" => ObjectOwnership::BucketOwnerEnforced,
        "BucketOwnerPreferred" => ObjectOwnership::BucketOwnerPreferred,
        "ObjectWriter" => ObjectOwnership::ObjectWriter,
        other => ObjectOwnership::Other(other.to_owned()),
    }))
}

pub(super) async fn encryption(b: &BucketState) -> Result<Option<DefaultEncryption>, FetchError> {
    let (client, _permit) = client_for(b, Facet::Encryption).await?;
    let out = optional!(
        Facet::Encryption,
        client.get_bucket_encryption().bucket(&b.name)
    );
    // A rule may carry only BucketKeyEnabled and no default (cloud-custodian#7591).
    let rule = out
        .as_ref()
        .and_then(|o| o.server_side_encryption_configuration())
        .and_then(|c| c.rules().first());
    Ok(rule.map(|r| {
        let default = r.apply_server_side_encryption_by_default();
        DefaultEncryption {
            algorithm: default.map(|d| d.sse_algorithm().as_str().to_owned()),
            kms_key_id: default
                .and_then(|d| d.kms_master_key_id())
                .map(str::to_owned),
            bucket_key_enabled: r.bucket_key_enabled().unwrap_or(false),
            blocked_encryption_types: r
                .blocked_encryption_types()
                .map(|t| {
                    t.encryption_type()
                        .iter()
                        .map(|e| e.as_str().to_owned())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }))
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

pub(super) async fn object_lock(b: &BucketState) -> Result<Option<ObjectLock>, FetchError> {
    let (client, _permit) = client_for(b, Facet::ObjectLock).await?;
    let out = optional!(
        Facet::ObjectLock,
        client.get_object_lock_configuration().bucket(&b.name)
    );
    Ok(out
        .and_then(|o| o.object_lock_configuration().cloned())
        .map(|c| ObjectLock {
            enabled: c
                .object_lock_enabled()
                .is_some_and(|e| e.as_str() == "Enabled"),
            default_retention: c.rule().and_then(|r| r.default_retention()).map(|d| {
                let mode = d
                    .mode()
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_else(|| "no mode".into());
                match (d.days(), d.years()) {
                    (Some(days), _) => format!("{mode} for {days} days"),
                    (_, Some(years)) => format!("{mode} for {years} years"),
                    _ => mode,
                }
            }),
        }))
}

pub(super) async fn lifecycle(b: &BucketState) -> Result<Option<Vec<LifecycleRule>>, FetchError> {
    let (client, _permit) = client_for(b, Facet::Lifecycle).await?;
    let out = optional!(
        Facet::Lifecycle,
        client.get_bucket_lifecycle_configuration().bucket(&b.name)
    );
    Ok(out.map(|o| {
        o.rules()
            .iter()
            .map(|r| LifecycleRule {
                id: r.id().map(str::to_owned),
                enabled: *r.status() == ExpirationStatus::Enabled,
                expires_noncurrent_versions: r.noncurrent_version_expiration().is_some(),
                expires_current_versions: r.expiration().is_some(),
                aborts_incomplete_uploads: r.abort_incomplete_multipart_upload().is_some(),
            })
            .collect()
    }))
}

pub(super) async fn replication(
    b: &BucketState,
) -> Result<Option<Vec<ReplicationRule>>, FetchError> {
    let (client, _permit) = client_for(b, Facet::Replication).await?;
    let out = optional!(
        Facet::Replication,
        client.get_bucket_replication().bucket(&b.name)
    );
    Ok(out
        .and_then(|o| o.replication_configuration().cloned())
        .map(|c| {
            c.rules()
                .iter()
                .map(|r| ReplicationRule {
                    id: r.id().map(str::to_owned),
                    enabled: r.status().as_str() == "Enabled",
                    destination_bucket: r
                        .destination()
                        .map(|d| d.bucket().to_owned())
                        .unwrap_or_default(),
                })
                .collect()
        }))
}

pub(super) async fn notifications(b: &BucketState) -> Result<Notifications, FetchError> {
    let (client, _permit) = client_for(b, Facet::Notifications).await?;
    let answer = client
        .get_bucket_notification_configuration()
        .bucket(&b.name)
        .send()
        .await;
    let out = match answer {
        Ok(out) => out,
        // moto and some S3-compatible stores answer a bucket that never had notifications with
        // an empty 200, which the SDK cannot parse. "None configured" is the conservative
        // reading here (event-notifications-disabled then fails), unlike for answers where an
        // empty body could turn into a pass (policy status, Block Public Access): those stay
        // errors.
        Err(e) if is_empty_success(&e) => return Ok(Notifications::default()),
        Err(e) => return Err(classify(Facet::Notifications, e)),
    };
    Ok(Notifications {
        topics: out.topic_configurations().len(),
        queues: out.queue_configurations().len(),
        lambda_functions: out.lambda_function_configurations().len(),
        event_bridge: out.event_bridge_configuration().is_some(),
    })
}

pub(super) async fn website(b: &BucketState) -> Result<Option<Website>, FetchError> {
    let (client, _permit) = client_for(b, Facet::Website).await?;
    let out = optional!(Facet::Website, client.get_bucket_website().bucket(&b.name));
    Ok(out.map(|o| Website {
        index_document: o.index_document().map(|d| d.suffix().to_owned()),
        redirect_all_to: o
            .redirect_all_requests_to()
            .map(|r| r.host_name().to_owned()),
    }))
}

pub(super) async fn access_points(b: &BucketState) -> Result<Vec<AccessPoint>, FetchError> {
    let facet = Facet::AccessPoints;
    let account = b.account.account_id().await?;
    let region = b.region().await?;
    let clients = clients(&b.account, facet)?;
    let control = clients.control(region);
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _permit = clients.permit().await;
            control
                .list_access_points()
                .account_id(account)
                .bucket(&b.name)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify(facet, e))?
        };
        names.extend(page.access_point_list().iter().map(|a| a.name().to_owned()));
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    let mut points = Vec::with_capacity(names.len());
    for name in names {
        let _permit = clients.permit().await;
        let out = control
            .get_access_point()
            .account_id(account)
            .name(&name)
            .send()
            .await
            .map_err(|e| classify(facet, e))?;
        let pab = out
            .public_access_block_configuration()
            .map(|c| PublicAccessBlock {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            });
        points.push(AccessPoint {
            name,
            network_origin: out
                .network_origin()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            public_access_block: pab.unwrap_or_default(),
        });
    }
    Ok(points)
}

pub(super) async fn owned_buckets(
    account: &AccountState,
) -> Result<Arc<BTreeSet<String>>, FetchError> {
    let clients = clients(account, Facet::BucketList)?;
    let listed = clients.list_buckets().await?;
    // ListBuckets names each bucket's region: no HeadBucket is needed for those.
    for bucket in &listed {
        if let Some(region) = &bucket.region {
            account
                .region_slot(&bucket.name)
                .set(Ok(region.clone()))
                .ok();
        }
    }
    Ok(Arc::new(listed.into_iter().map(|b| b.name).collect()))
}

/// The trails that log in `region`: DescribeTrails there with shadow trails (multi-region and
/// organization trails homed elsewhere), each trail's details asked of its home region.
pub(super) async fn trails(
    account: &AccountState,
    region: &str,
) -> Result<Arc<Vec<Trail>>, FetchError> {
    let facet = Facet::Trails;
    let clients = clients(account, facet)?;
    let listed = {
        let _permit = clients.permit().await;
        clients
            .cloudtrail(region)
            .describe_trails()
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(|e| classify(facet, e))?
    };
    let applying: Vec<_> = listed
        .trail_list()
        .iter()
        .filter_map(|t| {
            let multi_region = t.is_multi_region_trail().unwrap_or(false);
            let home_region = t.home_region().unwrap_or(region);
            (multi_region || home_region == region).then(|| {
                let arn = t.trail_arn().or(t.name()).unwrap_or_default();
                (t.name().unwrap_or(arn), arn, home_region, multi_region)
            })
        })
        .collect();
    let details = futures::future::try_join_all(
        applying
            .iter()
            .map(|(_, arn, home, _)| account.trail_details(arn, home)),
    )
    .await?;
    Ok(Arc::new(
        applying
            .into_iter()
            .zip(details)
            .map(
                |((name, arn, home, multi_region), (logging, selectors))| Trail {
                    name: name.to_owned(),
                    arn: arn.to_owned(),
                    home_region: home.to_owned(),
                    multi_region,
                    logging,
                    selectors,
                },
            )
            .collect(),
    ))
}

pub(super) async fn trail_details(
    account: &AccountState,
    arn: &str,
    home_region: &str,
) -> Result<(bool, EventSelectors), FetchError> {
    let clients = clients(account, Facet::TrailStatus)?;
    let client = clients.cloudtrail(home_region);
    let status = async {
        let _permit = clients.permit().await;
        client
            .get_trail_status()
            .name(arn)
            .send()
            .await
            .map_err(|e| classify(Facet::TrailStatus, e))
    };
    let selectors = async {
        let _permit = clients.permit().await;
        client
            .get_event_selectors()
            .trail_name(arn)
            .send()
            .await
            .map_err(|e| classify(Facet::TrailEventSelectors, e))
    };
    let (status, selectors) = tokio::try_join!(status, selectors)?;
    let selectors = if selectors.advanced_event_selectors().is_empty() {
        EventSelectors::Basic(
            selectors
                .event_selectors()
                .iter()
                .map(|s| BasicSelector {
                    read_write_type: s.read_write_type().map_or("All", |t| t.as_str()).to_owned(),
                    s3_object_values: s
                        .data_resources()
                        .iter()
                        .filter(|r| r.r#type() == Some("AWS::S3::Object"))
                        .flat_map(|r| r.values().iter().cloned())
                        .collect(),
                })
                .collect(),
        )
    } else {
        EventSelectors::Advanced(
            selectors
                .advanced_event_selectors()
                .iter()
                .map(|s| AdvancedSelector {
                    name: s.name().map(str::to_owned),
                    fields: s
                        .field_selectors()
                        .iter()
                        .map(|f| FieldSelector {
                            field: f.field().to_owned(),
                            equals: f.equals().to_vec(),
                            starts_with: f.starts_with().to_vec(),
                            ends_with: f.ends_with().to_vec(),
                            not_equals: f.not_equals().to_vec(),
                            not_starts_with: f.not_starts_with().to_vec(),
                            not_ends_with: f.not_ends_with().to_vec(),
                        })
                        .collect(),
                })
                .collect(),
        )
    };
    Ok((status.is_logging().unwrap_or(false), selectors))
}

//! Effective public exposure, modelled once for every check that needs it.
//!
//! S3 applies the most restrictive combination of the account-level and bucket-level Block
//! Public Access settings (reference §3.2): a flag is effective when either level sets it. A
//! public ACL or policy that such a flag neutralises is still reported, at a lower severity,
//! with the level and flag named ("blocked by account-level IgnorePublicAcls"): removing the
//! block would re-expose it. A level that cannot be read is said so, never assumed.

use crate::check::{Outcome, Severity};
use crate::error::FetchError;
use crate::model::{PublicAccessBlock, PublicGroup};
use crate::policy::{Access, PublicVerdict, evaluate_public};
use crate::state::BucketState;

/// The severity of an exposure that Block Public Access currently neutralises.
pub const NEUTRALISED: Severity = Severity::Low;

/// One Block Public Access flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    BlockPublicAcls,
    IgnorePublicAcls,
    BlockPublicPolicy,
    RestrictPublicBuckets,
}

impl Flag {
    fn on(self, block: &PublicAccessBlock) -> bool {
        match self {
            Flag::BlockPublicAcls => block.block_public_acls,
            Flag::IgnorePublicAcls => block.ignore_public_acls,
            Flag::BlockPublicPolicy => block.block_public_policy,
            Flag::RestrictPublicBuckets => block.restrict_public_buckets,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Flag::BlockPublicAcls => "BlockPublicAcls",
            Flag::IgnorePublicAcls => "IgnorePublicAcls",
            Flag::BlockPublicPolicy => "BlockPublicPolicy",
            Flag::RestrictPublicBuckets => "RestrictPublicBuckets",
        }
    }
}

/// The bucket-level and account-level settings as far as they could be read.
#[derive(Debug, Clone)]
pub struct EffectiveBlock {
    pub bucket: Result<PublicAccessBlock, FetchError>,
    pub account: Result<PublicAccessBlock, FetchError>,
}

impl EffectiveBlock {
    /// Reads both levels; a level that is not configured has every flag off.
    pub async fn of(bucket: &BucketState) -> Self {
        let (bucket_level, account_level) = tokio::join!(
            bucket.public_access_block(),
            bucket.account().public_access_block()
        );
        EffectiveBlock {
            bucket: bucket_level.map(|b| b.unwrap_or_default()),
            account: account_level.map(|a| a.unwrap_or_default()),
        }
    }

    /// Which level turns `flag` on ("account-level IgnorePublicAcls"), account first since it
    /// covers every bucket.
    pub fn neutralised_by(&self, flag: Flag) -> Option<String> {
        if self.account.as_ref().is_ok_and(|a| flag.on(a)) {
            Some(format!("account-level {}", flag.name()))
        } else if self.bucket.as_ref().is_ok_and(|b| flag.on(b)) {
            Some(format!("bucket-level {}", flag.name()))
        } else {
            None
        }
    }

    /// Notes about levels that could not be read, for messages ("" when both were read).
    pub fn unknown_note(&self) -> String {
        let mut notes = Vec::new();
        if let Err(e) = &self.bucket {
            notes.push(format!("bucket-level block unknown: {e}"));
        }
        if let Err(e) = &self.account {
            notes.push(format!("account-level block unknown: {e}"));
        }
        if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        }
    }
}

/// A finding for an exposure, lowered and explained when `flag` neutralises it.
fn exposure_outcome(block: &EffectiveBlock, flag: Flag, message: String) -> Outcome {
    match block.neutralised_by(flag) {
        Some(by) => Outcome::FailAt(NEUTRALISED, format!("{message}, currently blocked by {by}")),
        None => Outcome::Fail(format!("{message}{}", block.unknown_note())),
    }
}

/// The ACL permissions that expose reading (`Read`) or writing (`Write`).
fn acl_permission_exposes(permission: &str, access: Access) -> bool {
    match access {
        Access::Read => matches!(permission, "READ" | "READ_ACP" | "FULL_CONTROL"),
        Access::Write => matches!(permission, "WRITE" | "WRITE_ACP" | "FULL_CONTROL"),
    }
}

/// The public-ACL verdict for one kind of access.
pub async fn public_acl(bucket: &BucketState, access: Access) -> Result<Outcome, FetchError> {
    let acl = bucket.acl().await?;
    let mut by_group: Vec<(PublicGroup, Vec<&str>)> = Vec::new();
    for (group, permission) in acl
        .public_grants()
        .filter(|(_, p)| acl_permission_exposes(p, access))
    {
        match by_group.iter_mut().find(|(g, _)| *g == group) {
            Some((_, permissions)) => permissions.push(permission),
            None => by_group.push((group, vec![permission])),
        }
    }
    if by_group.is_empty() {
        let mut message = format!(
            "ACL grants no {} access to AllUsers or AuthenticatedUsers",
            access.word()
        );
        // With IgnorePublicAcls in effect S3 answers the effective ACL, hiding stored public
        // grants (S3 User Guide, Block Public Access): say so, since they return without it.
        // A level that could not be read may be hiding them too: say that as well.
        let block = EffectiveBlock::of(bucket).await;
        if let Some(by) = block.neutralised_by(Flag::IgnorePublicAcls) {
            message += &format!(" (with {by} on, S3 hides any stored public grants)");
        }
        message += &block.unknown_note();
        return Ok(Outcome::Pass(message));
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
    let block = EffectiveBlock::of(bucket).await;
    Ok(exposure_outcome(
        &block,
        Flag::IgnorePublicAcls,
        format!("ACL grants {}", parts.join(" and ")),
    ))
}

/// The public-policy verdict for one kind of access: the local evaluation reconciled with
/// `GetBucketPolicyStatus` (AWS's answer wins), then Block Public Access.
pub async fn public_policy(bucket: &BucketState, access: Access) -> Result<Outcome, FetchError> {
    let Some(policy) = bucket.policy().await? else {
        return Ok(Outcome::Pass("bucket has no policy".into()));
    };
    let verdict: PublicVerdict = evaluate_public(policy);
    let granting: Vec<_> = verdict
        .public_statements
        .iter()
        .filter(|s| s.grants(access))
        .collect();
    let explain = granting
        .iter()
        .map(|s| format!("{} {}", s.label, s.reason))
        .collect::<Vec<_>>()
        .join("; ");
    let deny_note = if verdict.conditional_deny {
        ", perhaps because a conditional Deny narrows it"
    } else {
        ""
    };
    let word = access.word();
    let message = match (bucket.policy_status().await, granting.is_empty()) {
        (Ok(Some(false)), true) => {
            return Ok(Outcome::Pass(format!(
                "policy grants no public {word} access"
            )));
        }
        (Ok(Some(false)), false) => {
            return Ok(Outcome::Pass(format!(
                "GetBucketPolicyStatus reports the policy not public{deny_note}, although locally {explain} (AWS's verdict wins)"
            )));
        }
        (Ok(Some(true)), false) => format!("policy allows public {word} access: {explain}"),
        (Ok(Some(true)), true) if verdict.is_public() => {
            // AWS's one bit cannot say which statement it judged public: a statement that
            // grants this access under fixed-value conditions may be it (256 CIDRs of /8).
            let limited: Vec<String> = verdict
                .limited_statements
                .iter()
                .filter(|s| s.grants(access))
                .map(|s| format!("{} {}", s.label, s.reason))
                .collect();
            if limited.is_empty() {
                return Ok(Outcome::Pass(format!(
                    "policy is public, but for other than {word} access: {}; no statement grants \
                     {word} access to everyone",
                    verdict.explain()
                )));
            }
            format!(
                "GetBucketPolicyStatus reports the policy public and {word} access is unconfirmed: \
                 locally only other access is public ({}), but AWS may count {} as public",
                verdict.explain(),
                limited.join("; ")
            )
        }
        (Ok(Some(true)), true) => "GetBucketPolicyStatus reports the policy public although no statement was found \
                                    public locally (AWS's verdict wins; which actions are exposed is unknown)"
            .to_owned(),
        // No status (the policy changed between the two reads) or no permission to read it:
        // report the local verdict and say it is unconfirmed.
        (unconfirmed, none_granting) => {
            let why = match unconfirmed {
                Err(e) => e.to_string(),
                Ok(_) => "GetBucketPolicyStatus found no policy".into(),
            };
            if none_granting {
                return Ok(Outcome::Pass(format!(
                    "no statement grants public {word} access by local evaluation (not confirmed by AWS: {why})"
                )));
            }
            format!("policy allows public {word} access: {explain} (not confirmed by AWS: {why})")
        }
    };
    let block = EffectiveBlock::of(bucket).await;
    Ok(exposure_outcome(
        &block,
        Flag::RestrictPublicBuckets,
        message,
    ))
}

/// The Block Public Access setting that currently blocks other accounts' access through the
/// bucket policy: RestrictPublicBuckets, while the policy is public (by AWS's answer, else
/// the local evaluation), limits access to the owner's account and AWS services (S3 User
/// Guide, Block Public Access).
pub async fn cross_account_blocked_by(bucket: &BucketState) -> Result<Option<String>, FetchError> {
    let Some(policy) = bucket.policy().await? else {
        return Ok(None);
    };
    let public = match bucket.policy_status().await {
        Ok(Some(public)) => *public,
        _ => evaluate_public(policy).is_public(),
    };
    if !public {
        return Ok(None);
    }
    Ok(EffectiveBlock::of(bucket)
        .await
        .neutralised_by(Flag::RestrictPublicBuckets))
}

/// Whether anyone can read the bucket's objects right now (a public ACL or policy that no
/// block neutralises); `Some(how)` names the exposure.
pub async fn publicly_readable(bucket: &BucketState) -> Result<Option<String>, FetchError> {
    for outcome in [
        public_policy(bucket, Access::Read).await?,
        public_acl(bucket, Access::Read).await?,
    ] {
        if let Outcome::Fail(message) = outcome {
            return Ok(Some(message));
        }
    }
    Ok(None)
}

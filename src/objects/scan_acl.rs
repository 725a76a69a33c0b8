//! `s3tk scan-object-acl BUCKET`: the ACL of every object, named as the canned ACL it amounts
//! to, with public objects as findings.

use super::acl::{AclMode, describe, public_can_write_acp, public_grants};
use super::s3::{self, Listed};
use super::{Prepared, Record, Status, acls_disabled, acls_disabled_message};
use crate::command::{CommandInfo, Section};
use crate::exposure::{EffectiveBlock, Flag};
use crate::facet::Facet;
use crate::state::BucketState;
use aws_sdk_s3::Client;
use serde_json::json;

pub const DOC: &str = "\
## What it checks

Every object's ACL (one GetObjectAcl per object, under bounded concurrency). Each is named as the \
canned ACL it amounts to (private, public-read, public-read-write, authenticated-read, \
aws-exec-read, bucket-owner-read, bucket-owner-full-control) or `custom` with its grants. An \
object whose ACL grants anything to AllUsers (anyone) or AuthenticatedUsers (any AWS account) is \
a finding, and makes the exit code 1.

## Why it matters

A public object ACL exposes that object even when the bucket and its policy are private. With \
ACLs disabled (Object Ownership BucketOwnerEnforced, the default for new buckets) object ACLs \
grant nothing: the command says so and finishes at once. With IgnorePublicAcls on, S3 reports \
the effective ACL, so public grants it ignores are hidden; the command says that too.

## How to fix

`s3tk reset-object-acl BUCKET` makes them private; `s3tk disable-acls BUCKET` disables ACLs for \
the whole bucket once nothing depends on them. With `--inventory` and its ObjectAccessControlList field, no ACL is requested.";

pub const INFO: CommandInfo = CommandInfo {
    usage: "s3tk scan-object-acl BUCKET",
    summary: "Show every object's ACL; public objects are findings (exit 1)",
    doc: DOC,
    facets: &[
        Facet::Region,
        Facet::OwnershipControls,
        Facet::Acl,
        Facet::PublicAccessBlock,
        Facet::AccountId,
        Facet::AccountPublicAccessBlock,
        Facet::ListObjects,
        Facet::GetObject,
        Facet::GetObjectAcl,
    ],
    aliases: &[],
    section: Section::Objects,
};

inventory::submit! { INFO }

/// What every object's classification needs from the bucket.
pub struct Context {
    pub bucket: String,
    /// Who owns the bucket, to recognise the bucket-owner ACLs.
    pub bucket_owner: Option<String>,
}

pub async fn prepare(bucket: &BucketState) -> Prepared<Context> {
    let mut notes = Vec::new();
    let (disabled, bucket_acl, block) = tokio::join!(
        acls_disabled(bucket),
        bucket.acl(),
        EffectiveBlock::of(bucket)
    );
    match disabled {
        Ok(true) => return Prepared::Done(acls_disabled_message(bucket.name())),
        Ok(false) => {}
        Err(e) => notes.push(format!(
            "could not read Object Ownership ({e}); reading every object's ACL"
        )),
    }
    let bucket_owner = match bucket_acl {
        Ok(acl) => acl.owner_id.clone(),
        Err(e) => {
            notes.push(format!(
                "could not read the bucket owner ({e}); bucket-owner ACLs will show as custom"
            ));
            None
        }
    };
    if let Some(by) = block.neutralised_by(Flag::IgnorePublicAcls) {
        notes.push(format!(
            "{by} is on: S3 reports effective ACLs, so public grants it ignores are not shown (they grant nothing now, but would if the setting were turned off)"
        ));
    }
    Prepared::Walk {
        context: Context {
            bucket: bucket.name().to_owned(),
            bucket_owner,
        },
        notes,
    }
}

pub async fn object(context: &Context, client: &Client, object: Listed) -> Record {
    // An inventory with the ObjectAccessControlList field spares one GetObjectAcl per object.
    let acl = match object.facts.as_ref().and_then(|f| f.acl.clone()) {
        Some(acl) => acl,
        None => match s3::get_acl(client, &context.bucket, &object.key).await {
            Ok(acl) => acl,
            Err(e) => return Record::error(&object, e),
        },
    };
    let mode = AclMode::of(&acl, context.bucket_owner.as_deref());
    let public = public_grants(&acl);
    let grants: Vec<String> = acl.foreign_grants().into_iter().map(describe).collect();
    let mut record = if public.is_empty() {
        Record::new(&object, Status::Ok, mode.name())
    } else {
        let severity = if public_can_write_acp(&acl) {
            "anyone can change its ACL"
        } else {
            "public"
        };
        Record::new(&object, Status::Finding, mode.name())
            .detail(format!("{severity}: {}", public.join(", ")))
    };
    if matches!(mode, AclMode::Custom(_)) && public.is_empty() {
        record = record.detail(grants.join(", "));
    }
    record.evidence(
        json!({ "owner": acl.owner_id, "grants": acl.grants, "public": !public.is_empty() }),
    )
}

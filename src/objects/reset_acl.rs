//! `s3tk reset-object-acl BUCKET [--acl CANNED]`: give every object a canned ACL (default
//! `private`), writing only where the ACL differs.

use super::acl::{AclMode, CannedAcl, is_canned};
use super::s3::{self, Listed};
use super::{Prepared, Record, Status, acls_disabled, acls_disabled_message};
use crate::command::{CommandInfo, Section};
use crate::exposure::{EffectiveBlock, Flag};
use crate::facet::Facet;
use crate::model::Acl;
use crate::state::BucketState;
use aws_sdk_s3::Client;

pub const DOC: &str = "\
## What it does

Reads every object's ACL and, where it is not already the canned ACL given with `--acl` \
(default `private`), sets it with PutObjectAcl. The ACL is compared by what it grants, so a \
re-run writes nothing, also for bucket-owner-read and bucket-owner-full-control. `--acl` is \
checked against S3's canned ACLs before any request. `--dry-run` reads and reports, and writes \
nothing.

## Why it matters

Public object ACLs expose single objects in otherwise private buckets; s3tk 0.5 accepted any \
`--acl` text and re-applied bucket-owner-full-control on every run.

## What to know

With ACLs disabled (BucketOwnerEnforced) S3 refuses ACL changes and ACLs grant nothing: the \
command says so and stops. A public `--acl` is refused while BlockPublicAcls is on. With `--inventory` the keys come from the report, and every ACL is still read before it is \
judged: a report's ACLs may be a day old.";

pub const INFO: CommandInfo = CommandInfo {
    usage: "s3tk reset-object-acl BUCKET",
    summary: "Set every object's ACL to a canned ACL (default private) where it differs",
    doc: DOC,
    facets: &[
        Facet::Region,
        Facet::OwnershipControls,
        Facet::PublicAccessBlock,
        Facet::AccountId,
        Facet::AccountPublicAccessBlock,
        Facet::Acl,
        Facet::ListObjects,
        Facet::GetObject,
        // --batch: the manifest upload and the job.
        Facet::PutObject,
        Facet::CreateJob,
        Facet::GetObjectAcl,
        Facet::PutObjectAcl,
    ],
    aliases: &[],
    section: Section::Objects,
};

inventory::submit! { INFO }

pub struct Context {
    pub bucket: String,
    pub acl: CannedAcl,
    pub bucket_owner: Option<String>,
    pub dry_run: bool,
}

pub async fn prepare(bucket: &BucketState, acl: CannedAcl, dry_run: bool) -> Prepared<Context> {
    let mut notes = Vec::new();
    let (disabled, bucket_acl, block) = tokio::join!(
        acls_disabled(bucket),
        bucket.acl(),
        EffectiveBlock::of(bucket)
    );
    match disabled {
        Ok(true) => return Prepared::Done(acls_disabled_message(bucket.name())),
        Ok(false) => {}
        Err(e) => notes.push(format!("could not read Object Ownership ({e})")),
    }
    let public = matches!(
        acl,
        CannedAcl::PublicRead | CannedAcl::PublicReadWrite | CannedAcl::AuthenticatedRead
    );
    if let (true, Some(by)) = (public, block.neutralised_by(Flag::BlockPublicAcls)) {
        return Prepared::Refused(format!(
            "--acl {acl} is a public ACL and {by} makes S3 refuse public ACLs on {}",
            bucket.name()
        ));
    }
    if let Some(by) = block.neutralised_by(Flag::IgnorePublicAcls) {
        notes.push(format!(
            "{by} is on: S3 reports effective ACLs, so public grants it ignores are not seen and objects that carry only those are not rewritten"
        ));
    }
    let bucket_owner = match bucket_acl {
        Ok(a) => a.owner_id.clone(),
        Err(e) if acl.needs_bucket_owner() => {
            return Prepared::Refused(format!(
                "--acl {acl} grants the bucket owner, who could not be read: {e}"
            ));
        }
        Err(_) => None,
    };
    Prepared::Walk {
        context: Context {
            bucket: bucket.name().to_owned(),
            acl,
            bucket_owner,
            dry_run,
        },
        notes,
    }
}

/// The object's ACL, read now: an inventory's may be a day old, and an object made public
/// since must not pass as already private.
async fn current_acl(context: &Context, client: &Client, object: &Listed) -> Result<Acl, Record> {
    s3::get_acl(client, &context.bucket, &object.key)
        .await
        .map_err(|e| Record::error(object, e))
}

/// `Ok(was)` describes the ACL to replace; `Err` is the record of an object already as wanted
/// (or whose ACL could not be read).
async fn to_replace(
    context: &Context,
    client: &Client,
    object: &Listed,
) -> Result<String, Box<Record>> {
    let current = current_acl(context, client, object)
        .await
        .map_err(Box::new)?;
    let owner = context.bucket_owner.as_deref();
    if is_canned(&current, context.acl, owner) == Some(true) {
        let already = Record::new(object, Status::Ok, format!("already {}", context.acl));
        return Err(Box::new(already));
    }
    Ok(format!("was {}", AclMode::of(&current, owner).name()))
}

/// `--batch`: every object whose ACL differs goes into one PutObjectAcl job.
pub async fn batch_plan(
    context: &Context,
    client: &Client,
    object: Listed,
) -> (Record, Option<String>) {
    let was = match to_replace(context, client, &object).await {
        Ok(was) => was,
        Err(record) => return (*record, None),
    };
    let result = if context.dry_run {
        "would queue"
    } else {
        "queued"
    };
    let record = Record::new(&object, Status::WouldChange, result)
        .detail(format!("{was}; the batch job sets {}", context.acl));
    (record, Some("all".into()))
}

pub async fn object(context: &Context, client: &Client, object: Listed) -> Record {
    let was = match to_replace(context, client, &object).await {
        Ok(was) => was,
        Err(record) => return *record,
    };
    let wanted = context.acl;
    if context.dry_run {
        return Record::new(&object, Status::WouldChange, format!("would set {wanted}"))
            .detail(was);
    }
    if let Err(e) = s3::put_canned_acl(client, &context.bucket, &object.key, wanted.as_str()).await
    {
        return Record::error(&object, e);
    }
    // PutObjectAcl's answer carries no ACL: only reading it back shows the change took.
    let after = match current_acl(context, client, &object).await {
        Ok(acl) => acl,
        Err(record) => {
            let why = record.detail.unwrap_or_default();
            return Record::error(
                &object,
                format!("set {wanted}, but reading it back failed: {why}"),
            );
        }
    };
    let owner = context.bucket_owner.as_deref();
    if is_canned(&after, wanted, owner) == Some(true) {
        Record::new(&object, Status::Changed, format!("set {wanted}")).detail(was)
    } else {
        Record::error(
            &object,
            format!(
                "S3 accepted {wanted}, but the ACL read back is {}",
                AclMode::of(&after, owner).name()
            ),
        )
    }
}

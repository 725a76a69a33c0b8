//! `s3tk encrypt BUCKET`: encrypt every object in place, losing nothing.

use super::acl::{GrantHeaders, grant_headers, public_grants};
use super::inventory::InventoryFacts;
use super::s3::{self, COPY_OBJECT_LIMIT, CopyPlan, HeadAnswer, Listed, WriteError};
use super::sse::{Current, Decision, Target, archived, decide, validate_encrypt_kms_key};
use super::{Prepared, Record, Status, acls_disabled};
use crate::command::{CommandInfo, Section};
use crate::exposure::{EffectiveBlock, Flag};
use crate::facet::Facet;
use crate::model::DefaultEncryption;
use crate::state::BucketState;
use aws_sdk_s3::Client;

pub const DOC: &str = "\
## What it does

Copies every unencrypted object onto itself with server-side encryption: by default as the \
bucket's default encryption does when that is SSE-KMS, else SSE-S3; SSE-KMS with `--kms-key-id` (a key ARN or id; the S3 Bucket Key is enabled), or SSE-C with \
`--customer-key`, `--customer-key-file` or `--customer-key-env` (32 bytes or their base64; the \
key is never printed). Encryption only moves up: an SSE-KMS object is never rewritten to SSE-S3, \
objects under the same KMS key or customer key are left alone, objects under another KMS key are \
re-keyed, and DSSE-KMS objects are never touched.

## What it keeps

User metadata, Content-Type and the other system headers, and tags are copied by S3; the \
storage class, website redirect, the object's ACL (when ACLs are enabled) and Object Lock \
retention and legal hold, which a plain copy drops, are sent with the copy. The copy is \
conditional on the ETag read before it (`x-amz-copy-source-if-match` and `If-Match`): an object \
changed meanwhile is reported and left alone, never overwritten with stale data. Objects over \
5 GiB are copied in parts (UploadPartCopy, each part conditional too), and the upload is \
aborted on any failure. Objects in GLACIER or DEEP_ARCHIVE (not restored) or in an \
Intelligent-Tiering archive tier are skipped with the reason (and make the exit code 1: they \
are still unencrypted). An interrupted run is finished by running it again: encrypted objects \
are recognised and left alone.

## What to know

In a versioned bucket the unencrypted data stays in the previous, noncurrent version; \
`s3tk delete-unencrypted-versions` removes those. Copies reset Last-Modified (lifecycle ages \
restart), fire ObjectCreated events and are replicated. `--dry-run` sends HEAD requests only \
(and, in an Object Lock bucket, the retention and legal-hold reads). \
With SSE-KMS the key policy must also allow the caller kms:GenerateDataKey and kms:Decrypt. \
HeadObject shows Object Lock settings only to a caller with s3:GetObjectRetention and \
s3:GetObjectLegalHold, so in a bucket with Object Lock (or whose Object Lock configuration \
cannot be read) an object whose HEAD shows none is read with GetObjectRetention and \
GetObjectLegalHold; if either is denied, the object is an error and is not copied. An expired \
retention is not re-applied. \
Public grants that IgnorePublicAcls hides are not visible either, and are not copied. With `--inventory`, objects the report shows as already encrypted cost no request, and a \
dry run needs none at all.";

pub const INFO: CommandInfo = CommandInfo {
    usage: "s3tk encrypt BUCKET",
    summary: "Encrypt objects in place (SSE-S3, SSE-KMS or SSE-C), keeping everything else",
    doc: DOC,
    facets: &[
        Facet::Region,
        Facet::OwnershipControls,
        Facet::Acl,
        Facet::PublicAccessBlock,
        Facet::AccountId,
        Facet::AccountPublicAccessBlock,
        Facet::Versioning,
        Facet::Encryption,
        Facet::ObjectLock,
        Facet::ListObjects,
        Facet::GetObject,
        // --batch: the manifest upload and the job.
        Facet::PutObject,
        Facet::CreateJob,
        Facet::HeadObject,
        Facet::GetObjectAcl,
        Facet::CopyObject,
        Facet::PutObjectAcl,
        Facet::GetObjectTagging,
        Facet::GetObjectRetention,
        Facet::GetObjectLegalHold,
        Facet::CreateMultipartUpload,
        Facet::UploadPartCopy,
        Facet::CompleteMultipartUpload,
        Facet::AbortMultipartUpload,
    ],
    aliases: &[],
    section: Section::Objects,
};

inventory::submit! { INFO }

pub struct Context {
    pub bucket: String,
    pub target: Target,
    pub dry_run: bool,
    /// Re-create each object's ACL on its copy (ACLs are enabled, or that is unknown).
    pub keep_acls: bool,
    /// Who owns the bucket: a private ACL of the bucket owner's object needs no grants sent.
    pub bucket_owner: Option<String>,
    /// The level and flag that make S3 refuse public ACLs, if any.
    pub block_public_acls: Option<String>,
    /// Objects may carry Object Lock settings (the bucket has Object Lock, or that is unknown):
    /// what HeadObject does not show is read explicitly.
    pub object_lock: bool,
}

/// Without a key option, objects are encrypted as the bucket encrypts new uploads when that is
/// SSE-KMS (a bucket policy may well require it); else SSE-S3.
fn default_target(rule: Option<&DefaultEncryption>, notes: &mut Vec<String>) -> Target {
    let Some(rule) = rule.filter(|r| r.algorithm.as_deref() == Some("aws:kms")) else {
        return Target::S3;
    };
    let key = rule.kms_key_id.clone();
    if key
        .as_deref()
        .is_some_and(|k| validate_encrypt_kms_key(k).is_err())
    {
        notes.push(format!(
            "the bucket's default encryption is {}; objects get SSE-S3 unless --kms-key-id names that key by ARN or id",
            rule.describe()
        ));
        return Target::S3;
    }
    let target = Target::Kms(key);
    notes.push(format!(
        "encrypting as the bucket's default encryption does: {target}"
    ));
    target
}

/// `target` is `None` when no key option was given.
pub async fn prepare(
    bucket: &BucketState,
    target: Option<Target>,
    dry_run: bool,
) -> Prepared<Context> {
    let mut notes = Vec::new();
    let (rule, disabled, bucket_acl, block, versioning, lock) = tokio::join!(
        bucket.encryption(),
        acls_disabled(bucket),
        bucket.acl(),
        EffectiveBlock::of(bucket),
        bucket.versioning(),
        bucket.object_lock()
    );
    let rule = rule.ok().and_then(Option::as_ref);
    let target = target.unwrap_or_else(|| default_target(rule, &mut notes));
    if matches!(target, Target::Customer(_))
        && rule.is_some_and(|r| r.blocked_encryption_types.iter().any(|t| t == "SSE-C"))
    {
        return Prepared::Refused(format!(
            "{} blocks SSE-C writes (BlockedEncryptionTypes in its default encryption); S3 would refuse every copy",
            bucket.name()
        ));
    }
    let keep_acls = match disabled {
        Ok(disabled) => !disabled,
        Err(e) => {
            notes.push(format!(
                "could not read Object Ownership ({e}); reading each object's ACL to keep it"
            ));
            true
        }
    };
    if let (true, Some(by)) = (keep_acls, block.neutralised_by(Flag::IgnorePublicAcls)) {
        notes.push(format!(
            "{by} is on: public grants S3 ignores are not visible, so the copies do not carry them"
        ));
    }
    let object_lock = match lock {
        Ok(lock) => lock.as_ref().is_some_and(|l| l.enabled),
        Err(e) => {
            notes.push(format!(
                "could not read the Object Lock configuration ({e}); reading each object's retention and legal hold to keep them"
            ));
            true
        }
    };
    if versioning.is_ok_and(|v| v.status.is_some()) {
        notes.push(format!(
            "{} is versioned: the unencrypted data stays in noncurrent versions until `s3tk delete-unencrypted-versions {}` removes them",
            bucket.name(),
            bucket.name()
        ));
    }
    Prepared::Walk {
        context: Context {
            bucket: bucket.name().to_owned(),
            target,
            dry_run,
            keep_acls,
            bucket_owner: bucket_acl.ok().and_then(|a| a.owner_id.clone()),
            block_public_acls: block.neutralised_by(Flag::BlockPublicAcls),
            object_lock,
        },
        notes,
    }
}

fn gone(object: &Listed) -> Record {
    Record::new(object, Status::Ok, "gone").detail("deleted after it was listed")
}

/// The encryption an inventory row reports.
fn inventory_current(facts: &InventoryFacts) -> Option<Current> {
    Some(match facts.encryption.as_deref()? {
        "NOT-SSE" => Current::None,
        "SSE-S3" => Current::S3,
        "SSE-KMS" => Current::Kms(None),
        "DSSE-KMS" => Current::DualLayerKms,
        "SSE-C" => Current::Customer { same_key: None },
        other => Current::Other(other.to_owned()),
    })
}

/// The record of an object an inventory row settles without a request: its encryption already
/// is what was asked, or is not to be changed. `None` when the object needs work, or when the
/// inventory cannot tell (it names no KMS key and no customer key).
fn settled_by_inventory(context: &Context, object: &Listed) -> Option<Record> {
    let current = inventory_current(object.facts.as_deref()?)?;
    if matches!(
        (&current, &context.target),
        (Current::Kms(None), Target::Kms(Some(_)))
            | (Current::Customer { .. }, Target::Customer(_))
    ) {
        return None;
    }
    without_copy(object, decide(&current, &context.target)).map(|r| {
        let detail = r.detail.clone().unwrap_or_default();
        r.detail(format!("{detail} (inventory)"))
    })
}

/// A dry run's record from the inventory alone: the object would be encrypted, or is archived.
fn dry_run_from_inventory(context: &Context, object: &Listed) -> Option<Record> {
    let facts = object.facts.as_deref()?;
    let current = inventory_current(facts)?;
    if !matches!(decide(&current, &context.target), Decision::Encrypt) {
        return None;
    }
    let tier = match facts.tier.as_deref() {
        Some("ARCHIVE") => Some("ARCHIVE_ACCESS"),
        Some("DEEP_ARCHIVE") => Some("DEEP_ARCHIVE_ACCESS"),
        _ => None,
    };
    if let Some(why) = archived(object.storage_class.as_deref(), false, tier) {
        return Some(
            Record::new(object, Status::Skipped, "skipped").detail(format!("{why} (inventory)")),
        );
    }
    Some(
        Record::new(object, Status::WouldChange, "would encrypt").detail(format!(
            "{} → {} (inventory)",
            current.describe(),
            context.target
        )),
    )
}

pub async fn object(context: &Context, client: &Client, object: Listed) -> Record {
    if let Some(record) = settled_by_inventory(context, &object) {
        return record;
    }
    if context.dry_run
        && let Some(record) = dry_run_from_inventory(context, &object)
    {
        return record;
    }
    let bucket = context.bucket.as_str();
    let customer_key = match &context.target {
        Target::Customer(k) => Some(k),
        _ => None,
    };
    let current = match s3::head(client, bucket, &object.key, None, None).await {
        Ok(HeadAnswer::Found(head)) => match (&head.customer_key_md5, customer_key) {
            // Emulators may answer a key-less HEAD of an SSE-C object; S3 answers 400.
            (Some(md5), Some(k)) => Err(Current::Customer {
                same_key: Some(*md5 == k.md5_base64()),
            }),
            (Some(_), None) => Err(Current::Customer { same_key: None }),
            (None, _) => Ok(head),
        },
        Ok(HeadAnswer::Gone) => return gone(&object),
        Ok(HeadAnswer::CustomerKeyNeeded) => {
            // SSE-C: only the same key can tell whether there is anything to do.
            let same_key = match customer_key {
                None => None,
                Some(k) => match s3::head(client, bucket, &object.key, None, Some(k)).await {
                    Ok(HeadAnswer::Found(_)) => Some(true),
                    Ok(HeadAnswer::CustomerKeyNeeded) => Some(false),
                    Ok(HeadAnswer::Gone) => return gone(&object),
                    Err(e) => return Record::error(&object, e),
                },
            };
            Err(Current::Customer { same_key })
        }
        Err(e) => return Record::error(&object, e),
    };
    let mut head = match current {
        Ok(head) => head,
        // SSE-C objects are never copied: they stay as they are, or are already done.
        Err(customer) => {
            return without_copy(&object, decide(&customer, &context.target)).unwrap_or_else(
                || Record::error(&object, "an SSE-C object cannot be copied without its key"),
            );
        }
    };
    let current = Current::from_head(head.sse.as_deref(), head.kms_key.as_deref());
    if let Some(record) = without_copy(&object, decide(&current, &context.target)) {
        return record;
    }
    if let Err(record) = read_object_lock(context, client, &object, &mut head).await {
        return record;
    }
    let Some(etag) = head.etag.as_deref() else {
        return Record::error(
            &object,
            "HeadObject returned no ETag to make the copy conditional on",
        );
    };
    // A listing is seconds old: a different ETag means a concurrent writer. An inventory is up
    // to a day old, and the copy is conditional on the ETag just read anyway.
    if object.facts.is_none() && object.etag.as_deref().is_some_and(|listed| listed != etag) {
        return Record::new(&object, Status::Conflict, "changed")
            .detail("it changed after it was listed");
    }
    if let Some(why) = archived(
        head.storage_class.as_deref(),
        head.restored,
        head.archive_status.as_deref(),
    ) {
        return Record::new(&object, Status::Skipped, "skipped").detail(why);
    }
    let change = format!("{} → {}", current.describe(), context.target);
    if context.dry_run {
        return Record::new(&object, Status::WouldChange, "would encrypt").detail(change);
    }
    let grants = if context.keep_acls {
        match acl_to_keep(context, client, &object).await {
            Ok(grants) => grants,
            Err(record) => return record,
        }
    } else {
        None
    };
    let plan = CopyPlan {
        bucket,
        key: &object.key,
        etag,
        head: &head,
        target: &context.target,
        grants: grants.as_ref(),
    };
    let copied = if head.size > COPY_OBJECT_LIMIT {
        // Read the tags whatever `x-amz-tagging-count` said: S3 leaves that header out for a
        // caller who may not read tags, and the multipart copy must send them itself.
        match s3::get_tagging(client, bucket, &object.key).await {
            Ok(tags) => s3::multipart_copy(client, &plan, &tags).await,
            Err(e) => return Record::error(&object, format!("reading its tags to keep them: {e}")),
        }
    } else {
        s3::copy_in_place(client, &plan).await
    };
    match copied {
        Ok(copied) => match copied.doubt(&plan) {
            None => Record::new(&object, Status::Changed, "encrypted").detail(change),
            Some(doubt) => Record::error(&object, format!("copied, but not confirmed: {doubt}")),
        },
        Err(WriteError::Changed(why)) => {
            Record::new(&object, Status::Conflict, "changed").detail(why)
        }
        Err(WriteError::Failed(why)) => Record::error(&object, why),
    }
}

/// Completes `head` with the Object Lock settings HeadObject leaves out for a caller without
/// s3:GetObjectRetention or s3:GetObjectLegalHold (it omits the headers rather than refuse), so
/// a copy never silently drops them. `Err` is the record of an object whose settings cannot be
/// read: it is not copied.
async fn read_object_lock(
    context: &Context,
    client: &Client,
    object: &Listed,
    head: &mut s3::Head,
) -> Result<(), Record> {
    if !context.object_lock {
        return Ok(());
    }
    let refuse = |what: &str, e| {
        Record::error(
            object,
            format!("not copied: its Object Lock {what} could not be read to keep it ({e})"),
        )
    };
    let (bucket, version) = (context.bucket.as_str(), head.version_id.clone());
    if head.lock_mode.is_none() {
        match s3::get_retention(client, bucket, &object.key, version.as_deref()).await {
            Ok(Some((mode, until))) => {
                head.lock_mode = Some(mode);
                head.lock_until = Some(until);
            }
            Ok(None) => {}
            Err(e) => return Err(refuse("retention", e)),
        }
    }
    if head.legal_hold.is_none() {
        match s3::get_legal_hold(client, bucket, &object.key, version.as_deref()).await {
            Ok(hold) => head.legal_hold = hold,
            Err(e) => return Err(refuse("legal hold", e)),
        }
    }
    Ok(())
}

/// The grants to send with the copy so the object keeps its ACL: `None` when the default
/// (private to the bucket owner, who becomes the copy's owner) already is that ACL. `Err` is
/// the record of an object whose ACL cannot be kept.
async fn acl_to_keep(
    context: &Context,
    client: &Client,
    object: &Listed,
) -> Result<Option<GrantHeaders>, Record> {
    // Always read now, never from an inventory: an ACL change leaves the ETag alone, so the
    // copy's condition would not catch a grant added or removed since the report.
    let acl = s3::get_acl(client, &context.bucket, &object.key)
        .await
        .map_err(|e| Record::error(object, format!("reading its ACL to keep it: {e}")))?;
    let owner_only = acl.foreign_grants().is_empty();
    if owner_only && acl.owner_id.is_some() && acl.owner_id == context.bucket_owner {
        return Ok(None);
    }
    let public = public_grants(&acl);
    if let (false, Some(by)) = (public.is_empty(), &context.block_public_acls) {
        return Err(Record::new(object, Status::Skipped, "skipped").detail(format!(
            "its ACL is public ({}) and {by} would refuse it on the copy; make it private first (s3tk reset-object-acl) or re-run once the setting allows it",
            public.join(", ")
        )));
    }
    grant_headers(&acl)
        .map(Some)
        .map_err(|why| Record::new(object, Status::Skipped, "skipped").detail(why))
}

/// The record for an object whose encryption is already what was asked, or stronger or
/// different in a way not to change; `None` when it is to be encrypted.
fn without_copy(object: &Listed, decision: Decision) -> Option<Record> {
    match decision {
        Decision::Already(why) => {
            Some(Record::new(object, Status::Ok, "already encrypted").detail(why))
        }
        Decision::Keep(why) => Some(Record::new(object, Status::Ok, "kept").detail(why)),
        Decision::Encrypt => None,
    }
}

/// `--batch`: whether an S3 Batch Operations copy can encrypt the object without losing
/// anything. Returns the record and, when the object goes into a job, the job's group: its
/// storage class (a Batch copy sets one for the whole job). Everything a Batch copy would drop
/// or set job-wide is left for the direct engine and says why.
pub async fn batch_plan(
    context: &Context,
    client: &Client,
    object: Listed,
) -> (Record, Option<String>) {
    if let Some(record) = settled_by_inventory(context, &object) {
        return (record, None);
    }
    let bucket = context.bucket.as_str();
    let mut head = match s3::head(client, bucket, &object.key, None, None).await {
        Ok(HeadAnswer::Found(head)) if head.customer_key_md5.is_none() => head,
        Ok(HeadAnswer::Found(_) | HeadAnswer::CustomerKeyNeeded) => {
            let sse_c = Current::Customer { same_key: None };
            let record = without_copy(&object, decide(&sse_c, &context.target))
                .unwrap_or_else(|| Record::error(&object, "an SSE-C object needs its key"));
            return (record, None);
        }
        Ok(HeadAnswer::Gone) => return (gone(&object), None),
        Err(e) => return (Record::error(&object, e), None),
    };
    let current = Current::from_head(head.sse.as_deref(), head.kms_key.as_deref());
    if let Some(record) = without_copy(&object, decide(&current, &context.target)) {
        return (record, None);
    }
    if let Some(why) = archived(
        head.storage_class.as_deref(),
        head.restored,
        head.archive_status.as_deref(),
    ) {
        return (
            Record::new(&object, Status::Skipped, "skipped").detail(why),
            None,
        );
    }
    // A Batch copy would drop settings HeadObject did not show: read them before deciding.
    if let Err(record) = read_object_lock(context, client, &object, &mut head).await {
        return (record, None);
    }
    let direct = |why: &str| {
        let record = Record::new(&object, Status::Skipped, "left for the direct engine")
            .detail(format!("{why}; encrypt it without --batch"));
        (record, None)
    };
    if head.size > COPY_OBJECT_LIMIT {
        return direct("over 5 GB, more than a Batch copy takes");
    }
    if head.website_redirect.is_some() {
        return direct("it has a website redirect, which a Batch copy sets for the whole job");
    }
    if head.retention().is_some() || head.legal_hold.is_some_and(|h| h.as_str() == "ON") {
        return direct(
            "it has Object Lock retention or a legal hold, which a Batch copy sets for the whole job",
        );
    }
    if context.keep_acls {
        match acl_to_keep(context, client, &object).await {
            Ok(None) => {}
            Ok(Some(_)) => {
                return direct("its ACL is not private, and a Batch copy does not keep ACLs");
            }
            Err(record) => return (record, None),
        }
    }
    let class = head
        .storage_class
        .clone()
        .unwrap_or_else(|| "STANDARD".into());
    if !super::batch::COPY_STORAGE_CLASSES.contains(&class.as_str()) {
        return direct(&format!(
            "a Batch copy cannot keep its storage class ({class})"
        ));
    }
    let result = if context.dry_run {
        "would queue"
    } else {
        "queued"
    };
    let record = Record::new(&object, Status::WouldChange, result).detail(format!(
        "{} → {}, in the {class} job",
        current.describe(),
        context.target
    ));
    (record, Some(class))
}

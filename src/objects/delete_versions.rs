//! `s3tk delete-unencrypted-versions BUCKET`: delete the noncurrent versions that are not
//! encrypted, typically the plaintext left behind by `encrypt` in a versioned bucket.

use super::s3::{self, HeadAnswer, Listed};
use super::{Prepared, Record, Status};
use crate::command::{CommandInfo, Section};
use crate::facet::Facet;
use crate::state::BucketState;
use aws_sdk_s3::Client;

pub const DOC: &str = "\
## What it does

Lists every version (ListObjectVersions) and, for each noncurrent version, asks HeadObject \
whether it is encrypted; no object data is downloaded. Noncurrent versions without server-side \
encryption are deleted by version id, and reported as deleted only once S3 confirmed it. The \
current version and delete markers are never deleted: each version is re-checked against the \
key's current version just before its deletion, so a version that became current meanwhile is \
kept. `--dry-run` reports what would be deleted and deletes nothing.

## Why it matters

After `s3tk encrypt` in a versioned bucket, the plaintext copies remain as noncurrent versions, \
readable by anyone allowed s3:GetObjectVersion.

## What to know

Deleting a version is permanent. Buckets that never had versioning have no noncurrent versions \
and finish at once; with MFA delete enabled S3 requires the root user's MFA code, which s3tk \
does not take, so the command refuses. Versions under Object Lock retention cannot be deleted \
and are reported as errors. With `--inventory` (all versions), versions the report shows as encrypted cost no request.";

pub const INFO: CommandInfo = CommandInfo {
    usage: "s3tk delete-unencrypted-versions BUCKET",
    summary: "Delete noncurrent object versions that are not encrypted",
    doc: DOC,
    facets: &[
        Facet::Region,
        Facet::Versioning,
        Facet::ListObjectVersions,
        Facet::GetObject,
        Facet::HeadObjectVersion,
        Facet::DeleteObjectVersion,
    ],
    aliases: &[],
    section: Section::Objects,
};

inventory::submit! { INFO }

pub struct Context {
    pub bucket: String,
    pub dry_run: bool,
}

pub async fn prepare(bucket: &BucketState, dry_run: bool) -> Prepared<Context> {
    let mut notes = Vec::new();
    match bucket.versioning().await {
        Ok(v) if v.status.is_none() => {
            return Prepared::Done(format!(
                "versioning has never been enabled on {}: it has no noncurrent versions",
                bucket.name()
            ));
        }
        Ok(v) if v.mfa_delete == Some(true) && !dry_run => {
            return Prepared::Refused(format!(
                "MFA delete is enabled on {}: deleting a version needs the root user's MFA code, which s3tk does not take (run with --dry-run to list the versions, then delete them with `aws s3api delete-object --mfa`)",
                bucket.name()
            ));
        }
        Ok(_) => {}
        Err(e) => notes.push(format!("could not read the versioning status ({e})")),
    }
    Prepared::Walk {
        context: Context {
            bucket: bucket.name().to_owned(),
            dry_run,
        },
        notes,
    }
}

pub async fn object(context: &Context, client: &Client, object: Listed) -> Record {
    let bucket = context.bucket.as_str();
    let Some(version) = object.version_id.clone() else {
        return Record::error(&object, "the listing gave no version id");
    };
    // A version never changes: what the inventory says of its encryption still holds.
    if let Some(sse) = object
        .facts
        .as_ref()
        .and_then(|f| f.encryption.as_deref())
        .filter(|e| *e != "NOT-SSE")
    {
        return Record::new(&object, Status::Ok, "encrypted").detail(format!("{sse} (inventory)"));
    }
    let head = match s3::head(client, bucket, &object.key, Some(&version), None).await {
        Ok(HeadAnswer::Found(head)) => head,
        Ok(HeadAnswer::Gone) => {
            return Record::new(&object, Status::Ok, "gone").detail("already deleted");
        }
        Ok(HeadAnswer::CustomerKeyNeeded) => {
            return Record::new(&object, Status::Ok, "encrypted").detail("SSE-C");
        }
        Err(e) => return Record::error(&object, e),
    };
    if let Some(sse) = head.sse.as_deref() {
        return Record::new(&object, Status::Ok, "encrypted").detail(sse.to_owned());
    }
    // Emulators may answer a key-less HEAD of an SSE-C version; S3 answers 400.
    if head.customer_key_md5.is_some() {
        return Record::new(&object, Status::Ok, "encrypted").detail("SSE-C");
    }
    // Deleting the current version would make the previous one current: never do it, even if
    // someone deleted the newer version since the listing.
    match s3::current_version(client, bucket, &object.key).await {
        Ok(Some(current)) if current != version => {}
        Ok(Some(_)) => {
            return Record::new(&object, Status::Conflict, "kept")
                .detail("it became the current version after the listing");
        }
        Ok(None) => return Record::new(&object, Status::Ok, "gone").detail("already deleted"),
        Err(e) => return Record::error(&object, format!("checking the current version: {e}")),
    }
    if context.dry_run {
        return Record::new(&object, Status::WouldChange, "would delete").detail("not encrypted");
    }
    match s3::delete_version(client, bucket, &object.key, &version).await {
        Ok(()) => Record::new(&object, Status::Changed, "deleted").detail("not encrypted"),
        Err(e) => Record::error(&object, e),
    }
}

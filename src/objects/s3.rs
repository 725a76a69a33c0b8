//! Every object-level S3 call of the object commands, reads and writes, with errors classified
//! into [`FetchError`] (so a denial names the missing IAM action). The commands decide, this
//! module only sends: with `batch.rs`, the only object-level code that talks to AWS.

use super::acl::GrantHeaders;
use super::inventory::InventoryFacts;
use super::sse::{Applied, CustomerKey, Target};
use crate::aws::classify;
use crate::error::FetchError;
use crate::facet::Facet;
use crate::model::Acl;
use crate::state::fetch::grant;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, EncodingType, ObjectCannedAcl,
    ObjectLockLegalHoldStatus, ObjectLockMode, ServerSideEncryption, StorageClass,
};
use futures::{StreamExt, TryStreamExt};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use std::collections::HashMap;
use std::sync::Arc;

/// CopyObject copies at most 5 GiB; larger objects need a multipart copy.
pub const COPY_OBJECT_LIMIT: i64 = 5 * 1024 * 1024 * 1024;
/// Part size of a multipart copy, unless 10,000 parts need bigger ones.
const PART_SIZE: i64 = 512 * 1024 * 1024;
const MAX_PARTS: i64 = 10_000;
/// Parts of one multipart copy in flight at once.
const PARTS_IN_FLIGHT: usize = 4;

/// Adds the SSE-C headers for `key` to any request builder that has them.
macro_rules! with_customer_key {
    ($request:expr, $key:expr) => {{
        let key: &CustomerKey = $key;
        $request
            .sse_customer_algorithm("AES256")
            .sse_customer_key(key.base64())
            .sse_customer_key_md5(key.md5_base64())
    }};
}

/// One object (ListObjectsV2) or one version or delete marker (ListObjectVersions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub version_id: Option<String>,
    /// Quoted, as S3 sends it (`"9b2cf535f27731c974343645a3985328"`).
    pub etag: Option<String>,
    pub size: i64,
    pub storage_class: Option<String>,
    pub is_latest: bool,
    pub delete_marker: bool,
    /// What an S3 Inventory report adds (encryption, ACL); `None` when listed.
    pub facts: Option<Arc<InventoryFacts>>,
}

/// One page of a listing, and where the next one starts.
pub struct Page {
    pub items: Vec<Listed>,
    pub next: Option<Cursor>,
}

#[derive(Debug, Clone)]
pub enum Cursor {
    Token(String),
    Versions {
        key_marker: String,
        version_id_marker: Option<String>,
    },
}

/// With `encoding-type=url` S3 form-encodes keys (a space is `+`), so keys with characters
/// XML 1.0 cannot carry still list; botocore decodes them the same way. Only an answer that
/// says it is encoded is decoded: some S3-compatible stores ignore the parameter.
fn decode_key(key: &str, encoded: bool) -> String {
    if !encoded {
        return key.to_owned();
    }
    percent_decode_str(&key.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// One page of ListObjectsV2 under `prefix`, the first one after `start_after`.
pub async fn list_objects(
    client: &Client,
    bucket: &str,
    prefix: &str,
    cursor: Option<&Cursor>,
    start_after: Option<&str>,
) -> Result<Page, FetchError> {
    let token = match cursor {
        Some(Cursor::Token(t)) => Some(t.clone()),
        _ => None,
    };
    // The continuation token already says where the page starts.
    let start_after = start_after.filter(|_| token.is_none()).map(str::to_owned);
    let out = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .encoding_type(EncodingType::Url)
        .set_start_after(start_after)
        .set_continuation_token(token)
        .send()
        .await
        .map_err(|e| classify(Facet::ListObjects, e))?;
    let encoded = out.encoding_type() == Some(&EncodingType::Url);
    let items = out
        .contents()
        .iter()
        .filter_map(|o| {
            Some(Listed {
                key: decode_key(o.key()?, encoded),
                version_id: None,
                etag: o.e_tag().map(str::to_owned),
                size: o.size().unwrap_or_default(),
                storage_class: o.storage_class().map(|c| c.as_str().to_owned()),
                is_latest: true,
                delete_marker: false,
                facts: None,
            })
        })
        .collect();
    let next = match (out.is_truncated(), out.next_continuation_token()) {
        (Some(true), Some(token)) => Some(Cursor::Token(token.to_owned())),
        _ => None,
    };
    Ok(Page { items, next })
}

/// One page of ListObjectVersions under `prefix`: versions and delete markers, in key order.
pub async fn list_versions(
    client: &Client,
    bucket: &str,
    prefix: &str,
    cursor: Option<&Cursor>,
) -> Result<Page, FetchError> {
    let (key_marker, version_marker) = match cursor {
        Some(Cursor::Versions {
            key_marker,
            version_id_marker,
        }) => (Some(key_marker.clone()), version_id_marker.clone()),
        _ => (None, None),
    };
    let out = client
        .list_object_versions()
        .bucket(bucket)
        .prefix(prefix)
        .encoding_type(EncodingType::Url)
        .set_key_marker(key_marker)
        .set_version_id_marker(version_marker)
        .send()
        .await
        .map_err(|e| classify(Facet::ListObjectVersions, e))?;
    let encoded = out.encoding_type() == Some(&EncodingType::Url);
    let mut items: Vec<Listed> = out
        .versions()
        .iter()
        .filter_map(|v| {
            Some(Listed {
                key: decode_key(v.key()?, encoded),
                version_id: v.version_id().map(str::to_owned),
                etag: v.e_tag().map(str::to_owned),
                size: v.size().unwrap_or_default(),
                storage_class: v.storage_class().map(|c| c.as_str().to_owned()),
                is_latest: v.is_latest().unwrap_or(false),
                delete_marker: false,
                facts: None,
            })
        })
        .collect();
    items.extend(out.delete_markers().iter().filter_map(|m| {
        Some(Listed {
            key: decode_key(m.key()?, encoded),
            version_id: m.version_id().map(str::to_owned),
            etag: None,
            size: 0,
            storage_class: None,
            is_latest: m.is_latest().unwrap_or(false),
            delete_marker: true,
            facts: None,
        })
    }));
    let next = match (out.is_truncated(), out.next_key_marker()) {
        (Some(true), Some(key)) => Some(Cursor::Versions {
            key_marker: decode_key(key, encoded),
            version_id_marker: out.next_version_id_marker().map(str::to_owned),
        }),
        _ => None,
    };
    Ok(Page { items, next })
}

/// What HeadObject says about an object: everything a copy must carry over.
#[derive(Debug, Clone, Default)]
pub struct Head {
    pub etag: Option<String>,
    pub size: i64,
    pub version_id: Option<String>,
    /// `None` is STANDARD (S3 omits the header for it).
    pub storage_class: Option<String>,
    /// A restored copy of an archived object is available.
    pub restored: bool,
    /// The Intelligent-Tiering archive tier, if the object is in one.
    pub archive_status: Option<String>,
    /// `x-amz-server-side-encryption` and the KMS key.
    pub sse: Option<String>,
    pub kms_key: Option<String>,
    /// SSE-C: the MD5 of the key it is encrypted with.
    pub customer_key_md5: Option<String>,
    pub website_redirect: Option<String>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<DateTime>,
    pub metadata: HashMap<String, String>,
    pub lock_mode: Option<ObjectLockMode>,
    pub lock_until: Option<DateTime>,
    pub legal_hold: Option<ObjectLockLegalHoldStatus>,
    pub tag_count: i32,
}

/// HeadObject's answer, with the answers that are not errors for the object commands.
#[derive(Debug, Clone)]
pub enum HeadAnswer {
    Found(Box<Head>),
    /// 404: deleted since it was listed.
    Gone,
    /// The object is SSE-C and its key was not sent (or another key was).
    CustomerKeyNeeded,
}

/// HeadObject of the current object or of one version; with `key`, carrying SSE-C headers.
pub async fn head(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    customer_key: Option<&CustomerKey>,
) -> Result<HeadAnswer, FetchError> {
    let facet = if version_id.is_some() {
        Facet::HeadObjectVersion
    } else {
        Facet::HeadObject
    };
    let mut request = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_owned));
    if let Some(k) = customer_key {
        request = with_customer_key!(request, k);
    }
    let out = match request.send().await {
        Ok(out) => out,
        Err(e) => {
            // HEAD answers carry no body, so the status is all there is. A 400 for an object we
            // may read is S3 asking for SSE-C headers; with a key, 403 means another key.
            return match (status(&e), customer_key.is_some()) {
                (Some(404), _) => Ok(HeadAnswer::Gone),
                (Some(400), false) | (Some(403), true) => Ok(HeadAnswer::CustomerKeyNeeded),
                _ => Err(classify(facet, e)),
            };
        }
    };
    Ok(HeadAnswer::Found(Box::new(Head {
        etag: out.e_tag().map(str::to_owned),
        size: out.content_length().unwrap_or_default(),
        version_id: out.version_id().map(str::to_owned),
        storage_class: out.storage_class().map(|c| c.as_str().to_owned()),
        restored: out
            .restore()
            .is_some_and(|r| r.contains("ongoing-request=\"false\"")),
        archive_status: out.archive_status().map(|s| s.as_str().to_owned()),
        sse: out.server_side_encryption().map(|s| s.as_str().to_owned()),
        kms_key: out.ssekms_key_id().map(str::to_owned),
        customer_key_md5: out.sse_customer_key_md5().map(str::to_owned),
        website_redirect: out.website_redirect_location().map(str::to_owned),
        content_type: out.content_type().map(str::to_owned),
        cache_control: out.cache_control().map(str::to_owned),
        content_disposition: out.content_disposition().map(str::to_owned),
        content_encoding: out.content_encoding().map(str::to_owned),
        content_language: out.content_language().map(str::to_owned),
        #[allow(deprecated)] // the typed Expires; `expires_string` keeps unparsable values
        expires: out.expires().copied(),
        metadata: out.metadata().cloned().unwrap_or_default(),
        lock_mode: out.object_lock_mode().cloned(),
        lock_until: out.object_lock_retain_until_date().copied(),
        legal_hold: out.object_lock_legal_hold_status().cloned(),
        tag_count: out.tag_count().unwrap_or_default(),
    })))
}

impl Head {
    /// The object's Object Lock retention, if it still runs: re-sending a date in the past
    /// would make S3 refuse the copy.
    pub fn retention(&self) -> Option<(&ObjectLockMode, &DateTime)> {
        let now = DateTime::from(std::time::SystemTime::now());
        match (&self.lock_mode, &self.lock_until) {
            (Some(mode), Some(until)) if until.secs() > now.secs() => Some((mode, until)),
            _ => None,
        }
    }
}

/// S3's answer to an Object Lock read on a bucket without Object Lock: nothing to keep.
fn lock_not_enabled<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.code() == Some("InvalidRequest") && err.message().is_some_and(|m| m.contains("Object Lock"))
}

/// The object's (or version's) Object Lock retention, read with GetObjectRetention; `None`
/// when it has none (or the bucket has no Object Lock).
pub async fn get_retention(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Option<(ObjectLockMode, DateTime)>, FetchError> {
    let facet = Facet::GetObjectRetention;
    let out = match client
        .get_object_retention()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_owned))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if e.code() == facet.absent_code() || lock_not_enabled(&e) => return Ok(None),
        Err(e) => return Err(classify(facet, e)),
    };
    let retention = out.retention();
    let mode = retention.and_then(|r| r.mode()).map(|m| m.as_str());
    let until = retention.and_then(|r| r.retain_until_date()).copied();
    Ok(match (mode, until) {
        (Some(mode), Some(until)) => Some((ObjectLockMode::from(mode), until)),
        _ => None,
    })
}

/// The object's (or version's) legal hold, read with GetObjectLegalHold; `None` when none was
/// ever set (or the bucket has no Object Lock).
pub async fn get_legal_hold(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Option<ObjectLockLegalHoldStatus>, FetchError> {
    let facet = Facet::GetObjectLegalHold;
    match client
        .get_object_legal_hold()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_owned))
        .send()
        .await
    {
        Ok(out) => Ok(out.legal_hold().and_then(|h| h.status()).cloned()),
        Err(e) if e.code() == facet.absent_code() || lock_not_enabled(&e) => Ok(None),
        Err(e) => Err(classify(facet, e)),
    }
}

fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// The id of the key's current version or delete marker, from ListObjectVersions (the first
/// entry under the key as prefix is its latest); `None` when the key has no versions left.
/// HeadObject cannot tell: it refuses SSE-C objects without their key, naming no version.
pub async fn current_version(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Option<String>, FetchError> {
    let out = client
        .list_object_versions()
        .bucket(bucket)
        .prefix(key)
        .max_keys(1)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .map_err(|e| classify(Facet::ListObjectVersions, e))?;
    let encoded = out.encoding_type() == Some(&EncodingType::Url);
    let latest = out
        .versions()
        .iter()
        .map(|v| (v.key(), v.is_latest(), v.version_id()))
        .chain(
            out.delete_markers()
                .iter()
                .map(|m| (m.key(), m.is_latest(), m.version_id())),
        )
        .find(|(k, latest, _)| {
            *latest == Some(true) && k.is_some_and(|k| decode_key(k, encoded) == key)
        });
    Ok(latest.and_then(|(_, _, id)| id.map(str::to_owned)))
}

/// An object's body, to stream (inventory manifests and data files).
pub async fn get_object(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<ByteStream, FetchError> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify(Facet::GetObject, e))?;
    Ok(out.body)
}

pub async fn get_acl(client: &Client, bucket: &str, key: &str) -> Result<Acl, FetchError> {
    let out = client
        .get_object_acl()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify(Facet::GetObjectAcl, e))?;
    Ok(Acl {
        owner_id: out.owner().and_then(|o| o.id()).map(str::to_owned),
        grants: out.grants().iter().map(grant).collect(),
    })
}

pub async fn put_canned_acl(
    client: &Client,
    bucket: &str,
    key: &str,
    acl: &str,
) -> Result<(), FetchError> {
    client
        .put_object_acl()
        .bucket(bucket)
        .key(key)
        .acl(ObjectCannedAcl::from(acl))
        .send()
        .await
        .map_err(|e| classify(Facet::PutObjectAcl, e))?;
    Ok(())
}

/// The object's tags, form-encoded as the `x-amz-tagging` header wants them.
pub async fn get_tagging(client: &Client, bucket: &str, key: &str) -> Result<String, FetchError> {
    let out = client
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify(Facet::GetObjectTagging, e))?;
    Ok(out
        .tag_set()
        .iter()
        .map(|t| format!("{}={}", form_encode(t.key()), form_encode(t.value())))
        .collect::<Vec<_>>()
        .join("&"))
}

fn form_encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// Everything but RFC 3986's unreserved characters is escaped.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// The same, keeping `/` between key segments.
const KEY_PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// `x-amz-copy-source` for a key: the SDK sends it as given, and S3 wants it URL-encoded
/// (`c++ notes.txt` must be `c%2B%2B%20notes.txt`, or S3 looks for another key).
pub fn copy_source(bucket: &str, key: &str) -> String {
    format!("{bucket}/{}", utf8_percent_encode(key, KEY_PATH))
}

/// A write that did not happen, and whether it was refused because the object changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The object changed or vanished after it was read (412, 409, 404): left alone.
    Changed(String),
    Failed(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Changed(why) | WriteError::Failed(why) => f.write_str(why),
        }
    }
}

fn write_error<E>(facet: Facet, e: SdkError<E, HttpResponse>) -> WriteError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match (status(&e), e.code()) {
        (Some(412), _) | (_, Some("PreconditionFailed")) => {
            WriteError::Changed("it changed after it was listed (ETag no longer matches)".into())
        }
        (Some(409), _) | (_, Some("ConditionalRequestConflict")) => {
            WriteError::Changed("another write to it was in progress".into())
        }
        (_, Some("NoSuchKey")) => WriteError::Changed("it was deleted after it was listed".into()),
        _ => WriteError::Failed(classify(facet, e).to_string()),
    }
}

/// What an in-place copy writes: the object as HeadObject read it, made conditional on `etag`.
pub struct CopyPlan<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    /// The ETag the decision was made on; the copy happens only if the object still has it.
    pub etag: &'a str,
    pub head: &'a Head,
    pub target: &'a Target,
    /// The object's ACL, re-created on the copy (`None` when ACLs are disabled).
    pub grants: Option<&'a GrantHeaders>,
}

/// S3's answers to a copy: the encryption they say was applied, and what they say was copied.
/// A copy is reported done only when [`Copied::doubt`] finds nothing.
#[derive(Debug, Default)]
pub struct Copied {
    pub applied: Applied,
    /// A multipart copy: its ETag says nothing of the content.
    pub multipart: bool,
    /// The new object's ETag, from CopyObject.
    pub etag: Option<String>,
    /// `x-amz-copy-source-version-id` of each copy request: one, or one per part.
    pub source_versions: Vec<Option<String>>,
}

impl Copied {
    /// `None` when the answers confirm the copy as planned; else what they leave unconfirmed
    /// or contradict. On S3 the copy's conditions make a contradiction impossible; an endpoint
    /// that ignores them can copy a newer object than the one decided on.
    pub fn doubt(&self, plan: &CopyPlan<'_>) -> Option<String> {
        if let Some(why) = plan.target.unconfirmed_by(&self.applied) {
            return Some(why);
        }
        // S3 names the source version of a copy from a versioned bucket; some stores (MinIO)
        // only when the request named one, and null versions may go unnamed: only a version
        // that differs is a contradiction.
        if let Some(wanted) = &plan.head.version_id
            && let Some(copied) = self.source_versions.iter().flatten().find(|v| *v != wanted)
        {
            return Some(format!(
                "S3 copied version {copied}, not version {wanted} that the copy was conditioned on: the object changed during the copy and the endpoint ignored the condition"
            ));
        }
        // A single-part object's ETag is its content's MD5 when it is unencrypted or SSE-S3,
        // and so is an SSE-S3 copy's: a different ETag means different content was copied.
        let comparable = !self.multipart
            && matches!(plan.target, Target::S3)
            && matches!(plan.head.sse.as_deref(), None | Some("AES256"))
            && plan.head.customer_key_md5.is_none()
            && !plan.etag.contains('-');
        match &self.etag {
            _ if !comparable => None,
            Some(etag) if etag.trim_matches('"') == plan.etag.trim_matches('"') => None,
            Some(etag) => Some(format!(
                "the copy's ETag {etag} is not {}, the ETag the copy was conditioned on: the object changed during the copy and the endpoint ignored the condition",
                plan.etag
            )),
            None => Some(
                "S3's answer has no ETag (CopyObjectResult), so what was copied is not confirmed"
                    .into(),
            ),
        }
    }
}

/// Encryption, storage class, website redirect, grants and retention are the same on both
/// kinds of copy request; this sets them on either builder.
macro_rules! copy_attributes {
    ($request:expr, $plan:expr) => {{
        let plan = $plan;
        let retention = plan.head.retention();
        let mut r = $request
            .storage_class(StorageClass::from(
                plan.head.storage_class.as_deref().unwrap_or("STANDARD"),
            ))
            .set_website_redirect_location(plan.head.website_redirect.clone())
            .set_object_lock_mode(retention.map(|(mode, _)| mode.clone()))
            .set_object_lock_retain_until_date(retention.map(|(_, until)| *until))
            .set_object_lock_legal_hold_status(plan.head.legal_hold.clone());
        r = match plan.target {
            Target::S3 => r.server_side_encryption(ServerSideEncryption::Aes256),
            Target::Kms(key) => r
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .set_ssekms_key_id(key.clone())
                .bucket_key_enabled(true),
            Target::Customer(k) => with_customer_key!(r, k),
        };
        if let Some(g) = plan.grants {
            let join = |v: &Vec<String>| (!v.is_empty()).then(|| v.join(", "));
            r = r
                .set_grant_read(join(&g.read))
                .set_grant_read_acp(join(&g.read_acp))
                .set_grant_write_acp(join(&g.write_acp))
                .set_grant_full_control(join(&g.full_control));
        }
        r
    }};
}

/// CopyObject onto itself (objects up to 5 GiB): metadata, system headers and tags are copied
/// by S3 (the COPY directives); storage class, website redirect, ACL and retention, which S3
/// would drop, are re-sent. Returns what S3's answer says was done.
pub async fn copy_in_place(client: &Client, plan: &CopyPlan<'_>) -> Result<Copied, WriteError> {
    let request = client
        .copy_object()
        .bucket(plan.bucket)
        .key(plan.key)
        .copy_source(copy_source(plan.bucket, plan.key))
        .copy_source_if_match(plan.etag)
        // The destination must also still be what was read: closes the window between the
        // source check and the write.
        .if_match(plan.etag);
    let out = copy_attributes!(request, plan)
        .send()
        .await
        .map_err(|e| write_error(Facet::CopyObject, e))?;
    Ok(Copied {
        applied: Applied::from_answer(
            out.server_side_encryption(),
            out.ssekms_key_id(),
            out.sse_customer_algorithm(),
            out.sse_customer_key_md5(),
        ),
        multipart: false,
        etag: out
            .copy_object_result()
            .and_then(|r| r.e_tag())
            .map(str::to_owned),
        source_versions: vec![out.copy_source_version_id().map(str::to_owned)],
    })
}

/// The byte ranges of a multipart copy of `size` bytes.
pub fn part_ranges(size: i64) -> Vec<(i64, i64)> {
    let part = PART_SIZE.max((size + MAX_PARTS - 1) / MAX_PARTS);
    (0..size)
        .step_by(part as usize)
        .map(|first| (first, (first + part).min(size) - 1))
        .collect()
}

/// A copy of an object over 5 GiB: CreateMultipartUpload with everything the object has
/// (there is no COPY directive here, so metadata, system headers and `tags` are sent), one
/// UploadPartCopy per range, each conditional on the ETag, then a conditional
/// CompleteMultipartUpload. Any failure aborts the upload, so no parts are left to pay for.
pub async fn multipart_copy(
    client: &Client,
    plan: &CopyPlan<'_>,
    tags: &str,
) -> Result<Copied, WriteError> {
    let head = plan.head;
    let request = client
        .create_multipart_upload()
        .bucket(plan.bucket)
        .key(plan.key)
        .set_content_type(head.content_type.clone())
        .set_cache_control(head.cache_control.clone())
        .set_content_disposition(head.content_disposition.clone())
        .set_content_encoding(head.content_encoding.clone())
        .set_content_language(head.content_language.clone())
        .set_expires(head.expires)
        .set_metadata((!head.metadata.is_empty()).then(|| head.metadata.clone()))
        .set_tagging((!tags.is_empty()).then(|| tags.to_owned()));
    let created = copy_attributes!(request, plan)
        .send()
        .await
        .map_err(|e| write_error(Facet::CreateMultipartUpload, e))?;
    let Some(upload_id) = created.upload_id().map(str::to_owned) else {
        return Err(WriteError::Failed(
            "CreateMultipartUpload returned no UploadId".into(),
        ));
    };
    // The upload's encryption, as S3 echoes it; CompleteMultipartUpload confirms SSE-S3 and
    // SSE-KMS again, and every part echoes an SSE-C key.
    let applied = Applied::from_answer(
        created.server_side_encryption(),
        created.ssekms_key_id(),
        created.sse_customer_algorithm(),
        created.sse_customer_key_md5(),
    );
    match copy_parts(client, plan, &upload_id, applied).await {
        Ok(copied) => Ok(copied),
        Err(e) => {
            let aborted = client
                .abort_multipart_upload()
                .bucket(plan.bucket)
                .key(plan.key)
                .upload_id(&upload_id)
                .send()
                .await;
            Err(match aborted {
                Ok(_) => e,
                Err(abort) => WriteError::Failed(format!(
                    "{e}; then aborting upload {upload_id} failed too ({}): abort it by hand, or let an AbortIncompleteMultipartUpload lifecycle rule do it",
                    classify(Facet::AbortMultipartUpload, abort)
                )),
            })
        }
    }
}

async fn copy_parts(
    client: &Client,
    plan: &CopyPlan<'_>,
    upload_id: &str,
    mut applied: Applied,
) -> Result<Copied, WriteError> {
    let source = copy_source(plan.bucket, plan.key);
    let parts: Vec<(CompletedPart, Option<String>, Option<String>)> =
        futures::stream::iter(part_ranges(plan.head.size).into_iter().enumerate())
            .map(|(i, (first, last))| {
                let part_number = i as i32 + 1;
                let mut request = client
                    .upload_part_copy()
                    .bucket(plan.bucket)
                    .key(plan.key)
                    .upload_id(upload_id)
                    .part_number(part_number)
                    .copy_source(&source)
                    .copy_source_range(format!("bytes={first}-{last}"))
                    .copy_source_if_match(plan.etag);
                if let Target::Customer(k) = plan.target {
                    request = with_customer_key!(request, k);
                }
                async move {
                    let out = request
                        .send()
                        .await
                        .map_err(|e| write_error(Facet::UploadPartCopy, e))?;
                    let part = CompletedPart::builder()
                        .part_number(part_number)
                        .set_e_tag(
                            out.copy_part_result()
                                .and_then(|r| r.e_tag())
                                .map(str::to_owned),
                        )
                        .build();
                    let key_md5 = out.sse_customer_key_md5().map(str::to_owned);
                    let version = out.copy_source_version_id().map(str::to_owned);
                    Ok::<_, WriteError>((part, key_md5, version))
                }
            })
            .buffered(PARTS_IN_FLIGHT)
            .try_collect()
            .await?;
    let mut source_versions = Vec::with_capacity(parts.len());
    let mut completed = Vec::with_capacity(parts.len());
    for (part, key_md5, version) in parts {
        if key_md5 != applied.customer_key_md5 {
            // A part stored under another key, or without one, leaves SSE-C unconfirmed.
            applied.customer_key_md5 = None;
        }
        source_versions.push(version);
        completed.push(part);
    }
    let mut request = client
        .complete_multipart_upload()
        .bucket(plan.bucket)
        .key(plan.key)
        .upload_id(upload_id)
        .if_match(plan.etag)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        );
    if let Target::Customer(k) = plan.target {
        request = with_customer_key!(request, k);
    }
    let out = request
        .send()
        .await
        .map_err(|e| write_error(Facet::CompleteMultipartUpload, e))?;
    if !matches!(plan.target, Target::Customer(_)) {
        applied.sse = out.server_side_encryption().map(|s| s.as_str().to_owned());
        applied.kms_key = out.ssekms_key_id().map(str::to_owned);
    }
    Ok(Copied {
        applied,
        multipart: true,
        etag: None,
        source_versions,
    })
}

pub async fn delete_version(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<(), FetchError> {
    client
        .delete_object()
        .bucket(bucket)
        .key(key)
        .version_id(version_id)
        .send()
        .await
        .map_err(|e| classify(Facet::DeleteObjectVersion, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_doubted_only_on_missing_or_contradicting_evidence() {
        let head = Head {
            version_id: Some("v1".into()),
            ..Head::default()
        };
        let plan = |etag, target| CopyPlan {
            bucket: "b",
            key: "k",
            etag,
            head: &head,
            target,
            grants: None,
        };
        let sse_s3 = Applied {
            sse: Some("AES256".into()),
            ..Applied::default()
        };
        let copied = |etag: Option<&str>, version: Option<&str>| Copied {
            applied: sse_s3.clone(),
            multipart: false,
            etag: etag.map(str::to_owned),
            source_versions: vec![version.map(str::to_owned)],
        };
        let same = "\"9b2cf535f27731c974343645a3985328\"";
        let s3 = plan(same, &Target::S3);
        assert_eq!(copied(Some(same), Some("v1")).doubt(&s3), None);
        // A store that names the version only when asked: no contradiction.
        assert_eq!(copied(Some(same), None).doubt(&s3), None);
        assert!(
            copied(Some(same), Some("v2"))
                .doubt(&s3)
                .unwrap()
                .starts_with("S3 copied version v2, not version v1")
        );
        assert!(
            copied(Some("\"0000\""), Some("v1"))
                .doubt(&s3)
                .unwrap()
                .starts_with("the copy's ETag \"0000\" is not")
        );
        assert!(copied(None, Some("v1")).doubt(&s3).is_some());
        // A multipart ETag, or a KMS copy's, says nothing of the content.
        let multipart_source = plan("\"abc-3\"", &Target::S3);
        assert_eq!(
            copied(Some("\"0000\""), None).doubt(&multipart_source),
            None
        );
        let multipart_copy = Copied {
            multipart: true,
            ..copied(None, None)
        };
        assert_eq!(multipart_copy.doubt(&s3), None);
        let kms = Target::Kms(None);
        let kms_copy = Copied {
            applied: Applied {
                sse: Some("aws:kms".into()),
                ..Applied::default()
            },
            ..copied(Some("\"0000\""), None)
        };
        assert_eq!(kms_copy.doubt(&plan(same, &kms)), None);
        assert!(copied(Some(same), None).doubt(&plan(same, &kms)).is_some());
    }

    #[test]
    fn copy_sources_are_url_encoded_per_segment() {
        assert_eq!(
            copy_source("b", "docs/c++ notes.txt"),
            "b/docs/c%2B%2B%20notes.txt"
        );
        assert_eq!(copy_source("b", "a/é?x=1#y"), "b/a/%C3%A9%3Fx%3D1%23y");
        assert_eq!(copy_source("b", "plain-key_1.~"), "b/plain-key_1.~");
    }

    #[test]
    fn listed_keys_are_form_decoded() {
        assert_eq!(decode_key("a+b%2Bc%2Fd%20e", true), "a b+c/d e");
        assert_eq!(decode_key("caf%C3%A9", true), "café");
        assert_eq!(decode_key("c++ %41", false), "c++ %41");
    }

    #[test]
    fn only_running_retention_is_carried_over() {
        let mut head = Head {
            lock_mode: Some(ObjectLockMode::Governance),
            lock_until: Some(DateTime::from_secs(4_102_444_800)), // 2100
            ..Head::default()
        };
        assert!(head.retention().is_some());
        head.lock_until = Some(DateTime::from_secs(1_600_000_000)); // 2020
        assert!(
            head.retention().is_none(),
            "an expired date would make S3 refuse the copy"
        );
        head.lock_until = None;
        assert!(head.retention().is_none());
    }

    #[test]
    fn parts_cover_the_object_exactly() {
        let six_gib = 6 * 1024 * 1024 * 1024;
        let ranges = part_ranges(six_gib);
        assert_eq!(ranges.len(), 12);
        assert_eq!(ranges[0], (0, PART_SIZE - 1));
        assert_eq!(ranges.last().unwrap().1, six_gib - 1);
        assert!(ranges.windows(2).all(|w| w[1].0 == w[0].1 + 1));
        // 5 TiB needs parts over 512 MiB to stay within 10,000.
        let five_tib = 5 * 1024 * 1024 * 1024 * 1024;
        let ranges = part_ranges(five_tib);
        assert!(ranges.len() <= 10_000, "{}", ranges.len());
        assert_eq!(ranges.last().unwrap().1, five_tib - 1);
    }
}

//! Objects in the fake S3: ListObjectsV2, ListObjectVersions, HeadObject, Get/PutObjectAcl,
//! GetObjectTagging, CopyObject, the multipart copy calls and DeleteObject, with the rules of
//! `reference/aws-s3-semantics.md` §6 that the object commands depend on: what a copy keeps
//! and drops, conditional copies (412), the 5 GiB CopyObject limit, archived objects, SSE-C
//! headers, ACLs refused under BucketOwnerEnforced or BlockPublicAcls, and MFA delete.
//!
//! A synthetic bucket of N objects answers listings from a formula, so a benchmark can list a
//! million keys without the fake holding a million objects.

// A refusal here is the HTTP answer itself; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use super::{ALL_USERS, AUTHENTICATED_USERS, FakeBucket, Model, OWNER_ID, error, escape, xml};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use s3tk::model::{Grant, Grantee};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use wiremock::{Request, ResponseTemplate};

const GIB: i64 = 1024 * 1024 * 1024;
const COPY_LIMIT: i64 = 5 * GIB;
const MIN_PART: i64 = 5 * 1024 * 1024;
const EC2: &str = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c";
const NS: &str = r#"xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#;

static COUNTER: AtomicUsize = AtomicUsize::new(1);

fn next_id() -> usize {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// One version of an object (or a delete marker).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeObject {
    pub version_id: String,
    pub delete_marker: bool,
    pub size: i64,
    /// Without quotes.
    pub etag: String,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub tags: Vec<(String, String)>,
    /// `None` is STANDARD.
    pub storage_class: Option<String>,
    pub restored: bool,
    pub website_redirect: Option<String>,
    pub sse: Option<String>,
    pub kms_key: Option<String>,
    pub bucket_key: bool,
    /// SSE-C: the MD5 (base64) of the key.
    pub customer_key_md5: Option<String>,
    pub owner: String,
    /// Besides the owner's FULL_CONTROL.
    pub grants: Vec<Grant>,
    pub lock_mode: Option<String>,
    pub lock_until: Option<String>,
    pub legal_hold: Option<String>,
}

impl FakeObject {
    pub fn new(size: i64) -> Self {
        FakeObject {
            size,
            etag: format!("{:032x}", next_id()),
            owner: OWNER_ID.into(),
            content_type: Some("binary/octet-stream".into()),
            ..Default::default()
        }
    }
    pub fn content_type(mut self, value: &str) -> Self {
        self.content_type = Some(value.into());
        self
    }
    pub fn cache_control(mut self, value: &str) -> Self {
        self.cache_control = Some(value.into());
        self
    }
    pub fn meta(mut self, key: &str, value: &str) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }
    pub fn storage_class(mut self, class: &str) -> Self {
        self.storage_class = Some(class.into());
        self
    }
    pub fn redirect(mut self, location: &str) -> Self {
        self.website_redirect = Some(location.into());
        self
    }
    pub fn sse(mut self, algorithm: &str, kms_key: Option<&str>) -> Self {
        self.sse = Some(algorithm.into());
        self.kms_key = kms_key.map(str::to_owned);
        self
    }
    pub fn customer_key(mut self, md5: &str) -> Self {
        self.customer_key_md5 = Some(md5.into());
        self
    }
    pub fn owner(mut self, id: &str) -> Self {
        self.owner = id.into();
        self
    }
    pub fn grant_all_users(mut self, permission: &str) -> Self {
        self.grants.push(group(ALL_USERS, permission));
        self
    }
    pub fn grant_authenticated(mut self, permission: &str) -> Self {
        self.grants.push(group(AUTHENTICATED_USERS, permission));
        self
    }
    pub fn grant_user(mut self, id: &str, permission: &str) -> Self {
        self.grants.push(Grant {
            grantee: Grantee::CanonicalUser { id: id.into() },
            permission: permission.into(),
        });
        self
    }
    pub fn retention(mut self, mode: &str, until: &str) -> Self {
        self.lock_mode = Some(mode.into());
        self.lock_until = Some(until.into());
        self
    }
    pub fn legal_hold(mut self, status: &str) -> Self {
        self.legal_hold = Some(status.into());
        self
    }
    pub fn is_encrypted(&self) -> bool {
        self.sse.is_some() || self.customer_key_md5.is_some()
    }
}

fn group(uri: &str, permission: &str) -> Grant {
    Grant {
        grantee: Grantee::Group { uri: uri.into() },
        permission: permission.into(),
    }
}

/// A bucket of `count` objects named `obj/0000000`…, all like `template`, answered from a
/// formula; writes are kept as overrides.
#[derive(Debug, Clone, Default)]
pub struct Synthetic {
    pub count: usize,
    pub template: FakeObject,
}

impl Synthetic {
    pub fn key(i: usize) -> String {
        format!("obj/{i:07}")
    }
}

/// Request headers an S3-compatible store may accept and ignore, answering 200 all the same:
/// what `encrypt` and `reset-object-acl` must not report as done.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ignores {
    /// `x-amz-server-side-encryption…`: objects are stored unencrypted, answers echo nothing.
    pub sse_headers: bool,
    /// `x-amz-copy-source-if-match` and `If-Match`.
    pub conditions: bool,
    /// PutObjectAcl changes nothing.
    pub acl_writes: bool,
}

/// A multipart upload in progress.
#[derive(Debug, Clone)]
pub struct Upload {
    pub key: String,
    pub object: FakeObject,
    /// part number → (first byte, last byte, etag)
    pub parts: BTreeMap<i32, (i64, i64, String)>,
    pub source_size: i64,
}

impl FakeBucket {
    /// Adds `object` under `key`: a new version when versioning is enabled, else a replacement.
    pub fn object(mut self, key: &str, object: FakeObject) -> Self {
        store(&mut self, key, object);
        self
    }
    /// A synthetic bucket of `count` objects like `template` (see [`Synthetic`]).
    pub fn synthetic(mut self, count: usize, template: FakeObject) -> Self {
        self.synthetic = Some(Synthetic { count, template });
        self
    }
    pub fn ignoring(mut self, ignores: Ignores) -> Self {
        self.ignores = ignores;
        self
    }
    /// The next HeadObject of `key` is followed by another writer replacing the object.
    pub fn concurrent_write(mut self, key: &str) -> Self {
        self.concurrent_writes.push(key.into());
        self
    }
    /// The caller lacks `action` (e.g. `s3:GetObjectRetention`) on this bucket's objects.
    pub fn deny_object_action(mut self, action: &'static str) -> Self {
        self.denied_object_actions.push(action);
        self
    }
    /// An error for an object operation (`HeadObject`, `CopyObject`, `ListObjectsV2`, …):
    /// after `skip` normal answers, the next `times` requests get it.
    pub fn object_fault(
        mut self,
        operation: &'static str,
        status: u16,
        code: &'static str,
        skip: usize,
        times: usize,
    ) -> Self {
        self.object_faults
            .insert(operation, (status, code, skip, times));
        self
    }
    /// An error for every `every`-th request of an object operation (2: half of them), from
    /// the `every`-th on, for as long as the bucket exists.
    pub fn object_fault_every(
        mut self,
        operation: &'static str,
        status: u16,
        code: &'static str,
        every: usize,
    ) -> Self {
        self.periodic_faults
            .insert(operation, (status, code, every.max(1), 0));
        self
    }
}

fn versioned(bucket: &FakeBucket) -> bool {
    bucket.versioning.is_some()
}

/// Stores a new current version of `key`.
fn store(bucket: &mut FakeBucket, key: &str, mut object: FakeObject) -> String {
    let versions = bucket.objects.entry(key.to_owned()).or_default();
    if bucket.versioning == Some("Enabled") {
        object.version_id = format!("v{:06}", next_id());
        versions.push(object);
    } else {
        object.version_id = "null".into();
        versions.retain(|v| v.version_id != "null");
        versions.push(object);
    }
    versions.last().unwrap().version_id.clone()
}

/// The current version of `key` (a synthetic one if the bucket has no stored override).
fn current(bucket: &FakeBucket, key: &str) -> Option<FakeObject> {
    if let Some(v) = bucket.objects.get(key) {
        return v.last().cloned();
    }
    let synthetic = bucket.synthetic.as_ref()?;
    let index: usize = key.strip_prefix("obj/")?.parse().ok()?;
    (index < synthetic.count && Synthetic::key(index) == key).then(|| {
        let mut o = synthetic.template.clone();
        o.etag = format!("{index:032x}");
        o.version_id = "null".into();
        o
    })
}

fn version(bucket: &FakeBucket, key: &str, id: &str) -> Option<FakeObject> {
    match bucket.objects.get(key) {
        Some(v) => v.iter().find(|o| o.version_id == id).cloned(),
        None => current(bucket, key).filter(|o| o.version_id == id),
    }
}

/// Keys in the form S3 uses with `encoding-type=url`.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

fn encode_key(key: &str, url: bool) -> String {
    if url {
        utf8_percent_encode(key, FORM)
            .to_string()
            .replace("%20", "+")
    } else {
        escape(key)
    }
}

/// The object key of a path-style request (`/bucket/key`), decoded; `None` for bucket requests.
pub fn object_key(req: &Request) -> Option<String> {
    let path = req.url.path().trim_start_matches('/');
    let (_, key) = path.split_once('/')?;
    (!key.is_empty()).then(|| percent_decode_str(key).decode_utf8_lossy().into_owned())
}

/// The operation of an object-level request (or listing), as `Facet::operation` names it.
pub fn facet_operation(req: &Request) -> Option<&'static str> {
    let has = |name: &str| req.url.query_pairs().any(|(k, _)| k == name);
    let copy = header(req, "x-amz-copy-source").is_some();
    if object_key(req).is_none() {
        return match req.method.as_str() {
            "GET" if has("list-type") => Some("ListObjectsV2"),
            "GET" if has("versions") => Some("ListObjectVersions"),
            _ => None,
        };
    }
    Some(match req.method.as_str() {
        "HEAD" if has("versionId") => "HeadObject (version)",
        "HEAD" => "HeadObject",
        "GET" if has("acl") => "GetObjectAcl",
        "GET" if has("tagging") => "GetObjectTagging",
        "GET" if has("retention") => "GetObjectRetention",
        "GET" if has("legal-hold") => "GetObjectLegalHold",
        "GET" => "GetObject",
        "PUT" if has("acl") => "PutObjectAcl",
        "PUT" if copy && has("partNumber") => "UploadPartCopy",
        "PUT" if copy => "CopyObject",
        "PUT" => "PutObject",
        "POST" if has("uploads") => "CreateMultipartUpload",
        "POST" if has("uploadId") => "CompleteMultipartUpload",
        "DELETE" if has("uploadId") => "AbortMultipartUpload",
        "DELETE" if has("versionId") => "DeleteObject (version)",
        _ => return None,
    })
}

/// Whether the request is one of the bucket-level listings of objects.
pub fn is_listing(req: &Request) -> bool {
    req.method.as_str() == "GET"
        && req
            .url
            .query_pairs()
            .any(|(k, _)| k == "list-type" || k == "versions")
}

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

fn unquote(etag: &str) -> &str {
    etag.trim_matches('"')
}

/// An injected object fault, if one is due for `operation`: (status, code).
fn fault(bucket: &mut FakeBucket, operation: &str) -> Option<(u16, &'static str)> {
    if let Some((status, code, every, seen)) = bucket.periodic_faults.get_mut(operation) {
        *seen += 1;
        if *seen % *every == 0 {
            return Some((*status, *code));
        }
    }
    let (status, code, skip, times) = bucket.object_faults.get_mut(operation)?;
    if *skip > 0 {
        *skip -= 1;
        return None;
    }
    if *times == 0 {
        return None;
    }
    *times -= 1;
    Some((*status, *code))
}

fn operation(req: &Request) -> &'static str {
    let query: Vec<String> = req.url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let has = |name: &str| query.iter().any(|q| q == name);
    match req.method.as_str() {
        "GET" if has("list-type") => "ListObjectsV2",
        "GET" if has("versions") => "ListObjectVersions",
        "HEAD" => "HeadObject",
        "GET" if has("acl") => "GetObjectAcl",
        "PUT" if has("acl") => "PutObjectAcl",
        "GET" if has("tagging") => "GetObjectTagging",
        "GET" if has("retention") => "GetObjectRetention",
        "GET" if has("legal-hold") => "GetObjectLegalHold",
        "POST" if has("uploads") => "CreateMultipartUpload",
        "PUT" if has("uploadId") => "UploadPartCopy",
        "POST" if has("uploadId") => "CompleteMultipartUpload",
        "DELETE" if has("uploadId") => "AbortMultipartUpload",
        "PUT" if header(req, "x-amz-copy-source").is_some() => "CopyObject",
        "DELETE" => "DeleteObject",
        _ => "Unsupported",
    }
}

/// Answers an object-level request, or a listing, for bucket `name`.
pub fn respond(model: &mut Model, name: &str, req: &Request) -> ResponseTemplate {
    let account_block = model.account_block;
    let page_size = model.object_page_size;
    let bucket = model.buckets.get_mut(name).expect("routed to a bucket");
    let op = operation(req);
    // Faults for ListObjectVersions hit the listing's pages, not the one-key lookups of a
    // version's current state (`max-keys=1`), which have their own name.
    let fault_op = match op {
        "ListObjectVersions" if req.url.query_pairs().any(|(k, _)| k == "max-keys") => {
            "ListObjectVersions (one key)"
        }
        _ => op,
    };
    if let Some((status, code)) = fault(bucket, fault_op) {
        // HEAD answers have no body.
        return if op == "HeadObject" {
            ResponseTemplate::new(status)
        } else {
            error(status, code, "injected fault")
        };
    }
    let query: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
    let ignore_public_acls = account_block.is_some_and(|b| b.ignore_public_acls)
        || bucket
            .public_access_block
            .is_some_and(|b| b.ignore_public_acls);
    let block_public_acls = account_block.is_some_and(|b| b.block_public_acls)
        || bucket
            .public_access_block
            .is_some_and(|b| b.block_public_acls);
    let enforced = bucket.ownership.as_deref() == Some("BucketOwnerEnforced");
    let key = object_key(req).unwrap_or_default();
    match op {
        "ListObjectsV2" => list_objects(bucket, name, &query, page_size),
        "ListObjectVersions" => list_versions(bucket, name, &query, page_size),
        "HeadObject" => head(bucket, &key, &query, req),
        "GetObjectAcl" => match current(bucket, &key) {
            Some(o) if !o.delete_marker => xml(acl_xml(&o, enforced, ignore_public_acls)),
            _ => error(404, "NoSuchKey", "The specified key does not exist."),
        },
        "PutObjectAcl" => put_acl(bucket, &key, req, enforced, block_public_acls),
        "GetObjectTagging" => match current(bucket, &key) {
            Some(o) => {
                let tags: String = o
                    .tags
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "<Tag><Key>{}</Key><Value>{}</Value></Tag>",
                            escape(k),
                            escape(v)
                        )
                    })
                    .collect();
                xml(format!("<Tagging {NS}><TagSet>{tags}</TagSet></Tagging>"))
            }
            None => error(404, "NoSuchKey", "The specified key does not exist."),
        },
        "GetObjectRetention" | "GetObjectLegalHold" => object_lock(bucket, op, &key, &query),
        "CopyObject" => copy(bucket, name, &key, req, enforced, block_public_acls),
        "CreateMultipartUpload" => {
            let mut object = match written_object(req, enforced, block_public_acls) {
                Ok(o) => o,
                Err(e) => return e,
            };
            if bucket.ignores.sse_headers {
                forget_encryption(&mut object);
            }
            let echo = object.clone();
            let id = format!("upload-{}", next_id());
            bucket.uploads.insert(
                id.clone(),
                Upload {
                    key: key.clone(),
                    object,
                    parts: BTreeMap::new(),
                    source_size: 0,
                },
            );
            let r = xml(format!(
                "<InitiateMultipartUploadResult {NS}><Bucket>{name}</Bucket><Key>{}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>",
                escape(&key)
            ));
            echo_encryption(r, &echo)
        }
        "UploadPartCopy" => upload_part_copy(bucket, name, &query, req),
        "CompleteMultipartUpload" => complete(bucket, &query, req),
        "AbortMultipartUpload" => match bucket
            .uploads
            .remove(query.get("uploadId").map_or("", String::as_str))
        {
            Some(_) => ResponseTemplate::new(204),
            None => error(404, "NoSuchUpload", "The specified upload does not exist."),
        },
        "DeleteObject" => delete(bucket, &key, &query),
        _ => error(501, "NotImplemented", "not supported by the fake"),
    }
}

fn list_objects(
    bucket: &FakeBucket,
    name: &str,
    query: &HashMap<String, String>,
    page_size: usize,
) -> ResponseTemplate {
    let prefix = query.get("prefix").cloned().unwrap_or_default();
    let url = query.get("encoding-type").is_some_and(|e| e == "url");
    // A continuation token wins over start-after, as in S3.
    let after = query
        .get("continuation-token")
        .or_else(|| query.get("start-after"))
        .cloned()
        .unwrap_or_default();
    let limit = query
        .get("max-keys")
        .and_then(|m| m.parse().ok())
        .unwrap_or(1000usize)
        .min(page_size);
    // (key, etag, size, storage class) of the current objects after the token, in key order.
    let mut page: Vec<(String, String, i64, String)> = Vec::with_capacity(limit + 1);
    let mut last_index = 0;
    if let Some(s) = &bucket.synthetic {
        // The token is the last index listed; start-after is a key.
        let start = if after.is_empty() {
            0
        } else if let Some(index) = after.strip_prefix("obj/") {
            index.parse::<usize>().map_or(0, |i| i + 1)
        } else {
            after.parse::<usize>().map_or(0, |i| i + 1)
        };
        for i in start..s.count {
            let key = Synthetic::key(i);
            if !key.starts_with(&prefix) {
                continue;
            }
            let o = current(bucket, &key).unwrap();
            page.push((
                key,
                o.etag,
                o.size,
                o.storage_class.unwrap_or("STANDARD".into()),
            ));
            if page.len() > limit {
                break;
            }
            last_index = i;
        }
    } else {
        for (key, versions) in bucket.objects.range(prefix.clone()..) {
            if !key.starts_with(&prefix) {
                break;
            }
            if key.as_str() <= after.as_str() && !after.is_empty() {
                continue;
            }
            let Some(o) = versions.last().filter(|o| !o.delete_marker) else {
                continue;
            };
            page.push((
                key.clone(),
                o.etag.clone(),
                o.size,
                o.storage_class.clone().unwrap_or("STANDARD".into()),
            ));
            if page.len() > limit {
                break;
            }
        }
    }
    let truncated = page.len() > limit;
    page.truncate(limit);
    let mut body = format!(
        "<ListBucketResult {NS}><Name>{name}</Name><Prefix>{}</Prefix><KeyCount>{}</KeyCount><MaxKeys>{limit}</MaxKeys>{}<IsTruncated>{truncated}</IsTruncated>",
        encode_key(&prefix, url),
        page.len(),
        if url {
            "<EncodingType>url</EncodingType>"
        } else {
            ""
        }
    );
    for (key, etag, size, class) in &page {
        body += &format!(
            "<Contents><Key>{}</Key><LastModified>2024-05-01T10:00:00.000Z</LastModified><ETag>&quot;{etag}&quot;</ETag><Size>{size}</Size><StorageClass>{class}</StorageClass></Contents>",
            encode_key(key, url)
        );
    }
    if truncated {
        let last = &page.last().unwrap().0;
        // The token says where the next page starts: after this key (or synthetic index).
        let token = match &bucket.synthetic {
            Some(_) => last_index.to_string(),
            None => last.clone(),
        };
        body += &format!(
            "<NextContinuationToken>{}</NextContinuationToken>",
            escape(&token)
        );
    }
    body += "</ListBucketResult>";
    xml(body)
}

fn list_versions(
    bucket: &FakeBucket,
    name: &str,
    query: &HashMap<String, String>,
    page_size: usize,
) -> ResponseTemplate {
    let prefix = query.get("prefix").cloned().unwrap_or_default();
    let url = query.get("encoding-type").is_some_and(|e| e == "url");
    let key_marker = query.get("key-marker").cloned().unwrap_or_default();
    let version_marker = query.get("version-id-marker").cloned();
    let limit = query
        .get("max-keys")
        .and_then(|m| m.parse().ok())
        .unwrap_or(1000usize)
        .min(page_size);
    // Key order, newest version first within a key, as S3 lists them.
    let mut entries: Vec<(&String, &FakeObject, bool)> = Vec::new();
    for (key, versions) in bucket.objects.range(prefix.clone()..) {
        if !key.starts_with(&prefix) {
            break;
        }
        for (i, v) in versions.iter().enumerate().rev() {
            entries.push((key, v, i == versions.len() - 1));
        }
    }
    let start = if key_marker.is_empty() {
        0
    } else {
        match &version_marker {
            Some(vm) => entries
                .iter()
                .position(|(k, v, _)| **k == key_marker && v.version_id == *vm)
                .map_or(entries.len(), |i| i + 1),
            None => entries
                .iter()
                .position(|(k, _, _)| k.as_str() > key_marker.as_str())
                .unwrap_or(entries.len()),
        }
    };
    let page = &entries[start..entries.len().min(start + limit)];
    let truncated = start + page.len() < entries.len();
    let mut body = format!(
        "<ListVersionsResult {NS}><Name>{name}</Name><Prefix>{}</Prefix><MaxKeys>{limit}</MaxKeys>{}<IsTruncated>{truncated}</IsTruncated>",
        encode_key(&prefix, url),
        if url {
            "<EncodingType>url</EncodingType>"
        } else {
            ""
        }
    );
    for (key, v, latest) in page {
        let key = encode_key(key, url);
        if v.delete_marker {
            body += &format!(
                "<DeleteMarker><Key>{key}</Key><VersionId>{}</VersionId><IsLatest>{latest}</IsLatest><LastModified>2024-05-01T10:00:00.000Z</LastModified></DeleteMarker>",
                v.version_id
            );
        } else {
            body += &format!(
                "<Version><Key>{key}</Key><VersionId>{}</VersionId><IsLatest>{latest}</IsLatest><LastModified>2024-05-01T10:00:00.000Z</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size><StorageClass>{}</StorageClass></Version>",
                v.version_id,
                v.etag,
                v.size,
                v.storage_class.as_deref().unwrap_or("STANDARD")
            );
        }
    }
    if let (true, Some((key, v, _))) = (truncated, page.last()) {
        body += &format!(
            "<NextKeyMarker>{}</NextKeyMarker><NextVersionIdMarker>{}</NextVersionIdMarker>",
            encode_key(key, url),
            v.version_id
        );
    }
    body += "</ListVersionsResult>";
    xml(body)
}

/// GetObjectRetention and GetObjectLegalHold: 403 for a caller without the action, 400 in a
/// bucket without Object Lock, 404 `NoSuchObjectLockConfiguration` for an object without the
/// setting, as S3 answers.
fn object_lock(
    bucket: &FakeBucket,
    op: &str,
    key: &str,
    query: &HashMap<String, String>,
) -> ResponseTemplate {
    if bucket
        .denied_object_actions
        .contains(&format!("s3:{op}").as_str())
    {
        return error(403, "AccessDenied", "Access Denied");
    }
    if bucket.object_lock.is_none() {
        return error(
            400,
            "InvalidRequest",
            "Bucket is missing Object Lock Configuration",
        );
    }
    let object = match query.get("versionId") {
        Some(id) => version(bucket, key, id),
        None => current(bucket, key),
    };
    let Some(o) = object.filter(|o| !o.delete_marker) else {
        return error(404, "NoSuchKey", "The specified key does not exist.");
    };
    let body = match (op, &o.lock_mode, &o.lock_until, &o.legal_hold) {
        ("GetObjectRetention", Some(mode), Some(until), _) => format!(
            "<Retention {NS}><Mode>{mode}</Mode><RetainUntilDate>{until}</RetainUntilDate></Retention>"
        ),
        ("GetObjectLegalHold", _, _, Some(status)) => {
            format!("<LegalHold {NS}><Status>{status}</Status></LegalHold>")
        }
        _ => {
            return error(
                404,
                "NoSuchObjectLockConfiguration",
                "The specified object does not have a ObjectLock configuration",
            );
        }
    };
    xml(body)
}

/// HeadObject, with S3's SSE-C rules: an SSE-C object needs its key (400 without, 403 with
/// another), and SSE-C headers on any other object are a 400.
fn head(
    bucket: &mut FakeBucket,
    key: &str,
    query: &HashMap<String, String>,
    req: &Request,
) -> ResponseTemplate {
    let object = match query.get("versionId") {
        Some(id) => version(bucket, key, id),
        None => current(bucket, key),
    };
    let Some(o) = object else {
        return ResponseTemplate::new(404);
    };
    if o.delete_marker {
        let status = if query.contains_key("versionId") {
            405
        } else {
            404
        };
        return ResponseTemplate::new(status)
            .insert_header("x-amz-delete-marker", "true")
            .insert_header("x-amz-version-id", o.version_id.as_str());
    }
    let given_md5 = header(req, "x-amz-server-side-encryption-customer-key-md5");
    match (&o.customer_key_md5, given_md5) {
        (Some(_), None) | (None, Some(_)) => return ResponseTemplate::new(400),
        (Some(stored), Some(given)) if stored != given => return ResponseTemplate::new(403),
        _ => {}
    }
    let mut r = ResponseTemplate::new(200)
        .insert_header("etag", format!("\"{}\"", o.etag).as_str())
        .insert_header("content-length", o.size.to_string().as_str())
        .insert_header("last-modified", "Wed, 01 May 2024 10:00:00 GMT");
    if versioned(bucket) {
        r = r.insert_header("x-amz-version-id", o.version_id.as_str());
    }
    let headers = [
        ("content-type", &o.content_type),
        ("cache-control", &o.cache_control),
        ("content-disposition", &o.content_disposition),
        ("content-encoding", &o.content_encoding),
        ("content-language", &o.content_language),
        ("expires", &o.expires),
        ("x-amz-website-redirect-location", &o.website_redirect),
        ("x-amz-storage-class", &o.storage_class),
        ("x-amz-object-lock-mode", &o.lock_mode),
        ("x-amz-object-lock-retain-until-date", &o.lock_until),
        ("x-amz-object-lock-legal-hold", &o.legal_hold),
    ];
    // S3 leaves out what the caller may not read, rather than refuse the HEAD.
    let denied = |action: &str| bucket.denied_object_actions.contains(&action);
    let hidden = |name: &str| match name {
        "x-amz-object-lock-mode" | "x-amz-object-lock-retain-until-date" => {
            denied("s3:GetObjectRetention")
        }
        "x-amz-object-lock-legal-hold" => denied("s3:GetObjectLegalHold"),
        _ => false,
    };
    let headers = headers.into_iter().filter(|(name, _)| !hidden(name));
    for (name, value) in headers {
        if let Some(v) = value {
            r = r.insert_header(name, v.as_str());
        }
    }
    r = echo_encryption(r, &o);
    if o.restored {
        r = r.insert_header(
            "x-amz-restore",
            "ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2029 00:00:00 GMT\"",
        );
    }
    if !o.tags.is_empty() {
        r = r.insert_header("x-amz-tagging-count", o.tags.len().to_string().as_str());
    }
    for (k, v) in &o.metadata {
        r = r.insert_header(format!("x-amz-meta-{k}").as_str(), v.as_str());
    }
    // Another writer replaces the object right after this answer.
    if !query.contains_key("versionId")
        && let Some(i) = bucket.concurrent_writes.iter().position(|k| k == key)
    {
        bucket.concurrent_writes.remove(i);
        let mut newer = o.clone();
        newer.etag = format!("{:032x}", next_id());
        newer
            .metadata
            .insert("written-by".into(), "someone-else".into());
        store(bucket, key, newer);
    }
    r
}

fn acl_xml(o: &FakeObject, enforced: bool, hide_public: bool) -> String {
    let owner = if enforced { OWNER_ID } else { o.owner.as_str() };
    let owner_grant = Grant {
        grantee: Grantee::CanonicalUser { id: owner.into() },
        permission: "FULL_CONTROL".into(),
    };
    let public = |g: &&Grant| matches!(&g.grantee, Grantee::Group { uri } if uri == ALL_USERS || uri == AUTHENTICATED_USERS);
    let extra: Vec<&Grant> = if enforced {
        Vec::new()
    } else {
        o.grants
            .iter()
            .filter(|g| !(hide_public && public(g)))
            .collect()
    };
    super::access_control_policy(owner, std::iter::once(&owner_grant).chain(extra))
}

/// The grants a canned ACL gives an object owned by `owner` in a bucket owned by [`OWNER_ID`].
fn canned(acl: &str) -> Option<Vec<Grant>> {
    let user = |id: &str, p: &str| Grant {
        grantee: Grantee::CanonicalUser { id: id.into() },
        permission: p.into(),
    };
    Some(match acl {
        "private" => vec![],
        "public-read" => vec![group(ALL_USERS, "READ")],
        "public-read-write" => vec![group(ALL_USERS, "READ"), group(ALL_USERS, "WRITE")],
        "authenticated-read" => vec![group(AUTHENTICATED_USERS, "READ")],
        "aws-exec-read" => vec![user(EC2, "READ")],
        "bucket-owner-read" => vec![user(OWNER_ID, "READ")],
        "bucket-owner-full-control" => vec![user(OWNER_ID, "FULL_CONTROL")],
        _ => return None,
    })
}

/// The ACL a write asks for: `x-amz-acl`, or the `x-amz-grant-*` headers; `None` when neither.
fn requested_grants(req: &Request) -> Result<Option<(bool, Vec<Grant>)>, ResponseTemplate> {
    if let Some(acl) = header(req, "x-amz-acl") {
        let grants =
            canned(acl).ok_or_else(|| error(400, "InvalidArgument", "invalid canned ACL"))?;
        return Ok(Some((acl == "bucket-owner-full-control", grants)));
    }
    let mut grants = Vec::new();
    for (name, permission) in [
        ("x-amz-grant-read", "READ"),
        ("x-amz-grant-read-acp", "READ_ACP"),
        ("x-amz-grant-write-acp", "WRITE_ACP"),
        ("x-amz-grant-full-control", "FULL_CONTROL"),
    ] {
        for grantee in header(req, name).into_iter().flat_map(|v| v.split(',')) {
            let (kind, value) = grantee
                .trim()
                .split_once('=')
                .ok_or_else(|| error(400, "InvalidArgument", "malformed grant header"))?;
            let value = value.trim_matches('"').to_owned();
            let grantee = match kind {
                "id" => Grantee::CanonicalUser { id: value },
                "uri" => Grantee::Group { uri: value },
                "emailAddress" => Grantee::Email { address: value },
                _ => return Err(error(400, "InvalidArgument", "unknown grantee type")),
            };
            grants.push(Grant {
                grantee,
                permission: permission.into(),
            });
        }
    }
    Ok((!grants.is_empty()).then_some((false, grants)))
}

/// Checks an ACL a write carries against Object Ownership and Block Public Access.
fn allowed_acl(
    requested: Option<(bool, Vec<Grant>)>,
    enforced: bool,
    block_public_acls: bool,
) -> Result<Vec<Grant>, ResponseTemplate> {
    let Some((bucket_owner_full_control, grants)) = requested else {
        return Ok(Vec::new());
    };
    if enforced && !bucket_owner_full_control {
        return Err(error(
            400,
            "AccessControlListNotSupported",
            "The bucket does not allow ACLs",
        ));
    }
    let public = grants.iter().any(|g| matches!(&g.grantee, Grantee::Group { uri } if uri == ALL_USERS || uri == AUTHENTICATED_USERS));
    if public && block_public_acls {
        return Err(error(403, "AccessDenied", "Access Denied"));
    }
    Ok(grants)
}

/// The grants besides the owner's FULL_CONTROL, which the model keeps implicit.
fn without_owner(grants: Vec<Grant>, owner: &str) -> Vec<Grant> {
    grants
        .into_iter()
        .filter(|g| {
            !(g.permission == "FULL_CONTROL"
                && matches!(&g.grantee, Grantee::CanonicalUser { id } if id == owner))
        })
        .collect()
}

fn put_acl(
    bucket: &mut FakeBucket,
    key: &str,
    req: &Request,
    enforced: bool,
    block_public_acls: bool,
) -> ResponseTemplate {
    let requested = match requested_grants(req) {
        Ok(Some(r)) => Some(r),
        Ok(None) => return error(400, "MissingSecurityHeader", "no ACL given"),
        Err(e) => return e,
    };
    let grants = match allowed_acl(requested, enforced, block_public_acls) {
        Ok(g) => g,
        Err(e) => return e,
    };
    let Some(current) = current(bucket, key) else {
        return error(404, "NoSuchKey", "The specified key does not exist.");
    };
    if bucket.ignores.acl_writes {
        return ResponseTemplate::new(200);
    }
    let mut updated = current;
    updated.grants = without_owner(grants, &updated.owner);
    replace_current(bucket, key, updated);
    ResponseTemplate::new(200)
}

/// The `x-amz-server-side-encryption…` headers S3 answers a HEAD or a write with.
fn echo_encryption(mut r: ResponseTemplate, o: &FakeObject) -> ResponseTemplate {
    if let Some(sse) = &o.sse {
        r = r.insert_header("x-amz-server-side-encryption", sse.as_str());
    }
    if let Some(key) = &o.kms_key {
        r = r.insert_header("x-amz-server-side-encryption-aws-kms-key-id", key.as_str());
    }
    if o.bucket_key {
        r = r.insert_header("x-amz-server-side-encryption-bucket-key-enabled", "true");
    }
    if let Some(md5) = &o.customer_key_md5 {
        r = r
            .insert_header("x-amz-server-side-encryption-customer-algorithm", "AES256")
            .insert_header(
                "x-amz-server-side-encryption-customer-key-MD5",
                md5.as_str(),
            );
    }
    r
}

/// Replaces the current version in place (ACL changes do not create versions).
fn replace_current(bucket: &mut FakeBucket, key: &str, object: FakeObject) {
    let versions = bucket.objects.entry(key.to_owned()).or_default();
    match versions.last_mut() {
        Some(last) => *last = object,
        None => versions.push(object),
    }
}

/// The new object's attributes from a write's headers (CreateMultipartUpload, or a
/// CopyObject's REPLACE directives).
fn written_object(
    req: &Request,
    enforced: bool,
    block_public_acls: bool,
) -> Result<FakeObject, ResponseTemplate> {
    let get = |name: &str| header(req, name).map(str::to_owned);
    let mut o = FakeObject {
        owner: OWNER_ID.into(),
        content_type: get("content-type"),
        cache_control: get("cache-control"),
        content_disposition: get("content-disposition"),
        content_encoding: get("content-encoding"),
        content_language: get("content-language"),
        expires: get("expires"),
        storage_class: get("x-amz-storage-class").filter(|c| c != "STANDARD"),
        website_redirect: get("x-amz-website-redirect-location"),
        lock_mode: get("x-amz-object-lock-mode"),
        lock_until: get("x-amz-object-lock-retain-until-date"),
        legal_hold: get("x-amz-object-lock-legal-hold"),
        ..Default::default()
    };
    for (name, value) in req.headers.iter() {
        if let Some(k) = name.as_str().strip_prefix("x-amz-meta-") {
            o.metadata
                .insert(k.to_owned(), value.to_str().unwrap_or_default().to_owned());
        }
    }
    if let Some(tagging) = get("x-amz-tagging") {
        let decode = |t: &str| {
            percent_decode_str(&t.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        o.tags = tagging
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (decode(k), decode(v)))
            .collect();
    }
    encryption(req, &mut o)?;
    // The writer (the bucket owner here) owns the new object.
    o.grants = without_owner(
        allowed_acl(requested_grants(req)?, enforced, block_public_acls)?,
        OWNER_ID,
    );
    Ok(o)
}

/// The encryption a write asks for, with SSE-C's key checked against its MD5.
fn encryption(req: &Request, o: &mut FakeObject) -> Result<(), ResponseTemplate> {
    o.sse = header(req, "x-amz-server-side-encryption").map(str::to_owned);
    o.kms_key = header(req, "x-amz-server-side-encryption-aws-kms-key-id").map(str::to_owned);
    o.bucket_key = header(req, "x-amz-server-side-encryption-bucket-key-enabled") == Some("true");
    if o.sse.as_deref() == Some("aws:kms") && o.kms_key.is_none() {
        o.kms_key = Some("arn:aws:kms:us-east-1:123456789012:key/aws-s3-managed".into());
    }
    if let Some(md5) = customer_key_md5(req, "x-amz-server-side-encryption-customer")? {
        o.customer_key_md5 = Some(md5);
    }
    Ok(())
}

/// Validates a set of SSE-C headers (`prefix`-algorithm, -key, -key-MD5) and returns the MD5.
fn customer_key_md5(req: &Request, prefix: &str) -> Result<Option<String>, ResponseTemplate> {
    use base64::Engine;
    use md5::Digest;
    let Some(key) = header(req, &format!("{prefix}-key")) else {
        return Ok(None);
    };
    let md5 = header(req, &format!("{prefix}-key-md5")).unwrap_or_default();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|_| error(400, "InvalidArgument", "The SSE-C key is not base64"))?;
    let expected = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&raw));
    if raw.len() != 32
        || md5 != expected
        || header(req, &format!("{prefix}-algorithm")) != Some("AES256")
    {
        return Err(error(
            400,
            "InvalidArgument",
            "The calculated MD5 hash of the key did not match the hash that was provided.",
        ));
    }
    Ok(Some(md5.to_owned()))
}

/// `x-amz-copy-source`: (bucket, key, version), URL-decoded.
fn copy_source(req: &Request) -> Option<(String, String, Option<String>)> {
    let source = header(req, "x-amz-copy-source")?;
    let (path, version) = match source.split_once("?versionId=") {
        Some((p, v)) => (p, Some(v.to_owned())),
        None => (source, None),
    };
    let decoded = percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8()
        .ok()?
        .into_owned();
    let (bucket, key) = decoded.split_once('/')?;
    Some((bucket.to_owned(), key.to_owned(), version))
}

/// The source object of a copy, with S3's checks: it exists, still has the ETag the copy is
/// conditional on, is not archived, and its SSE-C key (if any) came with the request.
fn copy_source_object(
    bucket: &FakeBucket,
    name: &str,
    req: &Request,
) -> Result<FakeObject, ResponseTemplate> {
    let Some((source_bucket, key, version_id)) = copy_source(req) else {
        return Err(error(400, "InvalidArgument", "malformed x-amz-copy-source"));
    };
    if source_bucket != name {
        return Err(error(
            501,
            "NotImplemented",
            "cross-bucket copies are not modelled",
        ));
    }
    let source = match &version_id {
        Some(v) => version(bucket, &key, v),
        None => current(bucket, &key),
    };
    let Some(source) = source.filter(|o| !o.delete_marker) else {
        return Err(error(404, "NoSuchKey", "The specified key does not exist."));
    };
    if let Some(etag) = header(req, "x-amz-copy-source-if-match")
        && unquote(etag) != source.etag
        && !bucket.ignores.conditions
    {
        return Err(error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        ));
    }
    if matches!(
        source.storage_class.as_deref(),
        Some("GLACIER" | "DEEP_ARCHIVE")
    ) && !source.restored
    {
        return Err(error(
            403,
            "InvalidObjectState",
            "The operation is not valid for the object's storage class",
        ));
    }
    let given = customer_key_md5(req, "x-amz-copy-source-server-side-encryption-customer")?;
    if source.customer_key_md5.is_some() && source.customer_key_md5 != given {
        return Err(error(
            400,
            "InvalidRequest",
            "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
        ));
    }
    Ok(source)
}

/// CopyObject, keeping what S3 keeps (metadata, system headers and tags under the default COPY
/// directives) and dropping what S3 drops unless re-sent (storage class, website redirect,
/// ACL, retention).
fn copy(
    bucket: &mut FakeBucket,
    name: &str,
    key: &str,
    req: &Request,
    enforced: bool,
    block_public_acls: bool,
) -> ResponseTemplate {
    let source = match copy_source_object(bucket, name, req) {
        Ok(s) => s,
        Err(e) => return e,
    };
    if source.size > COPY_LIMIT {
        return error(
            400,
            "InvalidRequest",
            "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120",
        );
    }
    if let Some(etag) = header(req, "if-match")
        && current(bucket, key).is_none_or(|d| d.etag != unquote(etag))
        && !bucket.ignores.conditions
    {
        return error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        );
    }
    let mut o = match written_object(req, enforced, block_public_acls) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let same_key = copy_source(req).is_some_and(|(_, k, _)| k == key);
    let changes_something = header(req, "x-amz-metadata-directive") == Some("REPLACE")
        || o.storage_class.is_some()
        || header(req, "x-amz-storage-class").is_some()
        || o.website_redirect.is_some()
        || o.sse.is_some()
        || o.customer_key_md5.is_some();
    if same_key && !changes_something {
        return error(
            400,
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        );
    }
    if header(req, "x-amz-metadata-directive") != Some("REPLACE") {
        o.content_type = source.content_type.clone();
        o.cache_control = source.cache_control.clone();
        o.content_disposition = source.content_disposition.clone();
        o.content_encoding = source.content_encoding.clone();
        o.content_language = source.content_language.clone();
        o.expires = source.expires.clone();
        o.metadata = source.metadata.clone();
    }
    if header(req, "x-amz-tagging-directive") != Some("REPLACE") {
        o.tags = source.tags.clone();
    }
    if bucket.ignores.sse_headers {
        forget_encryption(&mut o);
    }
    if o.sse.is_none()
        && o.customer_key_md5.is_none()
        && let Some(default) = &bucket.encryption
    {
        o.sse.clone_from(&default.algorithm);
        o.kms_key.clone_from(&default.kms_key_id);
        o.bucket_key = default.bucket_key_enabled;
    }
    o.size = source.size;
    // A single-part ETag is the content's MD5 for plaintext and SSE-S3: an SSE-S3 copy of
    // such an object keeps it. Other encryption, or a multipart source, gives a new one.
    let md5_etag = |o: &FakeObject| {
        matches!(o.sse.as_deref(), None | Some("AES256")) && o.customer_key_md5.is_none()
    };
    o.etag = if md5_etag(&source) && md5_etag(&o) && !source.etag.contains('-') {
        source.etag.clone()
    } else {
        format!("{:032x}", next_id())
    };
    let etag = o.etag.clone();
    let stored = o.clone();
    let version = store(bucket, key, o);
    let mut r = xml(format!(
        "<CopyObjectResult {NS}><ETag>&quot;{etag}&quot;</ETag><LastModified>2024-05-02T10:00:00.000Z</LastModified></CopyObjectResult>"
    ));
    if versioned(bucket) {
        r = r
            .insert_header("x-amz-version-id", version.as_str())
            .insert_header("x-amz-copy-source-version-id", source.version_id.as_str());
    }
    echo_encryption(r, &stored)
}

/// What a store that ignores SSE headers does with them.
fn forget_encryption(o: &mut FakeObject) {
    o.sse = None;
    o.kms_key = None;
    o.bucket_key = false;
    o.customer_key_md5 = None;
}

fn upload_part_copy(
    bucket: &mut FakeBucket,
    name: &str,
    query: &HashMap<String, String>,
    req: &Request,
) -> ResponseTemplate {
    let source = match copy_source_object(bucket, name, req) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let part: i32 = query
        .get("partNumber")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    if !(1..=10_000).contains(&part) {
        return error(
            400,
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000",
        );
    }
    let range = header(req, "x-amz-copy-source-range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)));
    let Some((first, last)) = range.filter(|(a, b)| a <= b && *b < source.size) else {
        return error(
            400,
            "InvalidArgument",
            "The x-amz-copy-source-range value must be of the form bytes=first-last within the object",
        );
    };
    let Some(upload) = bucket
        .uploads
        .get_mut(query.get("uploadId").map_or("", String::as_str))
    else {
        return error(404, "NoSuchUpload", "The specified upload does not exist.");
    };
    let etag = format!("{:032x}", next_id());
    upload.parts.insert(part, (first, last, etag.clone()));
    upload.source_size = source.size;
    let mut r = xml(format!(
        "<CopyPartResult {NS}><ETag>&quot;{etag}&quot;</ETag><LastModified>2024-05-02T10:00:00.000Z</LastModified></CopyPartResult>"
    ));
    r = echo_encryption(r, &upload.object);
    if versioned(bucket) {
        r = r.insert_header("x-amz-copy-source-version-id", source.version_id.as_str());
    }
    r
}

/// CompleteMultipartUpload: the listed parts must be the uploaded ones, cover the source
/// exactly and (but the last) be at least 5 MiB.
fn complete(
    bucket: &mut FakeBucket,
    query: &HashMap<String, String>,
    req: &Request,
) -> ResponseTemplate {
    let id = query.get("uploadId").cloned().unwrap_or_default();
    let Some(upload) = bucket.uploads.get(&id).cloned() else {
        return error(404, "NoSuchUpload", "The specified upload does not exist.");
    };
    let body = String::from_utf8_lossy(&req.body).into_owned();
    let mut expected_first = 0;
    let listed: Vec<&str> = body.split("<Part>").skip(1).collect();
    for (i, part) in listed.iter().enumerate() {
        let number: i32 = super::tag(part, "PartNumber")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let etag = super::tag(part, "ETag").map(|e| unquote(&e.replace("&quot;", "\"")).to_owned());
        let Some((first, last, stored)) = upload.parts.get(&number) else {
            return error(
                400,
                "InvalidPart",
                "One or more of the specified parts could not be found.",
            );
        };
        if etag.as_deref() != Some(stored.as_str()) || *first != expected_first {
            return error(
                400,
                "InvalidPart",
                "One or more of the specified parts could not be found.",
            );
        }
        if i + 1 < listed.len() && last - first + 1 < MIN_PART {
            return error(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed object size.",
            );
        }
        expected_first = last + 1;
    }
    if listed.is_empty() || expected_first != upload.source_size {
        return error(400, "InvalidPart", "The parts do not cover the object");
    }
    if let Some(etag) = header(req, "if-match")
        && current(bucket, &upload.key).is_none_or(|d| d.etag != unquote(etag))
        && !bucket.ignores.conditions
    {
        return error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        );
    }
    bucket.uploads.remove(&id);
    let mut o = upload.object;
    o.size = upload.source_size;
    o.etag = format!("{:032x}-{}", next_id(), listed.len());
    let etag = o.etag.clone();
    let key = upload.key.clone();
    // CompleteMultipartUpload's answer names SSE-S3 and SSE-KMS, not an SSE-C key.
    let echo = FakeObject {
        customer_key_md5: None,
        ..o.clone()
    };
    let version = store(bucket, &key, o);
    let mut r = xml(format!(
        "<CompleteMultipartUploadResult {NS}><Key>{}</Key><ETag>&quot;{etag}&quot;</ETag></CompleteMultipartUploadResult>",
        escape(&key)
    ));
    if versioned(bucket) {
        r = r.insert_header("x-amz-version-id", version.as_str());
    }
    echo_encryption(r, &echo)
}

fn delete(bucket: &mut FakeBucket, key: &str, query: &HashMap<String, String>) -> ResponseTemplate {
    let Some(id) = query.get("versionId") else {
        return error(501, "NotImplemented", "only version deletes are modelled");
    };
    if bucket.mfa_delete == Some(true) {
        return error(
            403,
            "AccessDenied",
            "Mfa Authentication must be used for this request",
        );
    }
    let Some(versions) = bucket.objects.get_mut(key) else {
        return ResponseTemplate::new(204);
    };
    if let Some(i) = versions.iter().position(|v| &v.version_id == id) {
        if versions[i].lock_mode.is_some() {
            return error(
                403,
                "AccessDenied",
                "Access Denied because object protected by object lock.",
            );
        }
        versions.remove(i);
    }
    if versions.is_empty() {
        bucket.objects.remove(key);
    }
    ResponseTemplate::new(204).insert_header("x-amz-version-id", id.as_str())
}

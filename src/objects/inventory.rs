//! S3 Inventory as the object commands' input (`--inventory s3://…/manifest.json`).
//!
//! An inventory report is a `manifest.json` naming gzip-compressed CSV data files, one object
//! (or version) per line, with the columns the manifest's `fileSchema` lists and the keys
//! URL-encoded. The walker streams the data files one after another: each is read in chunks,
//! its MD5 checked against the manifest, decompressed as it arrives and cut into lines, so
//! memory stays a few pages whatever the report's size, and no LIST request is sent.
//!
//! The report is a snapshot (up to a day old, eventually consistent). The commands use it to
//! decide which objects need no request at all (already encrypted, already private); every
//! object they change is read again (HEAD, or its ACL) before the write.

use super::s3::{self, Listed};
use super::walk::{KeyFilter, Listing};
use crate::error::{FetchError, FetchErrorKind};
use crate::facet::Facet;
use crate::model::{Acl, Grant, Grantee};
use aws_sdk_s3::Client;
use base64::Engine;
use md5::{Digest, Md5};
use serde::Deserialize;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::sync::mpsc;

/// `s3://bucket/key` of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestLocation {
    pub bucket: String,
    pub key: String,
}

impl ManifestLocation {
    pub fn parse(url: &str) -> Result<Self, String> {
        let invalid = |why: &str| {
            format!("invalid --inventory '{url}': {why} (expected s3://BUCKET/…/manifest.json)")
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| invalid("not an s3:// URL"))?;
        let (bucket, key) = rest
            .split_once('/')
            .ok_or_else(|| invalid("no key after the bucket"))?;
        if bucket.is_empty() || !key.ends_with("manifest.json") {
            return Err(invalid("it must name an inventory's manifest.json"));
        }
        Ok(ManifestLocation {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }
}

impl std::fmt::Display for ManifestLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    source_bucket: String,
    destination_bucket: String,
    file_format: String,
    #[serde(default)]
    file_schema: String,
    #[serde(default)]
    creation_timestamp: Option<String>,
    files: Vec<RawFile>,
}

#[derive(Debug, Clone, Deserialize)]
struct RawFile {
    key: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(rename = "MD5checksum", default)]
    md5: Option<String>,
}

/// One data file of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    pub key: String,
    pub size: Option<u64>,
    /// Hex MD5 of the compressed file.
    pub md5: Option<String>,
}

/// A parsed, validated manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub source_bucket: String,
    /// The bucket holding the data files (from `arn:aws:s3:::NAME`).
    pub data_bucket: String,
    /// When the report was made (milliseconds since the epoch, as S3 writes it).
    pub created: Option<String>,
    pub files: Vec<DataFile>,
    pub columns: Columns,
}

/// Where each known field sits in a row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    pub count: usize,
    pub key: usize,
    pub version_id: Option<usize>,
    pub is_latest: Option<usize>,
    pub delete_marker: Option<usize>,
    pub size: Option<usize>,
    pub etag: Option<usize>,
    pub storage_class: Option<usize>,
    pub encryption: Option<usize>,
    pub tier: Option<usize>,
    pub acl: Option<usize>,
    pub owner: Option<usize>,
}

impl Manifest {
    /// Parses `manifest.json` for `bucket`; `versions` when the command walks noncurrent
    /// versions, which only an all-versions report lists.
    pub fn parse(json: &[u8], bucket: &str, versions: bool) -> Result<Manifest, String> {
        let raw: RawManifest = serde_json::from_slice(json)
            .map_err(|e| format!("the inventory manifest is not valid: {e}"))?;
        if raw.source_bucket != bucket {
            return Err(format!(
                "the inventory is of bucket {}, not {bucket}",
                raw.source_bucket
            ));
        }
        if raw.file_format != "CSV" {
            return Err(format!(
                "the inventory is in {} format; s3tk reads CSV inventories (set the inventory configuration's format to CSV)",
                raw.file_format
            ));
        }
        let fields: Vec<&str> = raw.file_schema.split(',').map(str::trim).collect();
        let at = |name: &str| fields.iter().position(|f| *f == name);
        let key = at("Key").ok_or("the inventory's fileSchema has no Key field")?;
        let columns = Columns {
            count: fields.len(),
            key,
            version_id: at("VersionId"),
            is_latest: at("IsLatest"),
            delete_marker: at("IsDeleteMarker"),
            size: at("Size"),
            etag: at("ETag"),
            storage_class: at("StorageClass"),
            encryption: at("EncryptionStatus"),
            tier: at("IntelligentTieringAccessTier"),
            // Without the owner, the owner's own FULL_CONTROL grant would look foreign.
            acl: at("ObjectAccessControlList").filter(|_| at("ObjectOwner").is_some()),
            owner: at("ObjectOwner"),
        };
        if versions && (columns.version_id.is_none() || columns.is_latest.is_none()) {
            return Err(
                "the inventory lists current versions only; this command needs one that includes all versions (VersionId and IsLatest)"
                    .into(),
            );
        }
        let data_bucket = raw
            .destination_bucket
            .rsplit(":::")
            .next()
            .unwrap_or(&raw.destination_bucket)
            .to_owned();
        Ok(Manifest {
            source_bucket: raw.source_bucket,
            data_bucket,
            created: raw.creation_timestamp,
            files: raw
                .files
                .into_iter()
                .map(|f| DataFile {
                    key: f.key,
                    size: f.size,
                    md5: f.md5,
                })
                .collect(),
            columns,
        })
    }
}

/// What the inventory says about an object beyond what a listing says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryFacts {
    /// `NOT-SSE`, `SSE-S3`, `SSE-KMS`, `DSSE-KMS` or `SSE-C`.
    pub encryption: Option<String>,
    /// Intelligent-Tiering access tier (`ARCHIVE_CONFIGURED`, `DEEP_ARCHIVE_ACCESS`, …).
    pub tier: Option<String>,
    pub acl: Option<Acl>,
}

/// Splits one CSV line into fields (every inventory field is double-quoted; `""` is a quote).
pub fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("an unterminated quoted field".into()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                field.push(c);
                chars.next();
            }
        }
        out.push(field);
        match chars.next() {
            Some(',') => continue,
            None => return Ok(out),
            Some(c) => return Err(format!("unexpected {c:?} after a quoted field")),
        }
    }
}

/// Inventory (and completion report) keys are URL-encoded with `+` for spaces.
pub fn decode_key(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// `ObjectAccessControlList`: base64 of `{"version":…,"status":…,"grants":[…]}` (plain JSON
/// is accepted too). `None` when the field is empty or unavailable.
fn parse_acl(raw: &str, owner: Option<&str>) -> Result<Option<Acl>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    // Base64, URL-encoded or plain JSON, whichever it is.
    let json = match base64::engine::general_purpose::STANDARD.decode(raw) {
        Ok(bytes) => bytes,
        Err(_) => percent_encoding::percent_decode_str(raw).collect(),
    };
    let value: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| format!("its ACL is not JSON: {e}"))?;
    if value["status"].as_str().is_some_and(|s| s != "AVAILABLE") {
        return Ok(None);
    }
    let grants = value["grants"]
        .as_array()
        .ok_or("its ACL has no grants list")?
        .iter()
        .map(|g| {
            let text = |k: &str| g[k].as_str().unwrap_or_default().to_owned();
            let grantee = match g["type"].as_str() {
                Some("CanonicalUser") => Grantee::CanonicalUser {
                    id: text("canonicalId"),
                },
                Some("Group") => Grantee::Group { uri: text("uri") },
                Some("AmazonCustomerByEmail") => Grantee::Email {
                    address: text("emailAddress"),
                },
                _ => Grantee::Unknown,
            };
            Grant {
                grantee,
                permission: text("permission"),
            }
        })
        .collect();
    Ok(Some(Acl {
        owner_id: owner
            .filter(|o| !o.is_empty() && *o != "UNAVAILABLE")
            .map(str::to_owned),
        grants,
    }))
}

/// One row as the walker's item.
pub fn parse_row(line: &str, columns: &Columns) -> Result<Listed, String> {
    let values = csv_fields(line)?;
    if values.len() < columns.count {
        return Err(format!(
            "{} fields where the manifest lists {}",
            values.len(),
            columns.count
        ));
    }
    let get = |at: Option<usize>| at.map(|i| values[i].as_str()).filter(|v| !v.is_empty());
    let flag = |at: Option<usize>, default: bool| get(at).map_or(default, |v| v == "true");
    let acl = match get(columns.acl) {
        Some(raw) => parse_acl(raw, get(columns.owner))?,
        None => None,
    };
    Ok(Listed {
        key: decode_key(&values[columns.key]),
        // An all-versions report leaves VersionId empty for the null version (written before
        // versioning was enabled), which S3 addresses as "null".
        version_id: columns
            .version_id
            .map(|_| get(columns.version_id).unwrap_or("null").to_owned()),
        // Inventory ETags are unquoted; S3's headers and listings quote them.
        etag: get(columns.etag).map(|e| format!("\"{}\"", e.trim_matches('"'))),
        size: get(columns.size).and_then(|s| s.parse().ok()).unwrap_or(0),
        storage_class: get(columns.storage_class).map(str::to_owned),
        is_latest: flag(columns.is_latest, true),
        delete_marker: flag(columns.delete_marker, false),
        facts: Some(Arc::new(InventoryFacts {
            encryption: get(columns.encryption).map(str::to_owned),
            tier: get(columns.tier).map(str::to_owned),
            acl,
        })),
    })
}

/// Cuts decompressed bytes into lines, keeping a partial last line for the next chunk.
#[derive(Default)]
pub struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    /// The complete lines in `pending` + `bytes`.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let Some(last) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let rest = self.pending.split_off(last + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        complete
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned())
            .collect()
    }

    /// The length of the partial line waiting for its end.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// The last line, when the file does not end with a newline.
    pub fn finish(self) -> Option<String> {
        (!self.pending.is_empty()).then(|| String::from_utf8_lossy(&self.pending).into_owned())
    }
}

/// A report to walk: its manifest and a client for the bucket that holds the data files.
pub struct Inventory {
    pub manifest: Manifest,
    pub client: Client,
}

/// Longer than any inventory row (a key is at most 1,024 bytes, URL-encoded at most three times
/// that, plus an ACL column): a file without line ends is not read into memory whole.
const MAX_LINE: usize = 1 << 20;

fn endless_line(lines: &Lines, key: &str) -> Result<(), FetchError> {
    if lines.pending_len() > MAX_LINE {
        return Err(malformed(format!(
            "inventory file {key} has a line longer than 1 MiB; it is not an S3 Inventory CSV file"
        )));
    }
    Ok(())
}

/// Rows per page handed to the walker (a listing page's size).
const PAGE: usize = 1000;
/// Compressed bytes decompressed at a time.
const SLICE: usize = 8 * 1024;

fn malformed(detail: String) -> FetchError {
    FetchError::new(Facet::GetObject, FetchErrorKind::Malformed { detail })
}

/// Streams every data file's rows, filtered like a listing, to the walker in pages. Ends early,
/// without an error, when the walker stops listening or is stopped.
pub async fn list(
    inventory: &Inventory,
    filter: &KeyFilter,
    listing: Listing,
    pages: &mpsc::Sender<Vec<Listed>>,
    listed: &AtomicU64,
    stop: &AtomicBool,
) -> Result<(), FetchError> {
    let manifest = &inventory.manifest;
    for file in &manifest.files {
        let mut body = s3::get_object(&inventory.client, &manifest.data_bucket, &file.key).await?;
        let gzipped = file.key.ends_with(".gz");
        let mut decoder = flate2::write::GzDecoder::new(Vec::new());
        let mut md5 = Md5::new();
        let mut lines = Lines::default();
        let mut page = Vec::with_capacity(PAGE);
        let mut line_number = 0u64;
        let mut take = |line: String, page: &mut Vec<Listed>| -> Result<(), FetchError> {
            line_number += 1;
            let row = parse_row(&line, &manifest.columns).map_err(|why| {
                malformed(format!(
                    "inventory file {} line {line_number}: {why}",
                    file.key
                ))
            })?;
            listed.fetch_add(1, Ordering::Relaxed);
            let wanted = match listing {
                Listing::Objects => row.is_latest && !row.delete_marker,
                Listing::NoncurrentVersions => !row.is_latest && !row.delete_marker,
            };
            if wanted && filter.matches(&row.key) {
                page.push(row);
            }
            Ok(())
        };
        while let Some(chunk) = body.next().await {
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            let chunk = chunk.map_err(|e| {
                FetchError::new(
                    Facet::GetObject,
                    FetchErrorKind::Network {
                        detail: crate::aws::error_chain(&e),
                    },
                )
            })?;
            md5.update(&chunk);
            // Small slices: gzip expands CSV tenfold or more, and a chunk may be megabytes.
            for piece in chunk.chunks(SLICE) {
                let text = if gzipped {
                    decoder
                        .write_all(piece)
                        .map_err(|e| malformed(format!("inventory file {}: {e}", file.key)))?;
                    std::mem::take(decoder.get_mut())
                } else {
                    piece.to_vec()
                };
                for line in lines.push(&text) {
                    take(line, &mut page)?;
                    if page.len() >= PAGE && pages.send(std::mem::take(&mut page)).await.is_err() {
                        return Ok(());
                    }
                }
                endless_line(&lines, &file.key)?;
            }
        }
        if gzipped {
            let rest = decoder
                .finish()
                .map_err(|e| malformed(format!("inventory file {}: {e}", file.key)))?;
            for line in lines.push(&rest) {
                take(line, &mut page)?;
            }
            endless_line(&lines, &file.key)?;
        }
        if let Some(line) = lines.finish() {
            take(line, &mut page)?;
        }
        if !page.is_empty() && pages.send(page).await.is_err() {
            return Ok(());
        }
        let digest: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if let Some(expected) = &file.md5
            && !expected.eq_ignore_ascii_case(&digest)
        {
            return Err(malformed(format!(
                "inventory file {} does not match the manifest's MD5 ({digest}, expected {expected})",
                file.key
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"{
        "sourceBucket": "photos",
        "destinationBucket": "arn:aws:s3:::inventory-reports",
        "version": "2016-11-30",
        "creationTimestamp": "1700000000000",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, EncryptionStatus, ObjectAccessControlList, ObjectOwner",
        "files": [{"key": "photos/cfg/data/a.csv.gz", "size": 120, "MD5checksum": "0123456789abcdef0123456789abcdef"}]
    }"#;

    #[test]
    fn locations_must_name_a_manifest() {
        assert_eq!(
            ManifestLocation::parse("s3://reports/photos/cfg/2026-11-26T00-00Z/manifest.json")
                .unwrap(),
            ManifestLocation {
                bucket: "reports".into(),
                key: "photos/cfg/2026-11-26T00-00Z/manifest.json".into()
            }
        );
        for bad in [
            "reports/manifest.json",
            "s3://reports",
            "s3://reports/data/a.csv.gz",
            "s3:///manifest.json",
        ] {
            assert!(ManifestLocation::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn manifests_are_checked_against_the_command() {
        let m = Manifest::parse(MANIFEST.as_bytes(), "photos", true).unwrap();
        assert_eq!(m.data_bucket, "inventory-reports");
        assert_eq!(m.columns.key, 1);
        assert_eq!(m.columns.encryption, Some(9));
        assert_eq!(
            m.files[0].md5.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            Manifest::parse(MANIFEST.as_bytes(), "videos", false).unwrap_err(),
            "the inventory is of bucket photos, not videos"
        );
        let parquet = MANIFEST.replace("\"CSV\"", "\"Parquet\"");
        assert!(
            Manifest::parse(parquet.as_bytes(), "photos", false)
                .unwrap_err()
                .starts_with("the inventory is in Parquet format")
        );
        let current_only = MANIFEST.replace("VersionId, IsLatest, IsDeleteMarker, ", "");
        assert!(Manifest::parse(current_only.as_bytes(), "photos", false).is_ok());
        assert!(
            Manifest::parse(current_only.as_bytes(), "photos", true)
                .unwrap_err()
                .contains("all versions")
        );
    }

    #[test]
    fn rows_decode_keys_etags_flags_and_acls() {
        let m = Manifest::parse(MANIFEST.as_bytes(), "photos", true).unwrap();
        let acl = base64::engine::general_purpose::STANDARD.encode(
            r#"{"version":"2022-11-10","status":"AVAILABLE","grants":[{"type":"Group","uri":"http://acs.amazonaws.com/groups/global/AllUsers","permission":"READ"},{"type":"CanonicalUser","canonicalId":"owner","permission":"FULL_CONTROL"}]}"#,
        );
        let line = format!(
            r#""photos","2026/my+summer%2Fbeach+%22best%22.jpg","v1","false","false","1024","2026-01-01T00:00:00.000Z","9b2cf535f27731c974343645a3985328","GLACIER","NOT-SSE","{acl}","owner""#
        );
        let row = parse_row(&line, &m.columns).unwrap();
        assert_eq!(row.key, "2026/my summer/beach \"best\".jpg");
        assert_eq!(row.version_id.as_deref(), Some("v1"));
        assert!(!row.is_latest && !row.delete_marker);
        assert_eq!(row.size, 1024);
        assert_eq!(
            row.etag.as_deref(),
            Some("\"9b2cf535f27731c974343645a3985328\"")
        );
        assert_eq!(row.storage_class.as_deref(), Some("GLACIER"));
        let facts = row.facts.unwrap();
        assert_eq!(facts.encryption.as_deref(), Some("NOT-SSE"));
        let acl = facts.acl.as_ref().unwrap();
        assert_eq!(acl.owner_id.as_deref(), Some("owner"));
        assert_eq!(acl.grants.len(), 2);
        assert!(
            parse_row(r#""photos","k""#, &m.columns)
                .unwrap_err()
                .contains("fields where the manifest lists 12")
        );
        assert!(parse_row(r#""photos","unterminated"#, &m.columns).is_err());
    }

    #[test]
    fn null_versions_and_acls_without_owners() {
        // An all-versions report leaves the null version's VersionId empty.
        let m = Manifest::parse(MANIFEST.as_bytes(), "photos", true).unwrap();
        let line = r#""photos","old.txt","","false","false","1","2026-01-01T00:00:00.000Z","e","STANDARD","NOT-SSE","","""#;
        assert_eq!(
            parse_row(line, &m.columns).unwrap().version_id.as_deref(),
            Some("null")
        );
        // Without ObjectOwner the ACL column is not used: the owner's grant would look foreign.
        let no_owner = MANIFEST.replace(", ObjectOwner", "");
        let m = Manifest::parse(no_owner.as_bytes(), "photos", false).unwrap();
        assert_eq!(m.columns.acl, None);
    }

    #[test]
    fn quoted_fields_keep_commas_and_quotes() {
        assert_eq!(
            csv_fields(r#""a,b","c""d","""#).unwrap(),
            ["a,b", "c\"d", ""]
        );
        assert_eq!(csv_fields("plain,,x").unwrap(), ["plain", "", "x"]);
    }

    #[test]
    fn lines_survive_chunk_boundaries() {
        let mut lines = Lines::default();
        assert!(lines.push(b"\"a\",\"b").is_empty());
        assert_eq!(lines.push(b"\"\r\n\"c\"\n\"d"), ["\"a\",\"b\"", "\"c\""]);
        assert_eq!(lines.finish().as_deref(), Some("\"d"));
    }
}

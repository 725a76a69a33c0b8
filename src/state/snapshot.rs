//! State files: what a scan read, as data (`scan --save-state FILE`, `scan --from-state FILE…`).
//!
//! A state file is one JSON document (gzip-compressed when its name ends in `.gz`):
//!
//! ```json
//! {"format": "s3tk-state", "version": 1, "created_by": "s3tk 0.1.0",
//!  "created_at": "2026-12-04T18:00:00Z",
//!  "accounts": [{"account_id": "111122223333", "source": "s3", "region": "us-east-1",
//!    "observed_at": "…", "facets": {"public_access_block": {"value": {…}}, …},
//!    "buckets": [{"name": "app-logs", "observed_at": "…", "region": {"value": "eu-west-1"},
//!      "facets": {"acl": {"value": {…}}, "policy": {"not_configured": true},
//!                 "website": {"error": {"kind": "access_denied",
//!                                       "description": "access denied to GetBucketWebsite: …"}}}}]}]}
//! ```
//!
//! Every facet is one [`Answer`]: the value, `not_configured` (S3's "no such configuration"),
//! or the classified error the read met. A facet the file does not hold was not read, and
//! evaluating it gives a [`FetchErrorKind::NotRecorded`] error, never a guess. The field names
//! of a bucket's facets are those of the [`super::BucketState`] accessors; their values are the
//! [`crate::model`] types as serde writes them. [`VERSION`] changes whenever a reader of the
//! old version would misread the new one; readers refuse versions they do not know.

use crate::error::{FetchError, FetchErrorKind, Recorder};
use crate::model::Trail;
use crate::model::{AccessPoint, PublicAccessBlock};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::Path;

pub use super::BucketFacetRecords;

/// The `format` field of every state file.
pub const FORMAT: &str = "s3tk-state";
/// The schema version this build reads and writes.
pub const VERSION: u32 = 1;
/// State files larger than this (decompressed) are refused: 10,000 buckets take ~60 MB.
const MAX_BYTES: u64 = 2 << 30;

/// One state file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub format: String,
    pub version: u32,
    /// `s3tk VERSION`: which build wrote the file.
    pub created_by: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub accounts: Vec<AccountRecord>,
}

/// Where an account's answers came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// S3's (and STS', S3 Control's, CloudTrail's) own APIs, read by a live scan.
    S3,
    /// AWS Config configuration items (`scan --from-aws-config`).
    AwsConfig,
}

impl Source {
    /// What a facet missing from a record of this source means.
    pub fn recorder(self) -> Recorder {
        match self {
            Source::S3 => Recorder::StateFile,
            Source::AwsConfig => Recorder::AwsConfig,
        }
    }
}

/// One account: its account-wide answers and its buckets.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountRecord {
    /// The account id, when it was known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub source: Source,
    /// The region the scan ran from (where account-wide findings are reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// When the account-wide answers were read, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<String>,
    #[serde(default)]
    pub facets: AccountFacets,
    #[serde(default)]
    pub buckets: Vec<BucketRecord>,
}

/// The account-wide answers.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountFacets {
    /// STS GetCallerIdentity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Answer<String>>,
    /// The account-level Block Public Access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access_block: Option<Answer<Option<PublicAccessBlock>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_region_access_points: Option<Answer<Vec<AccessPoint>>>,
    /// ListBuckets: the names of the account's own buckets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_list: Option<Answer<BTreeSet<String>>>,
    /// The CloudTrail trails that log in each region, with their status and selectors.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trails: BTreeMap<String, Answer<Vec<Trail>>>,
    /// The regions of buckets that were read but not scanned (log targets, for example).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bucket_regions: BTreeMap<String, Answer<String>>,
}

/// One bucket's answers.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketRecord {
    pub name: String,
    /// When its answers were read (a live scan), or captured (an AWS Config item), RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<String>,
    /// The region ListBuckets reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_region: Option<String>,
    /// The region the scan resolved (HeadBucket's answer, or ListBuckets').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Answer<String>>,
    #[serde(default)]
    pub facets: BucketFacetRecords,
}

impl BucketRecord {
    pub fn new(name: impl Into<String>) -> Self {
        BucketRecord {
            name: name.into(),
            observed_at: None,
            listed_region: None,
            region: None,
            facets: BucketFacetRecords::default(),
        }
    }
}

/// A facet's value type, and which of its values means "not configured": `None` of the
/// `Option` facets. The others (an ACL, a versioning status) always have a value.
pub trait FacetValue: Sized {
    type Configured: Serialize + DeserializeOwned;
    /// The configured value, or `None` for "not configured".
    fn configured(&self) -> Option<&Self::Configured>;
    /// The facet's value from a configured one (`Some`) or from "not configured" (`None`);
    /// `None` when "not configured" is not an answer this facet can have.
    fn from_configured(value: Option<Self::Configured>) -> Option<Self>;
}

impl<T: Serialize + DeserializeOwned> FacetValue for Option<T> {
    type Configured = T;
    fn configured(&self) -> Option<&T> {
        self.as_ref()
    }
    fn from_configured(value: Option<T>) -> Option<Self> {
        Some(value)
    }
}

macro_rules! always_configured {
    ($($ty:ty),* $(,)?) => {$(
        impl FacetValue for $ty {
            type Configured = $ty;
            fn configured(&self) -> Option<&$ty> {
                Some(self)
            }
            fn from_configured(value: Option<$ty>) -> Option<Self> {
                value
            }
        }
    )*};
}

always_configured!(
    String,
    BTreeSet<String>,
    Vec<Trail>,
    Vec<AccessPoint>,
    crate::model::Acl,
    crate::model::Versioning,
    crate::model::Notifications,
);

/// One recorded answer: the facet's value, or the error its read met (with its description,
/// for people reading the file; the `kind` and its fields are what is read back).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T>(pub Result<T, RecordedError>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedError {
    #[serde(flatten)]
    pub kind: FetchErrorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl<T: Clone> Answer<T> {
    /// The answer a state slot holds; `None` for a facet the record it came from lacked: it
    /// stays absent, which means the same with the account's `source`.
    pub fn of(result: &Result<T, FetchError>) -> Option<Self> {
        match result {
            Ok(value) => Some(Answer(Ok(value.clone()))),
            Err(FetchError {
                kind: FetchErrorKind::NotRecorded { .. } | FetchErrorKind::Offline,
                ..
            }) => None,
            Err(e) => Some(Answer(Err(RecordedError::from(e)))),
        }
    }
}

impl From<&FetchError> for RecordedError {
    fn from(e: &FetchError) -> Self {
        RecordedError {
            kind: e.kind.clone(),
            description: Some(e.to_string()),
        }
    }
}

impl<T> Answer<T> {
    /// The answer as the state cache holds it.
    pub fn into_result(self, facet: crate::facet::Facet) -> Result<T, FetchError> {
        self.0.map_err(|e| FetchError::new(facet, e.kind))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<V> {
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    value: Option<V>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    not_configured: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<RecordedError>,
}

fn none<V>() -> Option<V> {
    None
}

impl<T: FacetValue> Serialize for Answer<T>
where
    T::Configured: Clone,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = match &self.0 {
            Ok(value) => match value.configured() {
                Some(v) => Wire {
                    value: Some(v.clone()),
                    not_configured: false,
                    error: None,
                },
                None => Wire {
                    value: None,
                    not_configured: true,
                    error: None,
                },
            },
            Err(e) => Wire {
                value: None,
                not_configured: false,
                error: Some(e.clone()),
            },
        };
        wire.serialize(serializer)
    }
}

impl<'de, T: FacetValue> Deserialize<'de> for Answer<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::<T::Configured>::deserialize(deserializer)?;
        match (wire.value, wire.not_configured, wire.error) {
            (Some(v), false, None) => Ok(Answer(Ok(
                T::from_configured(Some(v)).expect("a configured value is always an answer")
            ))),
            (None, true, None) => T::from_configured(None).map(|v| Answer(Ok(v))).ok_or_else(|| {
                D::Error::custom("this facet always has a value: `not_configured` is not an answer it can have")
            }),
            (None, false, Some(e)) => Ok(Answer(Err(e))),
            _ => Err(D::Error::custom(
                "an answer has exactly one of `value`, `not_configured: true` or `error`",
            )),
        }
    }
}

/// The version header, read first so a file from a newer s3tk is named as such rather than
/// failing on the first field this build does not know.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<serde_json::Value>,
    created_by: Option<String>,
}

impl Snapshot {
    pub fn new(accounts: Vec<AccountRecord>) -> Self {
        Snapshot {
            format: FORMAT.into(),
            version: VERSION,
            created_by: format!("s3tk {}", env!("CARGO_PKG_VERSION")),
            created_at: crate::clock::now_rfc3339(),
            accounts,
        }
    }

    /// Reads a state file (gzip when it starts with gzip's magic bytes). Errors are one line
    /// naming the file and, for content at fault, the line, column and field.
    pub fn load(path: &Path) -> Result<Snapshot, String> {
        let name = path.display();
        let raw = crate::input::read_bounded(path, "state file", MAX_BYTES, "2 GiB")?;
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut text = Vec::new();
            flate2::read::MultiGzDecoder::new(&raw[..])
                .take(MAX_BYTES + 1)
                .read_to_end(&mut text)
                .map_err(|e| {
                    format!(
                        "state file {name} is not valid gzip (truncated?): {}",
                        crate::input::reason(&e)
                    )
                })?;
            if text.len() as u64 > MAX_BYTES {
                return Err(format!(
                    "state file {name} is larger than 2 GiB uncompressed"
                ));
            }
            text
        } else {
            raw
        };
        let at_fault = |e: serde_json::Error, field: String| {
            let place = if field.is_empty() || field == "." {
                String::new()
            } else {
                format!(" (field {field})")
            };
            format!(
                "state file {name}: line {} column {}{place}: {}",
                e.line(),
                e.column(),
                message_of(&e)
            )
        };
        let header: Header =
            serde_json::from_slice(&bytes).map_err(|e| at_fault(e, String::new()))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(format!(
                "{name} is not an s3tk state file: its \"format\" is not \"{FORMAT}\""
            ));
        }
        match header.version.as_ref().and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) if v > u64::from(VERSION) => {
                let by = header.created_by.unwrap_or_else(|| "a newer s3tk".into());
                return Err(format!(
                    "state file {name} has schema version {v}, written by {by}; this s3tk {} reads version {VERSION}: upgrade s3tk",
                    env!("CARGO_PKG_VERSION")
                ));
            }
            _ => {
                return Err(format!(
                    "state file {name} has an unknown schema version ({}); this s3tk reads version {VERSION}",
                    header
                        .version
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "none".into())
                ));
            }
        }
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        let snapshot = serde_path_to_error::deserialize(&mut json).map_err(|e| {
            let field = e.path().to_string();
            at_fault(e.into_inner(), field)
        })?;
        json.end().map_err(|e| at_fault(e, String::new()))?;
        Ok(snapshot)
    }

    /// The file's bytes: pretty JSON, gzip-compressed when `path` ends in `.gz`.
    pub fn to_bytes(&self, path: &Path) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).expect("a state always serialises");
        json.push(b'\n');
        if path.extension().is_some_and(|e| e == "gz") {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(&json).expect("writing to memory");
            gz.finish().expect("writing to memory")
        } else {
            json
        }
    }
}

/// serde_json's message without its own " at line L column C" (the caller says where).
fn message_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Acl, PublicAccessBlock};

    fn answer<T: FacetValue>(json: &str) -> Result<Answer<T>, String> {
        serde_json::from_str(json).map_err(|e| message_of(&e))
    }

    #[test]
    fn answers_are_a_value_not_configured_or_an_error() {
        let pab: Answer<Option<PublicAccessBlock>> = answer(r#"{"not_configured": true}"#).unwrap();
        assert_eq!(pab.0, Ok(None));
        assert_eq!(
            serde_json::to_string(&pab).unwrap(),
            r#"{"not_configured":true}"#
        );
        let denied: Answer<Acl> =
            answer(r#"{"error": {"kind": "access_denied", "description": "any text"}}"#).unwrap();
        let error = denied
            .clone()
            .into_result(crate::facet::Facet::Acl)
            .unwrap_err();
        assert_eq!(error.kind, FetchErrorKind::AccessDenied);
        // The description is rewritten from the kind when saved again.
        let again = Answer::of(&Err::<Acl, _>(error)).unwrap();
        assert_eq!(
            serde_json::to_string(&again).unwrap(),
            r#"{"error":{"kind":"access_denied","description":"access denied to GetBucketAcl: the caller needs s3:GetBucketAcl"}}"#
        );
        let throttled: Answer<String> =
            answer(r#"{"error": {"kind": "throttled", "code": "SlowDown", "attempts": 20}}"#)
                .unwrap();
        assert_eq!(
            throttled.0.unwrap_err().kind,
            FetchErrorKind::Throttled {
                code: "SlowDown".into(),
                attempts: Some(20)
            }
        );
    }

    #[test]
    fn impossible_answers_are_refused() {
        assert_eq!(
            answer::<Acl>(r#"{"not_configured": true}"#).unwrap_err(),
            "this facet always has a value: `not_configured` is not an answer it can have"
        );
        for both in [
            r#"{"value": "x", "error": {"kind": "access_denied"}}"#,
            r#"{"value": "x", "not_configured": true}"#,
            r#"{}"#,
            r#"{"not_configured": false}"#,
        ] {
            assert_eq!(
                answer::<Option<String>>(both).unwrap_err(),
                "an answer has exactly one of `value`, `not_configured: true` or `error`",
                "{both}"
            );
        }
        assert!(
            answer::<String>(r#"{"value": "x", "at": 1}"#)
                .unwrap_err()
                .contains("unknown field `at`")
        );
        assert!(
            answer::<String>(r#"{"error": {"kind": "gremlins"}}"#)
                .unwrap_err()
                .contains("unknown variant `gremlins`")
        );
    }

    struct Dir(std::path::PathBuf);

    impl Dir {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("s3tk-snapshot-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Dir(dir)
        }

        fn write(&self, name: &str, bytes: &[u8]) -> std::path::PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }

    fn sample() -> Snapshot {
        let mut bucket = BucketRecord::new("app-data");
        bucket.region = Some(Answer(Ok("eu-west-1".into())));
        bucket.facets.public_access_block = Some(Answer(Ok(Some(PublicAccessBlock::ALL_ON))));
        Snapshot::new(vec![AccountRecord {
            account_id: Some("111122223333".into()),
            source: Source::S3,
            region: Some("us-east-1".into()),
            observed_at: None,
            facets: AccountFacets::default(),
            buckets: vec![bucket],
        }])
    }

    #[test]
    fn files_round_trip_plain_and_gzip() {
        let dir = Dir::new("round-trip");
        for name in ["state.json", "state.json.gz"] {
            let path = dir.0.join(name);
            std::fs::write(&path, sample().to_bytes(&path)).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(bytes.starts_with(&[0x1f, 0x8b]), name.ends_with(".gz"));
            let loaded = Snapshot::load(&path).unwrap();
            assert_eq!(
                serde_json::to_value(&loaded.accounts).unwrap(),
                serde_json::to_value(sample().accounts).unwrap()
            );
            let bucket = &loaded.accounts[0].buckets[0];
            assert_eq!(bucket.region, Some(Answer(Ok("eu-west-1".into()))));
            assert_eq!(
                bucket.facets.public_access_block,
                Some(Answer(Ok(Some(PublicAccessBlock::ALL_ON))))
            );
        }
    }

    #[test]
    fn bad_files_name_the_line_and_field_at_fault() {
        let dir = Dir::new("bad");
        let good = String::from_utf8(sample().to_bytes(Path::new("x.json"))).unwrap();
        let path = dir.write("truncated.json", &good.as_bytes()[..good.len() / 2]);
        let error = Snapshot::load(&path).unwrap_err();
        assert!(
            error.starts_with(&format!("state file {}: line ", path.display())),
            "{error}"
        );
        assert!(error.contains(": EOF while parsing"), "{error}");

        let typo = good.replace("\"public_access_block\"", "\"public_acces_block\"");
        let path = dir.write("typo.json", typo.as_bytes());
        let error = Snapshot::load(&path).unwrap_err();
        let line = typo
            .lines()
            .position(|l| l.contains("public_acces_block"))
            .unwrap()
            + 1;
        assert!(error.contains(&format!(": line {line} column ")), "{error}");
        assert!(
            error.contains("(field accounts[0].buckets[0].facets.public_acces_block)"),
            "{error}"
        );
        assert!(
            error.contains("unknown field `public_acces_block`"),
            "{error}"
        );

        let wrong_type = good.replace("\"eu-west-1\"", "42");
        let path = dir.write("type.json", wrong_type.as_bytes());
        let error = Snapshot::load(&path).unwrap_err();
        assert!(
            error.contains("(field accounts[0].buckets[0].region.value)"),
            "{error}"
        );

        let newer = good.replace("\"version\": 1", "\"version\": 2");
        let path = dir.write("newer.json", newer.as_bytes());
        assert_eq!(
            Snapshot::load(&path).unwrap_err(),
            format!(
                "state file {} has schema version 2, written by s3tk {}; this s3tk {} reads version 1: upgrade s3tk",
                path.display(),
                env!("CARGO_PKG_VERSION"),
                env!("CARGO_PKG_VERSION")
            )
        );
        let unknown = good.replace("\"version\": 1", "\"version\": \"one\"");
        let path = dir.write("unknown.json", unknown.as_bytes());
        assert!(
            Snapshot::load(&path)
                .unwrap_err()
                .contains("unknown schema version (\"one\")")
        );
        let report = dir.write("report.json", br#"{"schema_version": 1, "findings": []}"#);
        assert_eq!(
            Snapshot::load(&report).unwrap_err(),
            format!(
                "{} is not an s3tk state file: its \"format\" is not \"s3tk-state\"",
                report.display()
            )
        );
        let gz = sample().to_bytes(Path::new("x.json.gz"));
        let path = dir.write("cut.json.gz", &gz[..gz.len() - 12]);
        assert!(
            Snapshot::load(&path)
                .unwrap_err()
                .contains("is not valid gzip (truncated?)")
        );
        let path = dir.write("trailing.json", format!("{good} {{}}").as_bytes());
        assert!(
            Snapshot::load(&path)
                .unwrap_err()
                .contains("trailing characters")
        );
    }
}

//! Error types of the library. A [`FetchError`] is cheap to clone because the state cache hands
//! one cached failure to every check that reads the same facet.

use crate::facet::Facet;
use std::fmt;

/// Why a facet (one S3 read API) could not be read. The runner turns it into an `error`
/// finding: a failed read never counts as a pass or a fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    pub facet: Facet,
    pub kind: FetchErrorKind,
}

/// Serialised (in state files) as `{"kind": "access_denied"}`, `{"kind": "throttled", "code": …}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FetchErrorKind {
    /// 403: the caller lacks the facet's IAM action (or an SCP, bucket policy or KMS key denies it).
    AccessDenied,
    /// The bucket does not exist (404 `NoSuchBucket`, or HeadBucket's body-less 404).
    NoSuchBucket,
    /// `SlowDown`/503 and friends, still failing after the SDK's retries: the service's error
    /// code (or `HTTP 503` when the answer had no body), and the attempts made, when known.
    Throttled { code: String, attempts: Option<u32> },
    /// The request reached the wrong regional endpoint (301 `PermanentRedirect` and relatives).
    WrongRegion { region: Option<String> },
    /// S3 refused the credentials themselves (unknown key, bad secret, expired session): a
    /// configuration problem of the whole run, not of one bucket.
    CredentialsRejected { code: String },
    /// No HTTP answer: connection refused, DNS, TLS, timeout.
    Network { detail: String },
    /// S3 answered, but the payload is not what the API promises (e.g. a policy that is not JSON).
    Malformed { detail: String },
    /// The endpoint does not implement the API: it answered something else (an emulator that
    /// ignores the subresource and lists the bucket).
    Unsupported,
    /// Any other error answer from the service.
    Service {
        code: Option<String>,
        status: Option<u16>,
        message: Option<String>,
    },
    /// The state was built for offline evaluation and this facet was not provided.
    Offline,
    /// The state came from a record that does not hold this facet: a state file whose scan did
    /// not read it, or AWS Config, which does not record it.
    NotRecorded { by: Recorder },
}

/// Where recorded state came from, for [`FetchErrorKind::NotRecorded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recorder {
    /// `scan --save-state`: a facet is missing when the scan that saved it did not read it.
    StateFile,
    /// AWS Config configuration items, which record some facets and not others.
    AwsConfig,
}

impl FetchError {
    pub fn new(facet: Facet, kind: FetchErrorKind) -> Self {
        FetchError { facet, kind }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.facet.operation();
        let service = self.facet.service();
        match &self.kind {
            FetchErrorKind::AccessDenied => {
                write!(
                    f,
                    "access denied to {op}: the caller needs {}",
                    self.facet.iam_actions().join(" and ")
                )
            }
            FetchErrorKind::NoSuchBucket => write!(f, "bucket does not exist (NoSuchBucket)"),
            FetchErrorKind::Throttled { code, attempts } => {
                write!(f, "{op} was throttled by {service} ({code})")?;
                match attempts {
                    Some(1) => write!(f, " after 1 attempt"),
                    Some(n) => write!(f, " after {n} attempts"),
                    None => Ok(()),
                }
            }
            FetchErrorKind::WrongRegion { region: Some(r) } => {
                write!(f, "{op} was sent to the wrong region; the bucket is in {r}")
            }
            FetchErrorKind::WrongRegion { region: None } => {
                write!(
                    f,
                    "{op} was sent to the wrong region and S3 did not say which is right"
                )
            }
            FetchErrorKind::CredentialsRejected { code } => {
                write!(
                    f,
                    "{service} rejected the credentials ({code}); check the access key, secret and session token"
                )
            }
            FetchErrorKind::Network { detail } => {
                write!(f, "{op} failed to reach {service}: {detail}")
            }
            FetchErrorKind::Malformed { detail } => {
                write!(f, "{op} returned malformed data: {detail}")
            }
            FetchErrorKind::Unsupported => write!(f, "{op} is not supported by this endpoint"),
            FetchErrorKind::Service {
                code,
                status,
                message,
            } => {
                write!(f, "{op} failed")?;
                match (code, status) {
                    (Some(c), Some(s)) => write!(f, ": {c} (HTTP {s})")?,
                    (Some(c), None) => write!(f, ": {c}")?,
                    (None, Some(s)) => write!(f, ": HTTP {s}")?,
                    (None, None) => {}
                }
                if let Some(m) = message.as_deref().filter(|m| !m.is_empty()) {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            FetchErrorKind::Offline => write!(f, "{op} is not available in offline evaluation"),
            FetchErrorKind::NotRecorded {
                by: Recorder::StateFile,
            } => write!(
                f,
                "{op} is not in the state file (the scan that saved it did not read it); \
                 a live scan with this check reads it"
            ),
            FetchErrorKind::NotRecorded {
                by: Recorder::AwsConfig,
            } => write!(
                f,
                "AWS Config does not record {op}; a live scan of the bucket reads it"
            ),
        }
    }
}

impl std::error::Error for FetchError {}

/// Bad input detected before any request is sent: the CLI prints it and exits with code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("invalid bucket name '{name}': {reason}")]
    BucketName { name: String, reason: String },
    #[error("invalid bucket pattern '{pattern}': {reason}")]
    BucketPattern { pattern: String, reason: String },
    #[error("no check matches '{0}' (see `s3tk checks` for the ids)")]
    UnknownCheck(String),
    #[error("no checks left to run after --skip options")]
    NoChecks,
    #[error("{0}")]
    Other(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_service_that_answered() {
        let throttled = |facet, attempts| {
            FetchError::new(
                facet,
                FetchErrorKind::Throttled {
                    code: "Throttling".into(),
                    attempts,
                },
            )
            .to_string()
        };
        assert_eq!(
            throttled(Facet::AccountId, Some(10)),
            "GetCallerIdentity was throttled by STS (Throttling) after 10 attempts"
        );
        assert_eq!(
            throttled(Facet::GetObjectAcl, Some(1)),
            "GetObjectAcl was throttled by S3 (Throttling) after 1 attempt"
        );
        assert_eq!(
            throttled(Facet::Trails, None),
            "DescribeTrails was throttled by CloudTrail (Throttling)"
        );
        let unreachable = FetchError::new(
            Facet::AssumeRole,
            FetchErrorKind::Network {
                detail: "io error".into(),
            },
        );
        assert_eq!(
            unreachable.to_string(),
            "AssumeRole failed to reach STS: io error"
        );
        let rejected = FetchError::new(
            Facet::AccountId,
            FetchErrorKind::CredentialsRejected {
                code: "InvalidClientTokenId".into(),
            },
        );
        assert!(
            rejected.to_string().starts_with("STS rejected"),
            "{rejected}"
        );
    }
}

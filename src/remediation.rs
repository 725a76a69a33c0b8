//! The `Remediation` plugin kind. A remediation never writes: `plan` reads cached state and
//! returns the typed [`Change`]s it wants; one executor ([`crate::apply`]) performs every
//! bucket and account setting a remediation changes, so those writes are in one reviewed place
//! and `--dry-run` is exact by construction.

use crate::change::Change;
use crate::error::FetchError;
use crate::facet::Facet;
use crate::state::{AccountState, BucketState};
use async_trait::async_trait;

/// Settings of the remediation commands.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    /// `enable-logging --log-bucket`.
    pub log_bucket: Option<String>,
    /// `enable-logging --log-prefix`; `{bucket}` is replaced by the bucket name.
    pub log_prefix: Option<String>,
    /// `enable-default-encryption --kms-key-id`, validated.
    pub kms_key_id: Option<String>,
    /// `disable-acls --force`: remove grants to other accounts and groups.
    pub force: bool,
}

/// What a plan may read beyond the bucket itself.
pub struct FixContext {
    pub options: FixOptions,
    /// The state of `--log-bucket`, shared by every bucket's plan so that its facets are read
    /// once.
    pub log_target: Option<std::sync::Arc<BucketState>>,
}

/// The constant description of a remediation.
#[derive(Debug)]
pub struct RemediationMeta {
    /// Same namespace as checks, imperative: `s3.bucket.enable-versioning`.
    pub id: &'static str,
    /// The command that runs it for one bucket, `{bucket}` standing for the name:
    /// `s3tk enable-versioning {bucket}`.
    pub usage: &'static str,
    pub title: &'static str,
    /// Ids of the checks it fixes (the registry tests check they exist).
    pub fixes: &'static [&'static str],
    /// Safe to run unattended (`scan --fix --apply`): it changes nothing a working client
    /// relies on. Logging and ACL changes are not safe in that sense.
    pub safe: bool,
    /// The options of its command, beyond the buckets and `--dry-run` every one has.
    pub options: &'static [FixOption],
    /// The APIs its plan reads and its changes write. Its command also re-runs the checks it
    /// fixes, so the IAM actions of its command are these and theirs ([`crate::iam`]).
    pub facets: &'static [Facet],
    /// Markdown with `## What it does` and `## What can break`.
    pub doc: &'static str,
}

impl RemediationMeta {
    /// The command that runs it (`enable-versioning`), the second word of its usage.
    pub fn command(&self) -> &'static str {
        self.usage.split_whitespace().nth(1).unwrap_or_default()
    }
}

/// One option of a remediation's command, which sets one [`FixOptions`] field: the command and
/// its help are built from these, so a registered remediation always has its command.
#[derive(Debug)]
pub struct FixOption {
    /// `log-bucket` for `--log-bucket`.
    pub long: &'static str,
    /// `Some("NAME")` for an option with a value, `None` for a flag.
    pub value_name: Option<&'static str>,
    pub help: &'static str,
    pub required: bool,
    pub default: Option<&'static str>,
    pub field: FixField,
}

/// The [`FixOptions`] field an option sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixField {
    LogBucket,
    LogPrefix,
    KmsKeyId,
    Force,
}

impl FixOptions {
    /// Sets the field of an option with a value.
    pub fn set(&mut self, field: FixField, value: String) {
        match field {
            FixField::LogBucket => self.log_bucket = Some(value),
            FixField::LogPrefix => self.log_prefix = Some(value),
            FixField::KmsKeyId => self.kms_key_id = Some(value),
            FixField::Force => self.force = true,
        }
    }
}

/// What a remediation decided for one bucket (or the account).
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Nothing to do; says why (the current state).
    Already(String),
    /// These writes, in order. Changes to another bucket (a log target) come first.
    Change(Vec<Change>),
    /// Not applicable to this bucket, and says why (e.g. the log bucket itself).
    Skip(String),
    /// Will not touch it, and says why (e.g. grants that `--force` would remove).
    Refuse(String),
}

#[async_trait]
pub trait Remediation: Send + Sync + 'static {
    /// Decides what to change, from cached state only. Never writes.
    async fn plan(&self, bucket: &BucketState, context: &FixContext) -> Result<Plan, FetchError>;
}

#[async_trait]
pub trait AccountRemediation: Send + Sync + 'static {
    async fn plan(&self, account: &AccountState, context: &FixContext) -> Result<Plan, FetchError>;
}

/// The behaviour behind a registered remediation, by scope.
pub enum RemediationKind {
    Account(&'static dyn AccountRemediation),
    Bucket(&'static dyn Remediation),
}

pub struct RemediationEntry {
    pub meta: &'static RemediationMeta,
    pub remediation: RemediationKind,
}

inventory::collect!(RemediationEntry);

/// Declares a remediation: doc comment, unit struct, `META` and registration.
#[macro_export]
macro_rules! declare_remediation {
    (
        $(#[doc = $doc:literal])*
        $vis:vis $name:ident {
            id: $id:literal,
            usage: $usage:literal,
            title: $title:literal,
            scope: $scope:ident,
            fixes: [$($fixes:literal),* $(,)?],
            safe: $safe:literal,
            $(options: [$($option:expr),* $(,)?],)?
            facets: [$($facet:ident),* $(,)?] $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug)]
        $vis struct $name;

        impl $name {
            pub const META: $crate::remediation::RemediationMeta = $crate::remediation::RemediationMeta {
                id: $id,
                usage: $usage,
                title: $title,
                fixes: &[$($fixes),*],
                safe: $safe,
                options: &[$($($option),*)?],
                facets: &[$($crate::facet::Facet::$facet),*],
                doc: concat!($($doc, "\n"),*),
            };
        }

        ::inventory::submit! {
            $crate::remediation::RemediationEntry {
                meta: &$name::META,
                remediation: $crate::remediation::RemediationKind::$scope(&$name),
            }
        }
    };
}

/// Validates a KMS key reference: a key ARN, an alias ARN, a key id (UUID or multi-Region
/// `mrk-…`), or `alias/NAME`.
pub fn validate_kms_key(key: &str) -> Result<(), String> {
    let is_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let is_uuid = |s: &str| {
        let parts: Vec<&str> = s.split('-').collect();
        parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| is_hex(p))
    };
    let is_key_id = |s: &str| {
        is_uuid(s)
            || s.strip_prefix("mrk-")
                .is_some_and(|h| h.len() == 32 && is_hex(h))
    };
    let is_alias = |s: &str| {
        s.strip_prefix("alias/").is_some_and(|n| {
            !n.is_empty()
                && n.len() <= 250
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
        })
    };
    let valid = if let Some(rest) = key.strip_prefix("arn:") {
        // arn:PARTITION:kms:REGION:ACCOUNT:key/ID or …:alias/NAME
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        parts.len() == 5
            && parts[0].starts_with("aws")
            && parts[1] == "kms"
            && !parts[2].is_empty()
            && parts[3].len() == 12
            && parts[3].bytes().all(|b| b.is_ascii_digit())
            && (parts[4].strip_prefix("key/").is_some_and(is_key_id) || is_alias(parts[4]))
    } else {
        is_key_id(key) || is_alias(key)
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid --kms-key-id '{key}': give a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), an alias ARN, a key id or alias/NAME"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_key_forms() {
        for good in [
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
            "arn:aws:kms:eu-west-1:111122223333:alias/data-key",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "mrk-1234abcd12ab34cd56ef1234567890ab",
            "alias/team/data_key-1",
        ] {
            assert_eq!(validate_kms_key(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "my-key",
            "alias/",
            "arn:aws:kms:us-east-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:s3:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890",
            "alias/bad name",
        ] {
            assert!(validate_kms_key(bad).is_err(), "{bad}");
        }
    }
}

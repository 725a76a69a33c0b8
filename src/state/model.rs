//! Our own small types for each facet, built from SDK answers in `fetch.rs`. Checks read these,
//! never SDK types, so they stay testable offline and serialisable as evidence.

use serde::Serialize;

pub const ALL_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTHENTICATED_USERS_URI: &str =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub const LOG_DELIVERY_URI: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// A bucket or object ACL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Acl {
    pub owner_id: Option<String>,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub grantee: Grantee,
    /// `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP` or `FULL_CONTROL`.
    pub permission: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Grantee {
    CanonicalUser { id: String },
    Group { uri: String },
    Email { address: String },
    Unknown,
}

/// The two predefined groups that make an ACL public (S3 User Guide, "The meaning of public").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum PublicGroup {
    /// Anyone, signed or anonymous.
    AllUsers,
    /// Any AWS account in the world, not only this account's users.
    AuthenticatedUsers,
}

impl PublicGroup {
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri {
            ALL_USERS_URI => Some(PublicGroup::AllUsers),
            AUTHENTICATED_USERS_URI => Some(PublicGroup::AuthenticatedUsers),
            _ => None,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            PublicGroup::AllUsers => "AllUsers",
            PublicGroup::AuthenticatedUsers => "AuthenticatedUsers",
        }
    }

    pub const fn meaning(self) -> &'static str {
        match self {
            PublicGroup::AllUsers => "anyone on the internet",
            PublicGroup::AuthenticatedUsers => "any AWS account",
        }
    }
}

impl Acl {
    /// Grants to `AllUsers` or `AuthenticatedUsers`, in ACL order.
    pub fn public_grants(&self) -> impl Iterator<Item = (PublicGroup, &str)> {
        self.grants.iter().filter_map(|g| match &g.grantee {
            Grantee::Group { uri } => {
                PublicGroup::from_uri(uri).map(|p| (p, g.permission.as_str()))
            }
            _ => None,
        })
    }
}

/// Where server access logs are delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggingTarget {
    pub bucket: String,
    pub prefix: String,
}

impl std::fmt::Display for LoggingTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersioningStatus {
    Enabled,
    Suspended,
}

/// GetBucketVersioning's answer. A never-versioned bucket has no status at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Versioning {
    pub status: Option<VersioningStatus>,
    /// `Some(true)` when MFA delete is enabled; `None` when it was never configured.
    pub mfa_delete: Option<bool>,
}

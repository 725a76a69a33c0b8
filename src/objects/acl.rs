//! Object ACLs: S3's canned ACLs, recognising one in the grants GetObjectAcl returns, and the
//! grant headers that re-create an ACL exactly.
//!
//! A canned ACL is a shorthand for a grant list that depends on who owns the object and who
//! owns the bucket (reference §2.4): `bucket-owner-full-control` on an object the bucket owner
//! wrote is the same grant list as `private`. Comparing grant sets, not names, is what lets a
//! re-run of `reset-object-acl` write nothing, including for the bucket-owner ACLs that s3tk 0.5
//! re-applied on every run.

use crate::model::{ALL_USERS_URI, AUTHENTICATED_USERS_URI, Acl, Grant, Grantee, PublicGroup};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// The canonical user that `aws-exec-read` grants READ to (Amazon EC2, for AMI bundles). Matched
/// by id: the display name S3 used to return for it is being removed.
pub const EC2_CANONICAL_ID: &str =
    "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c";

/// The canned ACLs S3 accepts on objects (`ObjectCannedACL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedAcl {
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
    AwsExecRead,
    BucketOwnerRead,
    BucketOwnerFullControl,
}

impl CannedAcl {
    /// In the order a grant list is recognised: `private` first, so an object the bucket owner
    /// wrote reads as `private`, not as its equivalent `bucket-owner-full-control`.
    pub const ALL: [CannedAcl; 7] = [
        CannedAcl::Private,
        CannedAcl::PublicRead,
        CannedAcl::PublicReadWrite,
        CannedAcl::AuthenticatedRead,
        CannedAcl::AwsExecRead,
        CannedAcl::BucketOwnerRead,
        CannedAcl::BucketOwnerFullControl,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            CannedAcl::Private => "private",
            CannedAcl::PublicRead => "public-read",
            CannedAcl::PublicReadWrite => "public-read-write",
            CannedAcl::AuthenticatedRead => "authenticated-read",
            CannedAcl::AwsExecRead => "aws-exec-read",
            CannedAcl::BucketOwnerRead => "bucket-owner-read",
            CannedAcl::BucketOwnerFullControl => "bucket-owner-full-control",
        }
    }

    /// Whether the grant list depends on the bucket owner's identity.
    pub const fn needs_bucket_owner(self) -> bool {
        matches!(
            self,
            CannedAcl::BucketOwnerRead | CannedAcl::BucketOwnerFullControl
        )
    }

    /// The grants S3 stores for this canned ACL on an object owned by `owner` in a bucket owned
    /// by `bucket_owner`, besides the owner's FULL_CONTROL.
    fn extra_grants(self, bucket_owner: Option<&str>) -> Option<Vec<(GranteeKey, &'static str)>> {
        let group = |uri: &str| GranteeKey::Group(uri.to_owned());
        Some(match self {
            CannedAcl::Private => vec![],
            CannedAcl::PublicRead => vec![(group(ALL_USERS_URI), "READ")],
            CannedAcl::PublicReadWrite => {
                vec![
                    (group(ALL_USERS_URI), "READ"),
                    (group(ALL_USERS_URI), "WRITE"),
                ]
            }
            CannedAcl::AuthenticatedRead => vec![(group(AUTHENTICATED_USERS_URI), "READ")],
            CannedAcl::AwsExecRead => vec![(GranteeKey::Id(EC2_CANONICAL_ID.into()), "READ")],
            CannedAcl::BucketOwnerRead => vec![(GranteeKey::Id(bucket_owner?.into()), "READ")],
            CannedAcl::BucketOwnerFullControl => {
                vec![(GranteeKey::Id(bucket_owner?.into()), "FULL_CONTROL")]
            }
        })
    }
}

impl fmt::Display for CannedAcl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CannedAcl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        CannedAcl::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = CannedAcl::ALL.iter().map(|c| c.as_str()).collect();
                format!(
                    "invalid --acl '{text}': S3's canned ACLs for objects are {}",
                    names.join(", ")
                )
            })
    }
}

/// A grantee as compared: canonical id, group URI or e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum GranteeKey {
    Id(String),
    Group(String),
    Email(String),
    Unknown,
}

impl From<&Grantee> for GranteeKey {
    fn from(g: &Grantee) -> Self {
        match g {
            Grantee::CanonicalUser { id } => GranteeKey::Id(id.clone()),
            Grantee::Group { uri } => GranteeKey::Group(uri.clone()),
            Grantee::Email { address } => GranteeKey::Email(address.clone()),
            Grantee::Unknown => GranteeKey::Unknown,
        }
    }
}

/// A grant list as a set, with what FULL_CONTROL implies folded in, so two lists that grant the
/// same thing compare equal whatever their order or redundancy.
fn normalise<'a>(
    grants: impl IntoIterator<Item = (GranteeKey, &'a str)>,
) -> BTreeSet<(GranteeKey, String)> {
    let grants: Vec<(GranteeKey, &str)> = grants.into_iter().collect();
    let full: BTreeSet<&GranteeKey> = grants
        .iter()
        .filter(|(_, p)| *p == "FULL_CONTROL")
        .map(|(g, _)| g)
        .collect();
    grants
        .iter()
        .filter(|(g, p)| *p == "FULL_CONTROL" || !full.contains(g))
        .map(|(g, p)| (g.clone(), (*p).to_owned()))
        .collect()
}

/// Whether `acl` grants exactly what `canned` would on this object. `None` when that cannot be
/// known: the object owner, or for the bucket-owner ACLs the bucket owner, is unknown.
pub fn is_canned(acl: &Acl, canned: CannedAcl, bucket_owner: Option<&str>) -> Option<bool> {
    let owner = acl.owner_id.as_deref()?;
    let mut expected = canned.extra_grants(bucket_owner)?;
    expected.push((GranteeKey::Id(owner.to_owned()), "FULL_CONTROL"));
    let actual = acl
        .grants
        .iter()
        .map(|g| (GranteeKey::from(&g.grantee), g.permission.as_str()));
    Some(normalise(actual) == normalise(expected))
}

/// What an object's ACL amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclMode {
    Canned(CannedAcl),
    /// Not a canned ACL: the grants besides the owner's FULL_CONTROL.
    Custom(Vec<Grant>),
}

impl AclMode {
    pub fn of(acl: &Acl, bucket_owner: Option<&str>) -> AclMode {
        CannedAcl::ALL
            .into_iter()
            .find(|&c| is_canned(acl, c, bucket_owner) == Some(true))
            .map(AclMode::Canned)
            .unwrap_or_else(|| AclMode::Custom(acl.foreign_grants().into_iter().cloned().collect()))
    }

    /// The name `scan-object-acl` prints: the canned ACL, or `custom`.
    pub fn name(&self) -> &'static str {
        match self {
            AclMode::Canned(c) => c.as_str(),
            AclMode::Custom(_) => "custom",
        }
    }
}

/// The public grants in words, e.g. "AllUsers READ, AuthenticatedUsers WRITE_ACP"; empty when
/// the ACL is not public.
pub fn public_grants(acl: &Acl) -> Vec<String> {
    acl.public_grants()
        .map(|(group, permission)| format!("{} {permission}", group.name()))
        .collect()
}

/// Whether any public grant lets the public change the object's ACL (a takeover) rather than
/// only read it.
pub fn public_can_write_acp(acl: &Acl) -> bool {
    acl.public_grants()
        .any(|(_, p)| matches!(p, "WRITE_ACP" | "FULL_CONTROL"))
}

/// One grant in words: `id=79a5…b1c2 READ`, `AllUsers READ`, `LogDelivery WRITE`.
pub fn describe(grant: &Grant) -> String {
    let who = match &grant.grantee {
        Grantee::CanonicalUser { id } if id == EC2_CANONICAL_ID => "EC2".to_owned(),
        Grantee::CanonicalUser { id } => format!("id={}", short_id(id)),
        Grantee::Group { uri } => PublicGroup::from_uri(uri)
            .map(|g| g.name().to_owned())
            .unwrap_or_else(|| uri.rsplit('/').next().unwrap_or(uri).to_owned()),
        Grantee::Email { address } => format!("email={address}"),
        Grantee::Unknown => "unknown grantee".to_owned(),
    };
    format!("{who} {}", grant.permission)
}

fn short_id(id: &str) -> String {
    if id.len() > 12 {
        format!("{}…{}", &id[..6], &id[id.len() - 4..])
    } else {
        id.to_owned()
    }
}

/// The `x-amz-grant-*` header values that re-create `acl` on a copy, keyed by permission
/// (`READ`, `READ_ACP`, `WRITE_ACP`, `FULL_CONTROL`). `WRITE` has no meaning on objects and no
/// header; `Err` names a grantee that cannot be expressed in a header.
pub fn grant_headers(acl: &Acl) -> Result<GrantHeaders, String> {
    let mut headers = GrantHeaders::default();
    for grant in &acl.grants {
        let value = match &grant.grantee {
            Grantee::CanonicalUser { id } => format!("id=\"{id}\""),
            Grantee::Group { uri } => format!("uri=\"{uri}\""),
            Grantee::Email { address } => format!("emailAddress=\"{address}\""),
            Grantee::Unknown => return Err("the ACL has a grantee of an unknown type".into()),
        };
        let slot = match grant.permission.as_str() {
            "READ" => &mut headers.read,
            "READ_ACP" => &mut headers.read_acp,
            "WRITE_ACP" => &mut headers.write_acp,
            "FULL_CONTROL" => &mut headers.full_control,
            "WRITE" => continue,
            other => return Err(format!("the ACL has an unknown permission '{other}'")),
        };
        slot.push(value);
    }
    Ok(headers)
}

/// Comma-separated grantee lists, one per grant header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantHeaders {
    pub read: Vec<String>,
    pub read_acp: Vec<String>,
    pub write_acp: Vec<String>,
    pub full_control: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: &str = "owner-id";
    const BUCKET_OWNER: &str = "bucket-owner-id";

    fn user(id: &str, permission: &str) -> Grant {
        Grant {
            grantee: Grantee::CanonicalUser { id: id.into() },
            permission: permission.into(),
        }
    }

    fn group(uri: &str, permission: &str) -> Grant {
        Grant {
            grantee: Grantee::Group { uri: uri.into() },
            permission: permission.into(),
        }
    }

    fn acl(owner: &str, extra: Vec<Grant>) -> Acl {
        let mut grants = vec![user(owner, "FULL_CONTROL")];
        grants.extend(extra);
        Acl {
            owner_id: Some(owner.into()),
            grants,
        }
    }

    fn mode(acl: &Acl) -> &'static str {
        AclMode::of(acl, Some(BUCKET_OWNER)).name()
    }

    #[test]
    fn recognises_every_canned_acl() {
        assert_eq!(mode(&acl(OWNER, vec![])), "private");
        assert_eq!(
            mode(&acl(OWNER, vec![group(ALL_USERS_URI, "READ")])),
            "public-read"
        );
        assert_eq!(
            mode(&acl(
                OWNER,
                vec![group(ALL_USERS_URI, "WRITE"), group(ALL_USERS_URI, "READ")]
            )),
            "public-read-write"
        );
        assert_eq!(
            mode(&acl(OWNER, vec![group(AUTHENTICATED_USERS_URI, "READ")])),
            "authenticated-read"
        );
        assert_eq!(
            mode(&acl(OWNER, vec![user(EC2_CANONICAL_ID, "READ")])),
            "aws-exec-read"
        );
        assert_eq!(
            mode(&acl(OWNER, vec![user(BUCKET_OWNER, "READ")])),
            "bucket-owner-read"
        );
        assert_eq!(
            mode(&acl(OWNER, vec![user(BUCKET_OWNER, "FULL_CONTROL")])),
            "bucket-owner-full-control"
        );
    }

    #[test]
    fn custom_acls_keep_their_grants() {
        let custom = acl(
            OWNER,
            vec![group(ALL_USERS_URI, "READ_ACP"), user("other", "READ")],
        );
        match AclMode::of(&custom, Some(BUCKET_OWNER)) {
            AclMode::Custom(grants) => assert_eq!(grants.len(), 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(public_grants(&custom), vec!["AllUsers READ_ACP"]);
        assert!(!public_can_write_acp(&custom));
        let takeover = acl(OWNER, vec![group(AUTHENTICATED_USERS_URI, "WRITE_ACP")]);
        assert!(public_can_write_acp(&takeover));
    }

    #[test]
    fn bucket_owner_acls_on_the_bucket_owners_objects_are_private() {
        // The bucket owner wrote the object: bucket-owner-full-control grants nothing more.
        let own = acl(BUCKET_OWNER, vec![]);
        assert_eq!(mode(&own), "private");
        assert_eq!(
            is_canned(&own, CannedAcl::BucketOwnerFullControl, Some(BUCKET_OWNER)),
            Some(true)
        );
        // S3 may list the owner's grant twice, or add READ next to FULL_CONTROL.
        let redundant = acl(
            BUCKET_OWNER,
            vec![
                user(BUCKET_OWNER, "FULL_CONTROL"),
                user(BUCKET_OWNER, "READ"),
            ],
        );
        assert_eq!(
            is_canned(&redundant, CannedAcl::BucketOwnerRead, Some(BUCKET_OWNER)),
            Some(true)
        );
        assert_eq!(
            is_canned(&redundant, CannedAcl::Private, Some(BUCKET_OWNER)),
            Some(true)
        );
    }

    #[test]
    fn unknown_owners_are_never_guessed() {
        let mut no_owner = acl(OWNER, vec![]);
        no_owner.owner_id = None;
        assert_eq!(is_canned(&no_owner, CannedAcl::Private, None), None);
        let granted = acl(OWNER, vec![user(BUCKET_OWNER, "READ")]);
        assert_eq!(is_canned(&granted, CannedAcl::BucketOwnerRead, None), None);
        assert_eq!(AclMode::of(&granted, None).name(), "custom");
    }

    #[test]
    fn canned_names_are_validated() {
        assert_eq!("bucket-owner-read".parse(), Ok(CannedAcl::BucketOwnerRead));
        let err = "public".parse::<CannedAcl>().unwrap_err();
        assert!(err.contains("invalid --acl 'public'"), "{err}");
        assert!(err.contains("bucket-owner-full-control"), "{err}");
        // Bucket-only canned ACLs are not valid on objects.
        assert!("log-delivery-write".parse::<CannedAcl>().is_err());
    }

    #[test]
    fn grant_headers_recreate_the_acl() {
        let a = acl(
            OWNER,
            vec![
                group(ALL_USERS_URI, "READ"),
                user("reader", "READ"),
                group(ALL_USERS_URI, "WRITE"),
            ],
        );
        let h = grant_headers(&a).unwrap();
        assert_eq!(h.full_control, vec![format!("id=\"{OWNER}\"")]);
        assert_eq!(
            h.read,
            vec![
                format!("uri=\"{ALL_USERS_URI}\""),
                "id=\"reader\"".to_owned()
            ]
        );
        assert!(h.read_acp.is_empty() && h.write_acp.is_empty());
        let bad = Acl {
            owner_id: None,
            grants: vec![Grant {
                grantee: Grantee::Unknown,
                permission: "READ".into(),
            }],
        };
        assert!(grant_headers(&bad).is_err());
    }

    #[test]
    fn describes_grants_briefly() {
        assert_eq!(describe(&group(ALL_USERS_URI, "READ")), "AllUsers READ");
        assert_eq!(describe(&user(EC2_CANONICAL_ID, "READ")), "EC2 READ");
        assert_eq!(
            describe(&user(
                "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
                "READ"
            )),
            "id=79a59d…f2be READ"
        );
    }
}

//! The facets: every AWS API s3tk calls, named once, with the operation, service, IAM actions
//! and "not configured" error code of each. A leaf: the error types, the state cache, the
//! executor and the IAM policy generator all name calls by their facet, so it depends on
//! nothing in the crate.

use serde::Serialize;

/// Declares [`Facet`] and [`Facet::ALL`] from one list, so no facet can be left out of it.
macro_rules! facets {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// One AWS API s3tk calls: the read APIs whose answers are cached, per bucket or per
        /// account, and the writes of the remediation executor and the object commands. Its IAM actions are what
        /// a caller needs, which is how `s3tk explain` and error messages name missing
        /// permissions.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Facet {
            $($(#[$doc])* $name,)*
        }

        impl Facet {
            /// Every facet, in declaration order.
            pub const ALL: &[Facet] = &[$(Facet::$name,)*];
        }
    };
}

facets! {
/// The account's bucket list (selection by pattern, or every bucket).
BucketList,
/// The account the credentials belong to.
AccountId,
/// The account-level Block Public Access (S3 Control).
AccountPublicAccessBlock,
/// The account's Multi-Region Access Points (S3 Control, us-west-2).
MultiRegionAccessPoints,
/// The bucket's region (HeadBucket); every other bucket facet depends on it.
Region,
Acl,
Policy,
PolicyStatus,
PublicAccessBlock,
OwnershipControls,
Encryption,
Logging,
Versioning,
ObjectLock,
Lifecycle,
Replication,
Notifications,
Website,
/// The bucket's access points and their Block Public Access (S3 Control).
AccessPoints,
/// The CloudTrail trails that log in a region (including multi-region trails homed elsewhere).
Trails,
/// Whether a trail is logging.
TrailStatus,
/// A trail's basic or advanced event selectors.
TrailEventSelectors,
// Route 53 (scan-dns).
HostedZones,
RecordSets,
/// `scan --sns-topic`.
PublishToTopic,
/// `scan --role-name`: the role assumed in each account, and the organization's accounts.
AssumeRole,
OrganizationAccounts,
// Writes, performed only by `apply.rs`.
PutPublicAccessBlock,
PutAccountPublicAccessBlock,
PutVersioning,
PutEncryption,
PutLogging,
PutPolicy,
DeletePolicy,
PutAcl,
PutOwnershipControls,
// Object-level calls of the object commands (`crate::objects::s3`).
ListObjects,
ListObjectVersions,
/// Reading an S3 Inventory report (`--inventory`) or a job's completion report.
GetObject,
/// Uploading a Batch Operations manifest (`--batch`).
PutObject,
/// S3 Batch Operations (S3 Control).
CreateJob,
DescribeJob,
HeadObject,
HeadObjectVersion,
GetObjectAcl,
GetObjectTagging,
/// An object's Object Lock retention and legal hold, which HeadObject leaves out for a
/// caller without the matching Get action.
GetObjectRetention,
GetObjectLegalHold,
PutObjectAcl,
CopyObject,
CreateMultipartUpload,
UploadPartCopy,
CompleteMultipartUpload,
AbortMultipartUpload,
DeleteObjectVersion,
// AWS Config as a source of bucket state (`crate::state::aws_config`).
ListDiscoveredResources,
BatchGetResourceConfig,
ListAggregateDiscoveredResources,
BatchGetAggregateResourceConfig,}

impl Facet {
    /// The facet whose operation is `operation` (as [`Facet::operation`] names it).
    pub fn by_operation(operation: &str) -> Option<Facet> {
        Facet::ALL
            .iter()
            .copied()
            .find(|f| f.operation() == operation)
    }

    /// The API operation that reads the facet.
    pub const fn operation(self) -> &'static str {
        match self {
            Facet::BucketList => "ListBuckets",
            Facet::AccountId => "GetCallerIdentity",
            Facet::AccountPublicAccessBlock => "GetPublicAccessBlock (account)",
            Facet::MultiRegionAccessPoints => "ListMultiRegionAccessPoints",
            Facet::Region => "HeadBucket",
            Facet::Acl => "GetBucketAcl",
            Facet::Policy => "GetBucketPolicy",
            Facet::PolicyStatus => "GetBucketPolicyStatus",
            Facet::PublicAccessBlock => "GetPublicAccessBlock",
            Facet::OwnershipControls => "GetBucketOwnershipControls",
            Facet::Encryption => "GetBucketEncryption",
            Facet::Logging => "GetBucketLogging",
            Facet::Versioning => "GetBucketVersioning",
            Facet::ObjectLock => "GetObjectLockConfiguration",
            Facet::Lifecycle => "GetBucketLifecycleConfiguration",
            Facet::Replication => "GetBucketReplication",
            Facet::Notifications => "GetBucketNotificationConfiguration",
            Facet::Website => "GetBucketWebsite",
            Facet::AccessPoints => "ListAccessPoints/GetAccessPoint",
            Facet::Trails => "DescribeTrails",
            Facet::TrailStatus => "GetTrailStatus",
            Facet::TrailEventSelectors => "GetEventSelectors",
            Facet::HostedZones => "ListHostedZones",
            Facet::RecordSets => "ListResourceRecordSets",
            Facet::PublishToTopic => "Publish",
            Facet::AssumeRole => "AssumeRole",
            Facet::OrganizationAccounts => "ListAccounts",
            Facet::PutPublicAccessBlock => "PutPublicAccessBlock",
            Facet::PutAccountPublicAccessBlock => "PutPublicAccessBlock (account)",
            Facet::PutVersioning => "PutBucketVersioning",
            Facet::PutEncryption => "PutBucketEncryption",
            Facet::PutLogging => "PutBucketLogging",
            Facet::PutPolicy => "PutBucketPolicy",
            Facet::DeletePolicy => "DeleteBucketPolicy",
            Facet::PutAcl => "PutBucketAcl",
            Facet::PutOwnershipControls => "PutBucketOwnershipControls",
            Facet::ListObjects => "ListObjectsV2",
            Facet::ListObjectVersions => "ListObjectVersions",
            Facet::GetObject => "GetObject",
            Facet::PutObject => "PutObject",
            Facet::CreateJob => "CreateJob",
            Facet::DescribeJob => "DescribeJob",
            Facet::HeadObject => "HeadObject",
            Facet::HeadObjectVersion => "HeadObject (version)",
            Facet::GetObjectAcl => "GetObjectAcl",
            Facet::GetObjectTagging => "GetObjectTagging",
            Facet::GetObjectRetention => "GetObjectRetention",
            Facet::GetObjectLegalHold => "GetObjectLegalHold",
            Facet::PutObjectAcl => "PutObjectAcl",
            Facet::CopyObject => "CopyObject",
            Facet::CreateMultipartUpload => "CreateMultipartUpload",
            Facet::UploadPartCopy => "UploadPartCopy",
            Facet::CompleteMultipartUpload => "CompleteMultipartUpload",
            Facet::AbortMultipartUpload => "AbortMultipartUpload",
            Facet::DeleteObjectVersion => "DeleteObject (version)",
            Facet::ListDiscoveredResources => "ListDiscoveredResources",
            Facet::BatchGetResourceConfig => "BatchGetResourceConfig",
            Facet::ListAggregateDiscoveredResources => "ListAggregateDiscoveredResources",
            Facet::BatchGetAggregateResourceConfig => "BatchGetAggregateResourceConfig",
        }
    }

    /// The AWS service that answers the operation, as messages name it.
    pub const fn service(self) -> &'static str {
        match self {
            Facet::AccountId | Facet::AssumeRole => "STS",
            Facet::Trails | Facet::TrailStatus | Facet::TrailEventSelectors => "CloudTrail",
            Facet::HostedZones | Facet::RecordSets => "Route 53",
            Facet::PublishToTopic => "SNS",
            Facet::OrganizationAccounts => "AWS Organizations",
            Facet::ListDiscoveredResources
            | Facet::BatchGetResourceConfig
            | Facet::ListAggregateDiscoveredResources
            | Facet::BatchGetAggregateResourceConfig => "AWS Config",
            Facet::AccountPublicAccessBlock
            | Facet::PutAccountPublicAccessBlock
            | Facet::MultiRegionAccessPoints
            | Facet::AccessPoints
            | Facet::CreateJob
            | Facet::DescribeJob => "S3 Control",
            _ => "S3",
        }
    }

    /// The IAM actions the operation needs.
    pub const fn iam_actions(self) -> &'static [&'static str] {
        match self {
            Facet::BucketList => &["s3:ListAllMyBuckets"],
            Facet::AccountId => &["sts:GetCallerIdentity"],
            Facet::AccountPublicAccessBlock => &["s3:GetAccountPublicAccessBlock"],
            Facet::MultiRegionAccessPoints => &["s3:ListMultiRegionAccessPoints"],
            Facet::Region => &["s3:ListBucket"],
            Facet::Acl => &["s3:GetBucketAcl"],
            Facet::Policy => &["s3:GetBucketPolicy"],
            Facet::PolicyStatus => &["s3:GetBucketPolicyStatus"],
            Facet::PublicAccessBlock => &["s3:GetBucketPublicAccessBlock"],
            Facet::OwnershipControls => &["s3:GetBucketOwnershipControls"],
            Facet::Encryption => &["s3:GetEncryptionConfiguration"],
            Facet::Logging => &["s3:GetBucketLogging"],
            Facet::Versioning => &["s3:GetBucketVersioning"],
            Facet::ObjectLock => &["s3:GetBucketObjectLockConfiguration"],
            Facet::Lifecycle => &["s3:GetLifecycleConfiguration"],
            Facet::Replication => &["s3:GetReplicationConfiguration"],
            Facet::Notifications => &["s3:GetBucketNotification"],
            Facet::Website => &["s3:GetBucketWebsite"],
            Facet::AccessPoints => &["s3:ListAccessPoints", "s3:GetAccessPoint"],
            Facet::Trails => &["cloudtrail:DescribeTrails"],
            Facet::TrailStatus => &["cloudtrail:GetTrailStatus"],
            Facet::TrailEventSelectors => &["cloudtrail:GetEventSelectors"],
            Facet::HostedZones => &["route53:ListHostedZones"],
            Facet::RecordSets => &["route53:ListResourceRecordSets"],
            Facet::PublishToTopic => &["sns:Publish"],
            Facet::AssumeRole => &["sts:AssumeRole"],
            Facet::OrganizationAccounts => &["organizations:ListAccounts"],
            Facet::PutPublicAccessBlock => &["s3:PutBucketPublicAccessBlock"],
            Facet::PutAccountPublicAccessBlock => &["s3:PutAccountPublicAccessBlock"],
            Facet::PutVersioning => &["s3:PutBucketVersioning"],
            Facet::PutEncryption => &["s3:PutEncryptionConfiguration"],
            Facet::PutLogging => &["s3:PutBucketLogging"],
            Facet::PutPolicy => &["s3:PutBucketPolicy"],
            Facet::DeletePolicy => &["s3:DeleteBucketPolicy"],
            Facet::PutAcl => &["s3:PutBucketAcl"],
            Facet::PutOwnershipControls => &["s3:PutBucketOwnershipControls"],
            Facet::ListObjects => &["s3:ListBucket"],
            Facet::ListObjectVersions => &["s3:ListBucketVersions"],
            Facet::GetObject => &["s3:GetObject"],
            Facet::PutObject => &["s3:PutObject"],
            // The job runs as --role-arn, which the caller must be allowed to pass.
            Facet::CreateJob => &["s3:CreateJob", "iam:PassRole"],
            Facet::DescribeJob => &["s3:DescribeJob"],
            Facet::HeadObject => &["s3:GetObject"],
            Facet::HeadObjectVersion => &["s3:GetObjectVersion"],
            Facet::GetObjectAcl => &["s3:GetObjectAcl"],
            Facet::GetObjectTagging => &["s3:GetObjectTagging"],
            Facet::GetObjectRetention => &["s3:GetObjectRetention"],
            Facet::GetObjectLegalHold => &["s3:GetObjectLegalHold"],
            Facet::PutObjectAcl => &["s3:PutObjectAcl"],
            // Copying tags needs the tagging actions, re-applying Object Lock settings the
            // retention ones. S3 calls KMS with the caller's credentials: a KMS target needs
            // kms:GenerateDataKey, a KMS-encrypted source (or a multipart KMS upload)
            // kms:Decrypt, which the key policy must allow too.
            Facet::CopyObject => &[
                "s3:GetObject",
                "s3:PutObject",
                "s3:GetObjectTagging",
                "s3:PutObjectTagging",
                "s3:PutObjectRetention",
                "s3:PutObjectLegalHold",
                "kms:GenerateDataKey",
                "kms:Decrypt",
            ],
            Facet::CreateMultipartUpload => &[
                "s3:PutObject",
                "s3:PutObjectTagging",
                "s3:PutObjectRetention",
                "s3:PutObjectLegalHold",
                "kms:GenerateDataKey",
            ],
            Facet::CompleteMultipartUpload => &["s3:PutObject", "kms:Decrypt"],
            Facet::UploadPartCopy => &[
                "s3:GetObject",
                "s3:PutObject",
                "kms:GenerateDataKey",
                "kms:Decrypt",
            ],
            Facet::AbortMultipartUpload => &["s3:AbortMultipartUpload"],
            Facet::DeleteObjectVersion => &["s3:DeleteObjectVersion"],
            Facet::ListDiscoveredResources => &["config:ListDiscoveredResources"],
            Facet::BatchGetResourceConfig => &["config:BatchGetResourceConfig"],
            Facet::ListAggregateDiscoveredResources => &["config:ListAggregateDiscoveredResources"],
            Facet::BatchGetAggregateResourceConfig => &["config:BatchGetAggregateResourceConfig"],
        }
    }

    /// The error code with which AWS says "this is not configured" (an answer, not a failure).
    pub const fn absent_code(self) -> Option<&'static str> {
        match self {
            Facet::Policy | Facet::PolicyStatus => Some("NoSuchBucketPolicy"),
            Facet::PublicAccessBlock | Facet::AccountPublicAccessBlock => {
                Some("NoSuchPublicAccessBlockConfiguration")
            }
            Facet::OwnershipControls => Some("OwnershipControlsNotFoundError"),
            Facet::Encryption => Some("ServerSideEncryptionConfigurationNotFoundError"),
            Facet::ObjectLock => Some("ObjectLockConfigurationNotFoundError"),
            Facet::GetObjectRetention | Facet::GetObjectLegalHold => {
                Some("NoSuchObjectLockConfiguration")
            }
            Facet::Lifecycle => Some("NoSuchLifecycleConfiguration"),
            Facet::Replication => Some("ReplicationConfigurationNotFoundError"),
            Facet::Website => Some("NoSuchWebsiteConfiguration"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Facet;

    #[test]
    fn services_follow_the_iam_actions() {
        for facet in Facet::ALL {
            let prefix = facet.iam_actions()[0].split(':').next().unwrap();
            let services: &[&str] = match prefix {
                "s3" => &["S3", "S3 Control"],
                "sts" => &["STS"],
                "cloudtrail" => &["CloudTrail"],
                "route53" => &["Route 53"],
                "sns" => &["SNS"],
                "organizations" => &["AWS Organizations"],
                "config" => &["AWS Config"],
                other => panic!("{facet:?}: no service for {other}"),
            };
            assert!(services.contains(&facet.service()), "{facet:?}");
        }
    }

    #[test]
    fn operations_name_one_facet_each() {
        for facet in Facet::ALL {
            assert_eq!(Facet::by_operation(facet.operation()), Some(*facet));
            assert!(!facet.iam_actions().is_empty(), "{facet:?}");
        }
    }
}

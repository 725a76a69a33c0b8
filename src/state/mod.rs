//! The bucket-state cache: everything the checks know about a bucket, fetched lazily.
//!
//! A [`BucketState`] holds one slot per facet (one S3 read API). The first reader fetches it;
//! concurrent readers wait for that one request; later readers get the cached answer. Failures
//! are cached too, so a denied facet costs one request, not one per check that reads it.
//! "Not configured" answers (`NoSuchBucketPolicy`, …) are values (`None`), never errors.
//!
//! This module and [`crate::aws`] are the only code that talks to AWS.

mod fetch;
pub mod model;

use crate::aws::S3Clients;
use crate::error::{FetchError, FetchErrorKind};
use crate::policy::PolicyDocument;
use model::{Acl, LoggingTarget, Versioning};
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// One S3 read API whose answer is cached per bucket. Its IAM action is what a check that
/// reads it needs, which is how `s3tk explain` and error findings name missing permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    /// The account's bucket list (selection by pattern, or every bucket).
    BucketList,
    /// The bucket's region (HeadBucket); every other facet depends on it.
    Region,
    Acl,
    Policy,
    PolicyStatus,
    Logging,
    Versioning,
}

impl Facet {
    /// The S3 API operation that reads the facet.
    pub const fn operation(self) -> &'static str {
        match self {
            Facet::BucketList => "ListBuckets",
            Facet::Region => "HeadBucket",
            Facet::Acl => "GetBucketAcl",
            Facet::Policy => "GetBucketPolicy",
            Facet::PolicyStatus => "GetBucketPolicyStatus",
            Facet::Logging => "GetBucketLogging",
            Facet::Versioning => "GetBucketVersioning",
        }
    }

    /// The IAM action the operation needs.
    pub const fn iam_action(self) -> &'static str {
        match self {
            Facet::BucketList => "s3:ListAllMyBuckets",
            Facet::Region => "s3:ListBucket",
            Facet::Acl => "s3:GetBucketAcl",
            Facet::Policy => "s3:GetBucketPolicy",
            Facet::PolicyStatus => "s3:GetBucketPolicyStatus",
            Facet::Logging => "s3:GetBucketLogging",
            Facet::Versioning => "s3:GetBucketVersioning",
        }
    }

    /// The error code with which S3 says "this is not configured" (an answer, not a failure).
    pub const fn absent_code(self) -> Option<&'static str> {
        match self {
            Facet::Policy | Facet::PolicyStatus => Some("NoSuchBucketPolicy"),
            _ => None,
        }
    }
}

type Slot<T> = OnceCell<Result<T, FetchError>>;

/// Account-wide state shared by every bucket of a run: the S3 clients and the request limit.
/// `None` clients mean offline evaluation (check unit tests): unseeded facets then fail.
pub struct AccountState {
    clients: Option<S3Clients>,
}

impl AccountState {
    pub fn new(clients: S3Clients) -> Arc<Self> {
        Arc::new(AccountState {
            clients: Some(clients),
        })
    }

    pub fn offline() -> Arc<Self> {
        Arc::new(AccountState { clients: None })
    }

    pub fn clients(&self) -> Option<&S3Clients> {
        self.clients.as_ref()
    }
}

/// The lazily fetched state of one bucket.
pub struct BucketState {
    name: String,
    /// The region ListBuckets reported, when it did (real AWS does; emulators may not).
    listed_region: Option<String>,
    account: Arc<AccountState>,
    region: Slot<String>,
    acl: Slot<Acl>,
    policy: Slot<Option<PolicyDocument>>,
    policy_status: Slot<Option<bool>>,
    logging: Slot<Option<LoggingTarget>>,
    versioning: Slot<Versioning>,
}

impl BucketState {
    pub fn new(
        name: impl Into<String>,
        listed_region: Option<String>,
        account: Arc<AccountState>,
    ) -> Self {
        BucketState {
            name: name.into(),
            listed_region,
            account,
            region: OnceCell::new(),
            acl: OnceCell::new(),
            policy: OnceCell::new(),
            policy_status: OnceCell::new(),
            logging: OnceCell::new(),
            versioning: OnceCell::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bucket's region, resolved once (ListBuckets' answer, else HeadBucket).
    pub async fn region(&self) -> Result<&str, FetchError> {
        cached(&self.region, || fetch::region(self))
            .await
            .map(String::as_str)
    }

    /// The region if it has already been resolved successfully (never sends a request).
    pub fn known_region(&self) -> Option<&str> {
        match self.region.get() {
            Some(Ok(r)) => Some(r),
            _ => self.listed_region.as_deref(),
        }
    }

    pub async fn acl(&self) -> Result<&Acl, FetchError> {
        cached(&self.acl, || fetch::acl(self)).await
    }

    /// The bucket policy; `None` when the bucket has none.
    pub async fn policy(&self) -> Result<Option<&PolicyDocument>, FetchError> {
        cached(&self.policy, || fetch::policy(self))
            .await
            .map(Option::as_ref)
    }

    /// AWS's own verdict on the policy (`GetBucketPolicyStatus.IsPublic`); `None` without a policy.
    pub async fn policy_status(&self) -> Result<Option<bool>, FetchError> {
        cached(&self.policy_status, || fetch::policy_status(self))
            .await
            .copied()
    }

    /// Where server access logs go; `None` when logging is off.
    pub async fn logging(&self) -> Result<Option<&LoggingTarget>, FetchError> {
        cached(&self.logging, || fetch::logging(self))
            .await
            .map(Option::as_ref)
    }

    pub async fn versioning(&self) -> Result<&Versioning, FetchError> {
        cached(&self.versioning, || fetch::versioning(self)).await
    }

    fn offline_error(facet: Facet) -> FetchError {
        FetchError::new(facet, FetchErrorKind::Offline)
    }
}

async fn cached<T, F, Fut>(slot: &Slot<T>, fetch: F) -> Result<&T, FetchError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, FetchError>>,
{
    // get_or_init, not get_or_try_init: a failure is cached like a success, so every check
    // that reads a denied facet reports the same error from one request.
    slot.get_or_init(fetch).await.as_ref().map_err(Clone::clone)
}

/// Seeds facets for offline evaluation, so a check's unit tests need no network. Facets not
/// seeded fail with [`FetchErrorKind::Offline`].
pub struct OfflineBucket(BucketState);

impl OfflineBucket {
    pub fn new(name: &str) -> Self {
        let state = BucketState::new(name, Some("us-east-1".into()), AccountState::offline());
        state.region.set(Ok("us-east-1".into())).ok();
        OfflineBucket(state)
    }

    pub fn acl(self, acl: Result<Acl, FetchError>) -> Self {
        self.0.acl.set(acl).ok();
        self
    }

    pub fn policy(self, policy: Result<Option<PolicyDocument>, FetchError>) -> Self {
        self.0.policy.set(policy).ok();
        self
    }

    pub fn policy_status(self, status: Result<Option<bool>, FetchError>) -> Self {
        self.0.policy_status.set(status).ok();
        self
    }

    pub fn logging(self, logging: Result<Option<LoggingTarget>, FetchError>) -> Self {
        self.0.logging.set(logging).ok();
        self
    }

    pub fn versioning(self, versioning: Result<Versioning, FetchError>) -> Self {
        self.0.versioning.set(versioning).ok();
        self
    }

    pub fn build(self) -> BucketState {
        self.0
    }
}

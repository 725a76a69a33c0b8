//! The state cache: everything the checks know about the account and each bucket, fetched
//! lazily.
//!
//! A [`BucketState`] holds one slot per facet (one S3 read API). The first reader fetches it;
//! concurrent readers wait for that one request; later readers get the cached answer. Failures
//! are cached too, so a denied facet costs one request, not one per check that reads it.
//! "Not configured" answers (`NoSuchBucketPolicy`, …) are values (`None`), never errors.
//! [`AccountState`] does the same for account-wide facets (the account id, the account-level
//! Block Public Access), fetched once per run, and shares each bucket's region between every
//! state that asks (a scanned bucket and the same bucket as another's log target).
//!
//! Its reads are sent by `fetch.rs` (live S3 and the other services) and `aws_config.rs` (AWS
//! Config); `snapshot.rs` replays a state file without requests. Writes are elsewhere: the
//! crate docs list every module that sends requests.

pub mod aws_config;
pub(crate) mod fetch;
pub mod snapshot;

use crate::aws::S3Clients;
use crate::error::{FetchError, FetchErrorKind};
use crate::facet::Facet;
use crate::model::{
    AccessPoint, Acl, DefaultEncryption, LifecycleRule, LoggingTarget, Notifications, ObjectLock,
    ObjectOwnership, PublicAccessBlock, ReplicationRule, Versioning, Website,
};
use crate::model::{EventSelectors, Trail};
use crate::policy::PolicyDocument;
use serde::{Deserialize, Serialize};
use snapshot::{AccountFacets, AccountRecord, Answer, BucketRecord, Source};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

type Slot<T> = OnceCell<Result<T, FetchError>>;

/// Slots by key (region, trail ARN), created on first use.
type SlotMap<T> = Mutex<HashMap<String, Arc<Slot<T>>>>;

fn slot_in<T>(map: &SlotMap<T>, key: &str) -> Arc<Slot<T>> {
    let mut slots = map.lock().expect("slot map poisoned");
    Arc::clone(slots.entry(key.to_owned()).or_default())
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

/// Account-wide state shared by every bucket of a run. `None` clients mean offline evaluation
/// (check unit tests): unseeded facets then fail.
pub struct AccountState {
    clients: Option<Arc<S3Clients>>,
    /// For state read from a record: where it came from, the region the scan ran from, when
    /// the account-wide answers were read, and the buckets not yet handed to a [`BucketState`].
    recorded: Option<Recorded>,
    account_id: Slot<String>,
    public_access_block: Slot<Option<PublicAccessBlock>>,
    multi_region_access_points: Slot<Vec<AccessPoint>>,
    /// Each bucket's region slot, shared by every state of that bucket.
    regions: Arc<Mutex<HashMap<String, Arc<Slot<String>>>>>,
    /// The buckets of the account (ListBuckets), for telling owned buckets from others'.
    owned_buckets: Slot<Arc<BTreeSet<String>>>,
    /// The CloudTrail trails that log in each region.
    trails: SlotMap<Arc<Vec<Trail>>>,
    /// Each trail's status and selectors (by ARN), shared by every region it logs in.
    trail_details: SlotMap<(bool, EventSelectors)>,
}

impl AccountState {
    pub fn new(clients: S3Clients) -> Arc<Self> {
        Arc::new(Self::with_clients(Some(Arc::new(clients))))
    }

    /// The same account with its changeable facets forgotten (to verify a change), keeping
    /// the clients, the account id and the bucket regions.
    pub fn fresh(&self) -> AccountState {
        AccountState {
            clients: self.clients.clone(),
            account_id: OnceCell::new_with(self.account_id.get().cloned()),
            public_access_block: OnceCell::new(),
            multi_region_access_points: OnceCell::new(),
            regions: Arc::clone(&self.regions),
            owned_buckets: OnceCell::new(),
            trails: Mutex::default(),
            trail_details: Mutex::default(),
            recorded: None,
        }
    }

    pub fn offline() -> Arc<Self> {
        Arc::new(Self::with_clients(None))
    }

    fn with_clients(clients: Option<Arc<S3Clients>>) -> Self {
        AccountState {
            clients,
            recorded: None,
            account_id: OnceCell::new(),
            public_access_block: OnceCell::new(),
            multi_region_access_points: OnceCell::new(),
            regions: Arc::new(Mutex::new(HashMap::new())),
            owned_buckets: OnceCell::new(),
            trails: Mutex::default(),
            trail_details: Mutex::default(),
        }
    }

    pub fn clients(&self) -> Option<&S3Clients> {
        self.clients.as_deref()
    }

    /// The failure of a facet that cannot be fetched: not in the record the state came from,
    /// or not seeded for offline evaluation.
    pub(crate) fn unavailable(&self, facet: Facet) -> FetchError {
        let kind = match &self.recorded {
            Some(recorded) => FetchErrorKind::NotRecorded {
                by: recorded.source.recorder(),
            },
            None => FetchErrorKind::Offline,
        };
        FetchError::new(facet, kind)
    }

    /// The region the scan runs (or ran) from, where account-wide findings are reported.
    pub fn home_region(&self) -> Option<&str> {
        match (&self.clients, &self.recorded) {
            (Some(clients), _) => Some(clients.default_region()),
            (None, Some(recorded)) => recorded.region.as_deref(),
            (None, None) => None,
        }
    }

    /// State read from a record (a state file or AWS Config): no request is ever sent for it.
    /// Each bucket's answers wait for [`BucketState::new`] of that bucket; facets the record
    /// lacks fail with [`FetchErrorKind::NotRecorded`].
    pub fn from_record(record: AccountRecord) -> Arc<Self> {
        Self::from_records(vec![record]).remove(0)
    }

    /// [`AccountState::from_record`] for several accounts, which share what is known of every
    /// bucket's region: a bucket name is global, and a log target is often in another account.
    pub fn from_records(records: Vec<AccountRecord>) -> Vec<Arc<Self>> {
        let regions = Arc::new(Mutex::new(HashMap::new()));
        records
            .into_iter()
            .map(|record| Self::recorded(record, Arc::clone(&regions)))
            .collect()
    }

    fn recorded(
        record: AccountRecord,
        regions: Arc<Mutex<HashMap<String, Arc<Slot<String>>>>>,
    ) -> Arc<Self> {
        let AccountRecord {
            account_id,
            source,
            region,
            observed_at,
            facets,
            buckets,
        } = record;
        let mut state = Self::with_clients(None);
        state.regions = regions;
        let AccountFacets {
            account_id: id_answer,
            public_access_block,
            multi_region_access_points,
            bucket_list,
            trails,
            bucket_regions,
        } = facets;
        match (id_answer, account_id) {
            (Some(answer), _) => seed(&state.account_id, answer, Facet::AccountId),
            (None, Some(id)) => {
                state.account_id.set(Ok(id)).ok();
            }
            (None, None) => {}
        }
        if let Some(answer) = public_access_block {
            seed(
                &state.public_access_block,
                answer,
                Facet::AccountPublicAccessBlock,
            );
        }
        if let Some(answer) = multi_region_access_points {
            seed(
                &state.multi_region_access_points,
                answer,
                Facet::MultiRegionAccessPoints,
            );
        }
        if let Some(answer) = bucket_list {
            let names = answer.into_result(Facet::BucketList).map(Arc::new);
            state.owned_buckets.set(names).ok();
        }
        for (region, answer) in trails {
            let trails = answer.into_result(Facet::Trails).map(Arc::new);
            let slot = Arc::new(OnceCell::new_with(Some(trails)));
            state.trails.get_mut().expect("new").insert(region, slot);
        }
        for (bucket, answer) in bucket_regions {
            seed(&state.region_slot(&bucket), answer, Facet::Region);
        }
        state.recorded = Some(Recorded {
            source,
            region,
            observed_at,
            pending: Mutex::default(),
        });
        state.add_records(buckets);
        Arc::new(state)
    }

    /// When the account-wide answers were recorded; `None` when they are read live.
    pub fn observed_at(&self) -> Option<&str> {
        self.recorded.as_ref()?.observed_at.as_deref()
    }

    /// Hands more recorded buckets to a state built [`AccountState::from_record`] (a source
    /// that streams them in batches).
    pub fn add_records(&self, buckets: Vec<BucketRecord>) {
        let recorded = self.recorded.as_ref().expect("a recorded account");
        for bucket in &buckets {
            if let Some(answer) = &bucket.region {
                seed(
                    &self.region_slot(&bucket.name),
                    answer.clone(),
                    Facet::Region,
                );
            }
        }
        let mut pending = recorded.pending.lock().expect("pending records");
        pending.extend(buckets.into_iter().map(|b| (b.name.clone(), b)));
    }

    /// The recorded buckets not yet scanned, with the region ListBuckets gave each (for selection).
    pub fn recorded_buckets(&self) -> Vec<(String, Option<String>)> {
        let Some(recorded) = &self.recorded else {
            return Vec::new();
        };
        let pending = recorded.pending.lock().expect("pending records");
        let mut names: Vec<_> = pending
            .values()
            .map(|b| (b.name.clone(), b.listed_region.clone()))
            .collect();
        names.sort();
        names
    }

    /// Everything this state holds that a state file keeps (not its buckets: each bucket's
    /// state records itself, [`BucketState::record`]). `scanned` are the buckets recorded
    /// separately, whose regions stay with them.
    pub fn record(&self, scanned: &BTreeSet<String>) -> AccountRecord {
        let facets = AccountFacets {
            account_id: self.account_id.get().and_then(Answer::of),
            public_access_block: self.public_access_block.get().and_then(Answer::of),
            multi_region_access_points: self.multi_region_access_points.get().and_then(Answer::of),
            bucket_list: self.owned_buckets.get().and_then(|names| {
                Answer::of(
                    &names
                        .as_ref()
                        .map(|n| n.as_ref().clone())
                        .map_err(Clone::clone),
                )
            }),
            trails: recorded_map(&self.trails, |trails| trails.as_ref().clone()),
            bucket_regions: {
                let regions = self.regions.lock().expect("region map poisoned");
                regions
                    .iter()
                    .filter(|(name, _)| !scanned.contains(*name))
                    .filter_map(|(name, slot)| Some((name.clone(), Answer::of(slot.get()?)?)))
                    .collect()
            },
        };
        let account_id = match self.account_id.get() {
            Some(Ok(id)) => Some(id.clone()),
            _ => None,
        };
        let recorded = self.recorded.as_ref();
        AccountRecord {
            account_id,
            source: recorded.map_or(Source::S3, |r| r.source),
            region: self.home_region().map(str::to_owned),
            observed_at: match recorded {
                Some(r) => r.observed_at.clone(),
                None => Some(crate::clock::now_rfc3339()),
            },
            facets,
            buckets: Vec::new(),
        }
    }

    /// The account of the credentials (STS GetCallerIdentity), once per run.
    pub async fn account_id(&self) -> Result<&str, FetchError> {
        cached(&self.account_id, || fetch::account_id(self))
            .await
            .map(String::as_str)
    }

    /// The account-level Block Public Access (S3 Control), once per run; `None` when unset.
    pub async fn public_access_block(&self) -> Result<&Option<PublicAccessBlock>, FetchError> {
        cached(&self.public_access_block, || {
            fetch::account_public_access_block(self)
        })
        .await
    }

    /// The account's Multi-Region Access Points with their Block Public Access, once per run.
    pub async fn multi_region_access_points(&self) -> Result<&Vec<AccessPoint>, FetchError> {
        cached(&self.multi_region_access_points, || {
            fetch::multi_region_access_points(self)
        })
        .await
    }

    /// Takes the account's bucket list (name, listed region) from a ListBuckets sent for
    /// another purpose (selecting buckets), so [`AccountState::owned_buckets`] does not send
    /// it again.
    pub fn know_bucket_list(&self, listed: &[(String, Option<String>)]) {
        for (name, region) in listed {
            if let Some(region) = region {
                self.region_slot(name).set(Ok(region.clone())).ok();
            }
        }
        let names = listed.iter().map(|(name, _)| name.clone()).collect();
        self.owned_buckets.set(Ok(Arc::new(names))).ok();
    }

    /// The account's bucket list if this run has it already (from bucket selection, or a
    /// record), without listing: a scan of named buckets never lists.
    pub fn listed_buckets(&self) -> Option<Result<Arc<BTreeSet<String>>, FetchError>> {
        self.owned_buckets.get().cloned()
    }

    /// The names of the account's buckets (ListBuckets), once per run.
    pub async fn owned_buckets(&self) -> Result<Arc<BTreeSet<String>>, FetchError> {
        cached(&self.owned_buckets, || fetch::owned_buckets(self))
            .await
            .cloned()
    }

    /// The CloudTrail trails that log in `region`, with their status and selectors; fetched at
    /// most once per region (and each trail's details once per run).
    pub async fn trails(&self, region: &str) -> Result<Arc<Vec<Trail>>, FetchError> {
        let slot = slot_in(&self.trails, region);
        cached(&slot, || fetch::trails(self, region)).await.cloned()
    }

    /// A trail's `IsLogging` and event selectors, asked of its home region.
    pub(crate) async fn trail_details(
        &self,
        arn: &str,
        home_region: &str,
    ) -> Result<(bool, EventSelectors), FetchError> {
        let slot = slot_in(&self.trail_details, arn);
        cached(&slot, || fetch::trail_details(self, arn, home_region))
            .await
            .cloned()
    }

    /// The shared region slot of a bucket.
    fn region_slot(&self, bucket: &str) -> Arc<Slot<String>> {
        let mut regions = self.regions.lock().expect("region map poisoned");
        Arc::clone(regions.entry(bucket.to_owned()).or_default())
    }

    /// The region of any bucket by name, resolved at most once per run (HeadBucket);
    /// `FetchErrorKind::NoSuchBucket` when it does not exist.
    pub async fn bucket_region(&self, bucket: &str) -> Result<String, FetchError> {
        let slot = self.region_slot(bucket);
        cached(&slot, || fetch::region(self, bucket, None))
            .await
            .cloned()
    }
}

/// Where a recorded account's state came from, and its buckets not yet scanned.
struct Recorded {
    source: Source,
    region: Option<String>,
    observed_at: Option<String>,
    pending: Mutex<HashMap<String, BucketRecord>>,
}

/// Fills an empty slot with a recorded answer.
fn seed<T>(slot: &Slot<T>, answer: Answer<T>, facet: Facet) {
    slot.set(answer.into_result(facet)).ok();
}

/// The recorded answers of a map of slots (trails by region).
fn recorded_map<T, V: Clone>(
    map: &SlotMap<T>,
    value: impl Fn(&T) -> V,
) -> BTreeMap<String, Answer<V>> {
    let slots = map.lock().expect("slot map poisoned");
    slots
        .iter()
        .filter_map(|(key, slot)| {
            let result = slot.get()?.as_ref().map(&value).map_err(Clone::clone);
            Some((key.clone(), Answer::of(&result)?))
        })
        .collect()
}

/// Declares the per-bucket facets: the slot, the cached accessor, the offline seeder, and the
/// facet's record in a state file (named as the accessor).
macro_rules! bucket_facets {
    ($($(#[$doc:meta])* $name:ident: $ty:ty = $fetch:path, $facet:expr;)*) => {
        #[derive(Default)]
        struct BucketFacets {
            $($name: Slot<$ty>,)*
        }

        /// A bucket's recorded facets ([`snapshot`]): those the scan read.
        #[derive(Debug, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct BucketFacetRecords {
            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<Answer<$ty>>,
            )*
        }

        impl BucketFacets {
            fn record(&self) -> BucketFacetRecords {
                BucketFacetRecords {
                    $($name: self.$name.get().and_then(Answer::of),)*
                }
            }

            fn seed(&self, records: BucketFacetRecords) {
                $(
                    if let Some(answer) = records.$name {
                        seed(&self.$name, answer, $facet);
                    }
                )*
            }
        }

        impl BucketState {
            $(
                $(#[$doc])*
                pub async fn $name(&self) -> Result<&$ty, FetchError> {
                    cached(&self.facets.$name, || $fetch(self)).await
                }
            )*
        }

        impl OfflineBucket {
            $(
                pub fn $name(self, value: Result<$ty, FetchError>) -> Self {
                    self.0.facets.$name.set(value).ok();
                    self
                }
            )*
        }
    };
}

bucket_facets! {
    acl: Acl = fetch::acl, Facet::Acl;
    /// The bucket policy; `None` when the bucket has none.
    policy: Option<PolicyDocument> = fetch::policy, Facet::Policy;
    /// AWS's own verdict on the policy (`GetBucketPolicyStatus.IsPublic`); `None` without a policy.
    policy_status: Option<bool> = fetch::policy_status, Facet::PolicyStatus;
    /// The bucket-level Block Public Access; `None` when the bucket has no configuration.
    public_access_block: Option<PublicAccessBlock> = fetch::public_access_block, Facet::PublicAccessBlock;
    /// Object Ownership; `None` when not configured (which behaves as `ObjectWriter`).
    ownership_controls: Option<ObjectOwnership> = fetch::ownership_controls, Facet::OwnershipControls;
    /// The default encryption rule; `None` when there is none (emulators; pre-2023 buckets).
    encryption: Option<DefaultEncryption> = fetch::encryption, Facet::Encryption;
    /// Where server access logs go; `None` when logging is off.
    logging: Option<LoggingTarget> = fetch::logging, Facet::Logging;
    versioning: Versioning = fetch::versioning, Facet::Versioning;
    /// Object Lock; `None` when the bucket has none.
    object_lock: Option<ObjectLock> = fetch::object_lock, Facet::ObjectLock;
    /// Lifecycle rules; `None` when the bucket has no lifecycle configuration.
    lifecycle: Option<Vec<LifecycleRule>> = fetch::lifecycle, Facet::Lifecycle;
    /// Replication rules; `None` when the bucket does not replicate.
    replication: Option<Vec<ReplicationRule>> = fetch::replication, Facet::Replication;
    notifications: Notifications = fetch::notifications, Facet::Notifications;
    /// Static website hosting; `None` when off.
    website: Option<Website> = fetch::website, Facet::Website;
    /// The bucket's access points.
    access_points: Vec<AccessPoint> = fetch::access_points, Facet::AccessPoints;
}

/// The lazily fetched state of one bucket.
pub struct BucketState {
    name: String,
    /// The region ListBuckets reported, when it did (real AWS does; emulators may not).
    listed_region: Option<String>,
    account: Arc<AccountState>,
    region: Arc<Slot<String>>,
    facets: BucketFacets,
    /// When the recorded answers were read or captured; `None` for a live read (now).
    observed_at: Option<String>,
}

impl BucketState {
    pub fn new(
        name: impl Into<String>,
        listed_region: Option<String>,
        account: Arc<AccountState>,
    ) -> Self {
        let name = name.into();
        let record = account
            .recorded
            .as_ref()
            .and_then(|r| r.pending.lock().expect("pending records").remove(&name));
        let facets = BucketFacets::default();
        let mut observed_at = None;
        let mut listed_region = listed_region;
        if let Some(record) = record {
            facets.seed(record.facets);
            observed_at = record.observed_at;
            listed_region = listed_region.or(record.listed_region);
        }
        BucketState {
            region: account.region_slot(&name),
            name,
            listed_region,
            account,
            facets,
            observed_at,
        }
    }

    /// When the answers this state holds were recorded (a state file, an AWS Config item's
    /// capture time); `None` when they are read live.
    pub fn observed_at(&self) -> Option<&str> {
        self.observed_at.as_deref()
    }

    /// What this state has read, for a state file.
    pub fn record(&self) -> BucketRecord {
        BucketRecord {
            name: self.name.clone(),
            // A live read happened now; a recorded one keeps its time, or its lack of one.
            observed_at: match self.account.recorded {
                Some(_) => self.observed_at.clone(),
                None => Some(crate::clock::now_rfc3339()),
            },
            listed_region: self.listed_region.clone(),
            region: self.region.get().and_then(Answer::of),
            facets: self.facets.record(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The account-wide state this bucket belongs to.
    pub fn account(&self) -> &AccountState {
        &self.account
    }

    /// The bucket's region, resolved once (ListBuckets' answer, else HeadBucket).
    pub async fn region(&self) -> Result<&str, FetchError> {
        cached(&self.region, || {
            fetch::region(&self.account, &self.name, self.listed_region.as_deref())
        })
        .await
        .map(String::as_str)
    }

    /// The CloudTrail trails that log in the bucket's region.
    pub async fn trails(&self) -> Result<Arc<Vec<Trail>>, FetchError> {
        let region = self.region().await?;
        self.account.trails(region).await
    }

    /// The region if it has already been resolved successfully (never sends a request).
    pub fn known_region(&self) -> Option<&str> {
        match self.region.get() {
            Some(Ok(r)) => Some(r),
            _ => self.listed_region.as_deref(),
        }
    }
}

/// Seeds facets for offline evaluation, so a check's unit tests need no network. Facets not
/// seeded fail with [`FetchErrorKind::Offline`].
pub struct OfflineBucket(BucketState);

impl OfflineBucket {
    pub fn new(name: &str) -> Self {
        Self::in_account(name, AccountState::offline())
    }

    /// A bucket of an offline account seeded with [`OfflineAccount`].
    pub fn in_account(name: &str, account: Arc<AccountState>) -> Self {
        let state = BucketState::new(name, Some("us-east-1".into()), account);
        state.region.set(Ok("us-east-1".into())).ok();
        OfflineBucket(state)
    }

    pub fn build(self) -> BucketState {
        self.0
    }
}

/// Seeds account facets for offline evaluation.
pub struct OfflineAccount(AccountState);

impl OfflineAccount {
    pub fn new() -> Self {
        OfflineAccount(AccountState::with_clients(None))
    }

    pub fn account_id(self, id: Result<String, FetchError>) -> Self {
        self.0.account_id.set(id).ok();
        self
    }

    pub fn public_access_block(self, pab: Result<Option<PublicAccessBlock>, FetchError>) -> Self {
        self.0.public_access_block.set(pab).ok();
        self
    }

    pub fn multi_region_access_points(self, points: Result<Vec<AccessPoint>, FetchError>) -> Self {
        self.0.multi_region_access_points.set(points).ok();
        self
    }

    /// The trails that log in `region`.
    pub fn trails(self, region: &str, trails: Result<Vec<Trail>, FetchError>) -> Self {
        let slot = Arc::new(OnceCell::new_with(Some(trails.map(Arc::new))));
        self.0
            .trails
            .lock()
            .unwrap()
            .insert(region.to_owned(), slot);
        self
    }

    /// The account's bucket names.
    pub fn owned_buckets(self, names: &[&str]) -> Self {
        let names = names.iter().map(|n| n.to_string()).collect();
        self.0.owned_buckets.set(Ok(Arc::new(names))).ok();
        self
    }

    /// Records another bucket's region (`Err` with `NoSuchBucket` for a missing bucket).
    pub fn bucket_region(self, bucket: &str, region: Result<String, FetchError>) -> Self {
        self.0.region_slot(bucket).set(region).ok();
        self
    }

    pub fn build(self) -> Arc<AccountState> {
        Arc::new(self.0)
    }
}

impl Default for OfflineAccount {
    fn default() -> Self {
        Self::new()
    }
}

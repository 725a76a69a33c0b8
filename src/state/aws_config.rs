//! AWS Config as a source of bucket state (`scan --from-aws-config [--aggregator NAME]`).
//!
//! [`ConfigSource::open`] lists the recorded `AWS::S3::Bucket` resources (ListDiscoveredResources
//! in the caller's region, or ListAggregateDiscoveredResources across an aggregator's accounts
//! and regions) and keeps only their identifiers; [`ConfigSource::next_batch`] reads the
//! configuration items of the next 100 (one BatchGet(Aggregate)ResourceConfig request) and maps
//! each onto a [`BucketRecord`], so memory stays flat in the number of buckets.
//!
//! # The configuration item
//!
//! Field names follow the AWS Config resource schema for `AWS::S3::Bucket`
//! (awslabs/aws-config-resource-schema, `config/properties/resource-types/AWS::S3::Bucket.properties.json`)
//! and the items AWS Config returns for buckets (as recorded in cloud-custodian's
//! `tests/data/config/s3*.json` and normalised by its `c7n/resources/s3.py` `ConfigS3`). Each
//! `supplementaryConfiguration` value is a JSON string; `AccessControlList` is encoded twice.
//!
//! | Config key                            | facet                | key absent means |
//! |---------------------------------------|----------------------|------------------|
//! | `AccessControlList`                   | `acl`                | not recorded     |
//! | `BucketPolicy.policyText` (null: none)| `policy`             | not recorded     |
//! | `BucketLoggingConfiguration`          | `logging`            | not recorded     |
//! | `BucketVersioningConfiguration`       | `versioning`         | not recorded     |
//! | `BucketNotificationConfiguration`     | `notifications`      | not recorded     |
//! | `ServerSideEncryptionConfiguration`   | `encryption`         | not recorded     |
//! | `PublicAccessBlockConfiguration`      | `public_access_block`| not configured   |
//! | `BucketLifecycleConfiguration`        | `lifecycle`          | not configured   |
//! | `BucketReplicationConfiguration`      | `replication`        | not configured   |
//! | `BucketWebsiteConfiguration`          | `website`            | not configured   |
//! | `ObjectLockConfiguration`             | `object_lock`        | not configured   |
//!
//! AWS Config writes the first five keys for every bucket, with null values when nothing is
//! configured (`{"policyText":null}`, `{"status":"Off",…}`), so their absence means the item does
//! not hold them. Every bucket has had default encryption since January 2023, so an item without
//! `ServerSideEncryptionConfiguration` did not record it either. The last five keys are written
//! only when the bucket has that configuration; their absence reads as "not configured", but
//! only in an item that holds the always-written keys (a sign that its supplementary
//! configuration was recorded at all); otherwise they too are not recorded. "Not configured"
//! never turns into a pass except for `website` (hosting off), which Config records whenever
//! hosting is on. Config does not record GetBucketPolicyStatus, the Object Ownership setting or
//! the bucket's access points: those facets stay absent and their checks are explicit skips.
//! Tags (`BucketTaggingConfiguration`), acceleration and requester-pays are not facets.
//!
//! The account-level Block Public Access is the `AWS::S3::AccountPublicAccessBlock` resource
//! (its id is the account id); when it is not recorded, that facet stays absent too.
//!
//! # Failures
//!
//! One item that makes Config fail must not cost the other 99 of its batch: on a server error
//! (after the SDK's retries) the batch is split in halves, recursively, and a single bucket
//! that still fails becomes a record whose Config-recorded facets are all that error.
//! `unprocessedResourceKeys` are asked again (at most [`UNPROCESSED_ROUNDS`] times).

use super::snapshot::{AccountFacets, AccountRecord, Answer, BucketRecord, RecordedError, Source};
use crate::aws::{S3Clients, classify};
use crate::error::{FetchError, FetchErrorKind};
use crate::facet::Facet;
use crate::model::{
    Acl, DefaultEncryption, Grant, Grantee, LifecycleRule, LoggingTarget, Notifications,
    ObjectLock, PublicAccessBlock, ReplicationRule, Versioning, VersioningStatus, Website,
};
use crate::policy::PolicyDocument;
use aws_sdk_config::error::ProvideErrorMetadata;
use aws_sdk_config::types::{
    AggregateResourceIdentifier, BaseConfigurationItem, ResourceKey, ResourceType,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

const BUCKET_TYPE: &str = "AWS::S3::Bucket";
const ACCOUNT_PAB_TYPE: &str = "AWS::S3::AccountPublicAccessBlock";
/// BatchGet(Aggregate)ResourceConfig takes at most 100 keys.
const BATCH: usize = 100;
/// How many times keys that Config left unprocessed are asked again.
pub const UNPROCESSED_ROUNDS: usize = 3;

/// One recorded resource, as listed: all that is held between batches.
#[derive(Debug, Clone)]
struct Key {
    /// The source account (aggregators); `None` for the caller's own account.
    account: Option<String>,
    /// The source region (aggregators).
    region: Option<String>,
    id: String,
    name: String,
}

/// What is known of one account before its buckets are read.
#[derive(Debug, Default)]
struct AccountSeen {
    region: Option<String>,
    /// Each listed bucket's region (the item's source region; the caller's for its own).
    buckets: BTreeMap<String, String>,
    public_access_block: Option<Answer<Option<PublicAccessBlock>>>,
}

/// The recorded buckets of one account (or of an aggregator's accounts), read batch by batch.
pub struct ConfigSource {
    client: aws_sdk_config::Client,
    aggregator: Option<String>,
    /// The caller's account, for items of a non-aggregated query.
    own_account: Option<String>,
    pending: VecDeque<Key>,
    accounts: BTreeMap<String, AccountSeen>,
    requests: usize,
}

impl ConfigSource {
    /// Lists every recorded AWS::S3::Bucket (all pages; the aggregate variant across accounts
    /// and regions when `aggregator` is Some), and reads account-level Block Public Access
    /// items (AWS::S3::AccountPublicAccessBlock) if recorded.
    pub async fn open(
        clients: &S3Clients,
        aggregator: Option<&str>,
    ) -> Result<ConfigSource, FetchError> {
        let region = clients.default_region().to_owned();
        let mut source = ConfigSource {
            client: clients.config(&region),
            aggregator: aggregator.map(str::to_owned),
            own_account: None,
            pending: VecDeque::new(),
            accounts: BTreeMap::new(),
            requests: 0,
        };
        let buckets = source.list(BUCKET_TYPE).await?;
        if source.aggregator.is_none() {
            // ListDiscoveredResources does not name the account; its items do, but the accounts
            // are needed before the first batch.
            source.requests += 1;
            let id = clients
                .sts()
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| classify(Facet::AccountId, e))?
                .account()
                .map(str::to_owned)
                .ok_or_else(|| {
                    FetchError::new(
                        Facet::AccountId,
                        FetchErrorKind::Malformed {
                            detail: "the answer has no Account".into(),
                        },
                    )
                })?;
            let seen = source.accounts.entry(id.clone()).or_default();
            seen.region = Some(region.clone());
            source.own_account = Some(id);
        }
        for key in &buckets {
            let account = source.account_of(key);
            let seen = source.accounts.entry(account).or_default();
            seen.region = seen.region.take().or_else(|| key.region.clone());
            let bucket_region = key.region.clone().unwrap_or_else(|| region.clone());
            seen.buckets.insert(key.name.clone(), bucket_region);
        }
        source.pending = buckets.into();
        source.read_account_public_access_blocks().await?;
        Ok(source)
    }

    /// One AccountRecord per account seen (source AwsConfig, account_id, region = the caller's
    /// default region or the account's first item's region, facets.bucket_list = the names of
    /// that account's recorded buckets, facets.public_access_block when Config records it,
    /// buckets empty).
    pub fn accounts(&self) -> Vec<AccountRecord> {
        self.accounts
            .iter()
            .map(|(id, seen)| AccountRecord {
                account_id: Some(id.clone()),
                source: Source::AwsConfig,
                region: seen.region.clone(),
                observed_at: None,
                facets: AccountFacets {
                    account_id: Some(Answer(Ok(id.clone()))),
                    public_access_block: seen.public_access_block.clone(),
                    bucket_list: Some(Answer(Ok(seen.buckets.keys().cloned().collect()))),
                    // Known before any batch, so a log target read in a later batch (or in
                    // another account) is known to exist.
                    bucket_regions: seen
                        .buckets
                        .iter()
                        .map(|(name, region)| (name.clone(), Answer(Ok(region.clone()))))
                        .collect(),
                    ..AccountFacets::default()
                },
                buckets: Vec::new(),
            })
            .collect()
    }

    /// The next ≤100 buckets' records with their account id: one BatchGet(Aggregate)ResourceConfig
    /// request per batch normally. None when done.
    pub async fn next_batch(&mut self) -> Option<Vec<(String, BucketRecord)>> {
        if self.pending.is_empty() {
            return None;
        }
        let take = self.pending.len().min(BATCH);
        let keys: Vec<Key> = self.pending.drain(..take).collect();
        let mut records = Vec::with_capacity(keys.len());
        self.read_buckets(keys, &mut records).await;
        Some(records)
    }

    /// Keeps only the buckets `keep` names: the others' items are never read.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.pending.retain(|key| keep(&key.name));
    }

    /// Requests sent so far.
    pub fn requests(&self) -> usize {
        self.requests
    }

    fn list_facet(&self) -> Facet {
        match self.aggregator {
            Some(_) => Facet::ListAggregateDiscoveredResources,
            None => Facet::ListDiscoveredResources,
        }
    }

    fn batch_facet(&self) -> Facet {
        match self.aggregator {
            Some(_) => Facet::BatchGetAggregateResourceConfig,
            None => Facet::BatchGetResourceConfig,
        }
    }

    fn account_of(&self, key: &Key) -> String {
        key.account
            .clone()
            .or_else(|| self.own_account.clone())
            .unwrap_or_default()
    }

    /// Every recorded resource of `resource_type`, following `nextToken`.
    async fn list(&mut self, resource_type: &str) -> Result<Vec<Key>, FetchError> {
        let facet = self.list_facet();
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            self.requests += 1;
            let next = match &self.aggregator {
                Some(name) => {
                    let page = self
                        .client
                        .list_aggregate_discovered_resources()
                        .configuration_aggregator_name(name)
                        .resource_type(ResourceType::from(resource_type))
                        .limit(100)
                        .set_next_token(token.take())
                        .send()
                        .await
                        .map_err(|e| self.open_error(facet, e))?;
                    keys.extend(page.resource_identifiers().iter().map(|r| Key {
                        account: Some(r.source_account_id().to_owned()),
                        region: Some(r.source_region().to_owned()),
                        id: r.resource_id().to_owned(),
                        name: r.resource_name().unwrap_or(r.resource_id()).to_owned(),
                    }));
                    page.next_token().map(str::to_owned)
                }
                None => {
                    let page = self
                        .client
                        .list_discovered_resources()
                        .resource_type(ResourceType::from(resource_type))
                        .limit(100)
                        .set_next_token(token.take())
                        .send()
                        .await
                        .map_err(|e| self.open_error(facet, e))?;
                    keys.extend(page.resource_identifiers().iter().filter_map(|r| {
                        let id = r.resource_id()?;
                        Some(Key {
                            account: None,
                            region: None,
                            id: id.to_owned(),
                            name: r.resource_name().unwrap_or(id).to_owned(),
                        })
                    }));
                    page.next_token().map(str::to_owned)
                }
            };
            match next {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(keys),
            }
        }
    }

    /// A listing error in words: the aggregator that does not exist, Config not recording.
    fn open_error<E>(
        &self,
        facet: Facet,
        err: aws_sdk_config::error::SdkError<E, aws_sdk_config::config::http::HttpResponse>,
    ) -> FetchError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let explained = match err.code() {
            Some(code @ "NoSuchConfigurationAggregatorException") => Some((
                code,
                format!(
                    "AWS Config has no configuration aggregator named '{}' in this region",
                    self.aggregator.as_deref().unwrap_or_default()
                ),
            )),
            Some(code @ "NoAvailableConfigurationRecorderException") => Some((
                code,
                "AWS Config is not recording in this region (no configuration recorder); \
                 turn recording on, or name an aggregator"
                    .to_owned(),
            )),
            _ => None,
        };
        match explained {
            Some((code, message)) => FetchError::new(
                facet,
                FetchErrorKind::Service {
                    code: Some(code.to_owned()),
                    status: None,
                    message: Some(message),
                },
            ),
            None => classify(facet, err),
        }
    }

    /// The account-level Block Public Access of each account, when Config records it. A failure
    /// here is the facet's recorded answer, not a failure of the whole source.
    async fn read_account_public_access_blocks(&mut self) -> Result<(), FetchError> {
        let keys = match self.list(ACCOUNT_PAB_TYPE).await {
            Ok(keys) => keys,
            Err(e) => {
                let answer = Answer(Err(RecordedError::from(&e)));
                for seen in self.accounts.values_mut() {
                    seen.public_access_block = Some(answer.clone());
                }
                return Ok(());
            }
        };
        // One item per account is enough: the setting is account-wide.
        let mut seen_accounts = BTreeSet::new();
        let keys: Vec<Key> = keys
            .into_iter()
            .filter(|k| seen_accounts.insert(self.account_of(k)))
            .collect();
        for chunk in keys.chunks(BATCH) {
            match self.batch_get(ACCOUNT_PAB_TYPE, chunk).await {
                Ok((items, _)) => {
                    for item in items {
                        let account = item
                            .account_id()
                            .map(str::to_owned)
                            .or_else(|| item.resource_id().map(str::to_owned))
                            .or_else(|| self.own_account.clone())
                            .unwrap_or_default();
                        let answer = match account_public_access_block(item.configuration()) {
                            Ok(pab) => Answer(Ok(Some(pab))),
                            Err(detail) => {
                                Answer(Err(malformed(Facet::AccountPublicAccessBlock, detail)))
                            }
                        };
                        self.accounts
                            .entry(account)
                            .or_default()
                            .public_access_block = Some(answer);
                    }
                }
                Err(e) => {
                    let answer = Answer(Err(RecordedError::from(&e)));
                    for key in chunk {
                        let account = self.account_of(key);
                        self.accounts
                            .entry(account)
                            .or_default()
                            .public_access_block = Some(answer.clone());
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads `keys`' items into `out`, splitting the batch on server errors.
    async fn read_buckets(&mut self, keys: Vec<Key>, out: &mut Vec<(String, BucketRecord)>) {
        let mut wanted = keys;
        for _ in 0..=UNPROCESSED_ROUNDS {
            if wanted.is_empty() {
                return;
            }
            match self.batch_get(BUCKET_TYPE, &wanted).await {
                Ok((items, unprocessed)) => {
                    let mut by_id: HashMap<&str, &Key> =
                        wanted.iter().map(|k| (k.id.as_str(), k)).collect();
                    for item in &items {
                        let id = item.resource_id().unwrap_or_default();
                        let key = by_id.remove(id);
                        let account = item
                            .account_id()
                            .map(str::to_owned)
                            .or_else(|| key.map(|k| self.account_of(k)))
                            .unwrap_or_default();
                        out.push((account, bucket_record(item)));
                    }
                    let unprocessed: BTreeSet<String> = unprocessed.into_iter().collect();
                    let (again, missing): (Vec<&Key>, Vec<&Key>) = by_id
                        .into_values()
                        .partition(|k| unprocessed.contains(&k.id));
                    for key in missing {
                        out.push((
                            self.account_of(key),
                            failed_record(
                                key,
                                FetchErrorKind::Service {
                                    code: Some("ResourceNotDiscovered".into()),
                                    status: None,
                                    message: Some(
                                        "AWS Config returned no configuration item for the bucket"
                                            .into(),
                                    ),
                                },
                            ),
                        ));
                    }
                    wanted = again.into_iter().cloned().collect();
                }
                Err(e) if is_server_error(&e) && wanted.len() > 1 => {
                    let second = wanted.split_off(wanted.len() / 2);
                    Box::pin(self.read_buckets(wanted, out)).await;
                    Box::pin(self.read_buckets(second, out)).await;
                    return;
                }
                Err(e) => {
                    let kind = per_bucket(&e);
                    for key in &wanted {
                        out.push((self.account_of(key), failed_record(key, kind.clone())));
                    }
                    return;
                }
            }
        }
        for key in &wanted {
            let kind = FetchErrorKind::Service {
                code: Some("UnprocessedResourceKeys".into()),
                status: None,
                message: Some(format!(
                    "AWS Config left the bucket unprocessed {} times",
                    UNPROCESSED_ROUNDS + 1
                )),
            };
            out.push((self.account_of(key), failed_record(key, kind)));
        }
    }

    /// One BatchGet(Aggregate)ResourceConfig: the items, and the ids Config left unprocessed.
    async fn batch_get(
        &mut self,
        resource_type: &str,
        keys: &[Key],
    ) -> Result<(Vec<BaseConfigurationItem>, Vec<String>), FetchError> {
        let facet = self.batch_facet();
        self.requests += 1;
        match &self.aggregator {
            Some(name) => {
                let identifiers = keys
                    .iter()
                    .map(|k| {
                        AggregateResourceIdentifier::builder()
                            .source_account_id(k.account.clone().unwrap_or_default())
                            .source_region(k.region.clone().unwrap_or_default())
                            .resource_id(&k.id)
                            .resource_name(&k.name)
                            .resource_type(ResourceType::from(resource_type))
                            .build()
                            .expect("every required field is set")
                    })
                    .collect();
                let out = self
                    .client
                    .batch_get_aggregate_resource_config()
                    .configuration_aggregator_name(name)
                    .set_resource_identifiers(Some(identifiers))
                    .send()
                    .await
                    .map_err(|e| batch_error(facet, e))?;
                let unprocessed = out
                    .unprocessed_resource_identifiers()
                    .iter()
                    .map(|r| r.resource_id().to_owned())
                    .collect();
                Ok((
                    out.base_configuration_items.unwrap_or_default(),
                    unprocessed,
                ))
            }
            None => {
                let resource_keys = keys
                    .iter()
                    .map(|k| {
                        ResourceKey::builder()
                            .resource_type(ResourceType::from(resource_type))
                            .resource_id(&k.id)
                            .build()
                            .expect("every required field is set")
                    })
                    .collect();
                let out = self
                    .client
                    .batch_get_resource_config()
                    .set_resource_keys(Some(resource_keys))
                    .send()
                    .await
                    .map_err(|e| batch_error(facet, e))?;
                let unprocessed = out
                    .unprocessed_resource_keys()
                    .iter()
                    .map(|k| k.resource_id().to_owned())
                    .collect();
                Ok((
                    out.base_configuration_items.unwrap_or_default(),
                    unprocessed,
                ))
            }
        }
    }
}

/// A BatchGet's error; a 5xx answer whose body is not AWS Config's JSON (an emulator's HTML
/// error page) is still a server error, not malformed data.
fn batch_error<E>(
    facet: Facet,
    err: aws_sdk_config::error::SdkError<E, aws_sdk_config::config::http::HttpResponse>,
) -> FetchError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let error = classify(facet, err);
    match (status, &error.kind) {
        (Some(status @ 500..=599), FetchErrorKind::Malformed { .. }) => FetchError::new(
            facet,
            FetchErrorKind::Service {
                code: None,
                status: Some(status),
                message: None,
            },
        ),
        _ => error,
    }
}

/// A 5xx answer (the SDK has already retried it): worth splitting the batch.
fn is_server_error(e: &FetchError) -> bool {
    matches!(
        e.kind,
        FetchErrorKind::Service {
            status: Some(500..=599),
            ..
        }
    )
}

/// A failed BatchGet as each bucket's facets record it: the error names AWS Config's
/// operation, not the S3 read the facet stands for.
fn per_bucket(e: &FetchError) -> FetchErrorKind {
    let (code, status) = match &e.kind {
        FetchErrorKind::Service { code, status, .. } => (code.clone(), *status),
        FetchErrorKind::Throttled { code, .. } => (Some(code.clone()), None),
        FetchErrorKind::CredentialsRejected { code } => (Some(code.clone()), None),
        FetchErrorKind::AccessDenied => (Some("AccessDenied".into()), None),
        _ => (None, None),
    };
    FetchErrorKind::Service {
        code,
        status,
        message: Some(format!(
            "AWS Config could not return the bucket's item: {e}"
        )),
    }
}

fn malformed(facet: Facet, detail: String) -> RecordedError {
    RecordedError::from(&FetchError::new(
        facet,
        FetchErrorKind::Malformed { detail },
    ))
}

/// A bucket whose item could not be read: every facet Config records is that error (an
/// `error` finding, never a missing bucket or a skip).
fn failed_record(key: &Key, kind: FetchErrorKind) -> BucketRecord {
    fn err<T>(facet: Facet, kind: &FetchErrorKind) -> Option<Answer<T>> {
        Some(Answer(Err(RecordedError::from(&FetchError::new(
            facet,
            kind.clone(),
        )))))
    }
    let mut record = BucketRecord::new(&key.name);
    record.listed_region = key.region.clone();
    let f = &mut record.facets;
    f.acl = err(Facet::Acl, &kind);
    f.policy = err(Facet::Policy, &kind);
    f.public_access_block = err(Facet::PublicAccessBlock, &kind);
    f.encryption = err(Facet::Encryption, &kind);
    f.logging = err(Facet::Logging, &kind);
    f.versioning = err(Facet::Versioning, &kind);
    f.object_lock = err(Facet::ObjectLock, &kind);
    f.lifecycle = err(Facet::Lifecycle, &kind);
    f.replication = err(Facet::Replication, &kind);
    f.notifications = err(Facet::Notifications, &kind);
    f.website = err(Facet::Website, &kind);
    record
}

/// The account-level Block Public Access item's `configuration`.
fn account_public_access_block(configuration: Option<&str>) -> Result<PublicAccessBlock, String> {
    let value: Value = serde_json::from_str(configuration.unwrap_or("null"))
        .map_err(|e| format!("the configuration is not JSON: {e}"))?;
    if !value.is_object() {
        return Err("the configuration is not an object".into());
    }
    Ok(public_access_block(&value))
}

/// A configuration item of an `AWS::S3::Bucket`, mapped onto a [`BucketRecord`].
pub fn bucket_record(item: &BaseConfigurationItem) -> BucketRecord {
    let empty = HashMap::new();
    map_item(&ItemParts {
        resource_id: item.resource_id(),
        resource_name: item.resource_name(),
        region: item.aws_region(),
        captured: item
            .configuration_item_capture_time()
            .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        configuration: item.configuration(),
        supplementary: item.supplementary_configuration().unwrap_or(&empty),
    })
}

/// The parts of an item the mapping reads (the SDK's item, or a JSON one in tests).
struct ItemParts<'a> {
    resource_id: Option<&'a str>,
    resource_name: Option<&'a str>,
    region: Option<&'a str>,
    /// RFC 3339, UTC.
    captured: Option<String>,
    configuration: Option<&'a str>,
    supplementary: &'a HashMap<String, String>,
}

/// Keys AWS Config writes for every bucket: their presence says the item's supplementary
/// configuration was recorded, so a configuration-only key's absence means "not configured".
const ALWAYS_WRITTEN: &[&str] = &["AccessControlList", "BucketPolicy"];

fn map_item(item: &ItemParts<'_>) -> BucketRecord {
    let configuration: Option<Value> = item
        .configuration
        .and_then(|c| serde_json::from_str(c).ok());
    let name = item
        .resource_name
        .map(str::to_owned)
        .or_else(|| {
            configuration
                .as_ref()
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .or_else(|| item.resource_id.map(str::to_owned))
        .unwrap_or_default();
    let mut record = BucketRecord::new(name);
    record.observed_at = item.captured.clone();
    if let Some(region) = item.region.filter(|r| !r.is_empty()) {
        record.listed_region = Some(region.to_owned());
        record.region = Some(Answer(Ok(region.to_owned())));
    }
    let supplementary = item.supplementary;
    let complete = ALWAYS_WRITTEN
        .iter()
        .all(|k| supplementary.contains_key(*k));
    let f = &mut record.facets;
    f.acl = always(supplementary, "AccessControlList", Facet::Acl, acl);
    f.policy = always(supplementary, "BucketPolicy", Facet::Policy, policy);
    f.logging = always(
        supplementary,
        "BucketLoggingConfiguration",
        Facet::Logging,
        |v| Ok(logging(v)),
    );
    f.versioning = always(
        supplementary,
        "BucketVersioningConfiguration",
        Facet::Versioning,
        |v| Ok(versioning(v)),
    );
    f.notifications = always(
        supplementary,
        "BucketNotificationConfiguration",
        Facet::Notifications,
        |v| Ok(notifications(v)),
    );
    f.encryption = always(
        supplementary,
        "ServerSideEncryptionConfiguration",
        Facet::Encryption,
        |v| Ok(encryption(v)),
    );
    f.public_access_block = when_configured(
        supplementary,
        complete,
        "PublicAccessBlockConfiguration",
        Facet::PublicAccessBlock,
        |v| Ok(Some(public_access_block(v))),
    );
    f.lifecycle = when_configured(
        supplementary,
        complete,
        "BucketLifecycleConfiguration",
        Facet::Lifecycle,
        |v| Ok(lifecycle(v)),
    );
    f.replication = when_configured(
        supplementary,
        complete,
        "BucketReplicationConfiguration",
        Facet::Replication,
        |v| Ok(replication(v)),
    );
    f.website = when_configured(
        supplementary,
        complete,
        "BucketWebsiteConfiguration",
        Facet::Website,
        |v| Ok(website(v)),
    );
    f.object_lock = when_configured(
        supplementary,
        complete,
        "ObjectLockConfiguration",
        Facet::ObjectLock,
        |v| Ok(object_lock(v)),
    );
    record
}

/// A supplementary value: a JSON string, sometimes of a JSON string (`AccessControlList`).
fn parse(raw: &str) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(raw).map_err(|e| format!("the item's value is not JSON: {e}"))?;
    match value {
        Value::String(inner) => {
            serde_json::from_str(&inner).map_err(|e| format!("the item's value is not JSON: {e}"))
        }
        other => Ok(other),
    }
}

/// A key Config writes for every bucket: absent means not recorded (`None`, a skip).
fn always<T>(
    supplementary: &HashMap<String, String>,
    key: &str,
    facet: Facet,
    map: impl FnOnce(&Value) -> Result<T, String>,
) -> Option<Answer<T>> {
    let raw = supplementary.get(key)?;
    Some(Answer(parse(raw).and_then(|v| map(&v)).map_err(|detail| {
        malformed(facet, format!("AWS Config's {key}: {detail}"))
    })))
}

/// A key Config writes only when the bucket has that configuration: absent means "not
/// configured" in an item whose always-written keys are there, not recorded otherwise.
fn when_configured<T>(
    supplementary: &HashMap<String, String>,
    complete: bool,
    key: &str,
    facet: Facet,
    map: impl FnOnce(&Value) -> Result<Option<T>, String>,
) -> Option<Answer<Option<T>>> {
    match supplementary.get(key) {
        // Config writes `null` for a configuration removed since (as c7n's null map shows).
        Some(raw) if raw.trim() == "null" && complete => Some(Answer(Ok(None))),
        Some(_) => always(supplementary, key, facet, map),
        None if complete => Some(Answer(Ok(None))),
        None => None,
    }
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn bool_at(value: &Value, key: &str) -> bool {
    match value.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A positive number of days (Config writes -1 or null for "not set").
fn positive_at(value: &Value, key: &str) -> bool {
    value
        .get(key)
        .and_then(Value::as_i64)
        .is_some_and(|n| n > 0)
}

fn present(value: &Value, key: &str) -> bool {
    value.get(key).is_some_and(|v| !v.is_null())
}

fn array_at<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Config spells permissions as the Java SDK's enum names (`FullControl`, `ReadAcp`). Anything
/// else makes the ACL unreadable: a grant s3tk cannot name must not read as no grant.
fn permission(config: &str) -> Result<String, String> {
    let s3 = match config {
        "FullControl" | "FULL_CONTROL" => "FULL_CONTROL",
        "Read" | "READ" => "READ",
        "Write" | "WRITE" => "WRITE",
        "ReadAcp" | "READ_ACP" => "READ_ACP",
        "WriteAcp" | "WRITE_ACP" => "WRITE_ACP",
        other => return Err(format!("unknown permission '{other}'")),
    };
    Ok(s3.to_owned())
}

/// A grantee as Config writes it: a group's name (`"AllUsers"`), `{"id", "displayName"}` for
/// a canonical user, or `{"identifier", "typeIdentifier"}` (`id`, `emailAddress`, `uri`).
/// Any other shape makes the ACL unreadable, for the same reason as [`permission`].
fn grantee(value: &Value) -> Result<Grantee, String> {
    let unknown = || Err(format!("unknown grantee {value}"));
    match value {
        Value::String(group) => match group.as_str() {
            "AllUsers" => Ok(Grantee::Group {
                uri: crate::model::ALL_USERS_URI.into(),
            }),
            "AuthenticatedUsers" => Ok(Grantee::Group {
                uri: crate::model::AUTHENTICATED_USERS_URI.into(),
            }),
            "LogDelivery" => Ok(Grantee::Group {
                uri: crate::model::LOG_DELIVERY_URI.into(),
            }),
            uri if uri.starts_with("http://acs.amazonaws.com/groups/") => {
                Ok(Grantee::Group { uri: uri.into() })
            }
            _ => unknown(),
        },
        Value::Object(_) => {
            if let Some(id) = str_at(value, "id") {
                return Ok(Grantee::CanonicalUser { id: id.into() });
            }
            let identifier = str_at(value, "identifier").unwrap_or_default().to_owned();
            match str_at(value, "typeIdentifier") {
                Some("id") => Ok(Grantee::CanonicalUser { id: identifier }),
                Some("emailAddress") => Ok(Grantee::Email {
                    address: identifier,
                }),
                Some("uri") => grantee(&Value::String(identifier)),
                _ => unknown(),
            }
        }
        _ => unknown(),
    }
}

fn acl(value: &Value) -> Result<Acl, String> {
    if !value.is_object() {
        return Err("the ACL is not an object".into());
    }
    let grants = array_at(value, "grantList")
        .iter()
        .chain(array_at(value, "grantSet"))
        .map(|g| {
            Ok(Grant {
                grantee: grantee(g.get("grantee").unwrap_or(&Value::Null))?,
                permission: permission(str_at(g, "permission").unwrap_or_default())?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Acl {
        owner_id: value
            .get("owner")
            .and_then(|o| str_at(o, "id"))
            .map(str::to_owned),
        grants,
    })
}

fn policy(value: &Value) -> Result<Option<PolicyDocument>, String> {
    match value.get("policyText") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => PolicyDocument::parse(text)
            .map(Some)
            .map_err(|e| e.to_string()),
        Some(_) => Err("policyText is not a string".into()),
    }
}

fn logging(value: &Value) -> Option<LoggingTarget> {
    let bucket = str_at(value, "destinationBucketName")?;
    Some(LoggingTarget {
        bucket: bucket.to_owned(),
        prefix: str_at(value, "logFilePrefix")
            .unwrap_or_default()
            .to_owned(),
    })
}

fn versioning(value: &Value) -> Versioning {
    Versioning {
        // "Off" is Config's word for a bucket that was never versioned.
        status: match str_at(value, "status") {
            Some("Enabled") => Some(VersioningStatus::Enabled),
            Some("Suspended") => Some(VersioningStatus::Suspended),
            _ => None,
        },
        // null when MFA delete was never configured, as S3 leaves MFADelete out.
        mfa_delete: value.get("isMfaDeleteEnabled").and_then(Value::as_bool),
    }
}

fn notifications(value: &Value) -> Notifications {
    let mut n = Notifications::default();
    if let Some(configurations) = value.get("configurations").and_then(Value::as_object) {
        for c in configurations.values() {
            match str_at(c, "type") {
                Some("TopicConfiguration") => n.topics += 1,
                Some("QueueConfiguration") => n.queues += 1,
                Some("LambdaConfiguration" | "CloudFunctionConfiguration") => {
                    n.lambda_functions += 1
                }
                _ => {}
            }
        }
    }
    n.event_bridge = present(value, "eventBridgeConfiguration");
    n
}

fn public_access_block(value: &Value) -> PublicAccessBlock {
    PublicAccessBlock {
        block_public_acls: bool_at(value, "blockPublicAcls"),
        ignore_public_acls: bool_at(value, "ignorePublicAcls"),
        block_public_policy: bool_at(value, "blockPublicPolicy"),
        restrict_public_buckets: bool_at(value, "restrictPublicBuckets"),
    }
}

fn encryption(value: &Value) -> Option<DefaultEncryption> {
    let rule = array_at(value, "rules").first()?;
    let default = rule
        .get("applyServerSideEncryptionByDefault")
        .filter(|d| !d.is_null());
    Some(DefaultEncryption {
        algorithm: default
            .and_then(|d| str_at(d, "sseAlgorithm"))
            .map(str::to_owned),
        kms_key_id: default
            .and_then(|d| str_at(d, "kmsMasterKeyID"))
            .map(str::to_owned),
        bucket_key_enabled: bool_at(rule, "bucketKeyEnabled"),
        blocked_encryption_types: rule
            .get("blockedEncryptionTypes")
            .map(|b| {
                array_at(b, "encryptionType")
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn lifecycle(value: &Value) -> Option<Vec<LifecycleRule>> {
    Some(
        array_at(value, "rules")
            .iter()
            .map(|r| LifecycleRule {
                id: str_at(r, "id").map(str::to_owned),
                enabled: str_at(r, "status") == Some("Enabled"),
                expires_noncurrent_versions: positive_at(r, "noncurrentVersionExpirationInDays")
                    || present(r, "noncurrentVersionExpiration"),
                expires_current_versions: positive_at(r, "expirationInDays")
                    || present(r, "expirationDate")
                    || bool_at(r, "expiredObjectDeleteMarker"),
                aborts_incomplete_uploads: present(r, "abortIncompleteMultipartUpload"),
            })
            .collect(),
    )
}

/// Config keys the rules by id (`{"rules": {"id": {…}}}`); a list is read too.
fn replication(value: &Value) -> Option<Vec<ReplicationRule>> {
    let rule = |id: Option<&str>, r: &Value| ReplicationRule {
        id: id.or_else(|| str_at(r, "id")).map(str::to_owned),
        enabled: str_at(r, "status") == Some("Enabled"),
        destination_bucket: r
            .get("destinationConfig")
            .and_then(|d| str_at(d, "bucketARN"))
            .unwrap_or_default()
            .to_owned(),
    };
    Some(match value.get("rules") {
        Some(Value::Object(rules)) => rules.iter().map(|(id, r)| rule(Some(id), r)).collect(),
        Some(Value::Array(rules)) => rules.iter().map(|r| rule(None, r)).collect(),
        _ => Vec::new(),
    })
}

fn website(value: &Value) -> Option<Website> {
    Some(Website {
        index_document: str_at(value, "indexDocumentSuffix").map(str::to_owned),
        redirect_all_to: value
            .get("redirectAllRequestsTo")
            .and_then(|r| str_at(r, "hostName"))
            .map(str::to_owned),
    })
}

/// Written as `fetch::object_lock` writes S3's answer.
fn object_lock(value: &Value) -> Option<ObjectLock> {
    Some(ObjectLock {
        enabled: str_at(value, "objectLockEnabled") == Some("Enabled"),
        default_retention: value
            .get("rule")
            .and_then(|r| r.get("defaultRetention"))
            .filter(|d| !d.is_null())
            .map(|d| {
                let mode = str_at(d, "mode").unwrap_or("no mode").to_owned();
                let days = d.get("days").and_then(Value::as_i64).filter(|n| *n > 0);
                let years = d.get("years").and_then(Value::as_i64).filter(|n| *n > 0);
                match (days, years) {
                    (Some(days), _) => format!("{mode} for {days} days"),
                    (_, Some(years)) => format!("{mode} for {years} years"),
                    _ => mode,
                }
            }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Maps an item as AWS Config's API returns it in JSON (values of `supplementaryConfiguration`
    /// are strings), with `configurationItemCaptureTime` as Config's JSON writes it.
    fn record(item: &Value) -> BucketRecord {
        let supplementary: HashMap<String, String> = item["supplementaryConfiguration"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let raw = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (k.clone(), raw)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let configuration = match &item["configuration"] {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        };
        let captured = item["configurationItemCaptureTime"].as_str().map(|t| {
            aws_smithy_types::DateTime::from_str(
                t,
                aws_smithy_types::date_time::Format::DateTimeWithOffset,
            )
            .unwrap()
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap()
        });
        map_item(&ItemParts {
            resource_id: item["resourceId"].as_str(),
            resource_name: item["resourceName"].as_str(),
            region: item["awsRegion"].as_str(),
            captured,
            configuration: configuration.as_deref(),
            supplementary: &supplementary,
        })
    }

    fn ok<T: std::fmt::Debug>(answer: &Option<Answer<T>>) -> &T {
        match answer {
            Some(Answer(Ok(v))) => v,
            other => panic!("expected a value, got {other:?}"),
        }
    }

    fn malformed_detail<T: std::fmt::Debug>(answer: &Option<Answer<T>>) -> String {
        match answer {
            Some(Answer(Err(RecordedError {
                kind: FetchErrorKind::Malformed { detail },
                ..
            }))) => detail.clone(),
            other => panic!("expected a malformed answer, got {other:?}"),
        }
    }

    const OWNER: &str = "e7c8bb65a5fc49cf906715eae09de9e4bb7861a96361ba79b833aa45f6833b15";

    #[test]
    fn a_grant_that_cannot_be_named_makes_the_acl_unreadable() {
        for (grant, detail) in [
            (
                serde_json::json!({"grantee": "Everyone", "permission": "Read"}),
                "unknown grantee \"Everyone\"",
            ),
            (
                serde_json::json!({"grantee": "AllUsers", "permission": "ReadObjects"}),
                "unknown permission 'ReadObjects'",
            ),
        ] {
            let acl = serde_json::json!({"grantList": [grant], "owner": {"id": OWNER}});
            let mut item = plain_item();
            item["supplementaryConfiguration"]["AccessControlList"] =
                Value::String(serde_json::to_string(&acl.to_string()).unwrap());
            assert!(
                malformed_detail(&record(&item).facets.acl).ends_with(detail),
                "{detail}"
            );
        }
    }

    #[test]
    fn a_null_optional_configuration_is_not_configured() {
        let mut item = plain_item();
        for key in [
            "BucketWebsiteConfiguration",
            "BucketLifecycleConfiguration",
            "PublicAccessBlockConfiguration",
        ] {
            item["supplementaryConfiguration"][key] = Value::String("null".into());
        }
        let facets = record(&item).facets;
        assert_eq!(ok(&facets.website), &None);
        assert_eq!(ok(&facets.lifecycle), &None);
        assert_eq!(ok(&facets.public_access_block), &None);
    }

    /// An item as AWS Config records a bucket with nothing configured (the shape of
    /// cloud-custodian's tests/data/config/s3.json, a real item).
    fn plain_item() -> Value {
        let acl = serde_json::json!({
            "grantSet": null,
            "grantList": [{"grantee": {"id": OWNER, "displayName": null}, "permission": "FullControl"}],
            "owner": {"displayName": null, "id": OWNER},
            "isRequesterCharged": false
        });
        serde_json::json!({
            "configurationItemCaptureTime": "2017-02-04T06:10:33.880000-05:00",
            "awsRegion": "us-east-2",
            "resourceType": "AWS::S3::Bucket",
            "resourceId": "config-rule-sanity",
            "resourceName": "config-rule-sanity",
            "accountId": "644160558196",
            "configuration": "{\"name\":\"config-rule-sanity\",\"owner\":{\"displayName\":null,\"id\":\"e7c8\"},\"creationDate\":\"2017-02-04T11:06:27.000Z\"}",
            "supplementaryConfiguration": {
                "BucketAccelerateConfiguration": "{\"status\":null}",
                // Encoded twice, as Config does.
                "AccessControlList": serde_json::to_string(&acl.to_string()).unwrap(),
                "BucketLoggingConfiguration": "{\"destinationBucketName\":null,\"logFilePrefix\":null}",
                "BucketPolicy": "{\"policyText\":null}",
                "BucketNotificationConfiguration": "{\"configurations\":{}}",
                "BucketVersioningConfiguration": "{\"status\":\"Off\",\"isMfaDeleteEnabled\":null}",
                "IsRequesterPaysEnabled": "false"
            }
        })
    }

    fn with(mut item: Value, key: &str, value: Value) -> Value {
        let raw = match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        item["supplementaryConfiguration"][key] = Value::String(raw);
        item
    }

    fn without(mut item: Value, key: &str) -> Value {
        item["supplementaryConfiguration"]
            .as_object_mut()
            .unwrap()
            .remove(key);
        item
    }

    #[test]
    fn a_plain_bucket_is_recorded_as_not_configured() {
        let r = record(&plain_item());
        assert_eq!(r.name, "config-rule-sanity");
        assert_eq!(r.observed_at.as_deref(), Some("2017-02-04T11:10:33.88Z"));
        assert_eq!(r.region, Some(Answer(Ok("us-east-2".to_owned()))));
        assert_eq!(r.listed_region.as_deref(), Some("us-east-2"));
        let acl = ok(&r.facets.acl);
        assert_eq!(acl.owner_id.as_deref(), Some(OWNER));
        assert_eq!(
            acl.grants,
            vec![Grant {
                grantee: Grantee::CanonicalUser { id: OWNER.into() },
                permission: "FULL_CONTROL".into()
            }]
        );
        assert!(ok(&r.facets.policy).is_none());
        assert!(ok(&r.facets.logging).is_none());
        assert_eq!(ok(&r.facets.versioning), &Versioning::default());
        assert!(ok(&r.facets.notifications).is_empty());
        // Written only when configured.
        assert!(ok(&r.facets.public_access_block).is_none());
        assert!(ok(&r.facets.lifecycle).is_none());
        assert!(ok(&r.facets.replication).is_none());
        assert!(ok(&r.facets.website).is_none());
        assert!(ok(&r.facets.object_lock).is_none());
        // Not recorded: skips, never a guess.
        assert!(r.facets.encryption.is_none());
        assert!(r.facets.policy_status.is_none());
        assert!(r.facets.ownership_controls.is_none());
        assert!(r.facets.access_points.is_none());
    }

    #[test]
    fn public_grants_map_onto_the_group_uris_and_s3_permission_names() {
        let acl = serde_json::json!({
            "grantSet": null,
            "grantList": [
                {"grantee": {"id": OWNER, "displayName": "me"}, "permission": "FullControl"},
                {"grantee": "AllUsers", "permission": "Read"},
                {"grantee": "AuthenticatedUsers", "permission": "Write"},
                {"grantee": "LogDelivery", "permission": "Write"},
                {"grantee": "LogDelivery", "permission": "ReadAcp"},
                {"grantee": {"identifier": "ops@example.com", "typeIdentifier": "emailAddress"}, "permission": "WriteAcp"},
                {"grantee": {"identifier": "abc", "typeIdentifier": "id"}, "permission": "Read"}
            ],
            "owner": {"displayName": "me", "id": OWNER}
        });
        let item = with(
            plain_item(),
            "AccessControlList",
            Value::String(serde_json::to_string(&acl.to_string()).unwrap()),
        );
        let acl = ok(&record(&item).facets.acl).clone();
        let public: Vec<_> = acl.public_grants().collect();
        assert_eq!(
            public,
            vec![
                (crate::model::PublicGroup::AllUsers, "READ"),
                (crate::model::PublicGroup::AuthenticatedUsers, "WRITE")
            ]
        );
        assert!(acl.grants_log_delivery());
        assert_eq!(acl.grants[5].permission, "WRITE_ACP");
        assert_eq!(
            acl.grants[5].grantee,
            Grantee::Email {
                address: "ops@example.com".into()
            }
        );
        assert_eq!(
            acl.grants[6].grantee,
            Grantee::CanonicalUser { id: "abc".into() }
        );
        // Encoded once is read too.
        let once = with(plain_item(), "AccessControlList", acl_once());
        assert_eq!(ok(&record(&once).facets.acl).grants.len(), 2);
    }

    fn acl_once() -> Value {
        serde_json::json!({
            "grantList": [
                {"grantee": {"id": OWNER}, "permission": "FullControl"},
                {"grantee": "AllUsers", "permission": "Read"}
            ],
            "owner": {"id": OWNER}
        })
    }

    #[test]
    fn a_policy_is_parsed_and_a_malformed_one_is_an_error() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
        let item = with(
            plain_item(),
            "BucketPolicy",
            serde_json::json!({ "policyText": text }),
        );
        let policy = ok(&record(&item).facets.policy).clone().expect("a policy");
        assert_eq!(policy, PolicyDocument::parse(text).unwrap());

        let bad = with(
            plain_item(),
            "BucketPolicy",
            serde_json::json!({"policyText": "{not json"}),
        );
        let detail = malformed_detail(&record(&bad).facets.policy);
        assert!(
            detail.starts_with("AWS Config's BucketPolicy: "),
            "{detail}"
        );

        let garbage = with(
            plain_item(),
            "BucketVersioningConfiguration",
            "{oops".into(),
        );
        malformed_detail(&record(&garbage).facets.versioning);
    }

    #[test]
    fn every_configured_facet_is_mapped() {
        let mut item = plain_item();
        for (key, value) in [
            (
                "BucketLoggingConfiguration",
                serde_json::json!({"destinationBucketName": "logs", "logFilePrefix": "b/"}),
            ),
            (
                "BucketVersioningConfiguration",
                serde_json::json!({"status": "Enabled", "isMfaDeleteEnabled": true}),
            ),
            (
                "PublicAccessBlockConfiguration",
                serde_json::json!({"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": false, "restrictPublicBuckets": true}),
            ),
            (
                "ServerSideEncryptionConfiguration",
                serde_json::json!({"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyID": "arn:aws:kms:us-east-1:1:key/k"}, "bucketKeyEnabled": true}]}),
            ),
            // cloud-custodian's tests/data/config/s3-rep-and-notify.json
            (
                "BucketLifecycleConfiguration",
                serde_json::json!({"rules": [{"id": "Docs", "prefix": null, "status": "Enabled", "filter": {"predicate": {"type": "LifecyclePrefixPredicate", "prefix": "docs/"}}, "expirationInDays": -1, "expiredObjectDeleteMarker": true, "noncurrentVersionExpirationInDays": 545, "expirationDate": null, "transitions": [{"days": 30, "date": null, "storageClass": "STANDARD_IA"}], "noncurrentVersionTransitions": [{"days": 180, "storageClass": "GLACIER"}], "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}},
                                                                 {"id": "Off", "status": "Disabled", "expirationInDays": -1, "noncurrentVersionExpirationInDays": -1, "expiredObjectDeleteMarker": false, "abortIncompleteMultipartUpload": null}]}),
            ),
            (
                "BucketReplicationConfiguration",
                serde_json::json!({"roleARN": "arn:aws:iam::1:role/r", "rules": {"testing-99": {"prefix": "", "status": "Enabled", "destinationConfig": {"Account": "000111222333", "bucketARN": "arn:aws:s3:::testing-west", "storageClass": null}}}}),
            ),
            (
                "BucketNotificationConfiguration",
                serde_json::json!({"configurations": {
                "q": {"type": "QueueConfiguration", "queueARN": "arn:aws:sqs:us-east-1:1:q", "events": ["s3:ObjectCreated:*"], "objectPrefixes": [], "filter": null},
                "l": {"type": "LambdaConfiguration", "functionARN": "arn:aws:lambda:us-east-1:1:function:f", "events": [], "objectPrefixes": [], "filter": null},
                "t": {"type": "TopicConfiguration", "topicARN": "arn:aws:sns:us-east-1:1:t", "events": [], "objectPrefixes": [], "filter": null},
                "t2": {"type": "TopicConfiguration", "topicARN": "arn:aws:sns:us-east-1:1:t2", "events": [], "objectPrefixes": [], "filter": null}}}),
            ),
            // cloud-custodian's tests/data/config/s3-website.json
            (
                "BucketWebsiteConfiguration",
                serde_json::json!({"indexDocumentSuffix": "index.html", "errorDocument": null, "redirectAllRequestsTo": null, "routingRules": []}),
            ),
            (
                "ObjectLockConfiguration",
                serde_json::json!({"objectLockEnabled": "Enabled", "rule": {"defaultRetention": {"mode": "GOVERNANCE", "days": 30, "years": null}}}),
            ),
        ] {
            item = with(item, key, value);
        }
        let f = record(&item).facets;
        assert_eq!(
            ok(&f.logging),
            &Some(LoggingTarget {
                bucket: "logs".into(),
                prefix: "b/".into()
            })
        );
        assert_eq!(
            ok(&f.versioning),
            &Versioning {
                status: Some(VersioningStatus::Enabled),
                mfa_delete: Some(true)
            }
        );
        assert_eq!(
            ok(&f.public_access_block),
            &Some(PublicAccessBlock {
                block_public_policy: false,
                ..PublicAccessBlock::ALL_ON
            })
        );
        assert_eq!(
            ok(&f.encryption),
            &Some(DefaultEncryption {
                algorithm: Some("aws:kms".into()),
                kms_key_id: Some("arn:aws:kms:us-east-1:1:key/k".into()),
                bucket_key_enabled: true,
                blocked_encryption_types: vec![],
            })
        );
        assert_eq!(
            ok(&f.lifecycle),
            &Some(vec![
                LifecycleRule {
                    id: Some("Docs".into()),
                    enabled: true,
                    expires_noncurrent_versions: true,
                    expires_current_versions: true,
                    aborts_incomplete_uploads: true,
                },
                LifecycleRule {
                    id: Some("Off".into()),
                    enabled: false,
                    expires_noncurrent_versions: false,
                    expires_current_versions: false,
                    aborts_incomplete_uploads: false,
                },
            ])
        );
        assert_eq!(
            ok(&f.replication),
            &Some(vec![ReplicationRule {
                id: Some("testing-99".into()),
                enabled: true,
                destination_bucket: "arn:aws:s3:::testing-west".into(),
            }])
        );
        assert_eq!(
            ok(&f.notifications),
            &Notifications {
                topics: 2,
                queues: 1,
                lambda_functions: 1,
                event_bridge: false
            }
        );
        assert_eq!(
            ok(&f.website),
            &Some(Website {
                index_document: Some("index.html".into()),
                redirect_all_to: None
            })
        );
        assert_eq!(
            ok(&f.object_lock),
            &Some(ObjectLock {
                enabled: true,
                default_retention: Some("GOVERNANCE for 30 days".into())
            })
        );
    }

    #[test]
    fn versioning_suspended_and_a_redirecting_website() {
        let item = with(
            plain_item(),
            "BucketVersioningConfiguration",
            serde_json::json!({"status": "Suspended", "isMfaDeleteEnabled": false}),
        );
        // cloud-custodian's tests/data/config/s3-website-redirect.json
        let item = with(
            item,
            "BucketWebsiteConfiguration",
            serde_json::json!({"indexDocumentSuffix": null, "errorDocument": null, "redirectAllRequestsTo": {"protocol": "https", "hostName": "www.example.com"}, "routingRules": []}),
        );
        let f = record(&item).facets;
        assert_eq!(
            ok(&f.versioning),
            &Versioning {
                status: Some(VersioningStatus::Suspended),
                mfa_delete: Some(false)
            }
        );
        assert_eq!(
            ok(&f.website).as_ref().unwrap().redirect_all_to.as_deref(),
            Some("www.example.com")
        );
    }

    #[test]
    fn absent_always_written_keys_are_not_recorded() {
        let mut item = plain_item();
        for key in [
            "BucketLoggingConfiguration",
            "BucketVersioningConfiguration",
            "BucketNotificationConfiguration",
        ] {
            item = without(item, key);
        }
        let f = record(&item).facets;
        assert!(f.logging.is_none());
        assert!(f.versioning.is_none());
        assert!(f.notifications.is_none());
        assert!(f.acl.is_some() && f.policy.is_some());
        // The item still has its always-written ACL and policy: the rest is not configured.
        assert!(ok(&f.website).is_none());

        // Without them, a configuration-only key's absence says nothing either.
        let bare = without(without(plain_item(), "AccessControlList"), "BucketPolicy");
        let f = record(&bare).facets;
        assert!(f.acl.is_none() && f.policy.is_none());
        for absent in [
            f.public_access_block.is_none(),
            f.lifecycle.is_none(),
            f.replication.is_none(),
            f.website.is_none(),
            f.object_lock.is_none(),
        ] {
            assert!(absent);
        }
    }

    #[test]
    fn the_account_public_access_block_item() {
        assert_eq!(
            account_public_access_block(Some(
                r#"{"blockPublicAcls":true,"ignorePublicAcls":true,"blockPublicPolicy":true,"restrictPublicBuckets":true}"#
            )),
            Ok(PublicAccessBlock::ALL_ON)
        );
        assert!(account_public_access_block(Some("[")).is_err());
        assert!(account_public_access_block(None).is_err());
    }

    #[test]
    fn a_failed_bucket_is_an_error_in_every_recorded_facet() {
        let key = Key {
            account: None,
            region: None,
            id: "b".into(),
            name: "b".into(),
        };
        let e = FetchError::new(
            Facet::BatchGetResourceConfig,
            FetchErrorKind::Service {
                code: Some("InternalFailure".into()),
                status: Some(500),
                message: None,
            },
        );
        let r = failed_record(&key, per_bucket(&e));
        let f = &r.facets;
        for is_error in [
            matches!(f.acl, Some(Answer(Err(_)))),
            matches!(f.policy, Some(Answer(Err(_)))),
            matches!(f.versioning, Some(Answer(Err(_)))),
            matches!(f.website, Some(Answer(Err(_)))),
            matches!(f.encryption, Some(Answer(Err(_)))),
        ] {
            assert!(is_error);
        }
        assert!(f.policy_status.is_none());
        let Some(Answer(Err(RecordedError { kind, .. }))) = &f.acl else {
            unreachable!()
        };
        let message = FetchError::new(Facet::Acl, kind.clone()).to_string();
        assert!(
            message.contains("BatchGetResourceConfig failed: InternalFailure (HTTP 500)"),
            "{message}"
        );
        assert!(!message.contains('\n'));
    }
}

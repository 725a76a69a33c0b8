//! AWS access: configuration from the default chain, one S3 client per region, a limit on
//! in-flight requests, the account-level calls (ListBuckets, the caller's account id), and the
//! mapping of SDK errors onto [`FetchError`]. With [`crate::state`] this is the only code that
//! talks to AWS.
//!
//! The Rust SDK does not follow S3's wrong-region redirects (awslabs/aws-sdk-rust#183), so every
//! bucket's region is resolved once (see `state::fetch::region`) and requests go to a client
//! built for that region.

use crate::error::{FetchError, FetchErrorKind};
use crate::facet::Facet;
use crate::pacing::{self, Pacing};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Region used when neither a flag, the environment nor a profile names one. S3's global
/// endpoint lives there, and every bucket's real region is resolved per bucket anyway.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Default bound on concurrent S3 requests.
pub const DEFAULT_CONCURRENCY: usize = 32;
/// Default number of objects the object commands work on at once (each needs one to three
/// sequential requests; S3 takes thousands per second per prefix).
pub const DEFAULT_OBJECT_CONCURRENCY: usize = 64;

/// File descriptors kept back from connections: stdio, report and state files, the runtime's.
const RESERVED_DESCRIPTORS: u64 = 32;

/// How many requests can be in flight at once within the open-file limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionBudget {
    pub requests: usize,
    /// The soft `RLIMIT_NOFILE` in force (after raising it towards the hard limit).
    pub open_files: u64,
}

/// Each request in flight holds a connection, and so a file descriptor: `wanted` requests need
/// that many plus a reserve. The soft open-file limit is raised towards the hard one when it is
/// too low, and the budget is what fits after that.
pub fn connection_budget(wanted: usize) -> ConnectionBudget {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return ConnectionBudget {
            requests: wanted,
            open_files: u64::MAX,
        };
    }
    let needed = (wanted as u64).saturating_add(RESERVED_DESCRIPTORS);
    if limit.rlim_cur < needed && limit.rlim_max > limit.rlim_cur {
        let raised = libc::rlimit {
            rlim_cur: needed.min(limit.rlim_max),
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    let fits = limit.rlim_cur.saturating_sub(RESERVED_DESCRIPTORS).max(1);
    ConnectionBudget {
        requests: usize::try_from(fits).unwrap_or(usize::MAX).min(wanted),
        open_files: limit.rlim_cur,
    }
}

/// Connection settings given on the command line, in the AWS CLI's style.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub concurrency: usize,
}

/// Why the AWS configuration could not be loaded (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no usable AWS credentials: {0}")]
    Credentials(String),
    /// `origin` says where the URL came from: `--endpoint-url`, or the configuration.
    #[error("invalid {origin} '{url}': {reason}")]
    Endpoint {
        origin: &'static str,
        url: String,
        reason: String,
    },
    #[error("--concurrency must be at least 1")]
    Concurrency,
    #[error("invalid region '{0}' (expected a region code such as us-east-1 or eu-central-1)")]
    Region(String),
}

/// Whether `region` looks like an AWS region code (`us-east-1`, `us-gov-west-1`,
/// `eu-isoe-west-1`). With a custom endpoint any lowercase name is accepted: S3-compatible
/// stores use names such as `default`.
pub fn is_valid_region(region: &str, custom_endpoint: bool) -> bool {
    let simple = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if custom_endpoint {
        return simple;
    }
    let parts: Vec<&str> = region.split('-').collect();
    simple
        && parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts
            .last()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

/// The AWS clients of a run (S3, S3 Control, CloudTrail, AWS Config and SNS per region; STS and Route 53)
/// plus the run-wide request limit.
pub struct S3Clients {
    base: aws_sdk_s3::Config,
    control_base: aws_sdk_s3control::Config,
    cloudtrail_base: aws_sdk_cloudtrail::Config,
    config_base: aws_sdk_config::Config,
    sns_base: aws_sdk_sns::Config,
    sts: aws_sdk_sts::Client,
    route53: aws_sdk_route53::Client,
    by_region: Mutex<HashMap<String, Client>>,
    control_by_region: Mutex<HashMap<String, aws_sdk_s3control::Client>>,
    cloudtrail_by_region: Mutex<HashMap<String, aws_sdk_cloudtrail::Client>>,
    config_by_region: Mutex<HashMap<String, aws_sdk_config::Client>>,
    /// Shared with the clients of assumed roles: `--concurrency` bounds the whole run.
    limiter: Arc<Semaphore>,
    /// Retries, back-pressure and the stop, also shared with the clients of assumed roles.
    pacing: Arc<Pacing>,
    /// The configuration the clients were built from, to build them again for an assumed role.
    sdk: aws_config::SdkConfig,
    /// The S3-only endpoint override (`AWS_ENDPOINT_URL_S3`), if any.
    s3_endpoint: Option<String>,
}

impl S3Clients {
    /// Loads the default credential and region chain (environment, `~/.aws/config` and
    /// `credentials`, profiles, SSO, assume-role, IMDS) with the given overrides, and checks
    /// that credentials resolve before any bucket is touched.
    pub async fn load(options: &AwsOptions) -> Result<Self, ConfigError> {
        use aws_credential_types::provider::error::CredentialsError;
        use aws_sdk_s3::config::ProvideCredentials;
        if options.concurrency == 0 {
            return Err(ConfigError::Concurrency);
        }
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &options.endpoint_url {
            check_endpoint(url, "--endpoint-url")?;
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        // s3tk's retry policy, with the user's number of attempts if they chose one.
        let attempts = pacing::user_max_attempts(sdk.retry_config());
        let sdk = sdk
            .to_builder()
            .retry_config(pacing::retry_config(attempts))
            .build();
        let provider = sdk.credentials_provider().ok_or_else(|| {
            ConfigError::Credentials("no credential provider is configured".into())
        })?;
        provider.provide_credentials().await.map_err(|e| {
            let profile = options
                .profile
                .clone()
                .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
            ConfigError::Credentials(match (e, profile) {
                (CredentialsError::CredentialsNotLoaded(_), Some(profile)) => format!(
                    "profile '{profile}' was not found or has no credentials in the AWS config and \
                     credentials files (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE and \
                     AWS_SHARED_CREDENTIALS_FILE)"
                ),
                (CredentialsError::CredentialsNotLoaded(_), None) => "none found in the environment, the AWS config \
                    and credentials files, web identity, the container or the instance metadata service \
                    (set AWS_PROFILE or --profile, or run `aws sso login`)"
                    .into(),
                (other, _) => error_chain(&other),
            })
        })?;
        Self::from_sdk_config(&sdk, None, options.concurrency)
    }

    /// Builds the clients from a loaded configuration (also how tests point them at a fake).
    /// `s3_endpoint` is an S3-only endpoint override; without it, the one the configuration
    /// sets for S3 (`AWS_ENDPOINT_URL_S3`, or a profile's `[services]` section) is used.
    pub fn from_sdk_config(
        sdk: &aws_config::SdkConfig,
        s3_endpoint: Option<&str>,
        concurrency: usize,
    ) -> Result<Self, ConfigError> {
        let pacing = Pacing::new(concurrency, sdk.http_client());
        let limiter = Arc::new(Semaphore::new(concurrency.max(1)));
        Self::build(sdk, s3_endpoint, limiter, Arc::new(pacing))
    }

    fn build(
        sdk: &aws_config::SdkConfig,
        s3_endpoint: Option<&str>,
        limiter: Arc<Semaphore>,
        pacing: Arc<Pacing>,
    ) -> Result<Self, ConfigError> {
        // Every client of the run shares the HTTP client (its back-pressure), the retry quota
        // and the stop.
        macro_rules! paced {
            ($builder:expr) => {
                $builder
                    .http_client(pacing.http_client())
                    .retry_partition(pacing.retry_partition())
                    .interceptor(pacing.interceptor())
                    .retry_classifier(pacing.classifier())
            };
        }
        let s3_endpoint = s3_endpoint
            .map(str::to_owned)
            .or_else(|| s3_service_endpoint(sdk));
        let s3_endpoint = s3_endpoint.as_deref();
        for url in s3_endpoint.iter().chain(sdk.endpoint_url().iter()) {
            check_endpoint(url, "endpoint URL")?;
        }
        // Custom endpoints (moto, MinIO, LocalStack, wiremock) rarely resolve virtual-hosted
        // bucket names, so address buckets by path there.
        let custom_endpoint = sdk.endpoint_url().is_some() || s3_endpoint.is_some();
        let region = match sdk.region() {
            None => Region::new(FALLBACK_REGION),
            Some(region) if !is_valid_region(region.as_ref(), custom_endpoint) => {
                return Err(ConfigError::Region(region.to_string()));
            }
            Some(region) => region.clone(),
        };
        let mut s3 = paced!(aws_sdk_s3::config::Builder::from(sdk))
            .force_path_style(custom_endpoint)
            .region(region.clone());
        if let Some(url) = s3_endpoint {
            s3 = s3.endpoint_url(url);
        }
        let mut control =
            paced!(aws_sdk_s3control::config::Builder::from(sdk)).region(region.clone());
        if let Some(url) = sdk.endpoint_url() {
            control = control.interceptor(AccountHostPrefix::for_endpoint(url));
        }
        let sts = paced!(aws_sdk_sts::config::Builder::from(sdk))
            .region(region.clone())
            .build();
        // Route 53 is a global service signed in us-east-1 (cn-northwest-1 in China).
        let route53_region = if region.as_ref().starts_with("cn-") {
            "cn-northwest-1"
        } else {
            "us-east-1"
        };
        let route53 = paced!(aws_sdk_route53::config::Builder::from(sdk))
            .region(Region::new(route53_region))
            .build();
        Ok(S3Clients {
            base: s3.build(),
            control_base: control.build(),
            cloudtrail_base: paced!(aws_sdk_cloudtrail::config::Builder::from(sdk))
                .region(region.clone())
                .build(),
            config_base: paced!(aws_sdk_config::config::Builder::from(sdk))
                .region(region.clone())
                .build(),
            sns_base: paced!(aws_sdk_sns::config::Builder::from(sdk))
                .region(region)
                .build(),
            sts: aws_sdk_sts::Client::from_conf(sts),
            route53: aws_sdk_route53::Client::from_conf(route53),
            by_region: Mutex::new(HashMap::new()),
            control_by_region: Mutex::new(HashMap::new()),
            cloudtrail_by_region: Mutex::new(HashMap::new()),
            config_by_region: Mutex::new(HashMap::new()),
            limiter,
            pacing,
            sdk: sdk.clone(),
            s3_endpoint: s3_endpoint.map(str::to_owned),
        })
    }

    /// The same clients with other credentials (an assumed role), sharing the request limit.
    pub fn with_credentials(
        &self,
        credentials: aws_credential_types::provider::SharedCredentialsProvider,
    ) -> Result<S3Clients, ConfigError> {
        let sdk = self
            .sdk
            .to_builder()
            .credentials_provider(credentials)
            .build();
        Self::build(
            &sdk,
            self.s3_endpoint.as_deref(),
            Arc::clone(&self.limiter),
            Arc::clone(&self.pacing),
        )
    }

    /// The configuration the clients were built from.
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.sdk
    }

    /// The region of the configuration the run started with.
    pub fn default_region(&self) -> &str {
        self.base
            .region()
            .map(Region::as_ref)
            .unwrap_or(FALLBACK_REGION)
    }

    /// An S3 client whose requests are signed for and sent to `region`; built once per region.
    pub fn client(&self, region: &str) -> Client {
        per_region(&self.by_region, region, |r| {
            Client::from_conf(self.base.to_builder().region(r).build())
        })
    }

    /// An S3 Control client for `region` (access points are regional); built once per region.
    pub fn control(&self, region: &str) -> aws_sdk_s3control::Client {
        per_region(&self.control_by_region, region, |r| {
            aws_sdk_s3control::Client::from_conf(self.control_base.to_builder().region(r).build())
        })
    }

    /// A CloudTrail client for `region` (trails are regional); built once per region.
    pub fn cloudtrail(&self, region: &str) -> aws_sdk_cloudtrail::Client {
        per_region(&self.cloudtrail_by_region, region, |r| {
            aws_sdk_cloudtrail::Client::from_conf(
                self.cloudtrail_base.to_builder().region(r).build(),
            )
        })
    }

    /// An AWS Config client for `region` (recorders and aggregators are regional); built once
    /// per region. Like the other services, it follows `--endpoint-url`.
    pub fn config(&self, region: &str) -> aws_sdk_config::Client {
        per_region(&self.config_by_region, region, |r| {
            aws_sdk_config::Client::from_conf(self.config_base.to_builder().region(r).build())
        })
    }

    /// An SNS client for the topic's region (used once per run).
    pub fn sns(&self, region: &str) -> aws_sdk_sns::Client {
        let conf = self
            .sns_base
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build();
        aws_sdk_sns::Client::from_conf(conf)
    }

    /// AWS Organizations, a global service answered in us-east-1 (or the partition's home).
    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        let region = match self.default_region() {
            r if r.starts_with("cn-") => "cn-northwest-1",
            r if r.starts_with("us-gov-") => "us-gov-west-1",
            _ => "us-east-1",
        };
        let pacing = &self.pacing;
        let conf = aws_sdk_organizations::config::Builder::from(&self.sdk)
            .http_client(pacing.http_client())
            .retry_partition(pacing.retry_partition())
            .interceptor(pacing.interceptor())
            .retry_classifier(pacing.classifier())
            .region(Region::new(region))
            .build();
        aws_sdk_organizations::Client::from_conf(conf)
    }

    pub fn route53(&self) -> &aws_sdk_route53::Client {
        &self.route53
    }

    /// The custom S3 endpoint requests go to; `None` for AWS itself.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.s3_endpoint.as_deref().or(self.sdk.endpoint_url())
    }

    pub fn sts(&self) -> &aws_sdk_sts::Client {
        &self.sts
    }

    /// Waits for a request slot; hold the permit for the duration of one request.
    pub async fn permit(&self) -> SemaphorePermit<'_> {
        self.limiter
            .acquire()
            .await
            .expect("the request limiter is never closed")
    }

    /// Retries, back-pressure and the run's stop.
    pub fn pacing(&self) -> &Arc<Pacing> {
        &self.pacing
    }
}

/// An endpoint URL's parts that s3tk checks: `http(s)://HOST[:PORT][/PATH]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint<'a> {
    pub https: bool,
    /// A name, an IPv4 address, or an IPv6 address in brackets.
    pub host: &'a str,
    pub port: Option<u16>,
}

impl<'a> Endpoint<'a> {
    /// Parses what the SDK would otherwise fail on with a debug dump, or what would leak
    /// (credentials in the URL); the error says why in words.
    pub fn parse(url: &'a str) -> Result<Self, &'static str> {
        let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err("it must start with http:// or https://");
        };
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("it contains spaces or control characters");
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        if authority.contains('@') {
            return Err("credentials do not belong in the URL; use a profile or the environment");
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, Some(port)),
            _ => (authority, None),
        };
        let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
            None => {
                !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
            }
        };
        if !host_ok {
            return Err("it has no valid host name");
        }
        let port = match port.map(str::parse::<u16>) {
            None => None,
            Some(Ok(port)) if port > 0 => Some(port),
            Some(_) => return Err("the port must be a number from 1 to 65535"),
        };
        Ok(Endpoint { https, host, port })
    }

    /// `localhost`, 127.0.0.0/8 or `[::1]`: traffic that never leaves the machine.
    pub fn is_loopback(&self) -> bool {
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        self.host.eq_ignore_ascii_case("localhost")
            || bare
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

fn check_endpoint(url: &str, origin: &'static str) -> Result<(), ConfigError> {
    Endpoint::parse(url)
        .map(drop)
        .map_err(|reason| ConfigError::Endpoint {
            origin,
            url: url.to_owned(),
            reason: reason.to_owned(),
        })
}

/// The S3-only endpoint the SDK resolves from the environment (`AWS_ENDPOINT_URL_S3`) or the
/// profile's `[services]` section, exactly as `aws_sdk_s3::config::Builder::from` does: an
/// endpoint given in code (`--endpoint-url`) wins over both.
fn s3_service_endpoint(sdk: &aws_config::SdkConfig) -> Option<String> {
    if sdk.get_origin("endpoint_url").is_client_config() {
        return None;
    }
    let key = aws_types::service_config::ServiceConfigKey::builder()
        .service_id("S3")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()?;
    sdk.service_config()?
        .load_config(key)
        .filter(|url| !url.is_empty())
}

/// The client for `region` from `cache`, built by `build` the first time.
fn per_region<C: Clone>(
    cache: &Mutex<HashMap<String, C>>,
    region: &str,
    build: impl FnOnce(Region) -> C,
) -> C {
    let mut clients = cache.lock().expect("client cache poisoned");
    clients
        .entry(region.to_owned())
        .or_insert_with(|| build(Region::new(region.to_owned())))
        .clone()
}

/// A bucket as ListBuckets reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedBucket {
    pub name: String,
    /// Real S3 reports it when the request carries a parameter; emulators may not.
    pub region: Option<String>,
}

impl S3Clients {
    /// Every bucket of the account, following ListBuckets pagination. `MaxBuckets` is always
    /// sent: S3 returns each bucket's region only when the request carries a parameter.
    pub async fn list_buckets(&self) -> Result<Vec<ListedBucket>, FetchError> {
        let client = self.client(self.default_region());
        let mut buckets = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _permit = self.permit().await;
                client
                    .list_buckets()
                    .max_buckets(10_000)
                    .set_continuation_token(token.take())
                    .send()
                    .await
                    .map_err(|e| classify(Facet::BucketList, e))?
            };
            buckets.extend(page.buckets().iter().filter_map(|b| {
                Some(ListedBucket {
                    name: b.name()?.to_owned(),
                    region: b
                        .bucket_region()
                        .filter(|r| !r.is_empty())
                        .map(str::to_owned),
                })
            }));
            match page.continuation_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => return Ok(buckets),
            }
        }
    }
}

/// The region S3 named in a response header (present on HeadBucket answers whatever the
/// caller's permissions, and on wrong-region errors).
pub fn bucket_region_header<E>(err: &SdkError<E, HttpResponse>) -> Option<String> {
    err.raw_response()
        .and_then(|r| r.headers().get("x-amz-bucket-region"))
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
}

/// Whether the request succeeded with a body that holds no XML element (empty, or only a
/// declaration), which the SDK cannot parse for operations that answer XML. The SDK has
/// consumed the body by then, so its parser's complaint is what says so.
pub fn is_empty_success<E>(err: &SdkError<E, HttpResponse>) -> bool
where
    E: std::error::Error + 'static,
{
    err.raw_response().is_some_and(|r| r.status().is_success())
        && error_chain(err).contains("no root element")
}

/// Maps an SDK error onto the facet's [`FetchError`] by S3 error code, then HTTP status.
/// "Not configured" codes are handled by the caller before this, because they are answers.
pub fn classify<E>(facet: Facet, err: SdkError<E, HttpResponse>) -> FetchError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let kind = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => FetchErrorKind::Network {
            detail: error_chain(&err),
        },
        // A connection reset or closed while the answer was read is a network failure, not
        // malformed data.
        SdkError::ResponseError(_) if io_failure(&err) => FetchErrorKind::Network {
            detail: error_chain(&err),
        },
        SdkError::ResponseError(_) => unparseable(&error_chain(&err)),
        _ => {
            let status = err.raw_response().map(|r| r.status().as_u16());
            match (err.code(), status) {
                // A success status with an error means the SDK could not parse the answer
                // (e.g. an emulator's wrong root element): the data is malformed.
                (_, Some(200..=299)) => unparseable(&error_chain(&err)),
                (
                    Some(
                        "InvalidAccessKeyId"
                        | "SignatureDoesNotMatch"
                        | "ExpiredToken"
                        | "InvalidToken"
                        | "TokenRefreshRequired"
                        | "InvalidClientTokenId"
                        | "UnrecognizedClientException",
                    ),
                    _,
                ) => FetchErrorKind::CredentialsRejected {
                    code: err.code().unwrap_or_default().to_owned(),
                },
                // S3 and Route 53 say AccessDenied, CloudTrail AccessDeniedException (HTTP
                // 400), SNS AuthorizationError.
                (Some("AccessDenied" | "AccessDeniedException" | "AuthorizationError"), _)
                | (None, Some(403)) => FetchErrorKind::AccessDenied,
                (Some("NoSuchBucket"), _) => FetchErrorKind::NoSuchBucket,
                // HeadBucket answers without a body, so its 404 carries no code.
                (Some("NotFound") | None, Some(404)) if facet == Facet::Region => {
                    FetchErrorKind::NoSuchBucket
                }
                (
                    Some(
                        "SlowDown"
                        | "Throttling"
                        | "ThrottlingException"
                        | "RequestLimitExceeded"
                        | "TooManyRequestsException",
                    ),
                    _,
                )
                | (_, Some(429 | 503)) => FetchErrorKind::Throttled {
                    code: err.code().map_or_else(
                        || format!("HTTP {}", status.unwrap_or_default()),
                        str::to_owned,
                    ),
                    attempts: attempts(&err),
                },
                (
                    Some(
                        "PermanentRedirect"
                        | "TemporaryRedirect"
                        | "AuthorizationHeaderMalformed"
                        | "IllegalLocationConstraintException",
                    ),
                    _,
                )
                | (_, Some(301 | 307)) => FetchErrorKind::WrongRegion {
                    region: bucket_region_header(&err),
                },
                (code, status) => FetchErrorKind::Service {
                    code: code.map(str::to_owned),
                    status,
                    message: err.message().map(str::to_owned),
                },
            }
        }
    };
    FetchError::new(facet, kind)
}

/// An answer the SDK could not parse, described without the parser's `Debug` dumps
/// (`StartEl { name: Name { prefix: "", … } }`), which would reach every report. A bucket
/// listing where another answer was due means the endpoint ignored the API's subresource
/// (moto answers GetBucketPolicyStatus so): it does not implement the API.
pub fn unparseable(chain: &str) -> FetchErrorKind {
    if let Some((expected, got)) = wrong_root(chain) {
        return if got == "ListBucketResult" {
            FetchErrorKind::Unsupported
        } else {
            FetchErrorKind::Malformed {
                detail: format!("the answer is <{got}>, not <{expected}>"),
            }
        };
    }
    FetchErrorKind::Malformed {
        detail: without_debug(chain),
    }
}

/// The expected and the actual root element of an "invalid root" parse error (the SDK words
/// it two ways: `invalid root, expected X got StartEl {…}` and `encountered invalid XML root:
/// expected X but got StartEl {…}`).
fn wrong_root(chain: &str) -> Option<(&str, &str)> {
    let rest = ["invalid root, expected ", "invalid XML root: expected "]
        .iter()
        .find_map(|marker| chain.find(marker).map(|at| &chain[at + marker.len()..]))?;
    let expected = rest.split_whitespace().next()?;
    let local = &rest[rest.find("local: \"")? + "local: \"".len()..];
    Some((expected, &local[..local.find('"')?]))
}

/// `text` cut before its first `Debug`-formatted value (an identifier followed by `(` or
/// ` {`, as in `XmlToken(…)` or `Name { … }`), without the word that introduced it (`got`,
/// `found:`); repeated parts of the chain are kept once.
fn without_debug(text: &str) -> String {
    let bytes = text.as_bytes();
    let debug_at = (1..bytes.len()).find_map(|i| {
        let opens = match bytes[i] {
            b'(' => bytes[i - 1].is_ascii_alphanumeric(),
            b'{' => bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b' ',
            _ => false,
        };
        if !opens {
            return None;
        }
        let name_end = text[..i].trim_end().len();
        let name_start = text[..name_end]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |s| s + 1);
        (name_start < name_end).then_some(name_start)
    });
    let mut kept = &text[..debug_at.unwrap_or(text.len())];
    loop {
        let trimmed = kept
            .trim_end_matches([',', ':', ' '])
            .trim_end_matches(" got")
            .trim_end_matches(" found");
        if trimmed.len() == kept.len() {
            break;
        }
        kept = trimmed;
    }
    let mut parts: Vec<&str> = Vec::new();
    // The SDK's wrappers say nothing about the answer.
    for part in kept.split(": ") {
        let wrapper = matches!(
            part,
            "service error" | "unhandled error" | "unhandled error (Unhandled)"
        );
        if !wrapper && !part.is_empty() && !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts.join(": ")
}

/// The attempts the SDK made before giving up, as the pacing interceptor recorded them.
fn attempts<E>(err: &SdkError<E, HttpResponse>) -> Option<u32> {
    err.raw_response()?
        .headers()
        .get(pacing::ATTEMPTS_HEADER)?
        .parse()
        .ok()
}

/// Whether an I/O error (a reset, a connection closed early) is in the error's chain: hyper
/// wraps the `std::io::Error`, or names an incomplete message.
fn io_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.is::<std::io::Error>() {
            return true;
        }
        let text = e.to_string();
        if text.contains("connection closed before message completed")
            || text.contains("error reading a body from connection")
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// An error and its sources on one line (`dispatch failure: io error: … Connection refused`),
/// skipping a source whose text its parent already contains. The SDK's `Display` alone says
/// only "dispatch failure"; `DisplayErrorContext` appends a multi-line debug dump.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        let text = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() && !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// S3 Control puts the account id in front of the host (`123456789012.s3-control.…`), even in
/// front of a custom endpoint, where `123456789012.127.0.0.1` resolves nowhere. With a custom
/// endpoint (emulators, tests) this puts the configured host back, before signing so that the
/// signature covers the host that is really used.
#[derive(Debug)]
struct AccountHostPrefix {
    authority: String,
}

impl AccountHostPrefix {
    fn for_endpoint(url: &str) -> Self {
        AccountHostPrefix {
            authority: authority(url).to_owned(),
        }
    }
}

/// The `host[:port]` part of a URL.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

impl aws_sdk_s3control::config::Intercept for AccountHostPrefix {
    fn name(&self) -> &'static str {
        "AccountHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut aws_sdk_s3control::config::interceptors::BeforeTransmitInterceptorContextMut<
            '_,
        >,
        _: &aws_sdk_s3control::config::RuntimeComponents,
        _: &mut aws_sdk_s3control::config::ConfigBag,
    ) -> Result<(), aws_sdk_s3control::error::BoxError> {
        let uri = context.request().uri().to_owned();
        let host = authority(&uri);
        if host != self.authority && host.ends_with(&format!(".{}", self.authority)) {
            let fixed = uri.replacen(host, &self.authority, 1);
            context.request_mut().set_uri(fixed.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
// aws-config deprecated these names for aws-runtime's, which is not a dependency.
#[allow(deprecated)]
mod tests {
    use super::*;
    // Deprecated for their twins in aws-runtime, which is not a dependency of ours.
    #[allow(deprecated)]
    use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};

    #[test]
    fn unparseable_answers_are_described_without_debug_dumps() {
        // What the SDK says when moto answers GetBucketPolicyStatus with a bucket listing.
        let listing = r#"unhandled error (Unhandled): invalid root, expected PolicyStatus got StartEl { name: Name { prefix: "", local: "ListBucketResult" }, attributes: [Attr { name: Name { prefix: "", local: "xmlns" }, value: "http://s3.amazonaws.com/doc/2006-03-01/" }], closed: false, depth: 0 }"#;
        assert_eq!(unparseable(listing), FetchErrorKind::Unsupported);
        let other_root = r#"service error: unhandled error: error parsing XML: encountered invalid XML root: expected VersioningConfiguration but got StartEl { name: Name { prefix: "", local: "GetBucketVersioningResponse" }, attributes: [], closed: false, depth: 0 }. This is likely a bug in the SDK."#;
        assert_eq!(
            unparseable(other_root),
            FetchErrorKind::Malformed {
                detail:
                    "the answer is <GetBucketVersioningResponse>, not <VersioningConfiguration>"
                        .into()
            }
        );
        let token = r#"unhandled error: looking for a data element, found: XmlToken(ElementStart { prefix: "", local: "Status", span: 12 })"#;
        assert_eq!(
            unparseable(token),
            FetchErrorKind::Malformed {
                detail: "looking for a data element".into()
            }
        );
        let plain = "response error: invalid XML (HTTP 200): no root element";
        assert_eq!(
            unparseable(plain),
            FetchErrorKind::Malformed {
                detail: plain.into()
            }
        );
    }

    /// Loads a configuration from `config` alone (no environment endpoint is set by the tests).
    #[allow(deprecated)]
    async fn load(config: &str, endpoint_url: Option<&str>) -> S3Clients {
        let path = std::env::temp_dir().join(format!(
            "s3tk-aws-config-{}-{}",
            std::process::id(),
            endpoint_url.is_some()
        ));
        std::fs::write(&path, config).unwrap();
        let files = ProfileFiles::builder()
            .with_file(ProfileFileKind::Config, &path)
            .build();
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .profile_files(files)
            .profile_name("s3tk-test");
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        std::fs::remove_file(&path).unwrap();
        S3Clients::from_sdk_config(&sdk, None, 1).unwrap()
    }

    #[test]
    fn endpoints_are_urls_with_a_host() {
        for good in [
            "http://127.0.0.1:9000",
            "https://s3.eu-west-1.amazonaws.com",
            "http://localhost:4566/",
            "http://[::1]:9000",
            "https://minio.internal/s3",
        ] {
            assert!(check_endpoint(good, "--endpoint-url").is_ok(), "{good}");
        }
        for (bad, reason) in [
            ("http://", "it has no valid host name"),
            ("https://:9000", "it has no valid host name"),
            ("localhost:9000", "it must start with http:// or https://"),
            ("ftp://host", "it must start with http:// or https://"),
            (
                "http://host:port",
                "the port must be a number from 1 to 65535",
            ),
            (
                "http://host:70000",
                "the port must be a number from 1 to 65535",
            ),
            ("http://ho st", "it contains spaces or control characters"),
            ("http://[::g]:80", "it has no valid host name"),
            (
                "http://bad host/?u=http://ok",
                "it contains spaces or control characters",
            ),
            ("http://bad_host!/?u=http://ok", "it has no valid host name"),
            (
                "https://key:secret@host",
                "credentials do not belong in the URL; use a profile or the environment",
            ),
        ] {
            let err = check_endpoint(bad, "--endpoint-url").unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("invalid --endpoint-url '{bad}': {reason}")
            );
        }
    }

    #[tokio::test]
    async fn the_s3_endpoint_of_a_profiles_services_section_is_the_one_reported() {
        let config = "\
[profile s3tk-test]
region = eu-west-1
services = storage

[services storage]
s3 =
  endpoint_url = http://minio.example:9000
sts =
  endpoint_url = https://sts.example
";
        let clients = load(config, None).await;
        assert_eq!(clients.endpoint_url(), Some("http://minio.example:9000"));
        // --endpoint-url wins over the profile, as it does in the SDK.
        let clients = load(config, Some("https://s3.example")).await;
        assert_eq!(clients.endpoint_url(), Some("https://s3.example"));
    }
}

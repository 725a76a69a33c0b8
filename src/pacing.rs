//! Pacing a run's requests when AWS pushes back: retries, back-pressure, and stopping.
//!
//! - **Retries.** Every client retries in the SDK's standard mode: a request gets
//!   [`DEFAULT_MAX_ATTEMPTS`] (20) attempts unless `AWS_MAX_ATTEMPTS` (or the profile's
//!   `max_attempts`) says otherwise, backing off exponentially from 1 s to at most 20 s with
//!   full jitter. The SDK's shared retry quota (a token bucket: 500 tokens per partition, 5 per
//!   retry) ran dry under sustained `SlowDown` and then failed requests on their first answer,
//!   so the run has its own partition: throttling retries cost nothing from it (back-pressure
//!   paces them instead), and the quota for other transient errors (500s, timeouts, resets) is
//!   sized for `--concurrency`. A 503 or 429 without an error code (HEAD answers have no body)
//!   counts as throttling too.
//! - **Back-pressure.** Every request attempt goes through one HTTP client per run, which lets
//!   at most [`AdaptiveLimit`] attempts be on the wire at once and adapts that like TCP's
//!   congestion window (AIMD): a throttled answer (503/429) halves it, at most once per window
//!   of answers, down to 1; every window of successful answers raises it by one, back up to
//!   `--concurrency`. A request sleeping before its retry holds no slot, so the others go on.
//!   `AWS_RETRY_MODE=adaptive` is accepted but runs as standard: the SDK's client-side rate
//!   limiter cannot be interrupted (Ctrl-C waited over a minute for its tokens), and the
//!   back-pressure already adapts the rate.
//! - **Stopping.** [`Stop`] is the run's Ctrl-C. Once it is set no retry is scheduled, and the
//!   object walker drops every object that has not written anything yet ([`interruptible`]), so
//!   a stop never waits on retries sleeping in the SDK.
//! - **Attempts.** A failed request's answer carries the number of attempts made
//!   ([`ATTEMPTS_HEADER`]), so messages can say "after 20 attempts" and be true.
//!
//! Internal settings for the tests (not user options): `S3TK_RETRY_BASE_MS` is the first
//! backoff (the longest is 20 times it), `S3TK_LIST_RETRY_WINDOW_MS` how long a failing listing
//! page is retried (default 5 minutes).

use aws_sdk_s3::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextMut,
    FinalizerInterceptorContextRef, InterceptorContext,
};
use aws_sdk_s3::config::retry::{
    ClassifyRetry, RetryAction, RetryConfig, RetryPartition, TokenBucket,
};
use aws_sdk_s3::config::{
    ConfigBag, HttpClient, Intercept, RuntimeComponents, RuntimeComponentsBuilder, SharedHttpClient,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// Attempts per request unless the user configured retries. Throttling is retried at no cost
/// to the quota, so this is what bounds it: at a steady 50% of answers throttled, one request
/// in a million fails all 20 (with 10, one in a thousand would: 2 or 3 of 2,500 objects). A
/// request throttled every time gives up after about 2.5 minutes of backoff on average.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 20;
/// The first backoff; the SDK doubles it per attempt, up to [`MAX_BACKOFF_FACTOR`] times it.
const DEFAULT_BACKOFF_BASE: Duration = Duration::from_secs(1);
const MAX_BACKOFF_FACTOR: u32 = 20;
/// How long one listing page is retried before the walk stops with a resume point.
const DEFAULT_LIST_RETRY_WINDOW: Duration = Duration::from_secs(300);
/// Retry-quota tokens per `--concurrency` slot: with the SDK's costs (5 per retry of a 5xx,
/// 10 per timeout or reset) every request in flight can be retried 5 to 10 times at once before
/// the quota runs out; first-attempt successes refill it.
const QUOTA_PER_SLOT: usize = 50;

/// The response header (added by s3tk, never sent by AWS) that carries a failed request's
/// number of attempts to [`crate::aws::classify`].
pub const ATTEMPTS_HEADER: &str = "x-s3tk-attempts";

fn internal_ms(var: &str, default: Duration) -> Duration {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(default, Duration::from_millis)
}

/// The first retry backoff (`S3TK_RETRY_BASE_MS` in tests).
pub fn backoff_base() -> Duration {
    internal_ms("S3TK_RETRY_BASE_MS", DEFAULT_BACKOFF_BASE)
}

/// The retry policy of a run: standard mode, the user's number of attempts if they chose one
/// (see [`user_max_attempts`]) else [`DEFAULT_MAX_ATTEMPTS`], and the backoff from
/// [`backoff_base`].
pub fn retry_config(user_max_attempts: Option<u32>) -> RetryConfig {
    let base = backoff_base();
    RetryConfig::standard()
        .with_max_attempts(user_max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS))
        .with_initial_backoff(base)
        .with_max_backoff(base * MAX_BACKOFF_FACTOR)
}

/// The number of attempts the user chose: `AWS_MAX_ATTEMPTS` is set, or the profile's
/// `max_attempts` changed the SDK's default of 3 (a profile that sets exactly 3 cannot be told
/// apart from none, and gets s3tk's default).
pub fn user_max_attempts(loaded: Option<&RetryConfig>) -> Option<u32> {
    let loaded = loaded?;
    let from_env = std::env::var_os("AWS_MAX_ATTEMPTS").is_some_and(|v| !v.is_empty());
    (from_env || loaded.max_attempts() != RetryConfig::standard().max_attempts())
        .then(|| loaded.max_attempts())
}

/// Everything that paces one run, shared by all its clients (also those of assumed roles).
#[derive(Debug)]
pub struct Pacing {
    /// Request attempts on the wire.
    pub wire: Arc<AdaptiveLimit>,
    pub stop: Arc<Stop>,
    /// How long a failing listing page is retried, and the first wait between tries.
    pub list_retry_window: Duration,
    pub list_retry_base: Duration,
    partition: RetryPartition,
    http: SharedHttpClient,
}

impl Pacing {
    /// Pacing for `concurrency` requests at once, sending through `http` (the SDK's default
    /// client when `None`).
    pub fn new(concurrency: usize, http: Option<SharedHttpClient>) -> Self {
        let concurrency = concurrency.max(1);
        let quota = TokenBucket::builder()
            .capacity(concurrency.saturating_mul(QUOTA_PER_SLOT).max(500))
            .throttling_retry_cost(0)
            .build();
        let wire = Arc::new(AdaptiveLimit::new(concurrency));
        let http = SharedHttpClient::new(PacedHttpClient {
            inner: http.unwrap_or_else(default_https_client),
            wire: Arc::clone(&wire),
        });
        Pacing {
            wire,
            stop: Arc::new(Stop::default()),
            list_retry_window: internal_ms("S3TK_LIST_RETRY_WINDOW_MS", DEFAULT_LIST_RETRY_WINDOW),
            list_retry_base: backoff_base(),
            partition: RetryPartition::custom("s3tk").token_bucket(quota).build(),
            http,
        }
    }

    /// The HTTP client every client of the run shares (its back-pressure).
    pub fn http_client(&self) -> SharedHttpClient {
        self.http.clone()
    }

    /// The retry partition every client of the run shares (its quota, see the module docs).
    pub fn retry_partition(&self) -> RetryPartition {
        self.partition.clone()
    }

    /// The interceptor every client of the run carries.
    pub fn interceptor(self: &Arc<Self>) -> Pacer {
        Pacer(Arc::clone(self))
    }

    /// The retry classifier every client of the run carries.
    pub fn classifier(self: &Arc<Self>) -> ThrottleClassifier {
        ThrottleClassifier(Arc::clone(&self.stop))
    }

    fn answered(&self, status: u16) {
        match status {
            429 | 503 => self.wire.throttled(),
            100..=499 => self.wire.succeeded(),
            _ => {}
        }
    }
}

/// The SDK's default HTTPS client (hyper 1, rustls with aws-lc, the environment's proxy
/// settings), built as `aws-smithy-runtime` builds it, to be wrapped in [`PacedHttpClient`].
fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// An HTTP client that puts each request attempt on the wire only within the adaptive limit.
#[derive(Debug)]
struct PacedHttpClient {
    inner: SharedHttpClient,
    wire: Arc<AdaptiveLimit>,
}

impl HttpClient for PacedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            wire: Arc::clone(&self.wire),
        })
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_final_config(components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    wire: Arc<AdaptiveLimit>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, wire) = (self.inner.clone(), Arc::clone(&self.wire));
        HttpConnectorFuture::new(async move {
            // Held until the answer's head arrives; the body is read after.
            let _slot = wire.acquire().await;
            inner.call(request).await
        })
    }
}

/// An in-flight limit that halves on throttling and creeps back up on success (AIMD).
#[derive(Debug)]
pub struct AdaptiveLimit {
    semaphore: Arc<Semaphore>,
    max: usize,
    state: Mutex<LimitState>,
    throttled: AtomicU64,
}

#[derive(Debug)]
struct LimitState {
    /// What is allowed in flight now.
    limit: usize,
    /// Permits in existence (available plus held); more than `limit` right after a decrease,
    /// until enough are returned.
    issued: usize,
    /// Successes since the limit last rose.
    successes: usize,
    /// Answers since the limit last fell: one decrease per window of `limit` answers, so the
    /// answers to requests sent before a decrease do not decrease it again.
    since_decrease: usize,
    lowest: usize,
}

/// A slot of an [`AdaptiveLimit`]; returned (or retired, after a decrease) when dropped.
#[derive(Debug)]
pub struct Permit {
    permit: Option<OwnedSemaphorePermit>,
    limit: Arc<AdaptiveLimit>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.limit.state.lock().expect("limit state");
        if let Some(permit) = self.permit.take()
            && state.issued > state.limit
        {
            permit.forget();
            state.issued -= 1;
        }
    }
}

impl AdaptiveLimit {
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        AdaptiveLimit {
            semaphore: Arc::new(Semaphore::new(max)),
            max,
            state: Mutex::new(LimitState {
                limit: max,
                issued: max,
                successes: 0,
                since_decrease: max,
                lowest: max,
            }),
            throttled: AtomicU64::new(0),
        }
    }

    /// Waits for a slot.
    pub async fn acquire(self: &Arc<Self>) -> Permit {
        let permit = Arc::clone(&self.semaphore)
            .acquire_owned()
            .await
            .expect("the limit's semaphore is never closed");
        Permit {
            permit: Some(permit),
            limit: Arc::clone(self),
        }
    }

    /// A throttled answer: halve the limit (once per window), down to 1.
    pub fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
        let mut state = self.state.lock().expect("limit state");
        state.since_decrease += 1;
        if state.since_decrease < state.limit || state.limit == 1 {
            return;
        }
        state.limit = (state.limit / 2).max(1);
        state.lowest = state.lowest.min(state.limit);
        state.since_decrease = 0;
        state.successes = 0;
        // Retire the free permits at once; held ones are retired as they come back.
        while state.issued > state.limit {
            match Arc::clone(&self.semaphore).try_acquire_owned() {
                Ok(permit) => {
                    permit.forget();
                    state.issued -= 1;
                }
                Err(_) => break,
            }
        }
    }

    /// A successful answer: one more slot after a window of them, up to the maximum.
    pub fn succeeded(&self) {
        let mut state = self.state.lock().expect("limit state");
        state.since_decrease += 1;
        state.successes += 1;
        if state.successes < state.limit || state.limit >= self.max {
            return;
        }
        state.successes = 0;
        state.limit += 1;
        if state.issued < state.limit {
            self.semaphore.add_permits(1);
            state.issued += 1;
        }
    }

    /// What is allowed in flight now.
    pub fn current(&self) -> usize {
        self.state.lock().expect("limit state").limit
    }

    /// The lowest the limit has been.
    pub fn lowest(&self) -> usize {
        self.state.lock().expect("limit state").lowest
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// Throttled answers seen so far.
    pub fn throttled_count(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }
}

/// The run's stop (first Ctrl-C, or stdout closed): set once, awaitable.
#[derive(Debug, Default)]
pub struct Stop {
    flag: AtomicBool,
    notify: Notify,
}

impl Stop {
    pub fn stop(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// The flag itself, for code that only polls it.
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }

    /// Resolves once the run is stopped (at once if it already is).
    pub async fn stopped(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_stopped() {
                return;
            }
            notified.await;
        }
    }
}

tokio::task_local! {
    /// The work unit (one object) the current request belongs to.
    static FLIGHT: Arc<Flight>;
}

/// What one unit of work has done so far, as the interceptor sees its requests.
#[derive(Debug, Default)]
struct Flight {
    /// Write requests (anything but GET and HEAD) on the wire.
    writing: AtomicUsize,
    /// A write request was answered with success: its result must be reported (and a
    /// multipart upload, once created, completed or aborted).
    wrote: AtomicBool,
}

impl Flight {
    fn droppable(&self) -> bool {
        self.writing.load(Ordering::SeqCst) == 0 && !self.wrote.load(Ordering::SeqCst)
    }
}

/// Runs `work` (one object) so that a stop drops it while it has changed nothing: before its
/// first write, or between a failed write and its retry. A write on the wire, or a successful
/// one (whose result must be reported), lets it run to its end. `None`: dropped.
pub async fn interruptible<F: Future>(stop: &Stop, work: F) -> Option<F::Output> {
    let flight = Arc::new(Flight::default());
    let watched = Arc::clone(&flight);
    FLIGHT
        .scope(flight, async move {
            let mut work = std::pin::pin!(work);
            let mut stopped = std::pin::pin!(stop.stopped());
            let mut is_stopped = false;
            std::future::poll_fn(|cx| {
                if let Poll::Ready(output) = work.as_mut().poll(cx) {
                    return Poll::Ready(Some(output));
                }
                if !is_stopped {
                    is_stopped = stopped.as_mut().poll(cx).is_ready();
                }
                // While not droppable, `work` is waiting on a request and wakes this future.
                if is_stopped && watched.droppable() {
                    return Poll::Ready(None);
                }
                Poll::Pending
            })
            .await
        })
        .await
}

/// Whether the current attempt is a write, from `read_before_attempt` to `read_after_attempt`.
#[derive(Debug, Clone, Copy)]
struct WriteAttempt(bool);

impl Storable for WriteAttempt {
    type Storer = StoreReplace<Self>;
}

/// Sees every attempt of every request: feeds back-pressure, tracks writes for [`interruptible`]
/// and stamps failed answers with their number of attempts.
#[derive(Debug)]
pub struct Pacer(Arc<Pacing>);

impl Intercept for Pacer {
    fn name(&self) -> &'static str {
        "s3tk pacing"
    }

    fn read_before_attempt(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let write = !matches!(context.request().method(), "GET" | "HEAD");
        cfg.interceptor_state().store_put(WriteAttempt(write));
        if write {
            let _ = FLIGHT.try_with(|f| f.writing.fetch_add(1, Ordering::SeqCst));
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let status = context.response().map(|r| r.status().as_u16());
        if let Some(status) = status {
            self.0.answered(status);
        }
        if cfg.load::<WriteAttempt>().is_some_and(|w| w.0) {
            let _ = FLIGHT.try_with(|f| {
                if status.is_some_and(|s| (200..300).contains(&s)) {
                    f.wrote.store(true, Ordering::SeqCst);
                }
                f.writing.fetch_sub(1, Ordering::SeqCst);
            });
        }
        Ok(())
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let failed = context.output_or_error().is_some_and(|r| r.is_err());
        if let (true, Some(attempts)) = (failed, cfg.load::<RequestAttempts>()) {
            let attempts = attempts.attempts().to_string();
            if let Some(response) = context.response_mut() {
                response.headers_mut().insert(ATTEMPTS_HEADER, attempts);
            }
        }
        Ok(())
    }
}

/// Classifies a 503 or 429 as throttling even without an error code (HEAD answers have no
/// body), and forbids every retry once the run is stopped.
#[derive(Debug)]
pub struct ThrottleClassifier(Arc<Stop>);

impl ClassifyRetry for ThrottleClassifier {
    fn classify_retry(&self, context: &InterceptorContext) -> RetryAction {
        if self.0.is_stopped() {
            return RetryAction::RetryForbidden;
        }
        match context.response().map(|r| r.status().as_u16()) {
            Some(429 | 503) => RetryAction::throttling_error(),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "s3tk throttling"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::retry::RetryMode;

    #[test]
    fn throttling_halves_the_limit_once_per_window_and_success_raises_it_slowly() {
        let limit = AdaptiveLimit::new(64);
        limit.throttled();
        assert_eq!(limit.current(), 32);
        // The other answers of the same window do not decrease it again.
        for _ in 0..31 {
            limit.throttled();
        }
        assert_eq!(limit.current(), 32);
        limit.throttled();
        assert_eq!(limit.current(), 16);
        for _ in 0..5 {
            for _ in 0..16 {
                limit.throttled();
            }
        }
        assert_eq!(limit.current(), 1, "never below one");
        limit.throttled();
        assert_eq!(limit.current(), 1);
        // One more slot per window of successes.
        limit.succeeded();
        assert_eq!(limit.current(), 2);
        limit.succeeded();
        assert_eq!(limit.current(), 2);
        limit.succeeded();
        assert_eq!(limit.current(), 3);
        for _ in 0..10_000 {
            limit.succeeded();
        }
        assert_eq!(limit.current(), 64, "back up to --concurrency, not beyond");
        assert_eq!(limit.lowest(), 1);
        assert_eq!(limit.throttled_count(), 32 + 1 + 80 + 1);
    }

    #[tokio::test]
    async fn a_lower_limit_admits_fewer_as_permits_come_back() {
        let limit = Arc::new(AdaptiveLimit::new(4));
        let held: Vec<Permit> = vec![
            limit.acquire().await,
            limit.acquire().await,
            limit.acquire().await,
        ];
        limit.throttled();
        assert_eq!(limit.current(), 2);
        // The free permit was retired; the held ones are retired as they return.
        assert!(Arc::clone(&limit.semaphore).try_acquire_owned().is_err());
        drop(held);
        let a = limit.acquire().await;
        let _b = limit.acquire().await;
        assert!(Arc::clone(&limit.semaphore).try_acquire_owned().is_err());
        drop(a);
        assert!(Arc::clone(&limit.semaphore).try_acquire_owned().is_ok());
    }

    #[tokio::test]
    async fn a_stop_drops_work_that_has_written_nothing_but_not_work_that_wrote() {
        let stop = Arc::new(Stop::default());
        let idle = interruptible(&stop, async {
            std::future::pending::<()>().await;
        });
        let held = interruptible(&stop, async {
            FLIGHT.with(|f| f.wrote.store(true, Ordering::SeqCst));
            tokio::time::sleep(Duration::from_millis(50)).await;
            "finished"
        });
        let stopper = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            stop.stop();
        };
        let (idle, held, ()) = tokio::join!(idle, held, stopper);
        assert_eq!(idle, None);
        assert_eq!(held, Some("finished"));
        // Already stopped: waiting resolves at once.
        stop.stopped().await;
    }

    #[test]
    fn the_default_policy_is_robust_and_the_users_attempts_are_respected() {
        let ours = retry_config(None);
        assert_eq!(ours.max_attempts(), DEFAULT_MAX_ATTEMPTS);
        assert_eq!(ours.mode(), RetryMode::Standard);
        assert_eq!(
            ours.max_backoff(),
            ours.initial_backoff() * MAX_BACKOFF_FACTOR
        );
        assert_eq!(retry_config(Some(1)).max_attempts(), 1);
        // A profile's max_attempts; its adaptive mode is not kept (the SDK's rate limiter).
        let profile = RetryConfig::adaptive().with_max_attempts(5);
        assert_eq!(user_max_attempts(Some(&profile)), Some(5));
        assert_eq!(retry_config(Some(5)).mode(), RetryMode::Standard);
    }
}

//! Running the object commands: validate, prepare from the bucket's settings, walk the objects,
//! print each result as it completes (text or JSON Lines) with progress on stderr, then the
//! summary and the exit code.

use super::{Failure, GlobalArgs, ObjectFormat, ObjectTarget, aws_options};
use crate::aws::{DEFAULT_OBJECT_CONCURRENCY, S3Clients};
use crate::error::InputError;
use crate::objects::acl::CannedAcl;
use crate::objects::batch::{self, ReportLocation};
use crate::objects::inventory::{Inventory, Manifest, ManifestLocation};
use crate::objects::s3::Listed;
use crate::objects::sse::{CustomerKey, Target, validate_encrypt_kms_key};
use crate::objects::walk::{self, Counts, Event, KeyFilter, Listing, Totals, WalkSpec};
use crate::objects::{Prepared, Record, Status, delete_versions, encrypt, reset_acl, scan_acl};
use crate::output::printable;
use crate::pacing::Stop;
use crate::report::Style;
use crate::select;
use crate::state::{AccountState, BucketState};
use aws_sdk_s3::Client;
use serde_json::json;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// `--batch`: the job's role and where its manifest and report go (validated).
pub struct BatchSpec {
    pub role_arn: String,
    pub report: ReportLocation,
}

/// Which object command, with its options.
pub enum Job {
    ScanAcl,
    ResetAcl {
        acl: CannedAcl,
        dry_run: bool,
        batch: Option<BatchSpec>,
    },
    /// `sse` is `None` when no key option was given.
    Encrypt {
        sse: Option<Target>,
        dry_run: bool,
        batch: Option<BatchSpec>,
    },
    DeleteVersions {
        dry_run: bool,
    },
}

impl Job {
    fn name(&self) -> &'static str {
        match self {
            Job::ScanAcl => "scan-object-acl",
            Job::ResetAcl { .. } => "reset-object-acl",
            Job::Encrypt { .. } => "encrypt",
            Job::DeleteVersions { .. } => "delete-unencrypted-versions",
        }
    }

    fn take_batch(&mut self) -> Option<BatchSpec> {
        match self {
            Job::ResetAcl { batch, .. } | Job::Encrypt { batch, .. } => batch.take(),
            _ => None,
        }
    }

    fn dry_run(&self) -> bool {
        match self {
            Job::ScanAcl => false,
            Job::ResetAcl { dry_run, .. }
            | Job::Encrypt { dry_run, .. }
            | Job::DeleteVersions { dry_run } => *dry_run,
        }
    }
}

/// A prepared command: the per-object step with what it needs.
enum Context {
    ScanAcl(scan_acl::Context),
    ResetAcl(reset_acl::Context),
    Encrypt(encrypt::Context),
    DeleteVersions(delete_versions::Context),
}

impl Context {
    fn listing(&self) -> Listing {
        match self {
            Context::DeleteVersions(_) => Listing::NoncurrentVersions,
            _ => Listing::Objects,
        }
    }

    /// `--batch`: the record, and the job group when the object goes into a job.
    async fn batch_plan(&self, client: &Client, object: Listed) -> (Record, Option<String>) {
        match self {
            Context::ResetAcl(c) => reset_acl::batch_plan(c, client, object).await,
            Context::Encrypt(c) => encrypt::batch_plan(c, client, object).await,
            _ => unreachable!("only encrypt and reset-object-acl take --batch"),
        }
    }

    /// The Batch Operations operation for a job group.
    fn batch_operation(&self, group: &str) -> batch::Operation {
        match self {
            Context::ResetAcl(c) => batch::Operation::SetAcl {
                canned: c.acl.as_str().to_owned(),
            },
            Context::Encrypt(c) => batch::Operation::Encrypt {
                target: c.target.clone(),
                storage_class: group.to_owned(),
            },
            _ => unreachable!("only encrypt and reset-object-acl take --batch"),
        }
    }

    async fn object(&self, client: &Client, object: Listed) -> Record {
        match self {
            Context::ScanAcl(c) => scan_acl::object(c, client, object).await,
            Context::ResetAcl(c) => reset_acl::object(c, client, object).await,
            Context::Encrypt(c) => encrypt::object(c, client, object).await,
            Context::DeleteVersions(c) => delete_versions::object(c, client, object).await,
        }
    }
}

fn map_prepared<C>(prepared: Prepared<C>, wrap: impl FnOnce(C) -> Context) -> Prepared<Context> {
    match prepared {
        Prepared::Walk { context, notes } => Prepared::Walk {
            context: wrap(context),
            notes,
        },
        Prepared::Done(message) => Prepared::Done(message),
        Prepared::Refused(message) => Prepared::Refused(message),
    }
}

async fn prepare(job: Job, bucket: &BucketState) -> Prepared<Context> {
    match job {
        Job::ScanAcl => map_prepared(scan_acl::prepare(bucket).await, Context::ScanAcl),
        Job::ResetAcl { acl, dry_run, .. } => map_prepared(
            reset_acl::prepare(bucket, acl, dry_run).await,
            Context::ResetAcl,
        ),
        Job::Encrypt { sse, dry_run, .. } => map_prepared(
            encrypt::prepare(bucket, sse, dry_run).await,
            Context::Encrypt,
        ),
        Job::DeleteVersions { dry_run } => map_prepared(
            delete_versions::prepare(bucket, dry_run).await,
            Context::DeleteVersions,
        ),
    }
}

/// An SSE-C key file holds 32 bytes or their 44 base64 characters, with some whitespace.
const CUSTOMER_KEY_FILE_LIMIT: u64 = 256;

/// The encryption `encrypt` was asked for (`None`: no key option), with the key options
/// validated. No message ever contains a customer key.
pub fn encryption_target(
    kms_key_id: Option<String>,
    customer_key: Option<String>,
    customer_key_file: Option<PathBuf>,
    customer_key_env: Option<String>,
) -> Result<Option<Target>, String> {
    if let Some(key) = kms_key_id {
        validate_encrypt_kms_key(&key)?;
        return Ok(Some(Target::Kms(Some(key))));
    }
    let key = if let Some(value) = customer_key {
        CustomerKey::parse(value.as_bytes(), "--customer-key")?
    } else if let Some(path) = customer_key_file {
        let bytes = crate::input::read_bounded(
            &path,
            "--customer-key-file",
            CUSTOMER_KEY_FILE_LIMIT,
            "256 bytes; it holds a 32-byte key or its base64",
        )?;
        CustomerKey::parse(&bytes, &format!("file {}", path.display()))?
    } else if let Some(var) = customer_key_env {
        let value = std::env::var_os(&var)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("--customer-key-env {var}: the variable is not set"))?;
        CustomerKey::parse(value.as_encoded_bytes(), &format!("${var}"))?
    } else {
        return Ok(None);
    };
    Ok(Some(Target::Customer(key)))
}

/// `endpoint` if it is plain HTTP and not loopback: an SSE-C key must never cross a network
/// unencrypted (S3 itself refuses SSE-C over HTTP).
fn insecure_endpoint(endpoint: Option<&str>) -> Option<String> {
    let url = endpoint?;
    match crate::aws::Endpoint::parse(url) {
        Ok(e) if e.https || e.is_loopback() => None,
        _ => Some(url.to_owned()),
    }
}

pub async fn run(
    global: &GlobalArgs,
    target: ObjectTarget,
    mut job: Job,
    style: Style,
) -> Result<u8, Failure> {
    let batch = job.take_batch();
    select::validate_bucket_name(&target.bucket).map_err(|reason| InputError::BucketName {
        name: target.bucket.clone(),
        reason,
    })?;
    let filter = KeyFilter::new(&target.only, &target.except)
        .and_then(|f| f.start_after(target.start_after.clone()))
        .map_err(Failure::Usage)?;
    let manifest_location = target
        .inventory
        .as_deref()
        .map(ManifestLocation::parse)
        .transpose()
        .map_err(Failure::Usage)?;
    let options = aws_options(global, DEFAULT_OBJECT_CONCURRENCY);
    let concurrency = options.concurrency;
    let clients = S3Clients::load(&options).await?;
    if let (
        Job::Encrypt {
            sse: Some(Target::Customer(_)),
            ..
        },
        Some(endpoint),
    ) = (&job, insecure_endpoint(clients.endpoint_url()))
    {
        return Err(Failure::Usage(format!(
            "refusing to send an SSE-C key over plain HTTP to {endpoint}; use https://"
        )));
    }
    let account = AccountState::new(clients);
    let bucket = BucketState::new(target.bucket.clone(), None, Arc::clone(&account));
    let region = bucket
        .region()
        .await
        .map_err(|e| Failure::fetch(e, &target.bucket))?;
    let client = account
        .clients()
        .expect("a live run has clients")
        .client(region);
    let inventory = match &manifest_location {
        Some(location) => {
            let versions = matches!(job, Job::DeleteVersions { .. });
            Some(Arc::new(
                open_inventory(&account, location, &target.bucket, versions).await?,
            ))
        }
        None => None,
    };
    if let Some(spec) = &batch {
        // Batch Operations reads its manifest and writes its report in the job's region.
        let report_region = account
            .bucket_region(&spec.report.bucket)
            .await
            .map_err(|e| Failure::Incomplete(format!("--report {}: {e}", spec.report)))?;
        if report_region != region {
            return Err(Failure::Usage(format!(
                "--report {} is in {report_region}; S3 Batch Operations needs it in the bucket's region ({region})",
                spec.report
            )));
        }
    }
    let command = job.name();
    let is_scan = matches!(job, Job::ScanAcl);
    let dry_run = job.dry_run();
    let mut printer = Printer::new(target.format, style);
    let (context, notes) = match prepare(job, &bucket).await {
        Prepared::Walk { context, notes } => (context, notes),
        Prepared::Done(message) => {
            printer.finish_early(command, &target.bucket, "done", &message)?;
            return Ok(0);
        }
        Prepared::Refused(message) => {
            printer.finish_early(command, &target.bucket, "refused", &message)?;
            eprintln!("error: {}", printable(&message));
            return Ok(1);
        }
    };
    for note in &notes {
        eprintln!("note: {}", printable(note));
    }
    let pacing = Arc::clone(account.clients().expect("a live run has clients").pacing());
    let stop = Arc::clone(&pacing.stop);
    let interrupt = tokio::spawn(stop_on_ctrl_c(Arc::clone(&stop), printer.shared_stdout()));
    let spec = WalkSpec {
        client: client.clone(),
        bucket: target.bucket.clone(),
        filter,
        listing: context.listing(),
        concurrency,
        pacing,
        inventory,
    };
    let Some(batch) = batch else {
        let totals = walk::run(
            spec,
            |object| context.object(&client, object),
            |event| printer.event(event, &stop),
        )
        .await;
        interrupt.abort();
        printer.summary(command, &target.bucket, dry_run, &notes, &totals)?;
        return Ok(exit_code(is_scan, &totals));
    };
    // --batch: plan each object, write the manifests, then create the jobs.
    // Milliseconds: two runs in one second still get their own manifests (and jobs).
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let dir = if dry_run {
        std::env::current_dir()?.join(format!("s3tk-batch-{}-{stamp}", target.bucket))
    } else {
        std::env::temp_dir().join(format!("s3tk-batch-{}-{stamp}", std::process::id()))
    };
    let manifests = std::sync::Mutex::new(
        batch::Manifests::new(&dir, &target.bucket, &stamp.to_string()).map_err(|e| {
            Failure::Usage(format!("cannot write manifests in {}: {e}", dir.display()))
        })?,
    );
    // The temporary manifests list every key: gone however the command ends, unless a job
    // could not be created (their path is printed then).
    let mut cleanup = TempDir {
        path: (!dry_run).then(|| dir.clone()),
    };
    let walk_started = std::time::SystemTime::now();
    let totals = walk::run(
        spec,
        |object| async {
            let (record, group) = context.batch_plan(&client, object).await;
            let Some(group) = group else {
                return record;
            };
            match manifests
                .lock()
                .expect("manifests")
                .add(&group, &record.key)
            {
                Ok(()) => record,
                Err(e) => Record {
                    status: Status::Error,
                    result: "error".into(),
                    detail: Some(format!("writing the manifest: {e}")),
                    ..record
                },
            }
        },
        |event| printer.event(event, &stop),
    )
    .await;
    interrupt.abort();
    printer.summary(command, &target.bucket, dry_run, &notes, &totals)?;
    let files = manifests.into_inner().expect("manifests").finish()?;
    let mut code = exit_code(is_scan, &totals);
    if totals.interrupted || totals.listing_error.is_some() {
        eprintln!("no batch job created: the walk did not finish");
        return Ok(code);
    }
    let account_id = account
        .account_id()
        .await
        .map_err(|e| Failure::Incomplete(e.to_string()))?
        .to_owned();
    let clients = account.clients().expect("a live run has clients");
    if dry_run && !files.is_empty() {
        eprintln!(
            "note: the requests name each manifest by the ETag S3 returns for a plain upload (its MD5); if {} encrypts uploads with SSE-KMS, S3 returns another, which the real run uses",
            batch.report.bucket
        );
    }
    for file in files {
        let mut request = batch::JobRequest {
            bucket: target.bucket.clone(),
            region: region.to_owned(),
            operation: context.batch_operation(&file.group),
            role_arn: batch.role_arn.clone(),
            report: batch.report.clone(),
            manifest_key: batch.report.key(&format!("s3tk-manifests/{}", file.name)),
            manifest_etag: String::new(),
            objects: file.objects,
            content: file.content,
            unmodified_since: Some(walk_started),
        };
        if dry_run {
            // Nothing is uploaded: the ETag is the one S3 would return for the manifest.
            request.manifest_etag = batch::expected_manifest_etag(&file.path)?;
            let input = request
                .input(&account_id)
                .map_err(|e| Failure::Incomplete(e.to_string()))?;
            let path = file.path.with_extension("job.json");
            std::fs::write(
                &path,
                serde_json::to_string_pretty(&batch::input_json(&input)).unwrap_or_default(),
            )?;
            printer.batch_job(json!({"type": "batch_job", "dry_run": true, "objects": file.objects, "group": file.group, "manifest": file.path, "request": path}),
                format!("would create a batch job for {} objects ({}): manifest {}, request {}", file.objects, file.group, file.path.display(), path.display()))?;
            continue;
        }
        let created = async {
            request.manifest_etag = batch::upload_manifest(
                clients,
                region,
                &batch.report,
                &request.manifest_key,
                &file.path,
            )
            .await?;
            batch::create_job(clients, region, request.input(&account_id)?).await
        }
        .await;
        match created {
            Ok(job_id) => {
                std::fs::remove_file(&file.path).ok();
                printer.batch_job(
                    json!({"type": "batch_job", "job_id": job_id, "objects": file.objects, "group": file.group, "manifest": format!("s3://{}/{}", batch.report.bucket, request.manifest_key), "report": batch.report.to_string()}),
                    format!("batch job {job_id}: {} objects ({}); follow it with `s3tk batch-status {job_id}`", file.objects, file.group),
                )?;
            }
            Err(e) => {
                eprintln!(
                    "error: no batch job for the {} objects of {}: {} (the manifest is kept at {})",
                    file.objects,
                    file.group,
                    printable(&e.to_string()),
                    file.path.display()
                );
                cleanup.path = None;
                code = code.max(1);
            }
        }
    }
    Ok(code)
}

/// Removes a directory when dropped, unless `path` was taken back.
struct TempDir {
    path: Option<std::path::PathBuf>,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            std::fs::remove_dir_all(path).ok();
        }
    }
}

/// `s3tk batch-status JOB_ID`: the job's state and progress, and once it ended the failed
/// objects of its completion report. Exit 0 when it completed without failures, 1 when it
/// failed, was cancelled or some objects failed, 3 while it is still running.
pub async fn batch_status(
    global: &GlobalArgs,
    job_id: &str,
    format: ObjectFormat,
) -> Result<u8, Failure> {
    let clients = S3Clients::load(&aws_options(global, DEFAULT_OBJECT_CONCURRENCY)).await?;
    let account = AccountState::new(clients);
    let incomplete = |e: crate::error::FetchError| Failure::Incomplete(format!("{job_id}: {e}"));
    let account_id = account.account_id().await.map_err(incomplete)?.to_owned();
    let clients = account.clients().expect("a live run has clients");
    let job = batch::describe_job(clients, &account_id, job_id)
        .await
        .map_err(incomplete)?;
    // AWS writes no report when no task ran; the job's own state still says what happened.
    let failures = if job.finished() && job.failed > 0 {
        batch::report_failures(clients, &account, &job)
            .await
            .unwrap_or_else(|e| {
                eprintln!(
                    "warning: {job_id}: could not read the completion report: {}",
                    printable(&e.to_string())
                );
                Vec::new()
            })
    } else {
        Vec::new()
    };
    let mut out = io::stdout().lock();
    match format {
        ObjectFormat::Json => writeln!(out, "{}", json!({"job": job, "failed_tasks": failures}))?,
        ObjectFormat::Text => {
            let percent = if job.total > 0 {
                100.0 * (job.succeeded + job.failed) as f64 / job.total as f64
            } else {
                0.0
            };
            writeln!(out, "job {}: {}", job.job_id, job.status)?;
            if let Some(description) = &job.description {
                writeln!(out, "  {}", printable(description))?;
            }
            writeln!(
                out,
                "  {} of {} tasks done ({percent:.0}%): {} succeeded, {} failed",
                job.succeeded + job.failed,
                job.total,
                job.succeeded,
                job.failed
            )?;
            for reason in job.failure_reasons.iter().chain(&job.status_update_reason) {
                writeln!(out, "  {}", printable(reason))?;
            }
            if let Some(report) = &job.report {
                writeln!(out, "  completion report: {report}/job-{}/", job.job_id)?;
            }
            for task in &failures {
                let line = format!(
                    "✘ {}{}: {} (HTTP {}) {}",
                    task.key,
                    task.version_id
                        .as_deref()
                        .map(|v| format!(" ({v})"))
                        .unwrap_or_default(),
                    task.error_code,
                    task.http_status,
                    task.message
                );
                writeln!(out, "{}", printable(&line))?;
            }
        }
    }
    out.flush()?;
    Ok(match job.status.as_str() {
        "Complete" if job.failed == 0 => 0,
        "Complete" | "Failed" | "Cancelled" => 1,
        _ => 3,
    })
}

/// A manifest.json lists the report's data files, a few hundred bytes each.
const MANIFEST_LIMIT: usize = 16 << 20;

/// Reads and checks an inventory manifest: a manifest that is not for this bucket and command
/// is bad input (exit 2); one that cannot be read leaves nothing done (exit 3).
async fn open_inventory(
    account: &AccountState,
    location: &ManifestLocation,
    bucket: &str,
    versions: bool,
) -> Result<Inventory, Failure> {
    let unreadable = |e: crate::error::FetchError| {
        Failure::Incomplete(format!("could not read the inventory {location}: {e}"))
    };
    let clients = account.clients().expect("a live run has clients");
    let region = account
        .bucket_region(&location.bucket)
        .await
        .map_err(unreadable)?;
    let client = clients.client(&region);
    let mut body = crate::objects::s3::get_object(&client, &location.bucket, &location.key)
        .await
        .map_err(unreadable)?;
    // Read in chunks and stop past the bound: a wrong object (a data file, a video) is
    // refused without being downloaded whole.
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            Failure::Incomplete(format!(
                "could not read the inventory {location}: {}",
                crate::aws::error_chain(&e)
            ))
        })?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MANIFEST_LIMIT {
            return Err(Failure::Usage(format!(
                "{location} is larger than 16 MiB, which no S3 Inventory manifest.json is; give the manifest.json of the report"
            )));
        }
    }
    let manifest = Manifest::parse(&bytes, bucket, versions)
        .map_err(|why| Failure::Usage(format!("{location}: {why}")))?;
    let client = if manifest.data_bucket == location.bucket {
        client
    } else {
        let region = account
            .bucket_region(&manifest.data_bucket)
            .await
            .map_err(unreadable)?;
        clients.client(&region)
    };
    eprintln!(
        "note: reading the inventory {location} ({} data file(s)) instead of listing {bucket}; it is a snapshot: objects changed since are re-read before any write",
        manifest.files.len()
    );
    Ok(Inventory { manifest, client })
}

/// First Ctrl-C: stop admitting objects, let the writes in flight finish and drop the rest.
/// Second: quit now, after the whole records already printed are flushed (and never in the
/// middle of one).
async fn stop_on_ctrl_c(stop: Arc<Stop>, stdout: SharedStdout) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    stop.stop();
    eprintln!(
        "\ninterrupted: finishing the objects in flight that are being changed, leaving the others untouched (Ctrl-C again to quit at once)"
    );
    if tokio::signal::ctrl_c().await.is_ok() {
        let mut out = stdout.lock().unwrap_or_else(PoisonError::into_inner);
        out.flush().ok();
        std::process::exit(130);
    }
}

type SharedStdout = Arc<Mutex<io::BufWriter<io::Stdout>>>;

/// The records' stdout. Bytes reach the shared buffer only as whole lines, under the lock
/// that the second Ctrl-C takes before it flushes and quits, so a JSON Lines record is never
/// cut in half, however the run ends.
struct RecordOut {
    shared: SharedStdout,
    /// The start of a line not yet ended.
    pending: Vec<u8>,
}

impl Write for RecordOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') {
            let mut out = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            out.write_all(&self.pending[..=end])?;
            self.pending.drain(..=end);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut out = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        out.write_all(&self.pending)?;
        self.pending.clear();
        out.flush()
    }
}

/// 130 when interrupted. For the scan: 1 for a public object, else 3 when some objects could
/// not be read. For the changes: 1 when an object failed, changed under us or was skipped
/// still unencrypted, or the listing failed (a re-run, or a restore, is needed), else 0.
fn exit_code(is_scan: bool, totals: &Totals) -> u8 {
    let c = &totals.counts;
    let unfinished = [Status::Error, Status::Conflict, Status::Skipped]
        .iter()
        .any(|&s| c.count(s) > 0)
        || totals.listing_error.is_some();
    if totals.interrupted {
        130
    } else if is_scan && c.count(Status::Finding) > 0 {
        1
    } else if is_scan && unfinished {
        3
    } else if unfinished {
        1
    } else {
        0
    }
}

/// Writes results to stdout and the progress line to stderr.
struct Printer {
    format: ObjectFormat,
    color: bool,
    out: RecordOut,
    /// Flush each line: someone is watching.
    stdout_is_terminal: bool,
    /// Draw the progress line: stderr is a terminal.
    progress: bool,
    progress_drawn: Option<Instant>,
    write_error: Option<io::Error>,
    /// The listing's retry note last printed (without a progress line).
    listing_note: Option<String>,
}

const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// `1520 objects · 310/s · 2 errors · 3000 listed`, then what slows the run down, if anything
/// (`· 40 throttled, 8 requests at a time`, `· listing: …`).
fn progress_line(counts: &Counts) -> String {
    let mut line = format!(
        "{} objects · {:.0}/s · {} errors · {} listed",
        counts.done,
        counts.rate(),
        counts.errors,
        counts.listed
    );
    if counts.throttled > 0 {
        line += &format!(
            " · {} throttled, {} requests at a time",
            counts.throttled, counts.allowed
        );
    }
    if let Some(why) = &counts.listing_retry {
        line += &format!(" · listing: {why}");
    }
    line
}

impl Printer {
    fn new(format: ObjectFormat, style: Style) -> Self {
        Printer {
            format,
            color: style.color,
            out: RecordOut {
                shared: Arc::new(Mutex::new(io::BufWriter::new(io::stdout()))),
                pending: Vec::new(),
            },
            stdout_is_terminal: io::stdout().is_terminal(),
            progress: io::stderr().is_terminal(),
            progress_drawn: None,
            write_error: None,
            listing_note: None,
        }
    }

    fn shared_stdout(&self) -> SharedStdout {
        Arc::clone(&self.out.shared)
    }

    fn event(&mut self, event: Event<'_>, stop: &Stop) {
        let counts = match event {
            Event::Record(record, counts) => {
                if self.write_error.is_none() {
                    self.clear_progress();
                    if let Err(e) = self.record(record) {
                        // stdout is gone (`| head`) or failing: stop taking new objects.
                        stop.stop();
                        self.write_error = Some(e);
                    }
                }
                counts
            }
            Event::Tick(counts) => counts,
        };
        // Without a progress line, say once per failing streak why the listing waits.
        if !self.progress && counts.listing_retry != self.listing_note {
            if let Some(why) = &counts.listing_retry {
                eprintln!("note: listing: {why}");
            }
            self.listing_note.clone_from(&counts.listing_retry);
        }
        if self.progress
            && self
                .progress_drawn
                .is_none_or(|at| at.elapsed() >= PROGRESS_EVERY)
        {
            eprint!("\r\x1b[2K{}", progress_line(counts));
            self.progress_drawn = Some(Instant::now());
        }
    }

    fn clear_progress(&mut self) {
        if self.progress && self.progress_drawn.take().is_some() {
            eprint!("\r\x1b[2K");
        }
    }

    fn record(&mut self, record: &Record) -> io::Result<()> {
        match self.format {
            ObjectFormat::Json => {
                let mut value = serde_json::to_value(record).map_err(io::Error::other)?;
                value
                    .as_object_mut()
                    .expect("a record is an object")
                    .insert("type".into(), json!("object"));
                writeln!(self.out, "{value}")?;
            }
            ObjectFormat::Text => {
                let (mark, code) = match record.status {
                    Status::Ok => ("✔", "32"),
                    Status::Finding | Status::Error => ("✘", "31"),
                    Status::WouldChange => ("~", "33"),
                    Status::Changed => ("✔", "34"),
                    Status::Skipped => ("-", "90"),
                    Status::Conflict => ("!", "33"),
                };
                let mut line = format!("{mark} {}", record.key);
                if let Some(v) = &record.version_id {
                    line += &format!(" (version {v})");
                }
                line += &format!(": {}", record.result);
                if let Some(detail) = &record.detail {
                    line += &format!(": {detail}");
                }
                let line = printable(&line);
                if self.color {
                    writeln!(self.out, "\x1b[{code}m{line}\x1b[0m")?;
                } else {
                    writeln!(self.out, "{line}")?;
                }
            }
        }
        if self.stdout_is_terminal {
            self.out.flush()?;
        }
        Ok(())
    }

    /// A batch job created (or, in a dry run, prepared): one line after the summary.
    fn batch_job(&mut self, value: serde_json::Value, text: String) -> Result<(), Failure> {
        match self.format {
            ObjectFormat::Json => writeln!(self.out, "{value}")?,
            ObjectFormat::Text => writeln!(self.out, "{text}")?,
        }
        self.out.flush()?;
        Ok(())
    }

    /// The bucket's settings answered without walking: say so, as the summary.
    fn finish_early(
        &mut self,
        command: &str,
        bucket: &str,
        outcome: &str,
        message: &str,
    ) -> Result<(), Failure> {
        match self.format {
            ObjectFormat::Json => writeln!(
                self.out,
                "{}",
                json!({"type": "summary", "command": command, "bucket": bucket, "outcome": outcome, "message": message, "handled": 0})
            )?,
            ObjectFormat::Text if outcome == "done" => {
                writeln!(self.out, "{}", printable(message))?
            }
            ObjectFormat::Text => {}
        }
        self.out.flush()?;
        Ok(())
    }

    fn summary(
        &mut self,
        command: &str,
        bucket: &str,
        dry_run: bool,
        notes: &[String],
        totals: &Totals,
    ) -> Result<(), Failure> {
        self.clear_progress();
        if let Some(e) = self.write_error.take() {
            return Err(Failure::Output(e));
        }
        let c: &Counts = &totals.counts;
        let secs = totals.elapsed.as_secs_f64();
        match self.format {
            ObjectFormat::Json => writeln!(
                self.out,
                "{}",
                json!({
                    "type": "summary",
                    "command": command,
                    "bucket": bucket,
                    "dry_run": dry_run,
                    "outcome": if totals.interrupted { "interrupted" } else if totals.listing_error.is_some() { "listing failed" } else { "done" },
                    "listed": c.listed,
                    "handled": c.done,
                    "results": c.results,
                    "statuses": c.statuses,
                    "elapsed_seconds": (secs * 1000.0).round() / 1000.0,
                    "objects_per_second": (c.rate() * 10.0).round() / 10.0,
                    "notes": notes,
                    "listing_error": totals.listing_error.as_ref().map(ToString::to_string),
                    "resume_after": totals.listing_error.as_ref().and(totals.resume_after.as_ref()),
                    "throttled": c.throttled,
                })
            )?,
            ObjectFormat::Text => {
                let mut results: Vec<(&String, &u64)> = c.results.iter().collect();
                results.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                writeln!(self.out)?;
                writeln!(self.out, "Summary")?;
                if results.is_empty() {
                    writeln!(self.out, "no objects selected")?;
                }
                for (result, n) in results {
                    writeln!(self.out, "{result}: {n}")?;
                }
            }
        }
        self.out.flush()?;
        eprintln!(
            "{command}: {} objects in {secs:.1} s ({:.0}/s), {} keys listed",
            c.done,
            c.rate(),
            c.listed
        );
        if c.throttled > 0 {
            eprintln!(
                "note: S3 throttled {} requests; each was retried, and s3tk slowed down to as few as {} requests at a time",
                c.throttled, totals.lowest_allowed
            );
        }
        if let Some(e) = &totals.listing_error {
            let resume = match &totals.resume_after {
                Some(key) => format!(
                    "continue with --start-after {} (the last key whose objects were all handled)",
                    shell_quote(key)
                ),
                None => "run the command again".into(),
            };
            eprintln!(
                "error: the listing stopped after {} keys: {}; the objects after that were not handled: {resume}",
                c.listed,
                printable(&e.to_string())
            );
        }
        if totals.interrupted {
            eprintln!(
                "interrupted after {} objects; every object was either finished or left untouched: run the command again to complete it",
                c.done
            );
        }
        Ok(())
    }
}

/// `key` as one shell word: single-quoted, with `'` written as `'\''`.
fn shell_quote(key: &str) -> String {
    format!("'{}'", key.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_keys_are_one_shell_word() {
        assert_eq!(shell_quote("logs/a b.gz"), "'logs/a b.gz'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn the_progress_line_shows_done_rate_errors_and_listed() {
        let counts = Counts {
            listed: 3000,
            done: 1520,
            errors: 2,
            started: Some(Instant::now() - Duration::from_secs(4)),
            ..Counts::default()
        };
        let line = progress_line(&counts);
        assert!(line.starts_with("1520 objects · 38"), "{line}");
        assert!(line.ends_with("/s · 2 errors · 3000 listed"), "{line}");
    }

    #[test]
    fn customer_keys_never_cross_plain_http() {
        assert_eq!(insecure_endpoint(Some("http://127.0.0.1:9000")), None);
        assert_eq!(insecure_endpoint(Some("http://localhost:4566/")), None);
        assert_eq!(insecure_endpoint(Some("https://minio.internal:9000")), None);
        assert_eq!(
            insecure_endpoint(Some("http://minio.internal:9000")).as_deref(),
            Some("http://minio.internal:9000")
        );
        assert!(insecure_endpoint(Some("http://10.0.0.5")).is_some());
    }

    #[test]
    fn encryption_targets_are_validated_without_echoing_keys() {
        assert!(matches!(
            encryption_target(None, None, None, None),
            Ok(None)
        ));
        let secret = "this-is-not-32-bytes-long-secret";
        let err = encryption_target(None, Some(format!("{secret}!!")), None, None)
            .err()
            .unwrap();
        assert!(!err.contains(secret), "{err}");
        let thirty_two = "0123456789abcdef0123456789abcdef";
        assert!(matches!(
            encryption_target(None, Some(thirty_two.into()), None, None),
            Ok(Some(Target::Customer(_)))
        ));
        let err = encryption_target(None, None, None, Some("S3TK_TEST_UNSET_VARIABLE".into()))
            .err()
            .unwrap();
        assert!(err.contains("is not set"), "{err}");
        assert!(encryption_target(Some("alias/x".into()), None, None, None).is_err());
    }
}

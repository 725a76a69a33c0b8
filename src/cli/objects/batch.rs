//! `--batch` (`reset-object-acl`, `encrypt`): plan each object, write the manifests, then
//! create the S3 Batch Operations jobs; and `batch-status`, which follows a job.

use super::printer::Printer;
use super::{BatchSpec, Opened, open, prepare, stop_on_ctrl_c, tally};
use crate::aws::{DEFAULT_OBJECT_CONCURRENCY, S3Clients};
use crate::cli::args::{GlobalArgs, ObjectFormat, ObjectTarget};
use crate::cli::marks::Tone;
use crate::cli::progress::ProgressLine;
use crate::cli::{Failure, aws_options};
use crate::command::{CommandInfo, Section};
use crate::exit;
use crate::facet::Facet;
use crate::objects::batch::{self, JobRequest, ManifestFile, Manifests};
use crate::objects::command::BatchCommand;
use crate::objects::{Record, Status};
use crate::output::printable;
use crate::report::Style;
use crate::state::AccountState;
use serde_json::json;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// `batch-status`: the job, and its completion report.
pub const BATCH_STATUS: CommandInfo = CommandInfo {
    usage: "s3tk batch-status JOB_ID [--wait]",
    summary: "Show an S3 Batch Operations job's progress and, once it ended, its failed objects",
    doc: "Reads the job that `--batch` created and, once it has ended, its completion report, \
          listing each object that failed and why. `--wait` follows the job until it ends. \
          Exit 0: completed without failures; 1: failed, cancelled or some objects failed; \
          4: still running (without `--wait`); 3: the job cannot be read (no such job).",
    facets: &[
        Facet::AccountId,
        Facet::DescribeJob,
        Facet::Region,
        Facet::GetObject,
    ],
    aliases: &[],
    section: Section::BatchJobs,
};
inventory::submit! { BATCH_STATUS }

/// Runs an object command with `--batch`.
pub(super) async fn run<C: BatchCommand>(
    global: &GlobalArgs,
    target: ObjectTarget,
    command: C,
    batch: BatchSpec,
    style: Style,
) -> Result<u8, Failure> {
    let opened = open(global, target, &command).await?;
    check_report_region(&opened, &batch).await?;
    let dry_run = command.dry_run();
    let mut printer = Printer::new(opened.format, style);
    let (context, notes) = match prepare(command, &opened, &mut printer).await? {
        Ok(prepared) => prepared,
        Err(code) => return Ok(code),
    };
    let (dir, stamp) = manifest_dir(&opened.bucket, dry_run)?;
    let manifests = Mutex::new(
        Manifests::new(&dir, &opened.bucket, &stamp.to_string()).map_err(|e| {
            Failure::Usage(format!("cannot write manifests in {}: {e}", dir.display()))
        })?,
    );
    // The temporary manifests list every key: gone however the command ends, unless a job
    // could not be created (their path is printed then).
    let mut cleanup = TempDir {
        path: (!dry_run).then(|| dir.clone()),
    };
    let walk_started = SystemTime::now();
    let stop = opened.stop();
    let interrupt = tokio::spawn(stop_on_ctrl_c(Arc::clone(&stop), printer.shared_stdout()));
    let totals = crate::objects::walk::run(
        opened.walk_spec(C::LISTING),
        |object| plan_object::<C>(&context, &opened, &manifests, object),
        |event| printer.event(event, &stop),
    )
    .await;
    interrupt.abort();
    printer.summary(C::INFO.name(), &opened.bucket, dry_run, &notes, &totals)?;
    let files = manifests.into_inner().expect("manifests").finish()?;
    let mut tally = tally(&totals);
    if totals.interrupted || totals.listing_error.is_some() {
        eprintln!("no batch job created: the walk did not finish");
        return Ok(tally.code());
    }
    let jobs = Jobs {
        opened: &opened,
        batch: &batch,
        account_id: opened
            .account
            .account_id()
            .await
            .map_err(|e| Failure::Incomplete(e.to_string()))?
            .to_owned(),
        walk_started,
    };
    if dry_run && !files.is_empty() {
        eprintln!(
            "note: the requests name each manifest by the ETag S3 returns for a plain upload (its MD5); if {} encrypts uploads with SSE-KMS, S3 returns another, which the real run uses",
            batch.report.bucket
        );
    }
    let mut created_all = true;
    for file in files {
        let operation = C::batch_operation(&context, &file.group);
        if dry_run {
            jobs.prepare(file, operation, &mut printer)?;
        } else {
            created_all &= jobs.create(file, operation, &mut printer).await?;
        }
    }
    if !created_all {
        cleanup.path = None;
    }
    if !created_all {
        tally.incomplete();
    }
    Ok(tally.code())
}

/// Batch Operations reads its manifest and writes its report in the job's region.
async fn check_report_region(opened: &Opened, batch: &BatchSpec) -> Result<(), Failure> {
    let report_region = opened
        .account
        .bucket_region(&batch.report.bucket)
        .await
        .map_err(|e| Failure::Incomplete(format!("--report {}: {e}", batch.report)))?;
    if report_region != opened.region {
        return Err(Failure::Usage(format!(
            "--report {} is in {report_region}; S3 Batch Operations needs it in the bucket's region ({})",
            batch.report, opened.region
        )));
    }
    Ok(())
}

/// Where the manifests go, and the stamp in their names. A dry run's stay in the current
/// directory for review; a real run's are temporary.
fn manifest_dir(bucket: &str, dry_run: bool) -> Result<(PathBuf, u128), Failure> {
    // Milliseconds: two runs in one second still get their own manifests (and jobs).
    let stamp = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let dir = if dry_run {
        std::env::current_dir()?.join(format!("s3tk-batch-{bucket}-{stamp}"))
    } else {
        std::env::temp_dir().join(format!("s3tk-batch-{}-{stamp}", std::process::id()))
    };
    Ok((dir, stamp))
}

/// One object's plan, its key added to its group's manifest when it goes into a job.
async fn plan_object<C: BatchCommand>(
    context: &C::Context,
    opened: &Opened,
    manifests: &Mutex<Manifests>,
    object: crate::objects::s3::Listed,
) -> Record {
    let (record, group) = C::batch_plan(context, &opened.client, object).await;
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
}

/// What every job of a run shares.
struct Jobs<'a> {
    opened: &'a Opened,
    batch: &'a BatchSpec,
    account_id: String,
    walk_started: SystemTime,
}

impl Jobs<'_> {
    /// The job request for one manifest (its ETag still to be filled in).
    fn request(&self, file: &ManifestFile, operation: batch::Operation) -> JobRequest {
        JobRequest {
            bucket: self.opened.bucket.clone(),
            region: self.opened.region.clone(),
            operation,
            role_arn: self.batch.role_arn.clone(),
            report: self.batch.report.clone(),
            manifest_key: self
                .batch
                .report
                .key(&format!("s3tk-manifests/{}", file.name)),
            manifest_etag: String::new(),
            objects: file.objects,
            content: file.content,
            unmodified_since: Some(self.walk_started),
        }
    }

    /// `--dry-run`: the job's request written next to its manifest; nothing is uploaded.
    fn prepare(
        &self,
        file: ManifestFile,
        operation: batch::Operation,
        printer: &mut Printer,
    ) -> Result<(), Failure> {
        let mut request = self.request(&file, operation);
        // The ETag is the one S3 would return for the manifest.
        request.manifest_etag = batch::expected_manifest_etag(&file.path)?;
        let input = request
            .input(&self.account_id)
            .map_err(|e| Failure::Incomplete(e.to_string()))?;
        let path = file.path.with_extension("job.json");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&batch::input_json(&input)).unwrap_or_default(),
        )?;
        printer.batch_job(json!({"type": "batch_job", "dry_run": true, "objects": file.objects, "group": file.group, "manifest": file.path, "request": path}),
            format!("would create a batch job for {} objects ({}): manifest {}, request {}", file.objects, file.group, file.path.display(), path.display()))
    }

    /// Uploads the manifest and creates the job; `false` when it could not (the manifest is
    /// kept then, and its path said).
    async fn create(
        &self,
        file: ManifestFile,
        operation: batch::Operation,
        printer: &mut Printer,
    ) -> Result<bool, Failure> {
        let mut request = self.request(&file, operation);
        let (clients, region) = (self.opened.clients(), self.opened.region.as_str());
        let report = &self.batch.report;
        let created = async {
            request.manifest_etag =
                batch::upload_manifest(clients, region, report, &request.manifest_key, &file.path)
                    .await?;
            let manifest_key = request.manifest_key.clone();
            let job_id =
                batch::create_job(clients, region, request.input(&self.account_id)?).await?;
            Ok::<_, crate::error::FetchError>((job_id, manifest_key))
        }
        .await;
        match created {
            Ok((job_id, manifest_key)) => {
                std::fs::remove_file(&file.path).ok();
                printer.batch_job(
                    json!({"type": "batch_job", "job_id": job_id, "objects": file.objects, "group": file.group, "manifest": format!("s3://{}/{}", report.bucket, manifest_key), "report": report.to_string()}),
                    format!("batch job {job_id}: {} objects ({}); follow it with `s3tk batch-status {job_id}`", file.objects, file.group),
                )?;
                Ok(true)
            }
            Err(e) => {
                eprintln!(
                    "error: no batch job for the {} objects of {}: {} (the manifest is kept at {})",
                    file.objects,
                    file.group,
                    printable(&e.to_string()),
                    file.path.display()
                );
                Ok(false)
            }
        }
    }
}

/// Removes a directory when dropped, unless `path` was taken back.
struct TempDir {
    path: Option<PathBuf>,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            std::fs::remove_dir_all(path).ok();
        }
    }
}

/// `s3tk batch-status JOB_ID [--wait]`: the job's state and progress, and once it ended the
/// failed objects of its completion report. Exit 0 when it completed without failures, 1 when
/// it failed, was cancelled or some objects failed, 4 while it is still running (without
/// `--wait`), 3 when it cannot be read (no such job).
pub(in crate::cli) async fn batch_status(
    global: &GlobalArgs,
    job_id: &str,
    format: ObjectFormat,
    wait: Option<Duration>,
) -> Result<u8, Failure> {
    validate_job_id(job_id).map_err(Failure::Usage)?;
    let clients = S3Clients::load(&aws_options(global, DEFAULT_OBJECT_CONCURRENCY)).await?;
    let account = AccountState::new(clients);
    let incomplete = |e: crate::error::FetchError| Failure::Incomplete(format!("{job_id}: {e}"));
    let account_id = account.account_id().await.map_err(incomplete)?.to_owned();
    let clients = account.clients().expect("a live run has clients");
    let describe = || async {
        batch::describe_job(clients, &account_id, job_id)
            .await
            .map_err(incomplete)
    };
    let job = match wait {
        None => describe().await?,
        Some(interval) => {
            let waited = wait_for_end(describe, interval);
            tokio::select! {
                job = waited => job?,
                _ = tokio::signal::ctrl_c() => {
                    eprintln!("\ninterrupted: the job goes on; `s3tk batch-status {job_id}` shows it");
                    return Ok(exit::INTERRUPTED);
                }
            }
        }
    };
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
    print_job(&job, &failures, format)?;
    Ok(match job.status.as_str() {
        "Complete" if job.failed == 0 => exit::CLEAN,
        "Complete" | "Failed" | "Cancelled" => exit::UNRESOLVED,
        _ => exit::RUNNING,
    })
}

/// The job's state, progress and failure reasons, then its failed objects.
fn print_job(
    job: &batch::JobView,
    failures: &[batch::FailedTask],
    format: ObjectFormat,
) -> io::Result<()> {
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
            for task in failures {
                let line = format!(
                    "{} {}{}: {} (HTTP {}) {}",
                    Tone::Fail.mark(),
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
    Ok(())
}

/// A job id as S3 Control accepts it (5 to 36 letters, digits, `-` and `_`), checked before
/// any request.
fn validate_job_id(job_id: &str) -> Result<(), String> {
    let valid = (5..=36).contains(&job_id.len())
        && job_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid job id '{}': S3 Batch Operations job ids are 5 to 36 letters, digits, '-' and '_' (as `--batch` printed)",
            printable(job_id)
        ))
    }
}

/// Looks at the job every `interval` until it has ended, with the progress on stderr: the
/// progress line on a terminal, else a line whenever the state or the count of tasks done
/// changes.
async fn wait_for_end<F, Fut>(describe: F, interval: Duration) -> Result<batch::JobView, Failure>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<batch::JobView, Failure>>,
{
    let mut line = ProgressLine::new(true);
    let mut said = String::new();
    loop {
        let job = describe().await?;
        if job.finished() {
            line.clear();
            return Ok(job);
        }
        let progress = format!(
            "job {}: {}, {} of {} tasks done ({} failed)",
            job.job_id,
            job.status,
            job.succeeded + job.failed,
            job.total,
            job.failed
        );
        if line.is_shown() {
            line.draw(|| progress.clone());
        } else if progress != said {
            eprintln!("{}", printable(&progress));
            said = progress;
        }
        tokio::time::sleep(interval).await;
    }
}

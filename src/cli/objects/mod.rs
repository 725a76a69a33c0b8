//! Running the object commands: validate, prepare from the bucket's settings, walk the objects,
//! print each result as it completes (text or JSON Lines, [`printer`]) with progress on stderr,
//! then the summary and the exit code. The runner is written once, over
//! [`ObjectCommand`]; `--batch` hands the objects to S3 Batch Operations instead ([`batch`]).

pub(super) mod batch;
mod inventory;
mod printer;

pub(super) use batch::batch_status;

use super::args::{
    BatchArgs, DeleteVersionsArgs, EncryptArgs, GlobalArgs, ObjectFormat, ObjectTarget,
    ResetObjectAclArgs,
};
use super::{Failure, aws_options};
use crate::aws::{DEFAULT_OBJECT_CONCURRENCY, S3Clients};
use crate::error::InputError;
use crate::exit::{self, Tally};
use crate::objects::batch::ReportLocation;
use crate::objects::command::{
    BatchCommand, DeleteVersions, Encrypt, ObjectCommand, ResetAcl, ScanAcl,
};
use crate::objects::inventory::{Inventory, ManifestLocation};
use crate::objects::sse::{CustomerKey, Target, validate_encrypt_kms_key};
use crate::objects::walk::{KeyFilter, Listing, Totals, WalkSpec};
use crate::objects::{Prepared, Status};
use crate::output::printable;
use crate::pacing::Stop;
use crate::report::Style;
use crate::select;
use crate::state::{AccountState, BucketState};
use aws_sdk_s3::Client;
use printer::{Printer, SharedStdout};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError};

/// `--batch`: the job's role and where its manifest and report go (validated).
pub struct BatchSpec {
    pub role_arn: String,
    pub report: ReportLocation,
}

impl BatchArgs {
    /// The validated batch settings, if `--batch` was given.
    fn spec(self) -> Result<Option<BatchSpec>, Failure> {
        if !self.batch {
            return Ok(None);
        }
        let role_arn = self.role_arn.unwrap_or_default();
        crate::objects::batch::validate_role_arn(&role_arn).map_err(Failure::Usage)?;
        let report =
            ReportLocation::parse(&self.report.unwrap_or_default()).map_err(Failure::Usage)?;
        Ok(Some(BatchSpec { role_arn, report }))
    }
}

/// `scan-object-acl`.
pub(super) async fn scan_acl(
    global: &GlobalArgs,
    target: ObjectTarget,
    style: Style,
) -> Result<u8, Failure> {
    run(global, target, ScanAcl, style).await
}

/// `reset-object-acl`, here or with `--batch`.
pub(super) async fn reset_acl(
    global: &GlobalArgs,
    args: ResetObjectAclArgs,
    style: Style,
) -> Result<u8, Failure> {
    let acl = args.acl.parse().map_err(Failure::Usage)?;
    let batch = args.batch.spec()?;
    let command = ResetAcl {
        acl,
        dry_run: args.dry_run,
    };
    run_maybe_batch(global, args.target, command, batch, style).await
}

/// `encrypt`, here or with `--batch` (which cannot use a customer key).
pub(super) async fn encrypt(
    global: &GlobalArgs,
    args: EncryptArgs,
    style: Style,
) -> Result<u8, Failure> {
    let sse = encryption_target(
        args.kms_key_id,
        args.customer_key,
        args.customer_key_file,
        args.customer_key_env,
    )
    .map_err(Failure::Usage)?;
    let batch = args.batch.spec()?;
    if matches!(sse, Some(Target::Customer(_))) && batch.is_some() {
        return Err(Failure::Usage(
            "--batch cannot use a customer key: S3 Batch Operations does not support SSE-C".into(),
        ));
    }
    let command = Encrypt {
        sse,
        dry_run: args.dry_run,
    };
    run_maybe_batch(global, args.target, command, batch, style).await
}

/// `delete-unencrypted-versions`.
pub(super) async fn delete_versions(
    global: &GlobalArgs,
    args: DeleteVersionsArgs,
    style: Style,
) -> Result<u8, Failure> {
    let command = DeleteVersions {
        dry_run: args.dry_run,
    };
    run(global, args.target, command, style).await
}

async fn run_maybe_batch<C: BatchCommand>(
    global: &GlobalArgs,
    target: ObjectTarget,
    command: C,
    batch: Option<BatchSpec>,
    style: Style,
) -> Result<u8, Failure> {
    match batch {
        Some(spec) => batch::run(global, target, command, spec, style).await,
        None => run(global, target, command, style).await,
    }
}

/// The bucket an object command works on, opened: everything typed validated, the bucket's
/// region and client, and the inventory to read instead of listing.
struct Opened {
    bucket: String,
    format: ObjectFormat,
    filter: KeyFilter,
    account: Arc<AccountState>,
    state: BucketState,
    region: String,
    client: Client,
    concurrency: usize,
    inventory: Option<Arc<Inventory>>,
}

impl Opened {
    /// The walk of the bucket's objects, or versions.
    fn walk_spec(&self, listing: Listing) -> WalkSpec {
        WalkSpec {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            filter: self.filter.clone(),
            listing,
            concurrency: self.concurrency,
            pacing: Arc::clone(self.clients().pacing()),
            inventory: self.inventory.clone(),
        }
    }

    fn clients(&self) -> &S3Clients {
        self.account.clients().expect("a live run has clients")
    }

    fn stop(&self) -> Arc<Stop> {
        Arc::clone(&self.clients().pacing().stop)
    }
}

/// Validates what was typed (exit 2 before any request), then opens the bucket.
async fn open<C: ObjectCommand>(
    global: &GlobalArgs,
    target: ObjectTarget,
    command: &C,
) -> Result<Opened, Failure> {
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
    let clients = S3Clients::load(&options).await?;
    if let (true, Some(endpoint)) = (
        command.sends_customer_key(),
        insecure_endpoint(clients.endpoint_url()),
    ) {
        return Err(Failure::Usage(format!(
            "refusing to send an SSE-C key over plain HTTP to {endpoint}; use https://"
        )));
    }
    let account = AccountState::new(clients);
    let state = BucketState::new(target.bucket.clone(), None, Arc::clone(&account));
    let region = state
        .region()
        .await
        .map_err(|e| Failure::fetch(e, &target.bucket))?
        .to_owned();
    let client = account
        .clients()
        .expect("a live run has clients")
        .client(&region);
    let inventory = match &manifest_location {
        Some(location) => {
            let versions = C::LISTING == Listing::NoncurrentVersions;
            let opened =
                inventory::open_inventory(&account, location, &target.bucket, versions).await?;
            Some(Arc::new(opened))
        }
        None => None,
    };
    Ok(Opened {
        bucket: target.bucket,
        format: target.format,
        filter,
        account,
        state,
        region,
        client,
        concurrency: options.concurrency,
        inventory,
    })
}

/// The command prepared on the bucket: its context and notes (said on stderr), or the exit
/// code when the bucket's settings already answered.
async fn prepare<C: ObjectCommand>(
    command: C,
    opened: &Opened,
    printer: &mut Printer,
) -> Result<Result<(C::Context, Vec<String>), u8>, Failure> {
    let name = C::INFO.name();
    match command.prepare(&opened.state).await {
        Prepared::Walk { context, notes } => {
            for note in &notes {
                eprintln!("note: {}", printable(note));
            }
            Ok(Ok((context, notes)))
        }
        Prepared::Done(message) => {
            printer.finish_early(name, &opened.bucket, "done", &message)?;
            Ok(Err(exit::CLEAN))
        }
        Prepared::Refused(message) => {
            printer.finish_early(name, &opened.bucket, "refused", &message)?;
            eprintln!("error: {}", printable(&message));
            Ok(Err(exit::UNRESOLVED))
        }
    }
}

/// Runs an object command here: every selected object through its per-object step.
async fn run<C: ObjectCommand>(
    global: &GlobalArgs,
    target: ObjectTarget,
    command: C,
    style: Style,
) -> Result<u8, Failure> {
    let opened = open(global, target, &command).await?;
    let dry_run = command.dry_run();
    let mut printer = Printer::new(opened.format, style);
    let (context, notes) = match prepare(command, &opened, &mut printer).await? {
        Ok(prepared) => prepared,
        Err(code) => return Ok(code),
    };
    let stop = opened.stop();
    let interrupt = tokio::spawn(stop_on_ctrl_c(Arc::clone(&stop), printer.shared_stdout()));
    let totals = crate::objects::walk::run(
        opened.walk_spec(C::LISTING),
        |object| C::object(&context, &opened.client, object),
        |event| printer.event(event, &stop),
    )
    .await;
    interrupt.abort();
    printer.summary(C::INFO.name(), &opened.bucket, dry_run, &notes, &totals)?;
    Ok(tally(&totals).code())
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

/// The walk's tally ([`crate::exit`]): a public object, an object changed by someone else
/// during the run, or one left undone on purpose (archived, a public ACL S3 would refuse) is
/// unresolved; an object that could not be read or changed, or a listing that stopped, is
/// incomplete.
fn tally(totals: &Totals) -> Tally {
    let c = &totals.counts;
    let mut tally = Tally::default();
    if totals.interrupted {
        tally.interrupted();
    }
    if [Status::Finding, Status::Conflict, Status::Skipped]
        .iter()
        .any(|&s| c.count(s) > 0)
    {
        tally.unresolved();
    }
    if c.count(Status::Error) > 0 || totals.listing_error.is_some() {
        tally.incomplete();
    }
    tally
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The CLI's object subcommands (those that take an object target, `--only`) are the
    /// [`ObjectCommand`]s of `objects::COMMANDS`, in order, each with its description as help:
    /// the README, the IAM policies and the CLI cannot disagree about them.
    #[test]
    fn the_object_subcommands_are_the_object_commands() {
        let cli = <crate::cli::Cli as clap::CommandFactory>::command();
        let subcommands: Vec<&clap::Command> = cli
            .get_subcommands()
            .filter(|c| c.get_arguments().any(|a| a.get_long() == Some("only")))
            .collect();
        let names: Vec<&str> = subcommands.iter().map(|c| c.get_name()).collect();
        let commands: Vec<&str> = crate::objects::COMMANDS.iter().map(|i| i.name()).collect();
        assert_eq!(names, commands);
        for (command, info) in subcommands.iter().zip(crate::objects::COMMANDS) {
            let help = command.get_long_about().map(ToString::to_string);
            assert_eq!(help, Some(info.long_help()), "{}", info.name());
        }
    }
}

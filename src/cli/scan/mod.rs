//! `scan`: the checks on the selected buckets of one account, of several ([`org`]), or of
//! recorded state (`--from-state`, `--from-aws-config`: [`state_file`](super::state_file));
//! then the reports, the state file, the SNS summary and `--fix` ([`fix`]).

mod fix;
mod org;
pub(super) mod report;

use super::args::{GlobalArgs, ScanArgs};
use super::confirm::{Confirmation, Prompt, mass_reach};
use super::progress::ProgressLine;
use super::{Failure, aws_options, check_log_prefix, state_file, warn_unmatched};
use crate::aws::{DEFAULT_CONCURRENCY, S3Clients};
use crate::check::{CheckEntry, CheckOptions};
use crate::error::{FetchErrorKind, InputError};
use crate::exit::{self, Tally};
use crate::notify::TopicArn;
use crate::org::OrgScan;
use crate::output::{self, Output};
use crate::registry;
use crate::report::{Finding, ReportOptions, Style};
use crate::select::{self, BucketSelector};
use crate::state::AccountState;
use crate::state::snapshot::{AccountRecord, BucketRecord};
use crate::suppress::IgnoreFile;
use report::{finish_report, write_report_outputs};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Everything `scan` was asked for, validated before the first request.
struct Request {
    selectors: Vec<BucketSelector>,
    checks: Vec<&'static CheckEntry>,
    options: CheckOptions,
    sns_topic: Option<TopicArn>,
    org: Option<OrgScan>,
    outputs: Vec<Output>,
    ignore: Option<IgnoreFile>,
    save_state: Option<PathBuf>,
    recorded: Option<Vec<AccountRecord>>,
    /// When the run started: the report carries its wall time.
    started: Instant,
}

/// What a live scan found, before it is reported.
struct LiveScan {
    findings: Vec<Finding>,
    account_id: Option<String>,
    account: Arc<AccountState>,
    /// The buckets a stop left unscanned, and how many were selected (one account).
    unscanned: (Vec<String>, Option<usize>),
    records: Vec<AccountRecord>,
    /// Whether a bucket pattern matched nothing (in the caller's account).
    unmatched: bool,
}

pub(super) async fn run(
    global: &GlobalArgs,
    args: ScanArgs,
    style: Style,
    prompt: &dyn Prompt,
) -> Result<u8, Failure> {
    let mut request = validate(&args)?;
    // `--fix --apply` on every bucket, or a pattern's, is confirmed; impossible to confirm, it
    // stops here, before any request.
    let confirmation = Confirmation {
        prompt,
        yes: global.yes,
        dry_run: !args.apply,
        reach: mass_reach(&request.selectors),
    };
    confirmation.check_possible("scan --fix --apply")?;
    let recorded = request.recorded.take();
    let plan = ScanPlan {
        selectors: &request.selectors,
        checks: &request.checks,
        options: &request.options,
        concurrency: global.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
        record: request.save_state.is_some(),
    };
    let recorded_scan = match recorded {
        Some(records) => Some(state_file::scan_records(records, &plan).await),
        None if args.from_aws_config => {
            let clients = S3Clients::load(&aws_options(global, DEFAULT_CONCURRENCY)).await?;
            Some(state_file::scan_aws_config(&clients, args.aggregator.as_deref(), &plan).await?)
        }
        None => None,
    };
    if let Some(scanned) = recorded_scan {
        return finish_recorded_scan(scanned, &request, &args, style);
    }
    let clients = S3Clients::load(&aws_options(global, DEFAULT_CONCURRENCY)).await?;
    let stop = Arc::clone(&clients.pacing().stop);
    let interrupt = tokio::spawn(interrupt_scan(Arc::clone(&stop)));
    let scanned = match &request.org {
        Some(org) => scan_accounts(clients, org, &plan).await?,
        None => scan_caller(clients, &plan).await,
    };
    interrupt.abort();
    let concurrency = plan.concurrency;
    let finish = Finish {
        stopped: stop.is_stopped(),
        concurrency,
        style,
        confirmation,
    };
    finish_live_scan(scanned, &request, &args, finish).await
}

/// Validates everything the user typed, and reads every state file, before the first request.
fn validate(args: &ScanArgs) -> Result<Request, Failure> {
    let started = Instant::now();
    let selectors = BucketSelector::parse_all(&args.buckets)?;
    for name in &args.log_bucket {
        select::validate_bucket_name(name).map_err(|reason| InputError::BucketName {
            name: name.clone(),
            reason,
        })?;
    }
    check_log_prefix(args.log_prefix.as_deref()).map_err(Failure::Usage)?;
    let sns_topic = args
        .sns_topic
        .as_deref()
        .map(TopicArn::parse)
        .transpose()
        .map_err(Failure::Usage)?;
    let org = OrgScan::new(
        args.role_name.clone(),
        args.accounts.clone(),
        args.organization,
    )
    .map_err(Failure::Usage)?;
    if org.is_some() && args.fix {
        return Err(Failure::Usage(
            "--fix works on one account at a time; run it with that account's credentials".into(),
        ));
    }
    let checks = select_checks(args)?;
    for account in &args.trusted_account {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Failure::Usage(format!(
                "invalid --trusted-account '{account}': an AWS account id is 12 digits"
            )));
        }
    }
    let (outputs, ignore) = args.report.parse()?;
    let save_state = args
        .save_state
        .as_deref()
        .map(state_file::check_save_path)
        .transpose()?;
    // Every state file is read and checked before anything is written.
    let recorded = state_file::load_all(&args.from_state)?;
    let options = CheckOptions {
        log_buckets: args.log_bucket.clone(),
        log_prefix: args.log_prefix.clone(),
        trusted_accounts: args.trusted_account.clone(),
    };
    Ok(Request {
        selectors,
        checks,
        options,
        sns_topic,
        org,
        outputs,
        ignore,
        save_state,
        recorded,
        started,
    })
}

/// The checks to run: `--checks`, less `--skip-checks` and the `--skip-…` flags, with the
/// opt-in ones asked for, within `--compliance`'s framework.
fn select_checks(args: &ScanArgs) -> Result<Vec<&'static CheckEntry>, Failure> {
    let mut skip = args.skip_checks.clone();
    if args.skip_logging {
        skip.push("s3.bucket.logging-disabled".into());
    }
    if args.skip_versioning {
        skip.push("s3.bucket.versioning-disabled".into());
    }
    if args.skip_default_encryption {
        skip.push("s3.bucket.default-encryption-disabled".into());
    }
    let opt_ins: &[&str] = if args.object_level_logging {
        &["--object-level-logging"]
    } else {
        &[]
    };
    let mut checks = registry::select_checks(&args.checks, &skip, opt_ins)?;
    if let Some(framework) = args.compliance {
        checks.retain(|c| {
            c.meta
                .compliance
                .iter()
                .any(|control| framework.covers(control))
        });
        if checks.is_empty() {
            return Err(InputError::NoChecks.into());
        }
    }
    Ok(checks)
}

/// `scan --role-name`: the accounts through their assumed roles.
async fn scan_accounts(
    clients: S3Clients,
    org: &OrgScan,
    plan: &ScanPlan<'_>,
) -> Result<LiveScan, Failure> {
    let caller = AccountState::new(clients);
    let (findings, not_scanned, records) = org::scan_organization(&caller, org, plan).await?;
    let account_id = caller.account_id().await.ok().map(str::to_owned);
    Ok(LiveScan {
        findings,
        account_id,
        account: caller,
        unscanned: (not_scanned, None),
        records,
        unmatched: false,
    })
}

/// The caller's own account. A bucket list that cannot be read is still a report, in every
/// format asked for (a stale one must not stay at its path): one error finding says why.
/// Rejected credentials make it exit 2.
async fn scan_caller(clients: S3Clients, plan: &ScanPlan<'_>) -> LiveScan {
    let region = clients.default_region().to_owned();
    let account = AccountState::new(clients);
    let scanned = scan_account(Arc::clone(&account), None, plan, true).await;
    let account_id = account.account_id().await.ok().map(str::to_owned);
    let mut unmatched = false;
    let (findings, not_scanned, total, records) = match scanned {
        Ok(scan) => {
            unmatched = scan.unmatched;
            (
                scan.scanned.findings,
                scan.scanned.not_scanned,
                Some(scan.total),
                scan.record.into_iter().collect(),
            )
        }
        Err(e) => {
            let rejected = matches!(e.kind, FetchErrorKind::CredentialsRejected { .. });
            if !rejected {
                let why = e.to_string();
                eprintln!("error: could not list buckets: {}", output::printable(&why));
            }
            let mut finding =
                crate::org::unreachable(account_id.as_deref().unwrap_or("unknown"), &region, e);
            finding.account.clone_from(&account_id);
            let records = plan
                .record
                .then(|| account.record(&Default::default()))
                .into_iter()
                .collect();
            (vec![finding], Vec::new(), None, records)
        }
    };
    LiveScan {
        findings,
        account_id,
        account,
        unscanned: (not_scanned, total),
        records,
        unmatched,
    }
}

/// How a live scan ends: whether a stop cut it short, and what `--fix` needs.
struct Finish<'a> {
    stopped: bool,
    concurrency: usize,
    style: Style,
    confirmation: Confirmation<'a>,
}

/// The report, the state file, then (unless a stop cut the scan short) the SNS summary and
/// `--fix`.
async fn finish_live_scan(
    scanned: LiveScan,
    request: &Request,
    args: &ScanArgs,
    finish: Finish<'_>,
) -> Result<u8, Failure> {
    let fail_on = args.report.fail_on;
    let report = finish_report(
        scanned.findings,
        scanned.account_id,
        request.ignore.as_ref(),
        request.started,
    );
    // What else made the run incomplete besides the report's findings.
    let mut beyond_report = Tally::default();
    if scanned.unmatched {
        beyond_report.incomplete();
    }
    let rejected = report.credentials_rejected().is_some();
    let code = |report_tally: Tally, beyond: Tally| match rejected {
        true => exit::USAGE,
        false => report_tally.merge(beyond).code(),
    };
    let options = report_options(args, request, finish.style);
    if !write_report_outputs(&report, &request.outputs, &options)? {
        return Ok(code(report.tally(fail_on), beyond_report));
    }
    if let Some(path) = &request.save_state {
        state_file::save(path, scanned.records)?;
    }
    if finish.stopped {
        // A partial scan is reported as such; nothing is published or fixed from it.
        let (not_scanned, total) = &scanned.unscanned;
        eprintln!("{}", not_scanned_message(not_scanned, *total));
        return Ok(exit::INTERRUPTED);
    }
    let account = scanned.account;
    let mut publish_failed = false;
    if let (Some(topic), Some(clients)) = (&request.sns_topic, account.clients()) {
        match crate::notify::publish_failures(clients, topic, &report, fail_on).await {
            Ok(Some(published)) => eprintln!("{published}"),
            Ok(None) => eprintln!("nothing failed: nothing was published to {topic}"),
            Err(e) => {
                let why = e.to_string();
                eprintln!(
                    "error: could not publish the summary to {topic}: {}",
                    output::printable(&why)
                );
                publish_failed = true;
            }
        }
    }
    // The one exception to "1 outranks 3": a summary is published only when something fails,
    // so 1 would hide that the alert was never sent.
    let code = |report_tally: Tally, beyond: Tally| match publish_failed && !rejected {
        true => exit::INCOMPLETE,
        false => code(report_tally, beyond),
    };
    if !args.fix || rejected {
        return Ok(code(report.tally(fail_on), beyond_report));
    }
    let after_fixes = fix::fix_after_scan(
        account,
        report,
        fix::FixRequest {
            apply: args.apply,
            selection: &args.buckets,
            confirmation: &finish.confirmation,
        },
        fail_on,
        finish.concurrency,
        finish.style,
    )
    .await?;
    Ok(code(after_fixes, beyond_report))
}

/// The report (and state file) of a scan of recorded state: `--from-state`, `--from-aws-config`.
fn finish_recorded_scan(
    scanned: state_file::RecordedScan,
    request: &Request,
    args: &ScanArgs,
    style: Style,
) -> Result<u8, Failure> {
    let report = finish_report(
        scanned.findings,
        scanned.account,
        request.ignore.as_ref(),
        request.started,
    );
    let mut tally = report.tally(args.report.fail_on);
    if scanned.unmatched {
        tally.incomplete();
    }
    let code = tally.code();
    let options = report_options(args, request, style);
    if !write_report_outputs(&report, &request.outputs, &options)? {
        return Ok(code);
    }
    if let Some(path) = &request.save_state {
        state_file::save(path, scanned.records)?;
    }
    Ok(code)
}

/// What the reporters are told. Asking `--checks` for exactly one check asks about that check
/// on every bucket, so the table lists its passes too, as `--show-passed` would.
fn report_options(args: &ScanArgs, request: &Request, style: Style) -> ReportOptions {
    let mut options = args.report.options(style, &request.outputs);
    options.show_passed |= !args.checks.is_empty() && request.checks.len() == 1;
    options
}

/// What every account of a scan runs: the same selection, checks and options.
pub(super) struct ScanPlan<'a> {
    pub selectors: &'a [BucketSelector],
    pub checks: &'a [&'static CheckEntry],
    pub options: &'a CheckOptions,
    pub concurrency: usize,
    /// Record what each account's scan read (`--save-state`).
    pub record: bool,
}

/// One account's scan.
pub(super) struct AccountScan {
    pub scanned: crate::runner::Scanned,
    /// How many buckets were selected.
    pub total: usize,
    /// What the scan read, when the plan records it.
    pub record: Option<AccountRecord>,
    /// Whether a bucket pattern matched none of the account's buckets.
    pub unmatched: bool,
}

/// First Ctrl-C during a scan: start no more buckets, drop the ones in flight and write the
/// report of what finished. Second: quit now.
async fn interrupt_scan(stop: Arc<crate::pacing::Stop>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    stop.stop();
    eprintln!(
        "\ninterrupted: writing the report of the buckets scanned so far (Ctrl-C again to quit at once)"
    );
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}

/// `interrupted: 3 of 10 buckets not scanned: a, b, c` (the first 20 named).
fn not_scanned_message(not_scanned: &[String], total: Option<usize>) -> String {
    const NAMED: usize = 20;
    let mut names = not_scanned
        .iter()
        .take(NAMED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if not_scanned.len() > NAMED {
        names += &format!(" and {} more", not_scanned.len() - NAMED);
    }
    match (not_scanned.len(), total) {
        (0, _) => "interrupted: every bucket had been scanned".into(),
        (n, Some(total)) => format!("interrupted: {n} of {total} buckets not scanned: {names}"),
        (_, None) => format!("interrupted: not scanned: {names}"),
    }
}

/// One account's scan: its buckets by selection (from the bucket list, or from the record the
/// state was built from), then the checks, every finding tagged with the account (`account`,
/// else the state's own, from STS or the record), with the buckets a stop left unscanned and
/// how many were selected. `Err` when the buckets cannot be listed.
pub(super) async fn scan_account(
    state: Arc<AccountState>,
    account: Option<&str>,
    plan: &ScanPlan<'_>,
    show_progress: bool,
) -> Result<AccountScan, crate::error::FetchError> {
    let mut unmatched = false;
    let selection = match state.clients() {
        Some(clients) => {
            let selection = select::resolve(clients, plan.selectors).await?;
            unmatched = !selection.unmatched.is_empty();
            if let Some(listed) = &selection.listed {
                state.know_bucket_list(listed);
            }
            warn_unmatched(&selection, account);
            selection
        }
        // The caller warns once over every recorded account's buckets.
        None => select::choose(state.recorded_buckets(), plan.selectors, false),
    };
    let total = selection.buckets.len();
    // Account checks run with every scan of the account, but not when the buckets asked for
    // do not exist at all: then there is nothing to report.
    let checks = if selection.buckets.is_empty() && !plan.selectors.is_empty() {
        &[][..]
    } else {
        plan.checks
    };
    let progress = Mutex::new(ProgressLine::new(show_progress && total > 1));
    let on_progress = |done, total| {
        let mut progress = progress.lock().expect("progress line");
        progress.draw(|| format!("scanned {done}/{total} buckets"));
    };
    let recording = plan.record.then(crate::runner::Recording::default);
    let (mut scanned, id) = tokio::join!(
        crate::runner::scan_until_stopped(
            Arc::clone(&state),
            selection.buckets,
            checks,
            plan.options,
            plan.concurrency,
            &on_progress,
            recording.as_ref(),
        ),
        async {
            match account {
                Some(id) => Some(id.to_owned()),
                None => state.account_id().await.ok().map(str::to_owned),
            }
        },
    );
    progress.into_inner().expect("progress line").clear();
    for finding in &mut scanned.findings {
        finding.account.clone_from(&id);
    }
    let record = recording.map(|recording| {
        let mut record = account_record(&state, recording);
        // A stop leaves buckets unread: recorded with no answer, so a scan of the file says
        // each of their checks could not be evaluated, instead of leaving them out.
        record
            .buckets
            .extend(scanned.not_scanned.iter().map(BucketRecord::new));
        record.buckets.sort_by(|a, b| a.name.cmp(&b.name));
        record
    });
    Ok(AccountScan {
        scanned,
        total,
        record,
        unmatched,
    })
}

/// An account's state file record: its own answers and the buckets recorded as they finished.
pub(super) fn account_record(
    state: &AccountState,
    recording: crate::runner::Recording,
) -> AccountRecord {
    let mut buckets = recording.into_inner().expect("recording");
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    let names = buckets.iter().map(|b| b.name.clone()).collect();
    let mut record = state.record(&names);
    record.buckets = buckets;
    record
}

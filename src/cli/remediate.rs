//! Running the remediation commands (their definitions are generated from the registry in
//! [`args::remediate`](super::args::remediate)): validate, select, plan, apply unless
//! `--dry-run`, and print one line per bucket or account. `scan --fix --apply` prints its
//! results the same way.

use super::args::remediate::{FixCommand, commands};
use super::args::{FixTarget, GlobalArgs};
use super::marks::Tone;
use super::{Failure, aws_options, check_log_prefix, resolve_buckets};
use crate::aws::{DEFAULT_CONCURRENCY, S3Clients};
use crate::error::InputError;
use crate::fix::{FixOutcome, FixResult};
use crate::output;
use crate::registry;
use crate::remediation::{FixContext, FixOptions, validate_kms_key};
use crate::report::Style;
use crate::select::{self, BucketSelector};
use crate::state::{AccountState, BucketState};
use std::io::{self, Write};
use std::sync::Arc;

/// Runs a remediation command.
pub(super) async fn run(global: &GlobalArgs, fix: FixCommand, style: Style) -> Result<u8, Failure> {
    let commands = commands();
    let remediations = &commands[fix.name];
    if let (true, Some(account)) = (fix.account, remediations.account) {
        return fix_account_command(global, account.meta.id, fix.target.dry_run, style).await;
    }
    let Some(bucket) = remediations.bucket else {
        return Err(Failure::Usage(format!("{} needs --account", fix.name)));
    };
    if remediations.account.is_some() && fix.target.buckets.is_empty() {
        return Err(Failure::Usage(format!(
            "{} needs at least one bucket or pattern (or --account)",
            fix.name
        )));
    }
    check_log_prefix(fix.options.log_prefix.as_deref()).map_err(Failure::Usage)?;
    fix_command(global, bucket.meta.id, fix.target, fix.options, style).await
}

/// Runs a bucket remediation command: validate, select, plan, apply (unless --dry-run), report.
async fn fix_command(
    global: &GlobalArgs,
    id: &str,
    target: FixTarget,
    options: FixOptions,
    style: Style,
) -> Result<u8, Failure> {
    let entry = registry::remediation(id).expect("registered remediation");
    let selectors = BucketSelector::parse_all(&target.buckets)?;
    if let Some(key) = &options.kms_key_id {
        validate_kms_key(key).map_err(Failure::Usage)?;
    }
    if let Some(log_bucket) = &options.log_bucket {
        select::validate_bucket_name(log_bucket).map_err(|reason| InputError::BucketName {
            name: log_bucket.clone(),
            reason,
        })?;
    }
    let clients = S3Clients::load(&aws_options(global, DEFAULT_CONCURRENCY)).await?;
    let selection = resolve_buckets(&clients, &selectors).await?;
    if selectors.is_empty() {
        let verb = if target.dry_run {
            "would apply"
        } else {
            "applies"
        };
        eprintln!(
            "{}: {verb} to all {} buckets in the account",
            entry.meta.title,
            selection.buckets.len()
        );
    }
    let account = AccountState::new(clients);
    let log_target = options
        .log_bucket
        .as_ref()
        .map(|name| Arc::new(BucketState::new(name.clone(), None, Arc::clone(&account))));
    let context = FixContext {
        options,
        log_target,
    };
    let results = crate::fix::fix_buckets(
        account,
        selection.buckets,
        entry,
        &context,
        target.dry_run,
        global.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
    )
    .await;
    print_fix_results(&results, style)
}

/// Runs an account remediation command.
async fn fix_account_command(
    global: &GlobalArgs,
    id: &str,
    dry_run: bool,
    style: Style,
) -> Result<u8, Failure> {
    let entry = registry::remediation(id).expect("registered remediation");
    let clients = S3Clients::load(&aws_options(global, DEFAULT_CONCURRENCY)).await?;
    let account = AccountState::new(clients);
    match account.account_id().await {
        Ok(id) => eprintln!("{}: account {id}", entry.meta.title),
        Err(e) => {
            return Err(Failure::Incomplete(format!(
                "could not determine the account: {e}"
            )));
        }
    }
    let context = FixContext {
        options: FixOptions::default(),
        log_target: None,
    };
    let result = crate::fix::fix_account(account, entry, &context, dry_run).await;
    print_fix_results(&[result], style)
}

/// One line per bucket, then a count; exit 1 when any bucket was refused or failed.
fn print_fix_results(results: &[FixResult], style: Style) -> Result<u8, Failure> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    write_fix_results(results, style, &mut out)?;
    out.flush()?;
    Ok(if results.iter().any(|r| r.outcome.is_failure()) {
        1
    } else {
        0
    })
}

pub(super) fn write_fix_results(
    results: &[FixResult],
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for r in results {
        let (word, detail) = describe(&r.outcome);
        let tone = Tone::of_fix(&r.outcome);
        writeln!(
            out,
            "{} {}: {word}: {}",
            tone.paint(tone.mark(), style.color),
            r.resource.name(),
            output::printable(&detail)
        )?;
        match counts.iter_mut().find(|(w, _)| *w == word) {
            Some((_, n)) => *n += 1,
            None => counts.push((word, 1)),
        }
    }
    let summary: Vec<String> = counts.iter().map(|(w, n)| format!("{n} {w}")).collect();
    if results.is_empty() {
        writeln!(out, "No buckets selected.")
    } else {
        writeln!(out, "{}", summary.join(", "))
    }
}

/// An outcome's word (`changed`, `refused`, …) and what it says.
fn describe(outcome: &FixOutcome) -> (&'static str, String) {
    let changes = |changes: &[crate::change::Change]| {
        changes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    match outcome {
        FixOutcome::Already(why) => ("already", why.clone()),
        FixOutcome::Skipped(why) => ("skipped", why.clone()),
        FixOutcome::WouldChange(list) => ("would change", changes(list)),
        FixOutcome::Changed {
            changes: list,
            verified,
        } => {
            let mut text = changes(list);
            for v in verified {
                text += &format!(
                    "; {}: {} → {}",
                    v.check,
                    v.before.as_str(),
                    v.after.as_str()
                );
                if v.after != crate::report::Status::Pass {
                    text += &format!(" ({})", v.message);
                }
            }
            ("changed", text)
        }
        FixOutcome::Refused(why) => ("refused", why.clone()),
        FixOutcome::Failed(why) => ("error", why.clone()),
    }
}

//! Running the remediation commands (their definitions are generated from the registry in
//! [`args::remediate`](super::args::remediate)): validate, select, plan, apply unless
//! `--dry-run`, and print one line per bucket or account. `scan --fix --apply` prints its
//! results the same way.

use super::args::remediate::{FixCommand, commands};
use super::args::{FixTarget, GlobalArgs, ObjectFormat};
use super::confirm::{Confirmation, Prompt, mass_reach};
use super::marks::Tone;
use super::progress::BucketProgress;
use super::{Failure, aws_options, check_log_prefix, resolve_buckets, selection_tally};
use crate::aws::{DEFAULT_CONCURRENCY, S3Clients};
use crate::error::InputError;
use crate::fix::{FixOutcome, FixResult};
use crate::output;
use crate::registry;
use crate::remediation::{FixContext, FixOptions, validate_kms_key};
use crate::report::Resource;
use crate::report::Style;
use crate::select::{self, BucketSelector};
use crate::state::{AccountState, BucketState};
use serde_json::json;
use std::io::{self, Write};
use std::sync::Arc;

/// Runs a remediation command.
pub(super) async fn run(
    global: &GlobalArgs,
    fix: FixCommand,
    style: Style,
    prompt: &dyn Prompt,
) -> Result<u8, Failure> {
    let commands = commands();
    let remediations = &commands[fix.name];
    if let (true, Some(account)) = (fix.account, remediations.account) {
        return fix_account_command(global, account.meta.id, fix.target, style).await;
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
    let confirmation = Confirmation {
        prompt,
        yes: global.yes,
        dry_run: fix.target.dry_run,
        reach: None,
    };
    fix_command(global, bucket.meta.id, fix, confirmation, style).await
}

/// Runs a bucket remediation command: validate, select, plan, confirm a mass change, apply
/// (unless --dry-run), report.
async fn fix_command(
    global: &GlobalArgs,
    id: &str,
    fix: FixCommand,
    mut confirmation: Confirmation<'_>,
    style: Style,
) -> Result<u8, Failure> {
    let FixCommand {
        name,
        target,
        options,
        ..
    } = fix;
    let entry = registry::remediation(id).expect("registered remediation");
    let selectors = BucketSelector::parse_all(&target.buckets)?;
    validate_options(&options)?;
    confirmation.reach = mass_reach(&selectors);
    confirmation.check_possible(name)?;
    let clients = S3Clients::load(&aws_options(global, DEFAULT_CONCURRENCY)).await?;
    let selection = resolve_buckets(&clients, &selectors).await?;
    let mut tally = selection_tally(&selection);
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
    let concurrency = global.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    let selected = selection.buckets.len();
    let progress = BucketProgress::new(selected);
    let planned = crate::fix::plan_buckets(
        &account,
        selection.buckets,
        entry,
        &context,
        concurrency,
        &progress.step("planned"),
    )
    .await;
    progress.clear();
    if !confirmation.go_ahead(entry.meta.title, &planned.changing(), selected)? {
        tally.unresolved();
        return Ok(tally.code());
    }
    let verb = if target.dry_run { "planned" } else { "done" };
    let results = crate::fix::apply_planned(
        account,
        planned,
        target.dry_run,
        concurrency,
        &progress.step(verb),
    )
    .await;
    progress.clear();
    let report = FixReport {
        command: name,
        dry_run: target.dry_run,
        results: &results,
        unmatched: &selection.unmatched,
    };
    print_fix_results(&report, target.format, style)?;
    Ok(tally.merge(crate::fix::tally(&results)).code())
}

/// The options' values, checked before any request.
fn validate_options(options: &FixOptions) -> Result<(), Failure> {
    if let Some(key) = &options.kms_key_id {
        validate_kms_key(key).map_err(Failure::Usage)?;
    }
    if let Some(log_bucket) = &options.log_bucket {
        select::validate_bucket_name(log_bucket).map_err(|reason| InputError::BucketName {
            name: log_bucket.clone(),
            reason,
        })?;
    }
    Ok(())
}

/// Runs an account remediation command.
async fn fix_account_command(
    global: &GlobalArgs,
    id: &str,
    target: FixTarget,
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
    let result = crate::fix::fix_account(account, entry, &context, target.dry_run).await;
    let results = [result];
    let report = FixReport {
        command: entry.meta.command(),
        dry_run: target.dry_run,
        results: &results,
        unmatched: &[],
    };
    print_fix_results(&report, target.format, style)?;
    Ok(crate::fix::tally(&results).code())
}

/// A remediation command's results, for printing.
struct FixReport<'a> {
    command: &'a str,
    dry_run: bool,
    results: &'a [FixResult],
    /// Patterns that matched no bucket.
    unmatched: &'a [String],
}

/// One line per bucket, then a count; or the JSON document.
fn print_fix_results(report: &FixReport<'_>, format: ObjectFormat, style: Style) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        ObjectFormat::Text => write_fix_results(report.results, style, &mut out)?,
        ObjectFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &fix_results_json(report))
                .map_err(io::Error::other)?;
            writeln!(out)?;
        }
    }
    out.flush()
}

/// The JSON document of a remediation command (`docs/schemas/results.schema.json`,
/// `remediation`).
fn fix_results_json(report: &FixReport<'_>) -> serde_json::Value {
    let mut counts = serde_json::Map::new();
    let results: Vec<serde_json::Value> = report
        .results
        .iter()
        .map(|r| {
            let (word, detail) = describe(&r.outcome);
            let entry = counts.entry(word).or_insert(json!(0));
            *entry = json!(entry.as_u64().unwrap_or(0) + 1);
            let mut value = json!({
                "outcome": word,
                "detail": detail,
            });
            let (key, name) = match &r.resource {
                Resource::Account(id) => ("account", id.clone()),
                other => ("bucket", other.name()),
            };
            value[key] = json!(name);
            let (changes, verified) = match &r.outcome {
                FixOutcome::WouldChange(changes) => (Some(changes), None),
                FixOutcome::Changed { changes, verified } => (Some(changes), Some(verified)),
                _ => (None, None),
            };
            if let Some(changes) = changes {
                value["changes"] =
                    json!(changes.iter().map(ToString::to_string).collect::<Vec<_>>());
            }
            if let Some(verified) = verified {
                value["verified"] = verified
                    .iter()
                    .map(|v| {
                        json!({
                            "check": v.check,
                            "before": v.before.as_str(),
                            "after": v.after.as_str(),
                            "message": v.message,
                        })
                    })
                    .collect();
            }
            value
        })
        .collect();
    json!({
        "command": report.command,
        "dry_run": report.dry_run,
        "results": results,
        "counts": counts,
        "unmatched_patterns": report.unmatched,
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

//! The bucket-policy commands: `list-policy`, `set-policy` (alias `replace-policy`),
//! `update-policy` and `delete-policy`. Edits go through [`crate::policy::edit`], so every
//! statement they do not name is kept byte for byte; writes go through the one executor in
//! `apply`, and each write is verified by reading the policy back.

use super::args::{
    GlobalArgs, ListPolicyArgs, ObjectFormat, PolicyStatements, SetPolicyArgs, UpdatePolicyArgs,
};
use super::{Failure, aws_options};
use crate::apply;
use crate::aws::{DEFAULT_CONCURRENCY, S3Clients};
use crate::change::Change;
use crate::error::{FetchErrorKind, InputError};
use crate::exit;
use crate::exposure::{EffectiveBlock, Flag};
use crate::output::{printable, printable_json};
use crate::policy::edit::{self, Named};
use crate::policy::{MAX_POLICY_BYTES, PolicyDocument, evaluate_public};
use crate::select::{self, BucketSelector};
use crate::state::{AccountState, BucketState};
use futures::StreamExt;
use serde_json::json;
use std::io::{self, Write};
use std::sync::Arc;

use crate::command::{CommandFix, CommandInfo, Section};
use crate::facet::Facet;

/// Each writer reads the bucket's region and policy, what decides whether S3 would refuse a
/// public policy (its status, both Block Public Access levels, the account), and the default
/// encryption an SSE-KMS statement must agree with; it verifies the write by reading back.
const POLICY_WRITER: &[Facet] = &[
    Facet::Region,
    Facet::Policy,
    Facet::PutPolicy,
    Facet::PolicyStatus,
    Facet::PublicAccessBlock,
    Facet::AccountPublicAccessBlock,
    Facet::AccountId,
    Facet::Encryption,
];

pub const LIST_POLICY: CommandInfo = CommandInfo {
    usage: "s3tk list-policy [BUCKET]...",
    summary: "Print bucket policies, or with --named what each statement does",
    doc: "Prints each selected bucket's policy as stored (every bucket when none is named); \
          with `--named`, which of set-policy's named statements it holds and what the others do.",
    facets: &[Facet::BucketList, Facet::Region, Facet::Policy],
    aliases: &[],
    section: Section::BucketPolicy,
};
inventory::submit! { LIST_POLICY }

pub const SET_POLICY: CommandInfo = CommandInfo {
    usage: "s3tk set-policy BUCKET [STATEMENTS]",
    summary: "Replace a bucket's policy with named statements (refuses to drop others without --force)",
    doc: "Writes a policy made of the named statements. Statements of the current policy that \
          are not named would be lost, so it refuses unless `--force`; `update-policy` keeps them.",
    facets: POLICY_WRITER,
    aliases: &["replace-policy"],
    section: Section::BucketPolicy,
};
inventory::submit! { SET_POLICY }

pub const UPDATE_POLICY: CommandInfo = CommandInfo {
    usage: "s3tk update-policy BUCKET [STATEMENTS] [--remove STATEMENTS]",
    summary: "Add or remove named statements in a bucket's policy, keeping every other statement",
    doc: "Adds (or with `--remove` removes) named statements, keeping every other statement \
          byte for byte; a policy left empty is deleted.",
    facets: &[
        Facet::Region,
        Facet::Policy,
        Facet::PutPolicy,
        Facet::DeletePolicy,
        Facet::PolicyStatus,
        Facet::PublicAccessBlock,
        Facet::AccountPublicAccessBlock,
        Facet::AccountId,
        Facet::Encryption,
    ],
    aliases: &[],
    section: Section::BucketPolicy,
};
inventory::submit! { UPDATE_POLICY }

// The statements that make a policy check pass (their checks' tests read these statements).
inventory::submit! { CommandFix {
    check: "s3.bucket.insecure-transport",
    usage: "s3tk update-policy {bucket} --secure-transport",
} }
inventory::submit! { CommandFix {
    check: "s3.bucket.unencrypted-uploads-allowed",
    usage: "s3tk update-policy {bucket} --encryption",
} }

pub const DELETE_POLICY: CommandInfo = CommandInfo {
    usage: "s3tk delete-policy BUCKET",
    summary: "Delete a bucket's policy, printing it (on stdout) so it can be restored",
    doc: "Prints the policy, then deletes it; `--dry-run` only prints it.",
    facets: &[Facet::Region, Facet::Policy, Facet::DeletePolicy],
    aliases: &[],
    section: Section::BucketPolicy,
};
inventory::submit! { DELETE_POLICY }

impl PolicyStatements {
    /// The statements asked for, in set-policy's order.
    fn named(&self) -> Vec<Named> {
        [
            (self.public, Named::Public),
            (self.no_object_acl, Named::NoObjectAcl),
            (self.public_uploads, Named::PublicUploads),
            (self.no_uploads, Named::NoUploads),
            (self.encryption, Named::Encryption { kms: self.kms }),
            (self.secure_transport, Named::SecureTransport),
        ]
        .into_iter()
        .filter_map(|(on, named)| on.then_some(named))
        .collect()
    }
}

impl UpdatePolicyArgs {
    /// The statements to remove, in set-policy's order.
    fn removed(&self) -> Vec<Named> {
        [
            (self.no_public, Named::Public),
            (self.allow_object_acl, Named::NoObjectAcl),
            (self.no_public_uploads, Named::PublicUploads),
            (self.allow_uploads, Named::NoUploads),
            (self.no_encryption, Named::Encryption { kms: false }),
            (self.no_secure_transport, Named::SecureTransport),
        ]
        .into_iter()
        .filter_map(|(on, named)| on.then_some(named))
        .collect()
    }
}

/// The label `--named` prints for a statement.
fn label(statement: &crate::policy::Statement<'_>, bucket: &str) -> String {
    match Named::recognise(statement.json, bucket) {
        Some(named) => named.label().to_owned(),
        None => format!("Custom: {}", statement.label()),
    }
}

pub async fn list(global: &GlobalArgs, args: ListPolicyArgs) -> Result<u8, Failure> {
    let ListPolicyArgs {
        buckets,
        named,
        format,
    } = args;
    let selectors = BucketSelector::parse_all(&buckets)?;
    let options = aws_options(global, DEFAULT_CONCURRENCY);
    let concurrency = options.concurrency;
    let clients = S3Clients::load(&options).await?;
    let selection = super::resolve_buckets(&clients, &selectors).await?;
    let mut tally = super::selection_tally(&selection);
    let account = AccountState::new(clients);
    let total = selection.buckets.len();
    let progress = super::progress::BucketProgress::new(total);
    let step = progress.step("read");
    let mut done = 0;
    // In bucket order, each policy read concurrently.
    let results: Vec<(String, Result<Option<PolicyDocument>, String>)> =
        futures::stream::iter(selection.buckets)
            .map(|b| {
                let account = Arc::clone(&account);
                async move {
                    let state = BucketState::new(b.name.clone(), b.listed_region, account);
                    let policy = state.policy().await.cloned().map_err(|e| e.to_string());
                    (b.name, policy)
                }
            })
            .buffered(concurrency)
            .inspect(|_| {
                done += 1;
                step(done, total);
            })
            .collect()
            .await;
    progress.clear();
    print_policies(&results, named, format)?;
    if results.iter().any(|(_, p)| p.is_err()) {
        tally.incomplete();
    }
    Ok(tally.code())
}

/// Each bucket's policy (or with `named`, its statements' labels), or the JSON array.
fn print_policies(
    results: &[(String, Result<Option<PolicyDocument>, String>)],
    named: bool,
    format: ObjectFormat,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        ObjectFormat::Json => {
            let entries: Vec<serde_json::Value> = results
                .iter()
                .map(|(bucket, policy)| match policy {
                    Ok(Some(doc)) => json!({
                        "bucket": bucket,
                        "policy": doc.json(),
                        "public": evaluate_public(doc).is_public(),
                        "statements": doc.statements().iter().map(|s| json!({
                            "index": s.index,
                            "sid": s.sid(),
                            "label": Named::recognise(s.json, bucket).map_or("Custom", Named::label),
                        })).collect::<Vec<_>>(),
                    }),
                    Ok(None) => json!({"bucket": bucket, "policy": null}),
                    Err(e) => json!({"bucket": bucket, "error": e}),
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &entries).map_err(io::Error::other)?;
            writeln!(out)?;
        }
        ObjectFormat::Text => {
            for (i, (bucket, policy)) in results.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "{bucket}")?;
                match policy {
                    Ok(None) => writeln!(out, "  no policy")?,
                    Ok(Some(doc)) if named => {
                        for s in doc.statements() {
                            writeln!(out, "  {}", printable(&label(&s, bucket)))?;
                        }
                    }
                    Ok(Some(doc)) => writeln!(out, "{}", printable_json(&doc.to_pretty_string()))?,
                    Err(e) => writeln!(out, "  error: {}", printable(&e.to_string()))?,
                }
            }
        }
    }
    out.flush()
}

/// One bucket, with its region resolved: the start of every single-bucket policy command.
async fn open(
    global: &GlobalArgs,
    name: &str,
) -> Result<(Arc<AccountState>, BucketState), Failure> {
    select::validate_bucket_name(name).map_err(|reason| InputError::BucketName {
        name: name.to_owned(),
        reason,
    })?;
    let clients = S3Clients::load(&aws_options(global, DEFAULT_CONCURRENCY)).await?;
    let account = AccountState::new(clients);
    let bucket = BucketState::new(name, None, Arc::clone(&account));
    bucket.region().await.map_err(|e| Failure::fetch(e, name))?;
    Ok((account, bucket))
}

/// The bucket's policy, which an edit must be able to read and trust.
async fn current(bucket: &BucketState) -> Result<Option<PolicyDocument>, Failure> {
    match bucket.policy().await {
        Ok(policy) => Ok(policy.clone()),
        Err(e) if matches!(e.kind, FetchErrorKind::Malformed { .. }) => {
            Err(Failure::Usage(format!(
                "the current policy of {} cannot be edited: {e}; fix or delete it first",
                bucket.name()
            )))
        }
        Err(e) => Err(Failure::Incomplete(format!("{}: {e}", bucket.name()))),
    }
}

/// Refuses a document S3 would refuse (too big, a duplicate key, a statement lacking an
/// element) before it is sent.
fn refuse_invalid(command: &str, bucket: &str, new: &PolicyDocument) -> Result<(), Failure> {
    new.validate().map_err(|e| {
        Failure::Usage(format!(
            "{command} would write a policy S3 refuses to {bucket}: {e}"
        ))
    })
}

/// Refuses a public policy S3 would refuse, and notes one that would grant nothing.
async fn check_public(bucket: &BucketState, policy: &PolicyDocument) -> Result<(), Failure> {
    let verdict = evaluate_public(policy);
    if !verdict.is_public() {
        return Ok(());
    }
    let block = EffectiveBlock::of(bucket).await;
    if let Some(by) = block.neutralised_by(Flag::BlockPublicPolicy) {
        return Err(Failure::Refused(format!(
            "S3 would refuse this policy on {}: it is public ({}) and {by} is on",
            bucket.name(),
            verdict.explain()
        )));
    }
    if let Some(by) = block.neutralised_by(Flag::RestrictPublicBuckets) {
        eprintln!(
            "note: {by} is on: the public statement grants nothing to anonymous users or other accounts while it stays on"
        );
    }
    Ok(())
}

/// Notes that an AES256-only upload rule refuses what the bucket's SSE-KMS default expects.
async fn check_encryption(bucket: &BucketState, policy: &PolicyDocument) {
    let requires_aes256 = policy
        .statements()
        .iter()
        .any(|s| Named::recognise(s.json, bucket.name()) == Some(Named::Encryption { kms: false }));
    if requires_aes256 && matches!(bucket.encryption().await, Ok(Some(rule)) if rule.is_kms()) {
        eprintln!(
            "note: the bucket's default encryption is SSE-KMS, and this policy refuses SSE-KMS uploads and uploads without the header; --kms requires aws:kms instead"
        );
    }
}

/// What a policy command did to the bucket's policy, for printing.
struct PolicyResult<'a> {
    command: &'static str,
    bucket: &'a str,
    dry_run: bool,
    /// `already`, `would change` or `changed`, as the remediation commands say.
    outcome: &'static str,
    /// What happened, in words (`wrote this policy`, …).
    detail: &'a str,
    before: Option<&'a PolicyDocument>,
    after: Option<&'a PolicyDocument>,
    /// What reading the policy back showed, after a write.
    verified: Option<&'a str>,
}

impl PolicyResult<'_> {
    /// The JSON document (`docs/schemas/results.schema.json`, `policy_change`).
    fn to_json(&self) -> serde_json::Value {
        json!({
            "command": self.command,
            "bucket": self.bucket,
            "dry_run": self.dry_run,
            "outcome": self.outcome,
            "detail": self.detail,
            "before": self.before.map(PolicyDocument::json),
            "after": self.after.map(PolicyDocument::json),
            "verified": self.verified,
        })
    }

    /// Text: the change as a diff of the pretty-printed policies, then the verdict. JSON: the
    /// document.
    fn print(&self, format: ObjectFormat) -> io::Result<()> {
        let mut out = io::stdout().lock();
        match format {
            ObjectFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &self.to_json())
                    .map_err(io::Error::other)?;
                writeln!(out)?;
            }
            ObjectFormat::Text if self.outcome == "already" => {
                writeln!(out, "{}: {}", self.bucket, self.detail)?;
            }
            ObjectFormat::Text => {
                let text = |doc: Option<&PolicyDocument>| {
                    doc.map(|d| d.to_pretty_string() + "\n").unwrap_or_default()
                };
                writeln!(
                    out,
                    "{}: {} (- removed, + added):",
                    self.bucket, self.detail
                )?;
                let diff = edit::diff_lines(&text(self.before), &text(self.after));
                write!(out, "{}", printable_json(&diff))?;
                if let Some(verdict) = self.verified {
                    writeln!(out, "{verdict}")?;
                }
            }
        }
        out.flush()
    }
}

/// Writes `new` (or deletes the policy when `None`), then reads it back and says whether the
/// bucket's policy is now what was written, and whether it is public.
async fn write_and_verify(
    account: &AccountState,
    bucket: &str,
    new: Option<&PolicyDocument>,
) -> Result<String, Failure> {
    let change = match new {
        Some(policy) => Change::PutPolicy {
            bucket: bucket.to_owned(),
            policy: policy.clone(),
            summary: format!("{} statements", policy.statements().len()),
        },
        None => Change::DeletePolicy {
            bucket: bucket.to_owned(),
        },
    };
    apply::apply(account, &change)
        .await
        .map_err(|e| Failure::Incomplete(format!("{bucket}: {e}")))?;
    let fresh = BucketState::new(bucket, None, Arc::new(account.fresh()));
    let stored = fresh.policy().await.map_err(|e| {
        Failure::Incomplete(format!(
            "{bucket}: written, but reading it back failed: {e}"
        ))
    })?;
    let same = match (stored, new) {
        (None, None) => true,
        (Some(stored), Some(new)) => stored.json() == new.json(),
        _ => false,
    };
    if !same {
        return Err(Failure::Incomplete(format!(
            "{bucket}: written, but S3 now returns a different policy (another writer?)"
        )));
    }
    let Some(stored) = stored else {
        return Ok("verified: the bucket has no policy".into());
    };
    let local = evaluate_public(stored);
    let aws = fresh.policy_status().await.ok().copied().flatten();
    Ok(match (aws, local.is_public()) {
        (Some(true), _) | (None, true) => format!(
            "verified: the policy is in place, and it is public{}",
            if local.is_public() {
                format!(": {}", local.explain())
            } else {
                String::new()
            }
        ),
        (Some(false), _) | (None, false) => {
            "verified: the policy is in place, and it is not public".into()
        }
    })
}

/// The labels of the statements of `old` that `new` lacks.
fn dropped_statements(old: &PolicyDocument, new: &PolicyDocument, bucket: &str) -> Vec<String> {
    old.statements()
        .iter()
        .filter(|s| {
            !new.statements()
                .iter()
                .any(|n| edit::same_statement(s.json, n.json))
        })
        .map(|s| label(s, bucket))
        .collect()
}

/// `--policy-file`: bounded, parsed and validated before any request.
fn read_policy_file(path: &std::path::Path) -> Result<PolicyDocument, Failure> {
    let text = crate::input::read_bounded_text(
        path,
        "--policy-file",
        MAX_POLICY_BYTES as u64,
        "20,480 bytes, S3's limit for a bucket policy (20 KB)",
    )
    .map_err(Failure::Usage)?;
    PolicyDocument::parse(&text)
        .and_then(|d| d.validate().map(|()| d))
        .map_err(|e| Failure::Usage(format!("--policy-file {}: {e}", path.display())))
}

pub async fn set(global: &GlobalArgs, args: SetPolicyArgs) -> Result<u8, Failure> {
    let named = args.statements.named();
    let from_file = args
        .policy_file
        .as_deref()
        .map(read_policy_file)
        .transpose()?;
    if named.is_empty() && from_file.is_none() {
        return Err(Failure::Usage(
            "no statements specified: give --public, --no-object-acl, --public-uploads, --no-uploads, --encryption, --secure-transport or --policy-file".into(),
        ));
    }
    // The document to write, complete and checked before any request.
    let name = args.bucket.as_str();
    let mut new = from_file.unwrap_or_else(|| PolicyDocument::from_statements(Vec::new()));
    for n in &named {
        if let Some(with) = edit::add(Some(&new), *n, name) {
            new = with;
        }
    }
    refuse_invalid("set-policy", name, &new)?;
    let (account, bucket) = open(global, name).await?;
    let old = current(&bucket).await?;
    if let Some(old) = &old {
        let dropped = dropped_statements(old, &new, name);
        if *old == new {
            let result = PolicyResult {
                command: "set-policy",
                bucket: name,
                dry_run: args.dry_run,
                outcome: "already",
                detail: "already has this policy",
                before: Some(old),
                after: Some(old),
                verified: None,
            };
            result.print(args.format)?;
            return Ok(exit::CLEAN);
        }
        if !dropped.is_empty() && !args.force {
            return Err(Failure::Refused(format!(
                "set-policy replaces the whole policy of {name} and would drop {} statement(s): {}; use update-policy to add statements, or --force to drop them",
                dropped.len(),
                dropped.join("; ")
            )));
        }
    }
    check_public(&bucket, &new).await?;
    check_encryption(&bucket, &new).await;
    let verdict = match args.dry_run {
        true => None,
        false => Some(write_and_verify(&account, name, Some(&new)).await?),
    };
    let result = PolicyResult {
        command: "set-policy",
        bucket: name,
        dry_run: args.dry_run,
        outcome: if args.dry_run {
            "would change"
        } else {
            "changed"
        },
        detail: if args.dry_run {
            "would write this policy"
        } else {
            "wrote this policy"
        },
        before: old.as_ref(),
        after: Some(&new),
        verified: verdict.as_deref(),
    };
    result.print(args.format)?;
    Ok(exit::CLEAN)
}

pub async fn update(global: &GlobalArgs, args: UpdatePolicyArgs) -> Result<u8, Failure> {
    let add = args.add.named();
    let remove = args.removed();
    if add.is_empty() && remove.is_empty() {
        return Err(Failure::Usage(
            "nothing to update: give statements to add (--encryption, …) or to remove (--no-encryption, …)".into(),
        ));
    }
    let (account, bucket) = open(global, &args.bucket).await?;
    let name = bucket.name().to_owned();
    let old = current(&bucket).await?;
    if let Some(old) = &old {
        old.validate().map_err(|e| {
            Failure::Usage(format!(
                "the current policy of {name} is malformed: {e}; fix or delete it first"
            ))
        })?;
    }
    let mut new = old.clone();
    for n in &add {
        if let Some(with) = edit::add(new.as_ref(), *n, &name) {
            new = Some(with);
        }
    }
    for n in &remove {
        if let Some(without) = new.as_ref().and_then(|doc| edit::remove(doc, *n, &name)) {
            new = Some(without);
        }
    }
    // No statement left: the policy is deleted (S3 refuses an empty one).
    let new = new.filter(|doc| !doc.statements().is_empty());
    if new == old {
        let result = PolicyResult {
            command: "update-policy",
            bucket: &name,
            dry_run: args.dry_run,
            outcome: "already",
            detail: "already up to date, nothing to change",
            before: old.as_ref(),
            after: old.as_ref(),
            verified: None,
        };
        result.print(args.format)?;
        return Ok(exit::CLEAN);
    }
    if let Some(new) = &new {
        refuse_invalid("update-policy", &name, new)?;
        check_public(&bucket, new).await?;
        check_encryption(&bucket, new).await;
    }
    let verb = match (&new, args.dry_run) {
        (Some(_), true) => "would write this policy",
        (None, true) => "would delete the policy, which has no statement left",
        (Some(_), false) => "wrote this policy",
        (None, false) => "deleted the policy, which had no statement left",
    };
    let verdict = match args.dry_run {
        true => None,
        false => Some(write_and_verify(&account, &name, new.as_ref()).await?),
    };
    let result = PolicyResult {
        command: "update-policy",
        bucket: &name,
        dry_run: args.dry_run,
        outcome: if args.dry_run {
            "would change"
        } else {
            "changed"
        },
        detail: verb,
        before: old.as_ref(),
        after: new.as_ref(),
        verified: verdict.as_deref(),
    };
    result.print(args.format)?;
    Ok(exit::CLEAN)
}

pub async fn delete(
    global: &GlobalArgs,
    bucket: &str,
    dry_run: bool,
    format: ObjectFormat,
) -> Result<u8, Failure> {
    let (account, state) = open(global, bucket).await?;
    let json = format == ObjectFormat::Json;
    let result = |outcome, detail, before, verified| PolicyResult {
        command: "delete-policy",
        bucket,
        dry_run,
        outcome,
        detail,
        before,
        after: None,
        verified,
    };
    // A policy that cannot be parsed can still be deleted; it just cannot be printed.
    let policy = match state.policy().await {
        Ok(None) => {
            if json {
                result("already", "no policy to delete", None, None).print(format)?;
            } else {
                eprintln!("{bucket}: no policy to delete");
            }
            return Ok(exit::CLEAN);
        }
        Ok(Some(doc)) => Some(doc.clone()),
        Err(e) if matches!(e.kind, FetchErrorKind::Malformed { .. }) => {
            let why = e.to_string();
            eprintln!(
                "warning: {bucket}: the policy cannot be printed for a restore: {}",
                printable(&why)
            );
            None
        }
        Err(e) => return Err(Failure::Incomplete(format!("{bucket}: {e}"))),
    };
    let old = policy.as_ref().map(PolicyDocument::to_pretty_string);
    // The policy goes to stdout alone, so `s3tk delete-policy b > policy.json` keeps a copy to
    // restore with `aws s3api put-bucket-policy --bucket b --policy file://policy.json`.
    if dry_run {
        if json {
            result(
                "would change",
                "would delete this policy",
                policy.as_ref(),
                None,
            )
            .print(format)?;
        } else {
            eprintln!("{bucket}: would delete this policy:");
            if let Some(text) = &old {
                println!("{}", printable_json(text));
            }
        }
        return Ok(exit::CLEAN);
    }
    let verdict = write_and_verify(&account, bucket, None).await?;
    if json {
        let deleted = "deleted the policy";
        result("changed", deleted, policy.as_ref(), Some(&verdict)).print(format)?;
        return Ok(exit::CLEAN);
    }
    if let Some(text) = &old {
        println!("{}", printable_json(text));
    }
    eprintln!("{bucket}: deleted the policy (printed above, to restore it); {verdict}");
    Ok(exit::CLEAN)
}

#[cfg(test)]
mod tests {
    use crate::check::{CheckKind, CheckOptions, Outcome};
    use crate::cli::{Cli, Command};
    use crate::policy::edit;
    use crate::state::OfflineBucket;
    use clap::Parser;

    /// The advice is right: each declared `update-policy` fix, parsed as the CLI parses it and
    /// applied to a bucket without a policy, makes its check pass.
    #[tokio::test]
    async fn each_declared_statement_makes_its_check_pass() {
        let fixes = crate::registry::command_fixes();
        assert!(!fixes.is_empty());
        for fix in fixes {
            let line = fix.usage.replace("{bucket}", "b");
            let cli = Cli::try_parse_from(line.split(' ')).unwrap();
            let Command::UpdatePolicy(args) = cli.command else {
                panic!("{line} is not update-policy");
            };
            let mut policy = None;
            for named in args.add.named() {
                policy = edit::add(policy.as_ref(), named, "b");
            }
            let bucket = OfflineBucket::new("b").policy(Ok(policy)).build();
            let CheckKind::Bucket(check) = crate::registry::check(fix.check).unwrap().check else {
                panic!("{} is not a bucket check", fix.check);
            };
            let outcome = check
                .evaluate(&bucket, &CheckOptions::default())
                .await
                .unwrap();
            assert!(
                matches!(outcome, Outcome::Pass(_)),
                "`{line}` leaves {} failing: {outcome:?}",
                fix.check
            );
        }
    }
}

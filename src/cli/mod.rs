//! The command line: the argument definitions ([`args`], clap) and one module per command
//! family that runs them. This is the only module that prints; everything it calls returns
//! data. Here: [`run`], which dispatches, and what the families share (exit codes, colour,
//! AWS options, bucket selection).

pub mod args;
mod dns;
mod docs;
mod iam;
mod marks;
mod objects;
mod policy;
mod progress;
mod remediate;
mod scan;
mod state_file;

#[cfg(test)]
mod function_length;

pub use args::{Cli, Command};

use crate::aws::{AwsOptions, ConfigError, DEFAULT_OBJECT_CONCURRENCY, S3Clients};
use crate::error::{FetchErrorKind, InputError};
use crate::output;
use crate::report::Style;
use crate::select::{self, BucketSelector};
use args::{ColorChoice, GlobalArgs};
use std::io::{self, IsTerminal};
use std::process::ExitCode;

/// Runs the parsed command; returns the process exit code.
pub async fn run(mut cli: Cli) -> ExitCode {
    let style = Style {
        color: use_color(cli.global.color),
    };
    fit_concurrency(&mut cli.global);
    exit_code(dispatch(&cli.global, cli.command, style).await)
}

async fn dispatch(global: &GlobalArgs, command: Command, style: Style) -> Result<u8, Failure> {
    match command {
        Command::Scan(args) => scan::run(global, args, style).await,
        Command::ScanDns { report } => dns::run(global, report, style).await,
        Command::IamPolicy(args) => iam::run(args),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { dir } => docs::man(dir.as_deref()),
        Command::Checks { format } => docs::list_checks(format),
        Command::Reporters => docs::list_reporters(),
        Command::Explain { id } => docs::explain(&id),
        Command::Fix(fix) => remediate::run(global, fix, style).await,
        Command::ListPolicy(args) => policy::list(global, args).await,
        Command::SetPolicy(args) => policy::set(global, args).await,
        Command::UpdatePolicy(args) => policy::update(global, args).await,
        Command::DeletePolicy { bucket, dry_run } => policy::delete(global, &bucket, dry_run).await,
        Command::ScanObjectAcl { target } => objects::scan_acl(global, target, style).await,
        Command::ResetObjectAcl(args) => objects::reset_acl(global, args, style).await,
        Command::Encrypt(args) => objects::encrypt(global, args, style).await,
        Command::DeleteUnencryptedVersions(args) => {
            objects::delete_versions(global, args, style).await
        }
        Command::BatchStatus { job_id, format } => {
            objects::batch_status(global, &job_id, format).await
        }
    }
}

/// Lowers `--concurrency` (or its default) to what the open-file limit allows, saying so.
fn fit_concurrency(global: &mut GlobalArgs) {
    let given = global.concurrency;
    let wanted = given.unwrap_or(DEFAULT_OBJECT_CONCURRENCY);
    let budget = crate::aws::connection_budget(wanted);
    if budget.requests < wanted {
        eprintln!(
            "note: the open-file limit (ulimit -n {}) allows {} requests at once{}; using --concurrency {}",
            budget.open_files,
            budget.requests,
            given.map(|n| format!(", not {n}")).unwrap_or_default(),
            budget.requests
        );
        global.concurrency = Some(budget.requests);
    }
}

/// The exit code of a command's result, saying why on stderr when it stopped early.
fn exit_code(result: Result<u8, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(message)) => {
            eprintln!("error: {}", output::printable(&message));
            ExitCode::from(2)
        }
        Err(Failure::Incomplete(message)) => {
            eprintln!("error: {}", output::printable(&message));
            ExitCode::from(3)
        }
        Err(Failure::Refused(message)) => {
            eprintln!("error: {}", output::printable(&message));
            ExitCode::from(1)
        }
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(e)) => {
            eprintln!("error: writing output: {e}");
            ExitCode::from(2)
        }
    }
}

/// Why a command stopped early, and so which exit code it gets.
enum Failure {
    /// Bad input or configuration (exit 2), reported before anything is read or written.
    Usage(String),
    /// Nothing could be evaluated (exit 3), e.g. the bucket list could not be read.
    Incomplete(String),
    /// The command would not, or could not, make its change (exit 1), said in the message.
    Refused(String),
    Output(io::Error),
}

impl Failure {
    /// A read that stopped the command: rejected credentials are a configuration problem
    /// (exit 2); anything else means nothing could be evaluated (exit 3).
    fn fetch(e: crate::error::FetchError, context: &str) -> Failure {
        match e.kind {
            FetchErrorKind::CredentialsRejected { .. } => Failure::Usage(e.to_string()),
            _ => Failure::Incomplete(format!("{context}: {e}")),
        }
    }
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Usage(e.to_string())
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Usage(e.to_string())
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

fn use_color(choice: ColorChoice) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        _ if no_color => false,
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => io::stdout().is_terminal(),
    }
}

fn aws_options(global: &GlobalArgs, default_concurrency: usize) -> AwsOptions {
    AwsOptions {
        profile: global.profile.clone(),
        region: global.region.clone(),
        endpoint_url: global.endpoint_url.clone(),
        concurrency: global.concurrency.unwrap_or(default_concurrency),
    }
}

/// The selected buckets, or the command's failure.
async fn resolve_buckets(
    clients: &S3Clients,
    selectors: &[BucketSelector],
) -> Result<select::Selection, Failure> {
    let selection = select::resolve(clients, selectors)
        .await
        .map_err(|e| Failure::fetch(e, "could not list buckets"))?;
    warn_unmatched(&selection, None);
    Ok(selection)
}

fn warn_unmatched(selection: &select::Selection, account: Option<&str>) {
    let account = account.map(|a| format!("{a}: ")).unwrap_or_default();
    for pattern in &selection.unmatched {
        eprintln!("warning: {account}no bucket matches '{pattern}'");
    }
}

fn check_log_prefix(template: Option<&str>) -> Result<(), String> {
    let Some(template) = template else {
        return Ok(());
    };
    select::validate_log_prefix(template).map_err(|reason| {
        format!(
            "invalid --log-prefix '{}': {reason}",
            output::printable(template)
        )
    })
}

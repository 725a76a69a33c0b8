//! The command line: the argument definitions ([`args`], clap) and one module per command
//! family that runs them. This is the only module that prints; everything it calls returns
//! data. Here: [`run`], which dispatches, and what the families share (exit codes, colour,
//! AWS options, bucket selection).

pub mod args;
mod confirm;
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
use crate::exit::{self, Tally};
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
        width: terminal_width(),
    };
    fit_concurrency(&mut cli.global);
    exit_code(dispatch(&cli.global, cli.command, style, &confirm::Terminal).await)
}

/// `prompt` answers the confirmation of mass changes ([`confirm`]).
async fn dispatch(
    global: &GlobalArgs,
    command: Command,
    style: Style,
    prompt: &dyn confirm::Prompt,
) -> Result<u8, Failure> {
    match command {
        Command::Scan(args) => scan::run(global, args, style, prompt).await,
        Command::ScanDns { report } => dns::run(global, report, style).await,
        Command::IamPolicy(args) => iam::run(args),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { dir } => docs::man(dir.as_deref()),
        Command::Checks { format } => docs::list_checks(format),
        Command::Reporters => docs::list_reporters(),
        Command::Explain { id } => docs::explain(&id),
        Command::Fix(fix) => remediate::run(global, fix, style, prompt).await,
        Command::ListPolicy(args) => policy::list(global, args).await,
        Command::SetPolicy(args) => policy::set(global, args).await,
        Command::UpdatePolicy(args) => policy::update(global, args).await,
        Command::DeletePolicy {
            bucket,
            dry_run,
            format,
        } => policy::delete(global, &bucket, dry_run, format).await,
        Command::ScanObjectAcl { target } => objects::scan_acl(global, target, style).await,
        Command::ResetObjectAcl(args) => objects::reset_acl(global, args, style).await,
        Command::Encrypt(args) => objects::encrypt(global, args, style).await,
        Command::DeleteUnencryptedVersions(args) => {
            objects::delete_versions(global, args, style).await
        }
        Command::BatchStatus {
            job_id,
            format,
            wait,
            interval,
        } => {
            let wait = wait.then_some(interval);
            objects::batch_status(global, &job_id, format, wait).await
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

/// The exit code of a command's result ([`crate::exit`]'s policy), saying why on stderr when
/// it stopped early.
fn exit_code(result: Result<u8, Failure>) -> ExitCode {
    let code = match result {
        Ok(code) => code,
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => exit::CLEAN,
        Err(Failure::Output(e)) => {
            eprintln!("error: writing output: {e}");
            exit::USAGE
        }
        Err(failure) => {
            let (code, message) = match failure {
                Failure::Usage(message) => (exit::USAGE, message),
                Failure::Incomplete(message) => (exit::INCOMPLETE, message),
                Failure::Refused(message) => (exit::UNRESOLVED, message),
                Failure::Output(_) => unreachable!("handled above"),
            };
            eprintln!("error: {}", output::printable(&message));
            code
        }
    };
    ExitCode::from(code)
}

/// Why a command stopped early, and so which exit code it gets.
enum Failure {
    /// Bad input or configuration (exit 2), reported before anything is read or written.
    Usage(String),
    /// Nothing could be evaluated or performed (exit 3): the bucket list could not be read, the
    /// bucket does not exist, S3 refused a read or write.
    Incomplete(String),
    /// The command would not make its change (exit 1), said in the message.
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

/// The columns the output must fit in: `COLUMNS` when set (a person's explicit choice, and
/// what a pseudo-terminal or CI runner may export), else the width of the terminal stdout is,
/// else `None` (piped: the reporters' default).
fn terminal_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0);
    columns.or_else(|| {
        terminal_size::terminal_size_of(io::stdout())
            .map(|(terminal_size::Width(w), _)| usize::from(w))
            .filter(|&w| w > 0)
    })
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

/// Incomplete when a pattern matched no bucket: what was asked for was not done.
fn selection_tally(selection: &select::Selection) -> Tally {
    let mut tally = Tally::default();
    if !selection.unmatched.is_empty() {
        tally.incomplete();
    }
    tally
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

//! The command line: argument definitions (clap) and one function per command. This is the
//! only module that prints; everything it calls returns data.

use crate::aws::{AwsOptions, ConfigError, DEFAULT_CONCURRENCY, S3Clients};
use crate::catalog::Framework;
use crate::check::CheckOptions;
use crate::error::{FetchErrorKind, InputError};
use crate::output::{self, Output};
use crate::registry;
use crate::report::{FailOn, Report, RunInfo, Style};
use crate::select::{self, BucketSelector};
use crate::state::AccountState;
use crate::suppress::{DEFAULT_IGNORE_FILE, Date, IgnoreFile};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "s3tk",
    version,
    about = "A security toolkit for Amazon S3",
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Use this profile from ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, then "default")
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region for account-wide calls (default: AWS_REGION, the profile, then us-east-1); each bucket's own region is looked up
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Send S3 requests to this endpoint (MinIO, LocalStack, moto), with path-style addressing; AWS_ENDPOINT_URL works too
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Maximum number of S3 requests in flight
    #[arg(long, global = true, value_name = "N", default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// When to colour the output; never when NO_COLOR is set
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan buckets for public access, logging and versioning
    Scan(ScanArgs),
    /// List the available checks
    Checks {
        /// table, json, or markdown (the README's table, with compliance references)
        #[arg(long, value_enum, default_value_t = CatalogFormat::Table)]
        format: CatalogFormat,
    },
    /// List the output formats
    Reporters,
    /// Show what a check looks at, why it matters and how to fix it
    Explain {
        /// A check id, as listed by `s3tk checks`
        id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CatalogFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Bucket names or wildcard patterns (`*`, `?`, `[a-z]`); quote patterns. Default: every bucket
    #[arg(value_name = "BUCKETS")]
    pub buckets: Vec<String>,
    /// Logging must target this bucket (repeat to allow several)
    #[arg(long, value_name = "NAME")]
    pub log_bucket: Vec<String>,
    /// Logging must use this prefix; {bucket} is replaced by the bucket name, e.g. "{bucket}/"
    #[arg(long, value_name = "TEMPLATE")]
    pub log_prefix: Option<String>,
    /// Do not check server access logging
    #[arg(long)]
    pub skip_logging: bool,
    /// Do not check versioning
    #[arg(long)]
    pub skip_versioning: bool,
    /// Do not check default encryption
    #[arg(long)]
    pub skip_default_encryption: bool,
    /// Accepted for compatibility with s3tk 0.5, where the check was opt-in; it always runs now
    #[arg(long, hide = true)]
    pub default_encryption: bool,
    /// Run only the checks mapped to this compliance framework
    #[arg(long, value_enum, value_name = "FRAMEWORK")]
    pub compliance: Option<Framework>,
    /// An account that bucket policies may grant access to (repeatable)
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub trusted_account: Vec<String>,
    /// Run only these checks: ids or dotted prefixes such as `s3.bucket` (comma-separated or repeated)
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub checks: Vec<String>,
    /// Do not run these checks: ids or dotted prefixes (comma-separated or repeated)
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub skip_checks: Vec<String>,
    /// Output format, optionally to a file: table (default), json, junit, markdown, sarif. Repeat
    /// for several outputs, e.g. --format table --format junit=reports/s3tk.xml
    #[arg(long, value_name = "FORMAT[=PATH]")]
    pub format: Vec<String>,
    /// Exit 1 only for failing findings of this severity or worse; `never` for report-only runs
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = clap::builder::ValueParser::new(parse_fail_on))]
    pub fail_on: FailOn,
    /// Mute reviewed exceptions listed in this TOML file (default: .s3tk-ignore.toml if present)
    #[arg(long, value_name = "PATH")]
    pub ignore_file: Option<PathBuf>,
}

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    text.parse()
}

/// Parses the arguments and runs the command; returns the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    let style = Style {
        color: use_color(cli.global.color),
    };
    let result = match cli.command {
        Command::Scan(args) => scan(&cli.global, args, style).await,
        Command::Checks { format } => list_checks(format),
        Command::Reporters => list_reporters(),
        Command::Explain { id } => explain(&id),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Incomplete(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(3)
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
    Output(io::Error),
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

async fn scan(global: &GlobalArgs, args: ScanArgs, style: Style) -> Result<u8, Failure> {
    // Validate everything the user typed before the first request.
    let selectors = BucketSelector::parse_all(&args.buckets)?;
    for name in &args.log_bucket {
        select::validate_bucket_name(name).map_err(|reason| InputError::BucketName {
            name: name.clone(),
            reason,
        })?;
    }
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
    let mut checks = registry::select_checks(&args.checks, &skip)?;
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
    for account in &args.trusted_account {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Failure::Usage(format!(
                "invalid --trusted-account '{account}': an AWS account id is 12 digits"
            )));
        }
    }
    let outputs = output::parse_outputs(&args.format)?;
    let ignore = match &args.ignore_file {
        Some(path) => Some(IgnoreFile::load(path)?),
        None if Path::new(DEFAULT_IGNORE_FILE).exists() => {
            Some(IgnoreFile::load(Path::new(DEFAULT_IGNORE_FILE))?)
        }
        None => None,
    };
    let options = CheckOptions {
        log_buckets: args.log_bucket,
        log_prefix: args.log_prefix,
        trusted_accounts: args.trusted_account,
    };

    let clients = S3Clients::load(&aws_options(global)).await?;
    let selection = select::resolve(&clients, &selectors)
        .await
        .map_err(|e| match e.kind {
            FetchErrorKind::CredentialsRejected { .. } => Failure::Usage(e.to_string()),
            _ => Failure::Incomplete(format!("could not list buckets: {e}")),
        })?;
    for pattern in &selection.unmatched {
        eprintln!("warning: no bucket matches '{pattern}'");
    }
    // Account checks run with every scan of the account, but not when the buckets asked for
    // do not exist at all: then there is nothing to report.
    let checks = if selection.buckets.is_empty() && !selectors.is_empty() {
        Vec::new()
    } else {
        checks
    };
    let progress = Progress::new(selection.buckets.len());
    let on_progress = |done, total| progress.update(done, total);
    let account = AccountState::new(clients);
    let (mut findings, account_id) = tokio::join!(
        crate::runner::scan(
            Arc::clone(&account),
            selection.buckets,
            &checks,
            &options,
            global.concurrency,
            &on_progress,
        ),
        async { account.account_id().await.ok().map(str::to_owned) },
    );
    progress.finish();
    if let Some(ignore) = &ignore {
        for warning in ignore.apply(&mut findings, Date::today()) {
            eprintln!("warning: {warning}");
        }
    }
    let report = Report::new(RunInfo::now(account_id), findings);
    let code = report.exit_code(args.fail_on);
    if let Some(rejected) = report.credentials_rejected() {
        eprintln!("error: {rejected}");
    }
    match write_outputs(&report, &outputs, style) {
        // `s3tk scan | head` must still fail the pipeline when checks failed.
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(code),
        Err(other) => Err(other),
        Ok(()) => Ok(code),
    }
}

/// Writes every requested format: files atomically, at most one to stdout (coloured only there).
fn write_outputs(report: &Report, outputs: &[Output], style: Style) -> Result<(), Failure> {
    for o in outputs {
        match &o.path {
            None => {
                let mut out = io::BufWriter::new(io::stdout().lock());
                o.reporter.reporter.write(report, style, &mut out)?;
                out.flush()?;
            }
            Some(path) => {
                let mut bytes = Vec::new();
                o.reporter
                    .reporter
                    .write(report, Style { color: false }, &mut bytes)?;
                output::write_atomically(path, &bytes).map_err(|e| {
                    Failure::Usage(format!(
                        "cannot write {} report to {}: {e}",
                        o.reporter.name,
                        path.display()
                    ))
                })?;
            }
        }
    }
    Ok(())
}

fn aws_options(global: &GlobalArgs) -> AwsOptions {
    AwsOptions {
        profile: global.profile.clone(),
        region: global.region.clone(),
        endpoint_url: global.endpoint_url.clone(),
        concurrency: global.concurrency,
    }
}

/// A one-line counter on stderr, only when stderr is a terminal.
struct Progress {
    enabled: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress {
            enabled: total > 1 && io::stderr().is_terminal(),
        }
    }

    fn update(&self, done: usize, total: usize) {
        if self.enabled {
            eprint!("\rscanned {done}/{total} buckets");
        }
    }

    fn finish(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}

fn list_checks(format: CatalogFormat) -> Result<u8, Failure> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        CatalogFormat::Json => out.write_all(crate::catalog::json().as_bytes())?,
        CatalogFormat::Markdown => out.write_all(crate::catalog::markdown_table().as_bytes())?,
        CatalogFormat::Table => {
            let checks = registry::checks();
            let width = checks.iter().map(|c| c.meta.id.len()).max().unwrap_or(0);
            for c in checks {
                writeln!(
                    out,
                    "{:width$}  {:8}  {}",
                    c.meta.id,
                    c.meta.severity.as_str(),
                    c.meta.title
                )?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

fn list_reporters() -> Result<u8, Failure> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for r in registry::reporters() {
        writeln!(out, "{:9} {}", r.name, r.description)?;
    }
    out.flush()?;
    Ok(0)
}

fn explain(id: &str) -> Result<u8, Failure> {
    let Some(entry) = registry::check(id) else {
        return Err(InputError::UnknownCheck(id.to_owned()).into());
    };
    let meta = entry.meta;
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(out, "# {}: {}", meta.id, meta.title)?;
    writeln!(out)?;
    writeln!(out, "Severity: {}", meta.severity)?;
    writeln!(out, "Permissions: {}", meta.iam_actions().join(", "))?;
    if let Some(r) = meta.remediation {
        writeln!(out, "Remediation: {r}")?;
    }
    writeln!(out)?;
    writeln!(out, "{}", meta.doc_text().trim_end())?;
    out.flush()?;
    Ok(0)
}

//! The command line: argument definitions (clap) and one function per command. This is the
//! only module that prints; everything it calls returns data. The object commands' runner is
//! in [`objects`].

mod objects;
mod policy;
mod remediate;
mod state_file;

use crate::aws::{
    AwsOptions, ConfigError, DEFAULT_CONCURRENCY, DEFAULT_OBJECT_CONCURRENCY, S3Clients,
};
use crate::catalog::Framework;
use crate::check::CheckOptions;
use crate::error::{FetchErrorKind, InputError};
use crate::fix::{FixOutcome, FixResult};
use crate::output::{self, Output};
use crate::registry;
use crate::remediation::{FixContext, FixOptions, validate_kms_key};
use crate::report::{FailOn, Report, RunInfo, Style};
use crate::select::{self, BucketSelector, SelectedBucket};
use crate::state::snapshot::BucketRecord;
use crate::state::{AccountState, BucketState};
use crate::suppress::{DEFAULT_IGNORE_FILE, Date, IgnoreFile};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

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
    /// Maximum number of S3 requests in flight (default 32; 64 objects at a time for the object commands)
    #[arg(long, global = true, value_name = "N")]
    pub concurrency: Option<usize>,
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
    /// Find Route 53 records that point at S3 buckets that do not exist or are not yours
    ScanDns {
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Print the least-privilege IAM policy for commands (default: every command)
    IamPolicy {
        /// Commands, e.g. scan encrypt
        #[arg(value_name = "COMMAND")]
        commands: Vec<String>,
        /// Add the CloudTrail reads of scan --object-level-logging
        #[arg(long)]
        object_level_logging: bool,
        /// Allow publishing to this SNS topic (for scan --sns-topic)
        #[arg(long, value_name = "ARN")]
        sns_topic: Option<String>,
        /// Allow assuming this role in other accounts and listing the organization (for scan --role-name)
        #[arg(long, value_name = "ROLE")]
        role_name: Option<String>,
        /// Allow reading the buckets' configuration items from AWS Config (for scan --from-aws-config)
        #[arg(long)]
        from_aws_config: bool,
        /// Allow reading them through an AWS Config aggregator (for scan --from-aws-config --aggregator)
        #[arg(long, value_name = "NAME")]
        aggregator: Option<String>,
        /// Allow only this bucket and its objects (repeat for several; include --log-bucket, --report and inventory buckets)
        #[arg(long = "bucket", value_name = "NAME")]
        buckets: Vec<String>,
        /// Allow passing only this role to S3 Batch Operations (the --role-arn of encrypt/reset-object-acl --batch)
        #[arg(long, value_name = "ARN")]
        role_arn: Option<String>,
        /// Allow only this KMS key, by ARN (the --kms-key-id of encrypt)
        #[arg(long, value_name = "ARN")]
        kms_key_id: Option<String>,
    },
    /// Print a shell completion script: s3tk completions bash > /etc/bash_completion.d/s3tk
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): s3tk man > s3tk.1
    Man,
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
    /// The remediation commands, one per registered remediation (`remediate.rs`).
    #[command(flatten)]
    Fix(remediate::FixCommand),
    /// Print bucket policies, or with --named what each statement does
    ListPolicy {
        /// Bucket names or wildcard patterns; none means every bucket in the account
        #[arg(value_name = "BUCKETS")]
        buckets: Vec<String>,
        /// One label per statement: Public, No object ACL, Public uploads, No uploads, Encryption, Secure transport or Custom
        #[arg(long)]
        named: bool,
        /// text (default) or json
        #[arg(long, value_enum, default_value_t = ObjectFormat::Text)]
        format: ObjectFormat,
    },
    /// Replace a bucket's policy with named statements (refuses to drop others without --force)
    #[command(visible_alias = "replace-policy")]
    SetPolicy(SetPolicyArgs),
    /// Add or remove named statements in a bucket's policy, keeping every other statement
    UpdatePolicy(UpdatePolicyArgs),
    /// Delete a bucket's policy, printing it (on stdout) so it can be restored
    DeletePolicy {
        /// The bucket
        #[arg(value_name = "BUCKET")]
        bucket: String,
        /// Print the policy that would be deleted, and delete nothing
        #[arg(long)]
        dry_run: bool,
    },
    #[command(about = crate::objects::scan_acl::INFO.summary, long_about = crate::objects::scan_acl::INFO.long_help())]
    ScanObjectAcl {
        #[command(flatten)]
        target: ObjectTarget,
    },
    #[command(about = crate::objects::reset_acl::INFO.summary, long_about = crate::objects::reset_acl::INFO.long_help())]
    ResetObjectAcl {
        #[command(flatten)]
        target: ObjectTarget,
        /// private, public-read, public-read-write, authenticated-read, aws-exec-read, bucket-owner-read or bucket-owner-full-control
        #[arg(long, value_name = "CANNED", default_value = "private")]
        acl: String,
        /// Show what would change, and change nothing
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        batch: BatchArgs,
    },
    #[command(about = crate::objects::encrypt::INFO.summary, long_about = crate::objects::encrypt::INFO.long_help())]
    Encrypt {
        #[command(flatten)]
        target: ObjectTarget,
        /// SSE-KMS with this key: a key ARN or key id
        #[arg(long, value_name = "KEY", conflicts_with_all = ["customer_key", "customer_key_file", "customer_key_env"])]
        kms_key_id: Option<String>,
        /// SSE-C with this key: 32 bytes, or their base64 (prefer --customer-key-file or --customer-key-env: a value here lands in shell history)
        #[arg(long, value_name = "KEY", conflicts_with_all = ["customer_key_file", "customer_key_env"])]
        customer_key: Option<String>,
        /// SSE-C with the key in this file (32 bytes, or their base64)
        #[arg(long, value_name = "PATH", conflicts_with = "customer_key_env")]
        customer_key_file: Option<PathBuf>,
        /// SSE-C with the key in this environment variable (32 bytes, or their base64)
        #[arg(long, value_name = "VAR")]
        customer_key_env: Option<String>,
        /// Show what would be encrypted (HEAD requests, and Object Lock reads in an Object Lock bucket), and change nothing
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        batch: BatchArgs,
    },
    /// Show an S3 Batch Operations job's progress and, once it ended, its failed objects
    BatchStatus {
        /// The job id that `--batch` printed
        #[arg(value_name = "JOB_ID")]
        job_id: String,
        /// text (default) or json
        #[arg(long, value_enum, default_value_t = ObjectFormat::Text)]
        format: ObjectFormat,
    },
    #[command(about = crate::objects::delete_versions::INFO.summary, long_about = crate::objects::delete_versions::INFO.long_help())]
    DeleteUnencryptedVersions {
        #[command(flatten)]
        target: ObjectTarget,
        /// Show what would be deleted, and delete nothing
        #[arg(long)]
        dry_run: bool,
    },
}

/// The named statements set-policy writes and update-policy adds.
#[derive(Debug, Args)]
pub struct PolicyStatements {
    /// Allow anyone to read objects (s3:GetObject)
    #[arg(long)]
    pub public: bool,
    /// Deny setting object ACLs (s3:PutObjectAcl)
    #[arg(long)]
    pub no_object_acl: bool,
    /// Deny uploads that are not public-read (s3tk 0.5's template: every upload must be public)
    #[arg(long)]
    pub public_uploads: bool,
    /// Deny every upload (s3:PutObject)
    #[arg(long)]
    pub no_uploads: bool,
    /// Deny uploads without the header x-amz-server-side-encryption: AES256 (aws:kms with --kms)
    #[arg(long)]
    pub encryption: bool,
    /// With --encryption: require aws:kms instead of AES256
    #[arg(long, requires = "encryption")]
    pub kms: bool,
    /// Deny every request over plain HTTP (aws:SecureTransport is false)
    #[arg(long)]
    pub secure_transport: bool,
}

#[derive(Debug, Args)]
pub struct SetPolicyArgs {
    /// The bucket
    #[arg(value_name = "BUCKET")]
    pub bucket: String,
    #[command(flatten)]
    pub statements: PolicyStatements,
    /// Also write the statements of this policy file (validated first)
    #[arg(long, value_name = "PATH")]
    pub policy_file: Option<PathBuf>,
    /// Replace the policy even though it has statements the new one lacks
    #[arg(long)]
    pub force: bool,
    /// Print the policy that would be written and its difference from the current one
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct UpdatePolicyArgs {
    /// The bucket
    #[arg(value_name = "BUCKET")]
    pub bucket: String,
    #[command(flatten)]
    pub add: PolicyStatements,
    /// Remove the Public statement
    #[arg(long, conflicts_with = "public")]
    pub no_public: bool,
    /// Remove the No object ACL statement
    #[arg(long, conflicts_with = "no_object_acl")]
    pub allow_object_acl: bool,
    /// Remove the Public uploads statement
    #[arg(long, conflicts_with = "public_uploads")]
    pub no_public_uploads: bool,
    /// Remove the No uploads statement
    #[arg(long, conflicts_with = "no_uploads")]
    pub allow_uploads: bool,
    /// Remove the Encryption statement (AES256 or aws:kms)
    #[arg(long, conflicts_with = "encryption")]
    pub no_encryption: bool,
    /// Remove the Secure transport statement
    #[arg(long, conflicts_with = "secure_transport")]
    pub no_secure_transport: bool,
    /// Print the difference the update would make, and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// The bucket and keys an object command works on, and its output format.
#[derive(Debug, Args)]
pub struct ObjectTarget {
    /// The bucket
    #[arg(value_name = "BUCKET")]
    pub bucket: String,
    /// Only keys matching this pattern (repeatable): `*` matches any run of characters, `/` included; `?` one character; `[a-z]` a set. A pattern without wildcards is one key.
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,
    /// Leave out keys matching this pattern (repeatable; wins over --only)
    #[arg(long, value_name = "GLOB")]
    pub except: Vec<String>,
    /// Read the keys from this S3 Inventory report (CSV) instead of listing the bucket
    #[arg(long, value_name = "s3://BUCKET/…/manifest.json")]
    pub inventory: Option<String>,
    /// Only keys after this one, in S3's order (resumes a walk whose listing stopped: the error names the key)
    #[arg(long, value_name = "KEY")]
    pub start_after: Option<String>,
    /// text (default), or json: one JSON object per line per object, then a summary line
    #[arg(long, value_enum, default_value_t = ObjectFormat::Text)]
    pub format: ObjectFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectFormat {
    Text,
    Json,
}

/// `--batch`: hand the objects to an S3 Batch Operations job instead of changing them here.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Create an S3 Batch Operations job for the objects that need the change (with --dry-run: write its manifest locally and create nothing)
    #[arg(long, requires_all = ["role_arn", "report"])]
    pub batch: bool,
    /// The IAM role the job runs as (Batch Operations must be able to assume it)
    #[arg(long, value_name = "ARN", requires = "batch")]
    pub role_arn: Option<String>,
    /// Where the manifest and the job's completion report go: s3://BUCKET[/PREFIX], in the bucket's region
    #[arg(long, value_name = "S3_URL", requires = "batch")]
    pub report: Option<String>,
}

impl BatchArgs {
    /// The validated batch settings, if `--batch` was given.
    fn spec(self) -> Result<Option<objects::BatchSpec>, Failure> {
        if !self.batch {
            return Ok(None);
        }
        let role_arn = self.role_arn.unwrap_or_default();
        crate::objects::batch::validate_role_arn(&role_arn).map_err(Failure::Usage)?;
        let report = crate::objects::batch::ReportLocation::parse(&self.report.unwrap_or_default())
            .map_err(Failure::Usage)?;
        Ok(Some(objects::BatchSpec { role_arn, report }))
    }
}

/// The buckets a remediation command applies to, and whether to only show the plan.
#[derive(Debug, Clone, Args)]
pub struct FixTarget {
    /// Bucket names or wildcard patterns; none means every bucket in the account
    #[arg(value_name = "BUCKETS")]
    pub buckets: Vec<String>,
    /// Show what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
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
    /// Also check that CloudTrail logs object-level (data) events for each bucket: classic and
    /// advanced event selectors, trail status, multi-region and home-region trails
    #[arg(long)]
    pub object_level_logging: bool,
    /// After the report, publish a summary of the failing findings to this SNS topic (its ARN)
    #[arg(long, value_name = "ARN")]
    pub sns_topic: Option<String>,
    /// Scan other accounts by assuming this IAM role in each (with --accounts or --organization)
    #[arg(long, value_name = "ROLE")]
    pub role_name: Option<String>,
    /// The accounts to scan with --role-name (comma-separated or repeated)
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Scan every active account of the organization (AWS Organizations) with --role-name
    #[arg(long)]
    pub organization: bool,
    /// Evaluate the checks on a state file saved by --save-state instead of asking AWS: no
    /// request is sent and no credentials are needed (repeat for several files, e.g. accounts)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["role_name", "accounts", "organization", "sns_topic", "fix", "from_aws_config"])]
    pub from_state: Vec<PathBuf>,
    /// Evaluate the checks on the bucket configurations AWS Config records (configuration
    /// items), in the caller's account and region or across an aggregator's (--aggregator)
    #[arg(long, conflicts_with_all = ["role_name", "accounts", "organization", "sns_topic", "fix"])]
    pub from_aws_config: bool,
    /// With --from-aws-config: read every account and region of this AWS Config aggregator
    #[arg(long, value_name = "NAME", requires = "from_aws_config")]
    pub aggregator: Option<String>,
    /// Also write everything the scan read (per account and bucket, every answer: the value,
    /// "not configured", or the error) to this state file, gzip-compressed when it ends in .gz;
    /// --from-state evaluates it again later. Costs no extra request
    #[arg(long, value_name = "FILE")]
    pub save_state: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// After the report, print the s3tk command that fixes each failing finding (on stderr)
    #[arg(long)]
    pub fix: bool,
    /// With --fix: run the safe remediations (block public access, versioning, default
    /// encryption) on the failing buckets and report before → after; the exit code then
    /// reflects the state after the fixes
    #[arg(long, requires = "fix")]
    pub apply: bool,
}

/// How a scan's findings are reported and gated (`scan`, `scan-dns`).
#[derive(Debug, Args)]
pub struct ReportArgs {
    // The help names the registered reporters (`format_help`).
    #[arg(long, value_name = "FORMAT[=PATH]", help = format_help())]
    pub format: Vec<String>,
    /// Exit 1 only for failing findings of this severity or worse; `never` for report-only runs
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = clap::builder::ValueParser::new(parse_fail_on))]
    pub fail_on: FailOn,
    /// Mute reviewed exceptions listed in this TOML file (default: .s3tk-ignore.toml if present)
    #[arg(long, value_name = "PATH")]
    pub ignore_file: Option<PathBuf>,
    /// SARIF: the code-scanning category (automationDetails.id), so reports of several accounts
    /// can be uploaded to GitHub side by side [default: s3tk]
    #[arg(long, value_name = "CATEGORY", value_parser = clap::builder::ValueParser::new(parse_sarif_category))]
    pub sarif_category: Option<String>,
    /// Markdown: at most this many bytes; what does not fit is cut and the report says so
    /// [default: 1000000, under GitHub's 1 MiB step summary; 65536 fits a pull-request comment]
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(crate::report::MIN_MARKDOWN_BYTES..))]
    pub markdown_max_bytes: Option<u64>,
}

/// A category is a path-like name (`prod/123456789012`): no spaces or control characters,
/// which GitHub would show verbatim in its tool filter.
fn parse_sarif_category(text: &str) -> Result<String, String> {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        Ok(text.trim_end_matches('/').to_owned())
    } else {
        Err(format!(
            "'{}' is not a category: use letters, digits and - _ . / (e.g. prod/123456789012)",
            output::printable(text)
        ))
    }
}

/// `--format`'s help, naming every registered reporter, the default first.
fn format_help() -> String {
    let mut names: Vec<&str> = registry::reporters().iter().map(|r| r.name).collect();
    names.sort_by_key(|name| *name != output::DEFAULT_FORMAT);
    format!(
        "Output format, optionally to a file: {} (default), {}. Repeat for several outputs, e.g. --format table --format junit=reports/s3tk.xml",
        names[0],
        names[1..].join(", ")
    )
}

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    text.parse()
}

/// Parses the arguments and runs the command; returns the process exit code.
pub async fn run(mut cli: Cli) -> ExitCode {
    let style = Style {
        color: use_color(cli.global.color),
    };
    let given = cli.global.concurrency;
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
        cli.global.concurrency = Some(budget.requests);
    }
    let result = match cli.command {
        Command::Scan(args) => scan(&cli.global, args, style).await,
        Command::ScanDns { report } => scan_dns(&cli.global, report, style).await,
        Command::IamPolicy {
            commands,
            object_level_logging,
            sns_topic,
            role_name,
            from_aws_config,
            aggregator,
            buckets,
            role_arn,
            kms_key_id,
        } => iam_policy(
            &commands,
            object_level_logging,
            sns_topic.as_deref(),
            role_name.as_deref(),
            match (from_aws_config, aggregator) {
                (_, Some(_)) => Some(crate::iam::ConfigSourceKind::Aggregator),
                (true, None) => Some(crate::iam::ConfigSourceKind::Account),
                (false, None) => None,
            },
            (&buckets, role_arn.as_deref(), kms_key_id.as_deref()),
        ),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "s3tk", &mut io::stdout());
            Ok(0)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command)
                .render(&mut io::stdout().lock())
                .map(|()| 0)
                .map_err(Failure::Output)
        }
        Command::Checks { format } => list_checks(format),
        Command::Reporters => list_reporters(),
        Command::Explain { id } => explain(&id),
        Command::Fix(fix) => remediate::run(&cli.global, fix, style).await,
        Command::ListPolicy {
            buckets,
            named,
            format,
        } => policy::list(&cli.global, &buckets, named, format).await,
        Command::SetPolicy(args) => policy::set(&cli.global, args).await,
        Command::UpdatePolicy(args) => policy::update(&cli.global, args).await,
        Command::DeletePolicy { bucket, dry_run } => {
            policy::delete(&cli.global, &bucket, dry_run).await
        }
        Command::ScanObjectAcl { target } => {
            objects::run(&cli.global, target, objects::Job::ScanAcl, style).await
        }
        Command::ResetObjectAcl {
            target,
            acl,
            dry_run,
            batch,
        } => match (acl.parse(), batch.spec()) {
            (Ok(acl), Ok(batch)) => {
                objects::run(
                    &cli.global,
                    target,
                    objects::Job::ResetAcl {
                        acl,
                        dry_run,
                        batch,
                    },
                    style,
                )
                .await
            }
            (Err(message), _) => Err(Failure::Usage(message)),
            (_, Err(failure)) => Err(failure),
        },
        Command::BatchStatus { job_id, format } => {
            objects::batch_status(&cli.global, &job_id, format).await
        }
        Command::Encrypt {
            target,
            kms_key_id,
            customer_key,
            customer_key_file,
            customer_key_env,
            dry_run,
            batch,
        } => match (
            objects::encryption_target(
                kms_key_id,
                customer_key,
                customer_key_file,
                customer_key_env,
            ),
            batch.spec(),
        ) {
            (Ok(Some(crate::objects::sse::Target::Customer(_))), Ok(Some(_))) => {
                Err(Failure::Usage(
                    "--batch cannot use a customer key: S3 Batch Operations does not support SSE-C"
                        .into(),
                ))
            }
            (Ok(sse), Ok(batch)) => {
                objects::run(
                    &cli.global,
                    target,
                    objects::Job::Encrypt {
                        sse,
                        dry_run,
                        batch,
                    },
                    style,
                )
                .await
            }
            (Err(message), _) => Err(Failure::Usage(message)),
            (_, Err(failure)) => Err(failure),
        },
        Command::DeleteUnencryptedVersions { target, dry_run } => {
            objects::run(
                &cli.global,
                target,
                objects::Job::DeleteVersions { dry_run },
                style,
            )
            .await
        }
    };
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

async fn scan(global: &GlobalArgs, args: ScanArgs, style: Style) -> Result<u8, Failure> {
    let started = Instant::now();
    // Validate everything the user typed before the first request.
    let selectors = BucketSelector::parse_all(&args.buckets)?;
    for name in &args.log_bucket {
        select::validate_bucket_name(name).map_err(|reason| InputError::BucketName {
            name: name.clone(),
            reason,
        })?;
    }
    check_log_prefix(args.log_prefix.as_deref()).map_err(Failure::Usage)?;
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
    let sns_topic = args
        .sns_topic
        .as_deref()
        .map(crate::notify::TopicArn::parse)
        .transpose()
        .map_err(Failure::Usage)?;
    let org = crate::org::OrgScan::new(
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
        log_buckets: args.log_bucket,
        log_prefix: args.log_prefix,
        trusted_accounts: args.trusted_account,
    };
    let concurrency = global.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    let plan = ScanPlan {
        selectors: &selectors,
        checks: &checks,
        options: &options,
        concurrency,
        record: save_state.is_some(),
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
        return finish_recorded_scan(
            scanned,
            &outputs,
            ignore.as_ref(),
            &args.report,
            save_state.as_deref(),
            (style, started),
        );
    }

    let clients = S3Clients::load(&aws_options(global, DEFAULT_CONCURRENCY)).await?;
    let stop = Arc::clone(&clients.pacing().stop);
    let interrupt = tokio::spawn(interrupt_scan(Arc::clone(&stop)));
    let (findings, account_id, account, unscanned, records) = match &org {
        Some(org) => {
            let caller = AccountState::new(clients);
            let (findings, not_scanned, records) = scan_organization(&caller, org, &plan).await?;
            let id = caller.account_id().await.ok().map(str::to_owned);
            (findings, id, caller, (not_scanned, None), records)
        }
        None => {
            let region = clients.default_region().to_owned();
            let account = AccountState::new(clients);
            let scanned = scan_account(Arc::clone(&account), None, &plan, true).await;
            let id = account.account_id().await.ok().map(str::to_owned);
            let (findings, not_scanned, total, records) = match scanned {
                Ok(scan) => (
                    scan.scanned.findings,
                    scan.scanned.not_scanned,
                    Some(scan.total),
                    scan.record.into_iter().collect(),
                ),
                // Still a report, in every format asked for (a stale one must not stay at its
                // path): one error finding says why. Rejected credentials make it exit 2.
                Err(e) => {
                    let rejected = matches!(e.kind, FetchErrorKind::CredentialsRejected { .. });
                    if !rejected {
                        let why = e.to_string();
                        eprintln!("error: could not list buckets: {}", output::printable(&why));
                    }
                    let mut finding =
                        crate::org::unreachable(id.as_deref().unwrap_or("unknown"), &region, e);
                    finding.account.clone_from(&id);
                    let records = plan
                        .record
                        .then(|| account.record(&Default::default()))
                        .into_iter()
                        .collect();
                    (vec![finding], Vec::new(), None, records)
                }
            };
            (findings, id, account, (not_scanned, total), records)
        }
    };
    interrupt.abort();
    let report = finish_report(findings, account_id, ignore.as_ref(), started);
    let mut code = report.exit_code(args.report.fail_on);
    let options = args.report.options(style, &outputs);
    if !write_report_outputs(&report, &outputs, &options)? {
        return Ok(code);
    }
    if let Some(path) = &save_state {
        state_file::save(path, records)?;
    }
    if stop.is_stopped() {
        // A partial scan is reported as such; nothing is published or fixed from it.
        eprintln!("{}", not_scanned_message(&unscanned.0, unscanned.1));
        return Ok(130);
    }
    if let (Some(topic), Some(clients)) = (&sns_topic, account.clients()) {
        match crate::notify::publish_failures(clients, topic, &report, args.report.fail_on).await {
            Ok(Some(published)) => eprintln!("{published}"),
            Ok(None) => eprintln!("nothing failed: nothing was published to {topic}"),
            Err(e) => {
                let why = e.to_string();
                eprintln!(
                    "error: could not publish the summary to {topic}: {}",
                    output::printable(&why)
                );
                code = 3;
            }
        }
    }
    if !args.fix {
        return Ok(code);
    }
    fix_after_scan(
        account,
        report,
        args.apply,
        args.report.fail_on,
        concurrency,
        style,
    )
    .await
}

/// The report (and state file) of a scan of recorded state: `--from-state`, `--from-aws-config`.
fn finish_recorded_scan(
    scanned: state_file::RecordedScan,
    outputs: &[Output],
    ignore: Option<&IgnoreFile>,
    report_args: &ReportArgs,
    save_state: Option<&Path>,
    (style, started): (Style, Instant),
) -> Result<u8, Failure> {
    let report = finish_report(scanned.findings, scanned.account, ignore, started);
    let code = report.exit_code(report_args.fail_on);
    let options = report_args.options(style, outputs);
    if !write_report_outputs(&report, outputs, &options)? {
        return Ok(code);
    }
    if let Some(path) = save_state {
        state_file::save(path, scanned.records)?;
    }
    Ok(code)
}

/// What every account of a scan runs: the same selection, checks and options.
struct ScanPlan<'a> {
    selectors: &'a [BucketSelector],
    checks: &'a [&'static crate::check::CheckEntry],
    options: &'a CheckOptions,
    concurrency: usize,
    /// Record what each account's scan read (`--save-state`).
    record: bool,
}

/// One account's scan.
struct AccountScan {
    scanned: crate::runner::Scanned,
    /// How many buckets were selected.
    total: usize,
    /// What the scan read, when the plan records it.
    record: Option<crate::state::snapshot::AccountRecord>,
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

/// `scan --role-name`: every account through its assumed role, a few at a time. An account
/// that cannot be scanned is an error finding; only a failure to find the accounts at all
/// stops the run. Also returns what a stop left unscanned (`ACCOUNT: bucket`, or
/// `ACCOUNT: every bucket` for an account not started), and each account's record when the
/// plan records.
async fn scan_organization(
    caller: &AccountState,
    org: &crate::org::OrgScan,
    plan: &ScanPlan<'_>,
) -> Result<
    (
        Vec<crate::report::Finding>,
        Vec<String>,
        Vec<crate::state::snapshot::AccountRecord>,
    ),
    Failure,
> {
    use crate::org::{self, Accounts};
    use futures::StreamExt;
    let clients = caller.clients().expect("a live run has clients");
    let accounts = match &org.accounts {
        Accounts::Listed(ids) => ids.clone(),
        Accounts::Organization => org::organization_accounts(clients)
            .await
            .map_err(|e| Failure::fetch(e, "could not list the organization's accounts"))?,
    };
    eprintln!(
        "scanning {} account(s) as role {}, {} at a time",
        accounts.len(),
        org.role_name,
        org::ACCOUNTS_AT_ONCE
    );
    let region = clients.default_region().to_owned();
    let stop = &clients.pacing().stop;
    let started = std::sync::Mutex::new(std::collections::HashSet::new());
    let scan_one = |id: String| {
        let region = region.clone();
        started.lock().expect("started accounts").insert(id.clone());
        async move {
            let assumed = match org::assume(clients, &id, &org.role_name).await {
                Ok(assumed) => assumed,
                Err(e) => return (vec![org::unreachable(&id, &region, e)], Vec::new(), None),
            };
            let state = AccountState::new(assumed);
            match scan_account(Arc::clone(&state), Some(&id), plan, false).await {
                Ok(scan) => (
                    scan.scanned.findings,
                    scan.scanned
                        .not_scanned
                        .iter()
                        .map(|b| format!("{id}: {b}"))
                        .collect(),
                    scan.record,
                ),
                Err(e) => (
                    vec![org::unreachable(&id, &region, e)],
                    Vec::new(),
                    plan.record.then(|| state.record(&Default::default())),
                ),
            }
        }
    };
    let results: Vec<_> = futures::stream::iter(accounts.clone())
        .take_until(stop.stopped())
        .map(scan_one)
        .buffer_unordered(org::ACCOUNTS_AT_ONCE)
        .collect()
        .await;
    let (mut findings, mut not_scanned, mut records) = (Vec::new(), Vec::new(), Vec::new());
    for (f, n, r) in results {
        findings.extend(f);
        not_scanned.extend(n);
        records.extend(r);
    }
    let started = started.into_inner().expect("started accounts");
    not_scanned.extend(
        accounts
            .iter()
            .filter(|id| !started.contains(*id))
            .map(|id| format!("{id}: every bucket")),
    );
    Ok((findings, not_scanned, records))
}

/// One account's scan: its buckets by selection (from the bucket list, or from the record the
/// state was built from), then the checks, every finding tagged with the account (`account`,
/// else the state's own, from STS or the record), with the buckets a stop left unscanned and
/// how many were selected. `Err` when the buckets cannot be listed.
async fn scan_account(
    state: Arc<AccountState>,
    account: Option<&str>,
    plan: &ScanPlan<'_>,
    show_progress: bool,
) -> Result<AccountScan, crate::error::FetchError> {
    let selection = match state.clients() {
        Some(clients) => {
            let selection = select::resolve(clients, plan.selectors).await?;
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
    let progress = Progress::new(if show_progress {
        selection.buckets.len()
    } else {
        0
    });
    let on_progress = |done, total| progress.update(done, total);
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
    progress.finish();
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
    })
}

/// An account's state file record: its own answers and the buckets recorded as they finished.
fn account_record(
    state: &AccountState,
    recording: crate::runner::Recording,
) -> crate::state::snapshot::AccountRecord {
    let mut buckets = recording.into_inner().expect("recording");
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    let names = buckets.iter().map(|b| b.name.clone()).collect();
    let mut record = state.record(&names);
    record.buckets = buckets;
    record
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

impl ReportArgs {
    /// The outputs and the ignore file, validated before any request.
    fn parse(&self) -> Result<(Vec<Output>, Option<IgnoreFile>), Failure> {
        let outputs = output::parse_outputs(&self.format)?;
        let ignore = match &self.ignore_file {
            Some(path) => Some(IgnoreFile::load(path)?),
            None if Path::new(DEFAULT_IGNORE_FILE).exists() => {
                Some(IgnoreFile::load(Path::new(DEFAULT_IGNORE_FILE))?)
            }
            None => None,
        };
        Ok((outputs, ignore))
    }

    /// What the reporters are told: the style and the format options, and which of `outputs`
    /// keep every finding (for a report that had to cut to point at).
    fn options(&self, style: Style, outputs: &[Output]) -> crate::report::ReportOptions {
        crate::report::ReportOptions {
            style,
            sarif_category: self.sarif_category.clone(),
            markdown_max_bytes: self
                .markdown_max_bytes
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            complete_reports: outputs
                .iter()
                .filter(|o| output::COMPLETE_FORMATS.contains(&o.reporter.name))
                .filter_map(|o| o.path.as_ref().map(|p| p.display().to_string()))
                .collect(),
        }
    }
}

/// Applies the ignore file and builds the report.
fn finish_report(
    mut findings: Vec<crate::report::Finding>,
    account_id: Option<String>,
    ignore: Option<&IgnoreFile>,
    started: Instant,
) -> Report {
    if let Some(ignore) = ignore {
        for warning in ignore.apply(&mut findings, Date::today()) {
            eprintln!("warning: {}", output::printable(&warning));
        }
    }
    let report = Report::new(RunInfo::finished(account_id, started), findings);
    if let Some(rejected) = report.credentials_rejected() {
        eprintln!("error: {}", output::printable(&rejected.to_string()));
    }
    report
}

/// `scan-dns`: every Route 53 record that points at S3, through the same reporters and exit
/// codes as `scan`.
async fn scan_dns(global: &GlobalArgs, args: ReportArgs, style: Style) -> Result<u8, Failure> {
    let started = Instant::now();
    let (outputs, ignore) = args.parse()?;
    let checks: Vec<_> = registry::checks()
        .into_iter()
        .filter(|c| c.meta.scope == crate::check::Scope::Dns)
        .collect();
    let clients = S3Clients::load(&aws_options(global, DEFAULT_CONCURRENCY)).await?;
    let records = crate::dns::s3_records(&clients)
        .await
        .map_err(|e| Failure::fetch(e, "could not read the Route 53 records"))?;
    let account = AccountState::new(clients);
    let (findings, account_id) = tokio::join!(
        crate::runner::scan_dns(
            &account,
            &records,
            &checks,
            global.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
        ),
        async { account.account_id().await.ok().map(str::to_owned) },
    );
    if records.is_empty() {
        eprintln!("no Route 53 record points at S3");
    }
    let report = finish_report(findings, account_id, ignore.as_ref(), started);
    let code = report.exit_code(args.fail_on);
    write_report_outputs(&report, &outputs, &args.options(style, &outputs))?;
    Ok(code)
}

fn iam_policy(
    commands: &[String],
    object_level_logging: bool,
    sns_topic: Option<&str>,
    role_name: Option<&str>,
    aws_config: Option<crate::iam::ConfigSourceKind>,
    (buckets, role_arn, kms_key_arn): (&[String], Option<&str>, Option<&str>),
) -> Result<u8, Failure> {
    let topic = sns_topic
        .map(crate::notify::TopicArn::parse)
        .transpose()
        .map_err(Failure::Usage)?;
    let options = crate::iam::PolicyOptions {
        object_level_logging,
        sns_topic: topic.as_ref(),
        role_name,
        aws_config,
        buckets,
        role_arn,
        kms_key_arn,
    };
    let policy = crate::iam::policy(commands, options).map_err(Failure::Usage)?;
    let mut out = io::stdout().lock();
    writeln!(out, "{policy}")?;
    Ok(0)
}

/// `scan --fix [--apply]`: the commands that fix the failing findings, and with `--apply` the
/// safe ones run. Everything goes to stderr, so stdout keeps the report alone.
async fn fix_after_scan(
    account: Arc<AccountState>,
    mut report: Report,
    apply: bool,
    fail_on: FailOn,
    concurrency: usize,
    style: Style,
) -> Result<u8, Failure> {
    let failing: Vec<&crate::report::Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == crate::report::Status::Fail)
        .collect();
    let mut commands: Vec<String> = Vec::new();
    for command in failing.iter().filter_map(|f| f.fix_command()) {
        if !commands.contains(&command) {
            commands.push(command);
        }
    }
    let manual: Vec<String> = failing
        .iter()
        .filter(|f| registry::remediation_for(f.check.id).is_none())
        .map(|f| f.check.id.to_owned())
        .collect();
    let mut err = io::stderr().lock();
    if commands.is_empty() && manual.is_empty() {
        writeln!(err, "Nothing to fix.")?;
        return Ok(report.exit_code(fail_on));
    }
    writeln!(err, "To fix:")?;
    for command in &commands {
        writeln!(err, "  {command}")?;
    }
    let mut manual_unique = manual.clone();
    manual_unique.sort();
    manual_unique.dedup();
    for id in &manual_unique {
        writeln!(err, "  {id}: no s3tk remediation; see `s3tk explain {id}`")?;
    }
    if !apply {
        return Ok(report.exit_code(fail_on));
    }
    // The safe bucket remediations, each with the failing buckets it applies to.
    let mut work: Vec<(
        &'static crate::remediation::RemediationEntry,
        Vec<SelectedBucket>,
    )> = Vec::new();
    for f in &failing {
        let Some(bucket) = f.resource.bucket() else {
            continue;
        };
        let Some(entry) = registry::remediation_for(f.check.id).filter(|e| e.meta.safe) else {
            continue;
        };
        let selected = SelectedBucket {
            name: bucket.to_owned(),
            listed_region: f.region.clone(),
        };
        match work.iter_mut().find(|(e, _)| e.meta.id == entry.meta.id) {
            Some((_, buckets)) if !buckets.contains(&selected) => buckets.push(selected),
            Some(_) => {}
            None => work.push((entry, vec![selected])),
        }
    }
    drop(err);
    let context = FixContext {
        options: FixOptions::default(),
        log_target: None,
    };
    let mut results = Vec::new();
    for (entry, buckets) in work {
        eprintln!("{}:", entry.meta.title);
        let fixed = crate::fix::fix_buckets(
            Arc::clone(&account),
            buckets,
            entry,
            &context,
            false,
            concurrency,
        )
        .await;
        write_fix_results(&fixed, style, &mut io::stderr().lock())?;
        results.extend(fixed);
    }
    // The exit code reflects the state after the fixes.
    for r in &results {
        if let (FixOutcome::Changed { verified, .. }, Some(bucket)) =
            (&r.outcome, r.resource.bucket())
        {
            for v in verified {
                if let Some(f) = report
                    .findings
                    .iter_mut()
                    .find(|f| f.check.id == v.check && f.resource.bucket() == Some(bucket))
                {
                    f.status = v.after;
                    f.message = v.message.clone();
                }
            }
        }
    }
    Ok(report
        .exit_code(fail_on)
        .max(u8::from(results.iter().any(|r| r.outcome.is_failure()))))
}

/// Writes every requested format: files atomically, at most one to stdout (coloured only there).
/// [`write_outputs`] for a scan's report: `Ok(false)` when stdout was closed (`s3tk scan |
/// head`), which ends the run without changing its exit code (the pipeline must still fail
/// when checks failed).
fn write_report_outputs(
    report: &Report,
    outputs: &[Output],
    options: &crate::report::ReportOptions,
) -> Result<bool, Failure> {
    match write_outputs(report, outputs, options) {
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(other) => Err(other),
        Ok(()) => Ok(true),
    }
}

fn write_outputs(
    report: &Report,
    outputs: &[Output],
    options: &crate::report::ReportOptions,
) -> Result<(), Failure> {
    for o in outputs {
        let left_out = match &o.path {
            None => {
                let mut out = io::BufWriter::new(io::stdout().lock());
                let left_out = o.reporter.reporter.write(report, options, &mut out)?;
                out.flush()?;
                left_out
            }
            Some(path) => {
                let mut bytes = Vec::new();
                let plain = crate::report::ReportOptions {
                    style: Style { color: false },
                    ..options.clone()
                };
                let left_out = o.reporter.reporter.write(report, &plain, &mut bytes)?;
                output::write_report(path, &bytes).map_err(|e| {
                    Failure::Usage(format!(
                        "cannot write {} report to {}: {}",
                        o.reporter.name,
                        path.display(),
                        output::reason(&e)
                    ))
                })?;
                left_out
            }
        };
        for note in left_out.0 {
            eprintln!("note: {} report: {note}", o.reporter.name);
        }
    }
    Ok(())
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

fn write_fix_results(results: &[FixResult], style: Style, out: &mut dyn Write) -> io::Result<()> {
    let paint = |text: &str, code: &str| {
        if style.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for r in results {
        let name = r.resource.name();
        let (mark, word, detail) = match &r.outcome {
            FixOutcome::Already(why) => (paint("✔", "32"), "already", why.clone()),
            FixOutcome::Skipped(why) => (paint("-", "90"), "skipped", why.clone()),
            FixOutcome::WouldChange(changes) => (
                paint("~", "33"),
                "would change",
                changes
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            FixOutcome::Changed { changes, verified } => {
                let mut text = changes
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
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
                (paint("✔", "34"), "changed", text)
            }
            FixOutcome::Refused(why) => (paint("✘", "31"), "refused", why.clone()),
            FixOutcome::Failed(why) => (paint("✘", "31"), "error", why.clone()),
        };
        writeln!(out, "{mark} {name}: {word}: {}", output::printable(&detail))?;
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

fn aws_options(global: &GlobalArgs, default_concurrency: usize) -> AwsOptions {
    AwsOptions {
        profile: global.profile.clone(),
        region: global.region.clone(),
        endpoint_url: global.endpoint_url.clone(),
        concurrency: global.concurrency.unwrap_or(default_concurrency),
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
    if let Some(r) = registry::remediation_for(meta.id) {
        writeln!(out, "Remediation: {}", r.meta.id)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", meta.doc_text().trim_end())?;
    out.flush()?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of a shell command line, with double-quoted words unquoted and comments cut.
    fn shell_words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                // A comment, a redirection or a pipe ends the command.
                '#' | '>' | '|' if !quoted && word.is_empty() => break,
                ' ' if !quoted => {
                    if !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                }
                c => word.push(c),
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
        words
    }

    #[test]
    fn every_readme_example_parses() {
        let readme = include_str!("../../README.md");
        let mut in_shell = false;
        let mut examples = 0;
        for line in readme.lines() {
            match line.trim() {
                "```sh" => in_shell = true,
                "```" => in_shell = false,
                text if in_shell && text.contains("s3tk ") => {
                    let command = &text[text.find("s3tk ").unwrap()..];
                    let words: Vec<String> = shell_words(command)
                        .into_iter()
                        .filter(|w| !(w.starts_with('[') && w.ends_with(']')))
                        .collect();
                    if let Err(e) = Cli::try_parse_from(&words) {
                        panic!("README example `{command}` does not parse: {e}");
                    }
                    examples += 1;
                }
                _ => {}
            }
        }
        assert!(examples > 20, "found only {examples} examples");
    }
}

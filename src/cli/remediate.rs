//! The remediation commands, built from the registry: every registered remediation has its
//! command (named by its `usage`), its options ([`FixOption`]) and its help, so none can be
//! registered without one. The account- and bucket-level remediations of one command are one
//! command, the account's behind `--account` (`block-public-access --account`).

use super::{Failure, FixTarget, GlobalArgs, check_log_prefix, fix_account_command, fix_command};
use crate::registry;
use crate::remediation::{FixOptions, RemediationEntry, RemediationKind};
use crate::report::Style;
use clap::{Arg, ArgAction, ArgMatches, FromArgMatches, Subcommand};
use std::collections::BTreeMap;

/// A remediation command as typed.
#[derive(Debug, Clone)]
pub struct FixCommand {
    pub name: &'static str,
    pub target: FixTarget,
    /// `--account`: the account-level remediation of the command.
    pub account: bool,
    pub options: FixOptions,
}

/// The bucket- and account-level remediations of one command.
#[derive(Default)]
struct Remediations {
    bucket: Option<&'static RemediationEntry>,
    account: Option<&'static RemediationEntry>,
}

impl Remediations {
    fn main(&self) -> &'static RemediationEntry {
        self.bucket
            .or(self.account)
            .expect("a command has a remediation")
    }
}

/// Every remediation command, by name.
fn commands() -> BTreeMap<&'static str, Remediations> {
    let mut commands: BTreeMap<&'static str, Remediations> = BTreeMap::new();
    for entry in registry::remediations() {
        let command = commands.entry(entry.meta.command()).or_default();
        match entry.remediation {
            RemediationKind::Bucket(_) => command.bucket = Some(entry),
            RemediationKind::Account(_) => command.account = Some(entry),
        }
    }
    commands
}

fn build(name: &'static str, remediations: &Remediations) -> clap::Command {
    let buckets_help = if remediations.account.is_some() {
        "Bucket names or wildcard patterns (required without --account)"
    } else {
        "Bucket names or wildcard patterns; none means every bucket in the account"
    };
    let mut command = clap::Command::new(name)
        .about(remediations.main().meta.title)
        .arg(
            Arg::new("buckets")
                .value_name("BUCKETS")
                .num_args(0..)
                .help(buckets_help),
        )
        .arg(
            Arg::new("dry-run")
                .long("dry-run")
                .action(ArgAction::SetTrue)
                .help("Show what would change, and change nothing"),
        );
    if let Some(account) = remediations.account {
        command = command.arg(
            Arg::new("account")
                .long("account")
                .action(ArgAction::SetTrue)
                .conflicts_with("buckets")
                .help(format!("{} instead of buckets'", account.meta.title)),
        );
    }
    for option in remediations.bucket.map_or(&[][..], |b| b.meta.options) {
        let mut arg = Arg::new(option.long).long(option.long).help(option.help);
        arg = match option.value_name {
            Some(value) => arg.value_name(value).required(option.required),
            None => arg.action(ArgAction::SetTrue),
        };
        if let Some(default) = option.default {
            arg = arg.default_value(default);
        }
        command = command.arg(arg);
    }
    command
}

impl FromArgMatches for FixCommand {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let missing = || clap::Error::new(clap::error::ErrorKind::MissingSubcommand);
        let (name, sub) = matches.subcommand().ok_or_else(missing)?;
        let commands = commands();
        let (name, remediations) = commands.get_key_value(name).ok_or_else(missing)?;
        let mut options = FixOptions::default();
        for option in remediations.bucket.map_or(&[][..], |b| b.meta.options) {
            match option.value_name {
                Some(_) => {
                    if let Some(value) = sub.get_one::<String>(option.long) {
                        options.set(option.field, value.clone());
                    }
                }
                None if sub.get_flag(option.long) => options.set(option.field, String::new()),
                None => {}
            }
        }
        Ok(FixCommand {
            name,
            target: FixTarget {
                buckets: sub
                    .get_many::<String>("buckets")
                    .map(|b| b.cloned().collect())
                    .unwrap_or_default(),
                dry_run: sub.get_flag("dry-run"),
            },
            account: remediations.account.is_some() && sub.get_flag("account"),
            options,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Subcommand for FixCommand {
    fn augment_subcommands(mut command: clap::Command) -> clap::Command {
        for (name, remediations) in &commands() {
            command = command.subcommand(build(name, remediations));
        }
        command
    }

    fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
        Self::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        commands().contains_key(name)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    /// Every registered remediation has its command, with each option it declares, and the
    /// command parses back into that remediation's settings.
    #[test]
    fn every_remediation_has_its_command() {
        let cli = super::super::Cli::command();
        for entry in registry::remediations() {
            let name = entry.meta.command();
            let command = cli
                .find_subcommand(name)
                .unwrap_or_else(|| panic!("{} has no command {name}", entry.meta.id));
            for option in entry.meta.options {
                assert!(
                    command
                        .get_arguments()
                        .any(|a| a.get_long() == Some(option.long)),
                    "{name} lacks --{}",
                    option.long
                );
            }
            let mut args = vec!["s3tk", name];
            match entry.remediation {
                RemediationKind::Account(_) => args.push("--account"),
                RemediationKind::Bucket(_) => args.push("some-bucket"),
            }
            for option in entry.meta.options.iter().filter(|o| o.required) {
                args.extend([format!("--{}", option.long).leak() as &str, "value"]);
            }
            let parsed = super::super::Cli::try_parse_from(&args)
                .unwrap_or_else(|e| panic!("{args:?}: {e}"));
            match parsed.command {
                super::super::Command::Fix(fix) => {
                    assert_eq!(fix.name, name);
                    assert_eq!(
                        fix.account,
                        matches!(entry.remediation, RemediationKind::Account(_))
                    );
                }
                other => panic!("{args:?} parsed as {other:?}"),
            }
        }
    }

    #[test]
    fn options_fill_the_settings() {
        let parsed = super::super::Cli::try_parse_from([
            "s3tk",
            "enable-logging",
            "app",
            "--log-bucket",
            "logs",
            "--dry-run",
        ])
        .unwrap();
        let super::super::Command::Fix(fix) = parsed.command else {
            panic!("not a remediation command");
        };
        assert_eq!(fix.target.buckets, ["app"]);
        assert!(fix.target.dry_run);
        assert_eq!(fix.options.log_bucket.as_deref(), Some("logs"));
        assert_eq!(fix.options.log_prefix.as_deref(), Some("{bucket}/"));
        let forced =
            super::super::Cli::try_parse_from(["s3tk", "disable-acls", "--force"]).unwrap();
        let super::super::Command::Fix(fix) = forced.command else {
            panic!("not a remediation command");
        };
        assert!(fix.options.force && fix.target.buckets.is_empty());
        let missing = super::super::Cli::try_parse_from(["s3tk", "enable-logging", "app"]);
        assert!(missing.unwrap_err().to_string().contains("--log-bucket"));
    }
}

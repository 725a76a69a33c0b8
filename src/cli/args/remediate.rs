//! The remediation commands, built from the registry: every registered remediation has its
//! command (named by its `usage`), its options ([`FixOption`](crate::remediation::FixOption))
//! and its help, so none can be registered without one. The account- and bucket-level
//! remediations of one command are one command, the account's behind `--account`
//! (`block-public-access --account`).

use super::{FixTarget, ObjectFormat};
use crate::registry;
use crate::remediation::{FixOptions, RemediationEntry, RemediationKind};
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
pub(in crate::cli) struct Remediations {
    pub bucket: Option<&'static RemediationEntry>,
    pub account: Option<&'static RemediationEntry>,
}

impl Remediations {
    fn main(&self) -> &'static RemediationEntry {
        self.bucket
            .or(self.account)
            .expect("a command has a remediation")
    }
}

/// Every remediation command, by name.
pub(in crate::cli) fn commands() -> BTreeMap<&'static str, Remediations> {
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
        "Bucket names or wildcard patterns; none means every bucket in the account (asked first, or --yes)"
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
        )
        .arg(
            Arg::new("format")
                .long("format")
                .value_name("FORMAT")
                .value_parser(clap::builder::EnumValueParser::<ObjectFormat>::new())
                .default_value("text")
                .help("text (default), or json: one document with every bucket's result"),
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
                format: sub
                    .get_one::<ObjectFormat>("format")
                    .copied()
                    .unwrap_or(ObjectFormat::Text),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    /// Every registered remediation has its command, with each option it declares, and the
    /// command parses back into that remediation's settings.
    #[test]
    fn every_remediation_has_its_command() {
        let cli = crate::cli::Cli::command();
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
            let parsed =
                crate::cli::Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            match parsed.command {
                crate::cli::Command::Fix(fix) => {
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
        let parsed = crate::cli::Cli::try_parse_from([
            "s3tk",
            "enable-logging",
            "app",
            "--log-bucket",
            "logs",
            "--dry-run",
        ])
        .unwrap();
        let crate::cli::Command::Fix(fix) = parsed.command else {
            panic!("not a remediation command");
        };
        assert_eq!(fix.target.buckets, ["app"]);
        assert!(fix.target.dry_run);
        assert_eq!(fix.options.log_bucket.as_deref(), Some("logs"));
        assert_eq!(fix.options.log_prefix.as_deref(), Some("{bucket}/"));
        let forced = crate::cli::Cli::try_parse_from(["s3tk", "disable-acls", "--force"]).unwrap();
        let crate::cli::Command::Fix(fix) = forced.command else {
            panic!("not a remediation command");
        };
        assert!(fix.options.force && fix.target.buckets.is_empty());
        let missing = crate::cli::Cli::try_parse_from(["s3tk", "enable-logging", "app"]);
        assert!(missing.unwrap_err().to_string().contains("--log-bucket"));
    }
}

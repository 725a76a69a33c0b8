//! `s3tk iam-policy`: the least-privilege IAM policy of each command, generated from what the
//! plugins and commands declare (check facets, remediation actions, object-command facets), so
//! it cannot drift from the code. The README's IAM section is generated from here too.

use crate::check::Scope;
use crate::notify::TopicArn;
use crate::registry;
use crate::state::Facet;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The facets of the bucket-policy commands (see `cli/policy.rs`): each reads the bucket's
/// region and policy; the writers also read what decides whether S3 would refuse a public
/// policy, verify the result, and note a conflict with SSE-KMS default encryption.
const LIST_POLICY: &[Facet] = &[Facet::BucketList, Facet::Region, Facet::Policy];
const SET_POLICY: &[Facet] = &[
    Facet::Region,
    Facet::Policy,
    Facet::PutPolicy,
    Facet::PolicyStatus,
    Facet::PublicAccessBlock,
    Facet::AccountPublicAccessBlock,
    Facet::AccountId,
    Facet::Encryption,
];
const UPDATE_POLICY: &[Facet] = &[
    Facet::Region,
    Facet::Policy,
    Facet::PutPolicy,
    Facet::DeletePolicy,
    Facet::PolicyStatus,
    Facet::PublicAccessBlock,
    Facet::AccountPublicAccessBlock,
    Facet::AccountId,
    Facet::Encryption,
];
const DELETE_POLICY: &[Facet] = &[Facet::Region, Facet::Policy, Facet::DeletePolicy];
/// `batch-status`: the job, and its completion report.
const BATCH_STATUS: &[Facet] = &[
    Facet::AccountId,
    Facet::DescribeJob,
    Facet::Region,
    Facet::GetObject,
];

/// Commands that call no AWS API.
const OFFLINE: &[&str] = &[
    "checks",
    "completions",
    "explain",
    "help",
    "iam-policy",
    "man",
    "reporters",
];

/// One statement: a Sid and the actions it allows on `*` (or on one topic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: String,
    pub actions: Vec<&'static str>,
    pub resource: String,
}

fn actions_of(facets: impl IntoIterator<Item = Facet>) -> BTreeSet<&'static str> {
    facets
        .into_iter()
        .flat_map(|f| f.iam_actions().iter().copied())
        .collect()
}

/// Every command that calls AWS, in help order.
pub fn commands() -> Vec<&'static str> {
    let mut names = vec!["scan", "scan-dns"];
    for r in registry::remediations() {
        let name = command_name(r.meta.usage);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.extend([
        "list-policy",
        "set-policy",
        "update-policy",
        "delete-policy",
    ]);
    names.extend(
        crate::objects::COMMANDS
            .iter()
            .map(|c| command_name(c.usage)),
    );
    names.push("batch-status");
    names
}

/// `s3tk enable-logging {bucket} …` → `enable-logging`.
fn command_name(usage: &str) -> &str {
    usage.split_whitespace().nth(1).unwrap_or(usage)
}

/// The actions of the checks `scan` runs by default (opt-in checks with `opt_in`'s flag).
fn scan_actions(opt_in: Option<&str>) -> BTreeSet<&'static str> {
    let mut actions = BTreeSet::new();
    for c in registry::checks() {
        if c.meta.scope != Scope::Dns && c.meta.opt_in == opt_in {
            actions.extend(c.meta.iam_actions());
        }
    }
    if opt_in.is_none() {
        // Bucket selection (ListBuckets), each bucket's region when ListBuckets does not say,
        // and the report's account id.
        actions.extend(actions_of([
            Facet::BucketList,
            Facet::Region,
            Facet::AccountId,
        ]));
    }
    actions
}

/// The actions one command needs; `None` for an unknown command.
pub fn command_actions(command: &str) -> Option<BTreeSet<&'static str>> {
    let facets = |list: &[Facet]| Some(actions_of(list.iter().copied()));
    match command {
        "scan" => Some(scan_actions(None)),
        "scan-dns" => {
            let mut actions = actions_of([Facet::AccountId]);
            for c in registry::checks() {
                if c.meta.scope == Scope::Dns {
                    actions.extend(c.meta.iam_actions());
                }
            }
            Some(actions)
        }
        "list-policy" => facets(LIST_POLICY),
        "set-policy" | "replace-policy" => facets(SET_POLICY),
        "update-policy" => facets(UPDATE_POLICY),
        "delete-policy" => facets(DELETE_POLICY),
        "batch-status" => facets(BATCH_STATUS),
        _ => {
            if let Some(info) = crate::objects::COMMANDS
                .iter()
                .find(|c| command_name(c.usage) == command)
            {
                return Some(info.iam_actions().into_iter().collect());
            }
            let fixes: Vec<_> = registry::remediations()
                .into_iter()
                .filter(|r| command_name(r.meta.usage) == command)
                .collect();
            if fixes.is_empty() {
                return None;
            }
            // Bucket selection by pattern, and each bucket's region.
            let mut actions = actions_of([Facet::BucketList, Facet::Region]);
            for r in fixes {
                actions.extend(r.meta.iam_actions.iter().copied());
            }
            Some(actions)
        }
    }
}

/// Whether an IAM action only reads (assuming a role changes nothing either).
pub fn is_read_only(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, name)| name);
    ["Get", "List", "Describe", "Head", "AssumeRole"]
        .iter()
        .any(|verb| name.starts_with(verb))
}

/// The scan options that need more than the scan's checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanExtras<'a> {
    /// `--object-level-logging`: the CloudTrail reads.
    pub object_level_logging: bool,
    /// `--sns-topic`: publishing to that topic.
    pub sns_topic: Option<&'a TopicArn>,
    /// `--role-name`: assuming that role in the other accounts, and listing the organization.
    pub role_name: Option<&'a str>,
}

/// The statements for `commands` (every command when empty), plus what `extras` need.
pub fn statements(commands: &[String], extras: ScanExtras) -> Result<Vec<Statement>, String> {
    let ScanExtras {
        object_level_logging,
        sns_topic,
        role_name,
    } = extras;
    let all = self::commands();
    let chosen: Vec<&str> = if commands.is_empty() {
        all.clone()
    } else {
        commands.iter().map(String::as_str).collect()
    };
    let mut statements = Vec::new();
    for command in &chosen {
        if OFFLINE.contains(command) {
            continue;
        }
        let Some(actions) = command_actions(command) else {
            return Err(format!(
                "unknown command '{command}' (commands that call AWS: {})",
                all.join(", ")
            ));
        };
        statements.push(Statement {
            sid: sid(command),
            actions: actions.into_iter().collect(),
            resource: "*".into(),
        });
    }
    let scanning = chosen.contains(&"scan");
    if (object_level_logging || sns_topic.is_some() || role_name.is_some()) && !scanning {
        return Err(
            "--object-level-logging, --sns-topic and --role-name apply to the scan command".into(),
        );
    }
    if object_level_logging {
        statements.push(Statement {
            sid: "S3tkScanObjectLevelLogging".into(),
            actions: scan_actions(Some("--object-level-logging"))
                .into_iter()
                .collect(),
            resource: "*".into(),
        });
    }
    if let Some(topic) = sns_topic {
        statements.push(Statement {
            sid: "S3tkScanSnsTopic".into(),
            actions: actions_of([Facet::PublishToTopic]).into_iter().collect(),
            resource: topic.to_string(),
        });
    }
    if let Some(role) = role_name {
        statements.push(Statement {
            sid: "S3tkScanAssumeRole".into(),
            actions: actions_of([Facet::AssumeRole]).into_iter().collect(),
            resource: format!("arn:aws:iam::*:role/{role}"),
        });
        statements.push(Statement {
            sid: "S3tkScanOrganization".into(),
            actions: actions_of([Facet::OrganizationAccounts])
                .into_iter()
                .collect(),
            resource: "*".into(),
        });
    }
    if statements.is_empty() {
        return Err(format!(
            "{} call(s) no AWS API and need no IAM policy",
            chosen.join(", ")
        ));
    }
    Ok(statements)
}

/// `scan-dns` → `S3tkScanDns`.
fn sid(command: &str) -> String {
    let mut sid = String::from("S3tk");
    for word in command.split('-') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            sid.extend(first.to_uppercase());
            sid.push_str(chars.as_str());
        }
    }
    sid
}

/// The policy document, pretty-printed.
pub fn policy(commands: &[String], extras: ScanExtras) -> Result<String, String> {
    let statements: Vec<Value> = statements(commands, extras)?
        .into_iter()
        .map(|s| {
            json!({
                "Sid": s.sid,
                "Effect": "Allow",
                "Action": s.actions,
                "Resource": s.resource,
            })
        })
        .collect();
    let document = json!({ "Version": "2012-10-17", "Statement": statements });
    Ok(serde_json::to_string_pretty(&document).expect("a JSON value always serializes"))
}

/// The README's table of commands and their IAM actions (generated; a test checks the README).
pub fn markdown_table() -> String {
    let mut table = String::from("| Command | Read-only | IAM actions |\n| --- | --- | --- |\n");
    let mut rows: Vec<(String, BTreeSet<&str>)> = commands()
        .into_iter()
        .map(|c| (format!("`{c}`"), command_actions(c).unwrap_or_default()))
        .collect();
    rows.insert(
        1,
        (
            "`scan --object-level-logging` (adds)".into(),
            scan_actions(Some("--object-level-logging")),
        ),
    );
    rows.insert(
        2,
        (
            "`scan --sns-topic ARN` (adds, on the topic)".into(),
            actions_of([Facet::PublishToTopic]),
        ),
    );
    rows.insert(
        3,
        (
            "`scan --role-name ROLE` (adds; each account's role needs `scan`'s actions)".into(),
            actions_of([Facet::AssumeRole, Facet::OrganizationAccounts]),
        ),
    );
    for (command, actions) in rows {
        let read_only = if actions.iter().all(|a| is_read_only(a)) {
            "yes"
        } else {
            "no"
        };
        let list: Vec<String> = actions.iter().map(|a| format!("`{a}`")).collect();
        table.push_str(&format!(
            "| {command} | {read_only} | {} |\n",
            list.join(", ")
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(commands: &[&str]) -> Vec<String> {
        commands.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn scan_gets_exactly_the_read_actions_its_checks_declare() {
        let statements = statements(&own(&["scan"]), ScanExtras::default()).unwrap();
        assert_eq!(statements.len(), 1);
        let mut expected: BTreeSet<&str> = registry::select_checks(&[], &[], &[])
            .unwrap()
            .iter()
            .flat_map(|c| c.meta.iam_actions())
            .collect();
        expected.extend([
            "s3:ListAllMyBuckets",
            "s3:ListBucket",
            "sts:GetCallerIdentity",
        ]);
        assert_eq!(
            statements[0].actions,
            expected.into_iter().collect::<Vec<_>>()
        );
        assert!(statements[0].actions.iter().all(|a| is_read_only(a)));
        assert!(
            !statements[0]
                .actions
                .iter()
                .any(|a| a.starts_with("cloudtrail:"))
        );
    }

    #[test]
    fn read_only_commands_get_read_only_policies() {
        for command in ["scan", "scan-dns", "list-policy", "scan-object-acl"] {
            let actions = command_actions(command).unwrap();
            assert!(!actions.is_empty(), "{command}");
            assert!(
                actions.iter().all(|a| is_read_only(a)),
                "{command}: {actions:?}"
            );
        }
        for command in [
            "encrypt",
            "set-policy",
            "enable-versioning",
            "block-public-access",
        ] {
            assert!(
                command_actions(command)
                    .unwrap()
                    .iter()
                    .any(|a| !is_read_only(a)),
                "{command}"
            );
        }
    }

    #[test]
    fn options_add_their_statements() {
        let topic = TopicArn::parse("arn:aws:sns:eu-west-1:111122223333:alerts").unwrap();
        let extras = ScanExtras {
            object_level_logging: true,
            sns_topic: Some(&topic),
            role_name: Some("S3tkAudit"),
        };
        let statements = statements(&own(&["scan"]), extras).unwrap();
        let sids: Vec<_> = statements.iter().map(|s| s.sid.as_str()).collect();
        assert_eq!(
            sids,
            [
                "S3tkScan",
                "S3tkScanObjectLevelLogging",
                "S3tkScanSnsTopic",
                "S3tkScanAssumeRole",
                "S3tkScanOrganization"
            ]
        );
        assert_eq!(statements[3].resource, "arn:aws:iam::*:role/S3tkAudit");
        assert_eq!(
            statements[1].actions,
            [
                "cloudtrail:DescribeTrails",
                "cloudtrail:GetEventSelectors",
                "cloudtrail:GetTrailStatus",
                "s3:ListBucket"
            ]
        );
        assert_eq!(statements[2].actions, ["sns:Publish"]);
        assert_eq!(statements[2].resource, topic.to_string());
        let logging = ScanExtras {
            object_level_logging: true,
            ..Default::default()
        };
        assert!(super::statements(&own(&["encrypt"]), logging).is_err());
    }

    #[test]
    fn every_command_is_known_and_offline_ones_need_nothing() {
        let all = statements(&[], ScanExtras::default()).unwrap();
        assert_eq!(all.len(), commands().len());
        assert!(all.iter().any(|s| s.sid == "S3tkDeleteUnencryptedVersions"));
        let err = statements(&own(&["scna"]), ScanExtras::default()).unwrap_err();
        assert!(err.starts_with("unknown command 'scna'"), "{err}");
        let err = statements(&own(&["checks"]), ScanExtras::default()).unwrap_err();
        assert_eq!(err, "checks call(s) no AWS API and need no IAM policy");
    }

    #[test]
    fn every_subcommand_is_classified() {
        use clap::CommandFactory;
        let cli = crate::cli::Cli::command();
        for sub in cli.get_subcommands() {
            let name = sub.get_name();
            assert!(
                OFFLINE.contains(&name) || command_actions(name).is_some(),
                "{name} is neither offline nor in the IAM table"
            );
        }
    }
}

//! `s3tk iam-policy`: the least-privilege IAM policy of each command, generated from what the
//! plugins and commands declare (check facets, remediation actions, object-command facets), so
//! it cannot drift from the code. The README's IAM section is generated from here too.

use crate::check::Scope;
use crate::facet::Facet;
use crate::notify::TopicArn;
use crate::registry;
use crate::remediation::RemediationMeta;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Commands that read buckets named by something else than the caller (scan-dns: the buckets
/// Route 53 records point at), which `--bucket` cannot name.
const PROBE_ANY_BUCKET: &[&str] = &["scan-dns"];

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

/// What an IAM action is authorized on, per AWS's Service Authorization Reference: the
/// resource its statement names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResourceKind {
    /// Actions that take no resource (ListAllMyBuckets, account-level settings, CreateJob,
    /// GetCallerIdentity, the list calls of Route 53, CloudTrail and Organizations): `*`.
    Any,
    Bucket,
    Object,
    /// S3 Batch Operations jobs (DescribeJob).
    Job,
    /// The role a Batch Operations job runs as (iam:PassRole).
    PassedRole,
    /// The role `scan --role-name` assumes in each account.
    AssumedRole,
    /// The KMS key S3 uses on the caller's behalf.
    KmsKey,
    Topic,
    Trail,
    HostedZone,
    /// An AWS Config aggregator (`scan --from-aws-config --aggregator`).
    ConfigAggregator,
}

impl ResourceKind {
    /// The resource kind of `action`; `None` for an action this table does not know (a test
    /// checks that every declared action is known).
    pub fn of(action: &str) -> Option<ResourceKind> {
        use ResourceKind::*;
        Some(match action {
            "s3:ListAllMyBuckets"
            | "s3:GetAccountPublicAccessBlock"
            | "s3:PutAccountPublicAccessBlock"
            | "s3:ListAccessPoints"
            | "s3:GetAccessPoint"
            | "s3:ListMultiRegionAccessPoints"
            | "s3:CreateJob"
            | "sts:GetCallerIdentity"
            | "route53:ListHostedZones"
            | "cloudtrail:DescribeTrails"
            | "organizations:ListAccounts"
            | "config:ListDiscoveredResources"
            | "config:BatchGetResourceConfig" => Any,
            "s3:ListBucket"
            | "s3:ListBucketVersions"
            | "s3:GetBucketAcl"
            | "s3:GetBucketPolicy"
            | "s3:GetBucketPolicyStatus"
            | "s3:GetBucketPublicAccessBlock"
            | "s3:GetBucketOwnershipControls"
            | "s3:GetEncryptionConfiguration"
            | "s3:GetBucketLogging"
            | "s3:GetBucketVersioning"
            | "s3:GetBucketObjectLockConfiguration"
            | "s3:GetLifecycleConfiguration"
            | "s3:GetReplicationConfiguration"
            | "s3:GetBucketNotification"
            | "s3:GetBucketWebsite"
            | "s3:PutBucketPublicAccessBlock"
            | "s3:PutBucketVersioning"
            | "s3:PutEncryptionConfiguration"
            | "s3:PutBucketLogging"
            | "s3:PutBucketPolicy"
            | "s3:DeleteBucketPolicy"
            | "s3:PutBucketAcl"
            | "s3:PutBucketOwnershipControls" => Bucket,
            "s3:GetObject"
            | "s3:GetObjectVersion"
            | "s3:GetObjectAcl"
            | "s3:GetObjectTagging"
            | "s3:GetObjectRetention"
            | "s3:GetObjectLegalHold"
            | "s3:PutObject"
            | "s3:PutObjectAcl"
            | "s3:PutObjectTagging"
            | "s3:PutObjectRetention"
            | "s3:PutObjectLegalHold"
            | "s3:AbortMultipartUpload"
            | "s3:DeleteObjectVersion" => Object,
            "s3:DescribeJob" => Job,
            "iam:PassRole" => PassedRole,
            "sts:AssumeRole" => AssumedRole,
            "kms:GenerateDataKey" | "kms:Decrypt" => KmsKey,
            "sns:Publish" => Topic,
            "cloudtrail:GetTrailStatus" | "cloudtrail:GetEventSelectors" => Trail,
            "route53:ListResourceRecordSets" => HostedZone,
            "config:ListAggregateDiscoveredResources"
            | "config:BatchGetAggregateResourceConfig" => ConfigAggregator,
            _ => return None,
        })
    }

    /// The suffix of its statement's Sid.
    fn sid_suffix(self) -> &'static str {
        match self {
            ResourceKind::Any => "Account",
            ResourceKind::Bucket => "Buckets",
            ResourceKind::Object => "Objects",
            ResourceKind::Job => "Jobs",
            ResourceKind::PassedRole => "PassRole",
            ResourceKind::AssumedRole => "AssumeRole",
            ResourceKind::KmsKey => "Kms",
            ResourceKind::Topic => "Publish",
            ResourceKind::Trail => "Trails",
            ResourceKind::HostedZone => "HostedZones",
            ResourceKind::ConfigAggregator => "ConfigAggregators",
        }
    }

    /// What the README's table says the actions apply to.
    fn describe(self) -> &'static str {
        match self {
            ResourceKind::Any => "on `*` (no resource-level permissions)",
            ResourceKind::Bucket => "on the buckets",
            ResourceKind::Object => "on their objects",
            ResourceKind::Job => "on Batch Operations jobs",
            ResourceKind::PassedRole => {
                "on the job's role (`--role-arn`), passed only to S3 Batch Operations"
            }
            ResourceKind::AssumedRole => "on the role in each account",
            ResourceKind::KmsKey => "on the KMS key (`--kms-key-id`), only through S3",
            ResourceKind::Topic => "on the topic",
            ResourceKind::Trail => "on trails",
            ResourceKind::HostedZone => "on hosted zones",
            ResourceKind::ConfigAggregator => "on the configuration aggregator",
        }
    }
}

/// One statement: a Sid, the actions it allows, on which resources, under which condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: String,
    pub actions: Vec<&'static str>,
    pub resources: Vec<String>,
    pub condition: Option<Value>,
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
    names.extend(registry::commands().iter().map(|c| c.name()));
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
        _ => {
            if let Some(info) = registry::commands()
                .into_iter()
                .find(|c| c.name() == command)
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
                actions.extend(remediation_actions(r.meta));
            }
            Some(actions)
        }
    }
}

/// The actions a remediation needs: what its plan reads and its changes write, and what the
/// checks it fixes read, since its command re-runs them to show before → after.
pub fn remediation_actions(meta: &RemediationMeta) -> BTreeSet<&'static str> {
    let fixed = meta
        .fixes
        .iter()
        .filter_map(|id| registry::check(id))
        .flat_map(|c| c.meta.facets.iter().copied());
    actions_of(meta.facets.iter().copied().chain(fixed))
}

/// Whether an IAM action only reads (assuming a role changes nothing either).
pub fn is_read_only(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, name)| name);
    ["Get", "List", "Describe", "Head", "AssumeRole"]
        .iter()
        .any(|verb| name.starts_with(verb))
}

/// What `iam-policy` adds to, and scopes, the commands' statements.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicyOptions<'a> {
    /// `--object-level-logging`: the CloudTrail reads of `scan`.
    pub object_level_logging: bool,
    /// `--sns-topic`: publishing to that topic (`scan`).
    pub sns_topic: Option<&'a TopicArn>,
    /// `--role-name`: assuming that role in the other accounts, and listing the organization.
    pub role_name: Option<&'a str>,
    /// `--from-aws-config`: reading the buckets' configuration items from AWS Config; with
    /// `aggregate`, through an aggregator (`--aggregator`).
    pub aws_config: Option<ConfigSourceKind>,
    /// `--bucket`: the buckets (and their objects) the statements allow; every bucket when empty.
    pub buckets: &'a [String],
    /// `--role-arn`: the role Batch Operations jobs run as, which the caller passes.
    pub role_arn: Option<&'a str>,
    /// `--kms-key-id`: the key ARN `encrypt` encrypts with.
    pub kms_key_arn: Option<&'a str>,
}

/// Which AWS Config reads `scan --from-aws-config` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSourceKind {
    /// The caller's own account and region.
    Account,
    /// Every account and region of an aggregator (`--aggregator`).
    Aggregator,
}

/// `arn:aws:kms:REGION:ACCOUNT:key/ID`: a policy names a key by its ARN only.
fn validate_key_arn(key: &str) -> Result<(), String> {
    let valid = crate::remediation::validate_kms_key(key).is_ok()
        && key.starts_with("arn:")
        && key.contains(":key/");
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid --kms-key-id '{key}': a policy names a key by its ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not by id or alias"
        ))
    }
}

/// The resources and condition of a statement of `kind` under `options`.
struct Resolver<'a> {
    options: PolicyOptions<'a>,
    /// `aws`, `aws-cn` or `aws-us-gov`: from the ARNs given, else `aws`.
    partition: &'a str,
}

impl Resolver<'_> {
    fn new<'a>(options: PolicyOptions<'a>) -> Result<Resolver<'a>, String> {
        for bucket in options.buckets {
            crate::select::validate_bucket_name(bucket)
                .map_err(|why| format!("invalid --bucket '{bucket}': {why}"))?;
        }
        if let Some(role) = options.role_arn {
            crate::objects::batch::validate_role_arn(role)?;
        }
        if let Some(key) = options.kms_key_arn {
            validate_key_arn(key)?;
        }
        let topic = options.sns_topic.map(|t| t.as_str());
        let given: Vec<&str> = [options.role_arn, options.kms_key_arn, topic]
            .into_iter()
            .flatten()
            .filter_map(|arn| arn.split(':').nth(1))
            .collect();
        let partition = given.first().copied().unwrap_or("aws");
        if given.iter().any(|p| *p != partition) {
            return Err(
                "--role-arn, --kms-key-id and --sns-topic name different AWS partitions".into(),
            );
        }
        Ok(Resolver { options, partition })
    }

    fn resources(&self, kind: ResourceKind) -> Vec<String> {
        let p = self.partition;
        let buckets = self.options.buckets;
        let each_bucket = |suffix: &str| -> Vec<String> {
            if buckets.is_empty() {
                vec![format!("arn:{p}:s3:::*{suffix}")]
            } else {
                buckets
                    .iter()
                    .map(|b| format!("arn:{p}:s3:::{b}{suffix}"))
                    .collect()
            }
        };
        match kind {
            ResourceKind::Any => vec!["*".into()],
            ResourceKind::Bucket => each_bucket(""),
            ResourceKind::Object => each_bucket("/*"),
            // Jobs are created in the role's account; the job id is not known in advance.
            ResourceKind::Job => {
                let account = self
                    .options
                    .role_arn
                    .and_then(|r| r.split(':').nth(4))
                    .unwrap_or("*");
                vec![format!("arn:{p}:s3:*:{account}:job/*")]
            }
            // Without --role-arn, any role, but only to S3 Batch Operations (the condition),
            // and a role must trust batchoperations.s3.amazonaws.com for a job to use it.
            ResourceKind::PassedRole => vec![
                self.options
                    .role_arn
                    .map_or_else(|| format!("arn:{p}:iam::*:role/*"), str::to_owned),
            ],
            ResourceKind::AssumedRole => vec![format!(
                "arn:{p}:iam::*:role/{}",
                self.options.role_name.unwrap_or("*")
            )],
            // Without --kms-key-id: any key (the bucket's default key is not known here), but
            // only through S3 (the condition).
            ResourceKind::KmsKey => vec![
                self.options
                    .kms_key_arn
                    .map_or_else(|| format!("arn:{p}:kms:*:*:key/*"), str::to_owned),
            ],
            ResourceKind::Topic => vec![
                self.options
                    .sns_topic
                    .map_or_else(|| format!("arn:{p}:sns:*:*:*"), |t| t.to_string()),
            ],
            // Every trail that logs the buckets' region may be read, wherever it is homed.
            ResourceKind::Trail => vec![format!("arn:{p}:cloudtrail:*:*:trail/*")],
            ResourceKind::HostedZone => vec![format!("arn:{p}:route53:::hostedzone/*")],
            ResourceKind::ConfigAggregator => {
                vec![format!("arn:{p}:config:*:*:config-aggregator/*")]
            }
        }
    }

    fn condition(&self, kind: ResourceKind) -> Option<Value> {
        match kind {
            ResourceKind::PassedRole => Some(json!({
                "StringEquals": {"iam:PassedToService": "batchoperations.s3.amazonaws.com"}
            })),
            // S3 calls KMS with the caller's credentials; nothing else may use the key.
            ResourceKind::KmsKey => Some(json!({
                "StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}
            })),
            _ => None,
        }
    }

    /// One statement per resource kind of `actions`, Sids `{prefix}{kind}`.
    fn statements(
        &self,
        prefix: &str,
        actions: BTreeSet<&'static str>,
        probes_any_bucket: bool,
    ) -> Vec<Statement> {
        let mut by_kind: std::collections::BTreeMap<ResourceKind, Vec<&'static str>> =
            Default::default();
        for action in actions {
            let kind = ResourceKind::of(action)
                .unwrap_or_else(|| panic!("{action} has no resource kind in iam.rs"));
            by_kind.entry(kind).or_default().push(action);
        }
        by_kind
            .into_iter()
            .map(|(kind, actions)| {
                let resources = if probes_any_bucket && kind == ResourceKind::Bucket {
                    vec![format!("arn:{}:s3:::*", self.partition)]
                } else {
                    self.resources(kind)
                };
                Statement {
                    sid: format!("{prefix}{}", kind.sid_suffix()),
                    actions,
                    resources,
                    condition: self.condition(kind),
                }
            })
            .collect()
    }
}

/// Whether `iam-policy` knows `command` (a command that calls AWS, or one that calls none).
pub fn check_command(command: &str) -> Result<(), String> {
    if OFFLINE.contains(&command) || command_actions(command).is_some() {
        return Ok(());
    }
    Err(format!(
        "unknown command '{}' (commands that call AWS: {})",
        command.escape_debug(),
        commands().join(", ")
    ))
}

/// The statements for `commands` (every command when empty), plus what `options` add.
pub fn statements(commands: &[String], options: PolicyOptions) -> Result<Vec<Statement>, String> {
    let resolver = Resolver::new(options)?;
    let all = self::commands();
    let chosen: Vec<&str> = if commands.is_empty() {
        all.clone()
    } else {
        commands.iter().map(String::as_str).collect()
    };
    let mut statements = Vec::new();
    let mut granted = BTreeSet::new();
    for command in &chosen {
        if OFFLINE.contains(command) {
            continue;
        }
        check_command(command)?;
        let Some(actions) = command_actions(command) else {
            continue;
        };
        granted.extend(actions.iter().copied());
        let probes = PROBE_ANY_BUCKET.contains(command);
        statements.extend(resolver.statements(&sid(command), actions, probes));
    }
    let PolicyOptions {
        object_level_logging,
        sns_topic,
        role_name,
        aws_config,
        role_arn,
        kms_key_arn,
        ..
    } = options;
    let scanning = chosen.contains(&"scan");
    let scan_options =
        object_level_logging || sns_topic.is_some() || role_name.is_some() || aws_config.is_some();
    if scan_options && !scanning {
        return Err(
            "--object-level-logging, --sns-topic, --role-name, --from-aws-config and --aggregator apply to the scan command"
                .into(),
        );
    }
    if role_arn.is_some() && !granted.contains("iam:PassRole") {
        return Err(
            "--role-arn applies to the commands that create S3 Batch Operations jobs (encrypt, reset-object-acl)"
                .into(),
        );
    }
    if kms_key_arn.is_some() && !granted.iter().any(|a| a.starts_with("kms:")) {
        return Err("--kms-key-id applies to the encrypt command".into());
    }
    if object_level_logging {
        let actions = scan_actions(Some("--object-level-logging"));
        statements.extend(resolver.statements("S3tkScanObjectLevelLogging", actions, false));
    }
    if sns_topic.is_some() {
        let actions = actions_of([Facet::PublishToTopic]);
        statements.extend(resolver.statements("S3tkScanSnsTopic", actions, false));
    }
    if role_name.is_some() {
        let actions = actions_of([Facet::AssumeRole, Facet::OrganizationAccounts]);
        statements.extend(resolver.statements("S3tkScanRoleName", actions, false));
    }
    if let Some(kind) = aws_config {
        let actions = match kind {
            ConfigSourceKind::Account => actions_of([
                Facet::ListDiscoveredResources,
                Facet::BatchGetResourceConfig,
                Facet::AccountId,
            ]),
            ConfigSourceKind::Aggregator => actions_of([
                Facet::ListAggregateDiscoveredResources,
                Facet::BatchGetAggregateResourceConfig,
            ]),
        };
        statements.extend(resolver.statements("S3tkScanAwsConfig", actions, false));
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
pub fn policy(commands: &[String], options: PolicyOptions) -> Result<String, String> {
    let statements: Vec<Value> = statements(commands, options)?
        .into_iter()
        .map(|s| {
            let resource = match s.resources.as_slice() {
                [one] => json!(one),
                many => json!(many),
            };
            let mut statement = json!({
                "Sid": s.sid,
                "Effect": "Allow",
                "Action": s.actions,
                "Resource": resource,
            });
            if let Some(condition) = s.condition {
                statement["Condition"] = condition;
            }
            statement
        })
        .collect();
    let document = json!({ "Version": "2012-10-17", "Statement": statements });
    Ok(serde_json::to_string_pretty(&document).expect("a JSON value always serializes"))
}

/// The README's table of commands and their IAM actions (generated; a test checks the README).
pub fn markdown_table() -> String {
    let mut table =
        String::from("| Command | Read-only | IAM actions, by resource |\n| --- | --- | --- |\n");
    let mut rows: Vec<(String, BTreeSet<&str>)> = commands()
        .into_iter()
        .map(|c| (format!("`{c}`"), command_actions(c).unwrap_or_default()))
        .collect();
    let probes = |row: &str| PROBE_ANY_BUCKET.iter().any(|c| row == format!("`{c}`"));
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
            "`scan --sns-topic ARN` (adds)".into(),
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
        let mut by_kind: std::collections::BTreeMap<ResourceKind, Vec<String>> = Default::default();
        for action in actions {
            let kind = ResourceKind::of(action).unwrap_or(ResourceKind::Any);
            by_kind.entry(kind).or_default().push(format!("`{action}`"));
        }
        let groups: Vec<String> = by_kind
            .into_iter()
            .map(|(kind, actions)| {
                let on = match kind {
                    ResourceKind::Bucket if probes(&command) => "on any bucket",
                    _ => kind.describe(),
                };
                format!("{} {on}", actions.join(", "))
            })
            .collect();
        table.push_str(&format!(
            "| {command} | {read_only} | {} |\n",
            groups.join("; ")
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

    fn all_actions(statements: &[Statement]) -> BTreeSet<&'static str> {
        statements
            .iter()
            .flat_map(|s| s.actions.iter().copied())
            .collect()
    }

    fn by_sid<'a>(statements: &'a [Statement], sid: &str) -> &'a Statement {
        statements
            .iter()
            .find(|s| s.sid == sid)
            .unwrap_or_else(|| panic!("no {sid} in {statements:#?}"))
    }

    const ROLE: &str = "arn:aws:iam::111122223333:role/s3tk-batch";
    const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn scan_gets_exactly_the_read_actions_its_checks_declare() {
        let statements = statements(&own(&["scan"]), PolicyOptions::default()).unwrap();
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
        assert_eq!(all_actions(&statements), expected);
        assert!(all_actions(&statements).iter().all(|a| is_read_only(a)));
        assert!(
            !all_actions(&statements)
                .iter()
                .any(|a| a.starts_with("cloudtrail:"))
        );
        let sids: Vec<_> = statements.iter().map(|s| s.sid.as_str()).collect();
        assert_eq!(sids, ["S3tkScanAccount", "S3tkScanBuckets"]);
    }

    #[test]
    fn aws_config_reads_are_added_to_scan() {
        let sids_and_actions = |kind| {
            let options = PolicyOptions {
                aws_config: Some(kind),
                ..PolicyOptions::default()
            };
            let statements = statements(&["scan".into()], options).unwrap();
            let config = statements
                .iter()
                .find(|s| s.sid.starts_with("S3tkScanAwsConfig"))
                .expect("an AWS Config statement");
            (config.actions.clone(), config.resources.clone())
        };
        assert_eq!(
            sids_and_actions(ConfigSourceKind::Aggregator),
            (
                vec![
                    "config:BatchGetAggregateResourceConfig",
                    "config:ListAggregateDiscoveredResources"
                ],
                vec!["arn:aws:config:*:*:config-aggregator/*".to_owned()]
            )
        );
        let (actions, _) = sids_and_actions(ConfigSourceKind::Account);
        assert!(
            actions.contains(&"config:ListDiscoveredResources"),
            "{actions:?}"
        );
        let refused = statements(
            &["enable-versioning".into()],
            PolicyOptions {
                aws_config: Some(ConfigSourceKind::Account),
                ..PolicyOptions::default()
            },
        );
        assert!(refused.unwrap_err().contains("apply to the scan command"));
    }

    #[test]
    fn every_declared_action_has_a_resource_kind() {
        for action in Facet::ALL.iter().flat_map(|f| f.iam_actions().iter()) {
            assert!(ResourceKind::of(action).is_some(), "{action}");
        }
    }

    #[test]
    fn only_actions_without_resource_types_get_star() {
        let every = statements(&[], PolicyOptions::default()).unwrap();
        for s in &every {
            let star = s.resources.iter().any(|r| r == "*");
            let any = s
                .actions
                .iter()
                .all(|a| ResourceKind::of(a) == Some(ResourceKind::Any));
            assert_eq!(star, any, "{s:#?}");
        }
        let sids: BTreeSet<&str> = every.iter().map(|s| s.sid.as_str()).collect();
        assert_eq!(sids.len(), every.len(), "Sids are unique");
    }

    #[test]
    fn buckets_role_and_key_scope_the_statements() {
        let buckets = own(&["photos", "batch-reports"]);
        let options = PolicyOptions {
            buckets: &buckets,
            role_arn: Some(ROLE),
            kms_key_arn: Some(KEY),
            ..Default::default()
        };
        let statements = statements(&own(&["encrypt"]), options).unwrap();
        let buckets = by_sid(&statements, "S3tkEncryptBuckets");
        assert!(buckets.actions.contains(&"s3:ListBucket"));
        assert_eq!(
            buckets.resources,
            ["arn:aws:s3:::photos", "arn:aws:s3:::batch-reports"]
        );
        let objects = by_sid(&statements, "S3tkEncryptObjects");
        assert_eq!(
            objects.resources,
            ["arn:aws:s3:::photos/*", "arn:aws:s3:::batch-reports/*"]
        );
        for action in [
            "s3:GetObjectRetention",
            "s3:GetObjectLegalHold",
            "s3:PutObjectRetention",
            "s3:PutObjectLegalHold",
        ] {
            assert!(objects.actions.contains(&action), "{action}");
        }
        let pass = by_sid(&statements, "S3tkEncryptPassRole");
        assert_eq!(pass.actions, ["iam:PassRole"]);
        assert_eq!(pass.resources, [ROLE]);
        assert_eq!(
            pass.condition,
            Some(
                json!({"StringEquals": {"iam:PassedToService": "batchoperations.s3.amazonaws.com"}})
            )
        );
        let kms = by_sid(&statements, "S3tkEncryptKms");
        assert_eq!(kms.actions, ["kms:Decrypt", "kms:GenerateDataKey"]);
        assert_eq!(kms.resources, [KEY]);
        assert_eq!(
            kms.condition,
            Some(json!({"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}))
        );
        assert!(
            by_sid(&statements, "S3tkEncryptAccount")
                .actions
                .contains(&"s3:CreateJob")
        );

        // Unscoped: every bucket (not `*`), any role or key but only through S3.
        let statements = super::statements(&own(&["encrypt"]), PolicyOptions::default()).unwrap();
        assert_eq!(
            by_sid(&statements, "S3tkEncryptBuckets").resources,
            ["arn:aws:s3:::*"]
        );
        assert_eq!(
            by_sid(&statements, "S3tkEncryptObjects").resources,
            ["arn:aws:s3:::*/*"]
        );
        let pass = by_sid(&statements, "S3tkEncryptPassRole");
        assert_eq!(pass.resources, ["arn:aws:iam::*:role/*"]);
        assert!(pass.condition.is_some());
        assert_eq!(
            by_sid(&statements, "S3tkEncryptKms").resources,
            ["arn:aws:kms:*:*:key/*"]
        );

        // batch-status reads jobs of the role's account when known; scan-dns probes any bucket.
        let jobs = super::statements(&own(&["batch-status"]), PolicyOptions::default()).unwrap();
        assert_eq!(
            by_sid(&jobs, "S3tkBatchStatusJobs").resources,
            ["arn:aws:s3:*:*:job/*"]
        );
        let dns = super::statements(
            &own(&["scan-dns"]),
            PolicyOptions {
                buckets: &own(&["photos"]),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            by_sid(&dns, "S3tkScanDnsBuckets").resources,
            ["arn:aws:s3:::*"]
        );
    }

    #[test]
    fn the_partition_follows_the_arns_given() {
        let role = "arn:aws-cn:iam::111122223333:role/batch";
        let options = PolicyOptions {
            role_arn: Some(role),
            ..Default::default()
        };
        let statements = statements(&own(&["reset-object-acl"]), options).unwrap();
        assert_eq!(
            by_sid(&statements, "S3tkResetObjectAclObjects").resources,
            ["arn:aws-cn:s3:::*/*"]
        );
        let mixed = PolicyOptions {
            role_arn: Some(role),
            kms_key_arn: Some(KEY),
            ..Default::default()
        };
        let err = super::statements(&own(&["encrypt"]), mixed).unwrap_err();
        assert!(err.contains("different AWS partitions"), "{err}");
    }

    #[test]
    fn bad_scopes_are_refused() {
        let cases: &[(&[&str], PolicyOptions, &str)] = &[
            (
                &["encrypt"],
                PolicyOptions {
                    buckets: &[String::from("s3://photos")],
                    ..Default::default()
                },
                "invalid --bucket 's3://photos': write the bucket name without 's3://'",
            ),
            (
                &["encrypt"],
                PolicyOptions {
                    role_arn: Some("s3tk-batch"),
                    ..Default::default()
                },
                "invalid --role-arn 's3tk-batch'",
            ),
            (
                &["encrypt"],
                PolicyOptions {
                    kms_key_arn: Some("1234abcd-12ab-34cd-56ef-1234567890ab"),
                    ..Default::default()
                },
                "a policy names a key by its ARN",
            ),
            (
                &["encrypt"],
                PolicyOptions {
                    kms_key_arn: Some("arn:aws:kms:eu-west-1:111122223333:alias/s3"),
                    ..Default::default()
                },
                "a policy names a key by its ARN",
            ),
            (
                &["scan"],
                PolicyOptions {
                    role_arn: Some(ROLE),
                    ..Default::default()
                },
                "--role-arn applies to the commands that create S3 Batch Operations jobs",
            ),
            (
                &["reset-object-acl"],
                PolicyOptions {
                    kms_key_arn: Some(KEY),
                    ..Default::default()
                },
                "--kms-key-id applies to the encrypt command",
            ),
        ];
        for (commands, options, expected) in cases {
            let err = statements(&own(commands), *options).unwrap_err();
            assert!(err.contains(expected), "{commands:?}: {err}");
        }
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
        let options = PolicyOptions {
            object_level_logging: true,
            sns_topic: Some(&topic),
            role_name: Some("S3tkAudit"),
            ..Default::default()
        };
        let statements = statements(&own(&["scan"]), options).unwrap();
        let sids: Vec<_> = statements.iter().map(|s| s.sid.as_str()).collect();
        assert_eq!(
            sids,
            [
                "S3tkScanAccount",
                "S3tkScanBuckets",
                "S3tkScanObjectLevelLoggingAccount",
                "S3tkScanObjectLevelLoggingBuckets",
                "S3tkScanObjectLevelLoggingTrails",
                "S3tkScanSnsTopicPublish",
                "S3tkScanRoleNameAccount",
                "S3tkScanRoleNameAssumeRole",
            ]
        );
        let logging = &statements[2..5];
        assert_eq!(
            all_actions(logging).into_iter().collect::<Vec<_>>(),
            [
                "cloudtrail:DescribeTrails",
                "cloudtrail:GetEventSelectors",
                "cloudtrail:GetTrailStatus",
                "s3:ListBucket"
            ]
        );
        assert_eq!(
            by_sid(&statements, "S3tkScanObjectLevelLoggingTrails").resources,
            ["arn:aws:cloudtrail:*:*:trail/*"]
        );
        let publish = by_sid(&statements, "S3tkScanSnsTopicPublish");
        assert_eq!(publish.actions, ["sns:Publish"]);
        assert_eq!(publish.resources, [topic.to_string()]);
        let assume = by_sid(&statements, "S3tkScanRoleNameAssumeRole");
        assert_eq!(assume.resources, ["arn:aws:iam::*:role/S3tkAudit"]);
        assert_eq!(
            by_sid(&statements, "S3tkScanRoleNameAccount").actions,
            ["organizations:ListAccounts"]
        );
        let logging = PolicyOptions {
            object_level_logging: true,
            ..Default::default()
        };
        assert!(super::statements(&own(&["encrypt"]), logging).is_err());
    }

    #[test]
    fn every_command_is_known_and_offline_ones_need_nothing() {
        let all = statements(&[], PolicyOptions::default()).unwrap();
        for command in commands() {
            let prefix = sid(command);
            assert!(
                all.iter()
                    .any(|s| s.sid.strip_prefix(&prefix).is_some_and(|kind| kind
                        .chars()
                        .next()
                        .is_some_and(char::is_uppercase)
                        && !commands().iter().any(|c| c != &command
                            && sid(c).starts_with(&prefix)
                            && s.sid.starts_with(&sid(c))))),
                "{command} has no statement"
            );
        }
        assert!(
            all.iter()
                .any(|s| s.sid == "S3tkDeleteUnencryptedVersionsObjects")
        );
        let err = statements(&own(&["scna"]), PolicyOptions::default()).unwrap_err();
        assert!(err.starts_with("unknown command 'scna'"), "{err}");
        let err = statements(&own(&["checks"]), PolicyOptions::default()).unwrap_err();
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

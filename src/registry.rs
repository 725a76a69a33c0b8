//! The registry: every check, remediation and reporter that registered itself with
//! `inventory`, sorted (inventory's own order is unspecified), plus selection by id or prefix.

use crate::check::{CheckEntry, Scope};
use crate::command::{CommandFix, CommandInfo};
use crate::error::InputError;
use crate::remediation::RemediationEntry;
use crate::report::{Finding, ReporterEntry, Resource};

/// All checks, sorted by id.
pub fn checks() -> Vec<&'static CheckEntry> {
    let mut all: Vec<_> = inventory::iter::<CheckEntry>.into_iter().collect();
    all.sort_by_key(|c| c.meta.id);
    all
}

pub fn check(id: &str) -> Option<&'static CheckEntry> {
    inventory::iter::<CheckEntry>
        .into_iter()
        .find(|c| c.meta.id == id)
}

/// All remediations, sorted by id.
pub fn remediations() -> Vec<&'static RemediationEntry> {
    let mut all: Vec<_> = inventory::iter::<RemediationEntry>.into_iter().collect();
    all.sort_by_key(|r| r.meta.id);
    all
}

pub fn remediation(id: &str) -> Option<&'static RemediationEntry> {
    inventory::iter::<RemediationEntry>
        .into_iter()
        .find(|r| r.meta.id == id)
}

/// The remediation that fixes a failure of `check` (the one whose `fixes` names it; the
/// registry tests check there is at most one).
pub fn remediation_for(check: &str) -> Option<&'static RemediationEntry> {
    inventory::iter::<RemediationEntry>
        .into_iter()
        .find(|r| r.meta.fixes.contains(&check))
}

/// How s3tk fixes a failing check: a remediation's command, which takes any number of buckets
/// and patterns, or another command that fixes it ([`CommandFix`]), which takes one bucket.
#[derive(Clone, Copy)]
pub enum Fix {
    Remediation(&'static RemediationEntry),
    Command(&'static CommandFix),
}

impl Fix {
    /// The command line for one bucket, `{bucket}` standing for its name (none for the
    /// account's).
    pub fn usage(&self) -> &'static str {
        match self {
            Fix::Remediation(r) => r.meta.usage,
            Fix::Command(c) => c.usage,
        }
    }

    /// Whether its command takes several buckets and patterns at once.
    pub fn takes_many_buckets(&self) -> bool {
        matches!(self, Fix::Remediation(_))
    }

    /// The checks it fixes.
    pub fn fixes(&self) -> &'static [&'static str] {
        match self {
            Fix::Remediation(r) => r.meta.fixes,
            Fix::Command(c) => std::slice::from_ref(&c.check),
        }
    }
}

/// The commands that fix a check without being remediations, as declared beside them.
pub fn command_fixes() -> Vec<&'static CommandFix> {
    let mut all: Vec<_> = inventory::iter::<CommandFix>.into_iter().collect();
    all.sort_by_key(|c| c.check);
    all
}

/// What fixes a failure of `check`: its remediation, else a command declared to fix it (the
/// registry tests check there is at most one of either).
pub fn fix_for(check: &str) -> Option<Fix> {
    remediation_for(check).map(Fix::Remediation).or_else(|| {
        inventory::iter::<CommandFix>
            .into_iter()
            .find(|c| c.check == check)
            .map(Fix::Command)
    })
}

/// The s3tk command that fixes `finding`, when s3tk can fix its check. Formatting commands
/// belongs to the registry, which knows the remediations, not to the report model.
pub fn fix_command(finding: &Finding) -> Option<String> {
    let usage = fix_for(finding.check.id)?.usage();
    Some(match &finding.resource {
        Resource::Bucket(name) => usage.replace("{bucket}", &shell_word(name)),
        Resource::Account(_) | Resource::DnsRecord { .. } => usage.to_owned(),
    })
}

/// Quotes a word for a POSIX shell when it needs it (legacy bucket names may hold odd characters).
pub fn shell_word(word: &str) -> String {
    if word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._/".contains(&b))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The commands that are not plugins, by section (in help order), then name.
pub fn commands() -> Vec<&'static CommandInfo> {
    let mut all: Vec<_> = inventory::iter::<CommandInfo>.into_iter().collect();
    all.sort_by_key(|c| (c.section, c.name()));
    all
}

/// All reporters, sorted by name.
pub fn reporters() -> Vec<&'static ReporterEntry> {
    let mut all: Vec<_> = inventory::iter::<ReporterEntry>.into_iter().collect();
    all.sort_by_key(|r| r.name);
    all
}

pub fn reporter(name: &str) -> Option<&'static ReporterEntry> {
    inventory::iter::<ReporterEntry>
        .into_iter()
        .find(|r| r.name == name)
}

/// Check ids that were split or renamed, and what they stand for now. Ids are API (CI
/// configs, ignore files), so an old id keeps selecting its successors.
pub const RENAMED: &[(&str, &[&str])] = &[
    (
        "s3.bucket.public-acl",
        &["s3.bucket.public-acl-read", "s3.bucket.public-acl-write"],
    ),
    (
        "s3.bucket.public-policy",
        &[
            "s3.bucket.public-policy-read",
            "s3.bucket.public-policy-write",
        ],
    ),
];

/// Whether `selector` names the id, one of its dotted prefixes (`s3.bucket`), or an old id the
/// check replaced.
pub fn selects(selector: &str, id: &str) -> bool {
    let renamed = RENAMED
        .iter()
        .any(|(old, new)| *old == selector && new.contains(&id));
    renamed
        || id == selector
        || id
            .strip_prefix(selector)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The checks `scan` runs: those matching any `only` selector (all when empty), minus those
/// matching any `skip` selector. Opt-in checks run only when their scan flag is in `opt_ins` or
/// `only` names them by id; `scan-dns` checks never. A selector that matches no check is an
/// error, so typos do not silently turn a gate off.
pub fn select_checks(
    only: &[String],
    skip: &[String],
    opt_ins: &[&str],
) -> Result<Vec<&'static CheckEntry>, InputError> {
    let all: Vec<_> = checks()
        .into_iter()
        .filter(|c| c.meta.scope != Scope::Dns)
        .filter(|c| match c.meta.opt_in {
            None => true,
            Some(flag) => opt_ins.contains(&flag) || only.iter().any(|s| s == c.meta.id),
        })
        .collect();
    for selector in only.iter().chain(skip) {
        if !checks().iter().any(|c| selects(selector, c.meta.id)) {
            return Err(InputError::UnknownCheck(selector.clone()));
        }
    }
    let chosen: Vec<_> = all
        .into_iter()
        .filter(|c| only.is_empty() || only.iter().any(|s| selects(s, c.meta.id)))
        .filter(|c| !skip.iter().any(|s| selects(s, c.meta.id)))
        .collect();
    if chosen.is_empty() {
        return Err(InputError::NoChecks);
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registered ids, kept in `checks/ids.snapshot` so that adding, renaming or removing
    /// a check shows in review: ids are API (JSON output, suppressions, CI configs).
    /// `S3TK_UPDATE_SNAPSHOTS=1 cargo test --lib` rewrites it.
    #[test]
    fn check_ids_snapshot() {
        let ids: Vec<_> = checks().iter().map(|c| c.meta.id).collect();
        crate::testing::assert_snapshot_at("checks/ids.snapshot", &(ids.join("\n") + "\n"));
    }

    #[test]
    fn check_ids_are_unique_and_well_formed() {
        let ids: Vec<_> = checks().iter().map(|c| c.meta.id).collect();
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(ids, unique, "duplicate check id");
        for id in ids {
            let parts: Vec<_> = id.split('.').collect();
            assert_eq!(parts.len(), 3, "{id}: expected s3.<scope>.<name>");
            assert_eq!(parts[0], "s3", "{id}");
            assert!(
                ["account", "bucket", "dns"].contains(&parts[1]),
                "{id}: unknown scope"
            );
            let name = parts[2];
            assert!(
                !name.is_empty()
                    && !name.starts_with('-')
                    && !name.ends_with('-')
                    && !name.contains("--")
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}: name must be lowercase kebab-case"
            );
        }
    }

    #[test]
    fn check_files_are_named_after_their_ids() {
        for c in checks() {
            let mut parts = c.meta.id.split('.').skip(1);
            let (scope, name) = (parts.next().unwrap(), parts.next().unwrap());
            let expected = format!("checks/{scope}/{}.rs", name.replace('-', "_"));
            assert!(
                c.meta.source_file.replace('\\', "/").ends_with(&expected),
                "{} is declared in {}, expected {expected}",
                c.meta.id,
                c.meta.source_file
            );
        }
    }

    #[test]
    fn checks_are_documented() {
        for c in checks() {
            let doc = c.meta.doc_text();
            for heading in ["## What it checks", "## Why it matters", "## How to fix"] {
                let section = doc.split(heading).nth(1).unwrap_or_default();
                let body = section.split("\n## ").next().unwrap_or_default();
                assert!(
                    !body.trim().is_empty(),
                    "{}: section '{heading}' is missing or empty",
                    c.meta.id
                );
            }
            let title = c.meta.title;
            assert!(
                !title.is_empty() && !title.ends_with('.'),
                "{}: title must be set, without a period",
                c.meta.id
            );
            assert!(
                title.chars().next().is_some_and(char::is_uppercase),
                "{}: title in sentence case",
                c.meta.id
            );
            assert!(
                !c.meta.facets.is_empty(),
                "{}: declares no facets",
                c.meta.id
            );
        }
    }

    #[test]
    fn remediations_fix_registered_checks_one_each() {
        let checks: Vec<_> = checks().iter().map(|c| c.meta.id).collect();
        let mut fixed = Vec::new();
        for r in remediations() {
            for check in r.meta.fixes {
                assert!(
                    checks.contains(check),
                    "{} fixes unknown check {check}",
                    r.meta.id
                );
                assert!(
                    !fixed.contains(check),
                    "{check} is fixed by two remediations: scan --fix could not choose"
                );
                fixed.push(check);
            }
        }
    }

    #[test]
    fn each_check_has_at_most_one_fix() {
        for c in command_fixes() {
            assert!(
                check(c.check).is_some(),
                "{} fixes unknown check {}",
                c.usage,
                c.check
            );
            assert!(
                remediation_for(c.check).is_none(),
                "{} is fixed by a remediation and by {}",
                c.check,
                c.usage
            );
            assert!(
                c.usage.starts_with("s3tk ") && c.usage.contains("{bucket}"),
                "{}",
                c.usage
            );
            assert_eq!(
                command_fixes()
                    .iter()
                    .filter(|o| o.check == c.check)
                    .count(),
                1,
                "{} has two commands",
                c.check
            );
        }
    }

    /// The registered remediation ids, kept in `remediations/ids.snapshot` like the check ids.
    #[test]
    fn remediation_ids_snapshot() {
        let ids: Vec<_> = remediations().iter().map(|r| r.meta.id).collect();
        crate::testing::assert_snapshot_at("remediations/ids.snapshot", &(ids.join("\n") + "\n"));
    }

    #[test]
    fn remediations_are_well_formed() {
        for r in remediations() {
            let m = r.meta;
            let doc: String = m
                .doc
                .lines()
                .map(|l| l.strip_prefix(' ').unwrap_or(l))
                .collect::<Vec<_>>()
                .join("\n");
            for heading in ["## What it does", "## What can break"] {
                assert!(doc.contains(heading), "{}: missing '{heading}'", m.id);
            }
            assert!(
                m.usage.starts_with("s3tk "),
                "{}: usage is a command line",
                m.id
            );
            let scope_ok = match r.remediation {
                crate::remediation::RemediationKind::Account(_) => {
                    m.id.starts_with("s3.account.") && !m.usage.contains("{bucket}")
                }
                crate::remediation::RemediationKind::Bucket(_) => {
                    m.id.starts_with("s3.bucket.") && m.usage.contains("{bucket}")
                }
            };
            assert!(scope_ok, "{}: scope, id and usage disagree", m.id);
            assert!(!m.fixes.is_empty() && !m.facets.is_empty(), "{}", m.id);
        }
    }

    #[test]
    fn reporters_are_registered_once() {
        let names: Vec<_> = reporters().iter().map(|r| r.name).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names, unique);
        for required in ["json", "junit", "markdown", "sarif", "table"] {
            assert!(names.contains(&required), "reporter {required} missing");
        }
    }

    #[test]
    fn renamed_ids_point_at_registered_checks() {
        for (old, new) in RENAMED {
            assert!(check(old).is_none(), "{old} is both renamed and registered");
            for id in *new {
                assert!(check(id).is_some(), "{old} → {id}, which is not registered");
            }
        }
    }

    #[test]
    fn selection_by_id_and_prefix() {
        let ids = |only: &[&str], skip: &[&str]| {
            let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            select_checks(&own(only), &own(skip), &[])
                .map(|v| v.iter().map(|c| c.meta.id).collect::<Vec<_>>())
        };
        assert_eq!(
            ids(&["s3.bucket.public-acl-read"], &[]).unwrap(),
            ["s3.bucket.public-acl-read"]
        );
        assert_eq!(
            ids(&["s3.bucket.public-acl"], &[]).unwrap(),
            ["s3.bucket.public-acl-read", "s3.bucket.public-acl-write"]
        );
        let default_checks = checks()
            .iter()
            .filter(|c| c.meta.opt_in.is_none() && c.meta.scope != Scope::Dns)
            .count();
        assert_eq!(ids(&["s3"], &[]).unwrap().len(), default_checks);
        assert_eq!(
            ids(&["s3.account"], &[]).unwrap(),
            [
                "s3.account.multi-region-access-point-public-access-block-disabled",
                "s3.account.predictable-bucket-names-unclaimed",
                "s3.account.public-access-block-disabled"
            ]
        );
        let rest = ids(
            &["s3.bucket"],
            &["s3.bucket.public-acl", "s3.bucket.public-policy"],
        )
        .unwrap();
        assert_eq!(
            rest.len(),
            checks()
                .iter()
                .filter(|c| c.meta.id.starts_with("s3.bucket.") && c.meta.opt_in.is_none())
                .count()
                - 4
        );
        // Opt-in checks need their flag or their exact id; scan-dns checks never run in scan.
        assert!(
            !rest
                .iter()
                .any(|id| id.contains("logging-disabled") && id.contains("object"))
        );
        let with_flag = select_checks(&[], &[], &["--object-level-logging"]).unwrap();
        assert!(
            with_flag
                .iter()
                .any(|c| c.meta.id == "s3.bucket.object-write-logging-disabled")
        );
        assert_eq!(
            ids(&["s3.bucket.object-read-logging-disabled"], &[]).unwrap(),
            ["s3.bucket.object-read-logging-disabled"]
        );
        assert_eq!(ids(&["s3.dns"], &[]), Err(InputError::NoChecks));
        assert!(
            !rest
                .iter()
                .any(|id| id.contains("public-acl-") || id.contains("public-policy-"))
        );
        // A prefix must end at a dot: "s3.bucket.public" is not a prefix of "s3.bucket.public-acl-read".
        assert_eq!(
            ids(&["s3.bucket.public"], &[]),
            Err(InputError::UnknownCheck("s3.bucket.public".into()))
        );
        assert_eq!(ids(&[], &["s3"]), Err(InputError::NoChecks));
    }
}

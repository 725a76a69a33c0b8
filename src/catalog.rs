//! The check catalog as data: `s3tk checks --format json|markdown`, and the README's table of
//! checks, which a test keeps identical to the registry.

use crate::check::{CheckMeta, Control};
use crate::registry;
use serde::Serialize;

/// A compliance framework, for `--compliance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Framework {
    /// AWS Foundational Security Best Practices (the Security Hub controls in that standard).
    Fsbp,
    /// Every Security Hub S3 control, FSBP or not.
    Securityhub,
    /// CIS AWS Foundations Benchmark, any version.
    Cis,
}

impl Framework {
    pub fn covers(self, control: &Control) -> bool {
        matches!(
            (self, control),
            (Framework::Fsbp, Control::Fsbp(_))
                | (
                    Framework::Securityhub,
                    Control::Fsbp(_) | Control::SecurityHub(_)
                )
                | (Framework::Cis, Control::Cis(..))
        )
    }
}

/// Security Hub controls, "S3.2 (FSBP)" style.
pub fn security_hub(meta: &CheckMeta) -> Vec<String> {
    meta.compliance
        .iter()
        .filter_map(|c| match c {
            Control::Fsbp(id) => Some(format!("{id} (FSBP)")),
            Control::SecurityHub(id) => Some((*id).to_owned()),
            Control::Cis(..) => None,
        })
        .collect()
}

/// CIS recommendations grouped by id across benchmark versions: "2.1.5 (v1.4–1.5)".
pub fn cis(meta: &CheckMeta) -> Vec<String> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for control in meta.compliance {
        if let Control::Cis(version, id) = control {
            match groups.iter_mut().find(|(g, _)| g == id) {
                Some((_, versions)) => versions.push(version),
                None => groups.push((id, vec![version])),
            }
        }
    }
    groups
        .into_iter()
        .map(|(id, versions)| match versions.as_slice() {
            [one] => format!("{id} (v{one})"),
            [first, .., last] => format!("{id} (v{first}–{last})"),
            [] => id.to_owned(),
        })
        .collect()
}

/// The Markdown table of every check (the README carries exactly this).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| Id | Severity | Title | Security Hub | CIS AWS Foundations |\n| --- | --- | --- | --- | --- |\n",
    );
    for entry in registry::checks() {
        let m = entry.meta;
        let or_dash = |v: Vec<String>| {
            if v.is_empty() {
                "–".to_owned()
            } else {
                v.join(", ")
            }
        };
        let runs = match (m.scope, m.opt_in) {
            (crate::check::Scope::Dns, _) => " (`scan-dns`)".to_owned(),
            (_, Some(flag)) => format!(" (with `{flag}`)"),
            _ => String::new(),
        };
        out += &format!(
            "| `{}` | {} | {}{runs} | {} | {} |\n",
            m.id,
            m.severity,
            m.title,
            or_dash(security_hub(m)),
            or_dash(cis(m))
        );
    }
    out
}

#[derive(Serialize)]
struct JsonCheck {
    id: &'static str,
    title: &'static str,
    scope: crate::check::Scope,
    severity: crate::check::Severity,
    iam_actions: Vec<&'static str>,
    remediation: Option<&'static str>,
    /// The scan flag that turns the check on, if it does not always run.
    opt_in: Option<&'static str>,
    compliance: Vec<String>,
    doc: String,
}

/// Every IAM action a full scan may need: the checks' facets, the bucket list and region
/// lookup, sorted.
pub fn scan_iam_actions() -> Vec<&'static str> {
    crate::iam::command_actions("scan")
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// The remediation commands with the IAM actions each needs (the README carries exactly this).
pub fn remediation_table() -> String {
    let mut out = String::from(
        "| Command | Fixes | Safe for `scan --fix --apply` | IAM actions |\n| --- | --- | --- | --- |\n",
    );
    for entry in registry::remediations() {
        let m = entry.meta;
        let fixes: Vec<String> = m.fixes.iter().map(|f| format!("`{f}`")).collect();
        let actions: Vec<String> = crate::iam::remediation_actions(m)
            .iter()
            .map(|a| format!("`{a}`"))
            .collect();
        let usage = m.usage.replace("{bucket}", "BUCKET");
        out += &format!(
            "| `{usage}` | {} | {} | {} |\n",
            fixes.join(", "),
            if m.safe { "yes" } else { "no" },
            actions.join(", ")
        );
    }
    out
}

/// The object commands with the IAM actions each needs (the README carries exactly this).
pub fn object_command_table() -> String {
    let mut out = String::from("| Command | What it does | IAM actions |\n| --- | --- | --- |\n");
    for info in crate::objects::COMMANDS {
        let actions: Vec<String> = info
            .iam_actions()
            .iter()
            .map(|a| format!("`{a}`"))
            .collect();
        out += &format!(
            "| `{}` | {} | {} |\n",
            info.usage,
            info.summary,
            actions.join(", ")
        );
    }
    out
}

/// Every check as a JSON array.
pub fn json() -> String {
    let checks: Vec<JsonCheck> = registry::checks()
        .into_iter()
        .map(|e| JsonCheck {
            id: e.meta.id,
            title: e.meta.title,
            scope: e.meta.scope,
            severity: e.meta.severity,
            iam_actions: e.meta.iam_actions(),
            remediation: registry::remediation_for(e.meta.id).map(|r| r.meta.id),
            opt_in: e.meta.opt_in,
            compliance: e.meta.compliance.iter().map(ToString::to_string).collect(),
            doc: e.meta.doc_text(),
        })
        .collect();
    serde_json::to_string_pretty(&checks).expect("the catalog serialises") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// README writes under `S3TK_UPDATE_SNAPSHOTS=1`, one at a time (tests run in parallel).
    static README_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn readme_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")
    }

    /// Where the README's text between `start_marker` and the next `end_marker` is.
    fn section_range(readme: &str, start_marker: &str, end_marker: &str) -> std::ops::Range<usize> {
        let start = readme
            .find(start_marker)
            .unwrap_or_else(|| panic!("README has the {start_marker} marker"))
            + start_marker.len();
        let end = start
            + readme[start..]
                .find(end_marker)
                .unwrap_or_else(|| panic!("README has the {end_marker} marker"));
        start..end
    }

    /// Asserts that the README's generated section is `expected`; with
    /// `S3TK_UPDATE_SNAPSHOTS=1`, writes it there instead.
    fn assert_readme_section(start_marker: &str, end_marker: &str, expected: &str, what: &str) {
        let _one_at_a_time = README_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let readme = std::fs::read_to_string(readme_path()).expect("README.md");
        let range = section_range(&readme, start_marker, end_marker);
        if &readme[range.clone()] == expected {
            return;
        }
        if std::env::var("S3TK_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
            let mut updated = readme.clone();
            updated.replace_range(range, expected);
            std::fs::write(readme_path(), updated).expect("README.md written");
            return;
        }
        panic!(
            "README's {what} is out of date; `S3TK_UPDATE_SNAPSHOTS=1 cargo test --lib` regenerates it:\n{expected}"
        );
    }

    #[test]
    fn readme_table_matches_the_registry() {
        assert_readme_section(
            "<!-- checks:start -->\n",
            "<!-- checks:end -->",
            &markdown_table(),
            "check table",
        );
    }

    /// Security Hub's S3 controls and whether each is in the FSBP standard (peers.md §a.2,
    /// from Security Hub's "Amazon S3 controls" page).
    const SECURITY_HUB: &[(&str, bool)] = &[
        ("S3.1", true),
        ("S3.2", true),
        ("S3.3", true),
        ("S3.5", true),
        ("S3.6", true),
        ("S3.7", false),
        ("S3.8", true),
        ("S3.9", true),
        ("S3.10", false),
        ("S3.11", false),
        ("S3.12", true),
        ("S3.13", true),
        ("S3.14", false),
        ("S3.15", false),
        ("S3.17", false),
        ("S3.19", true),
        ("S3.20", false),
        ("S3.22", false),
        ("S3.23", false),
        ("S3.24", true),
        ("S3.25", true),
    ];

    /// CIS AWS Foundations S3 recommendations by benchmark version (peers.md §a.3), with the
    /// topic each covers.
    const CIS: &[(&str, &str, &str)] = &[
        ("1.4", "2.1.1", "encryption"),
        ("1.5", "2.1.1", "encryption"),
        ("1.4", "2.1.2", "tls"),
        ("1.5", "2.1.2", "tls"),
        ("2.0", "2.1.1", "tls"),
        ("3.0", "2.1.1", "tls"),
        ("4.0", "2.1.1", "tls"),
        ("5.0", "2.1.1", "tls"),
        ("6.0", "3.1.1", "tls"),
        ("7.0", "3.1.1", "tls"),
        ("1.4", "2.1.3", "mfa-delete"),
        ("1.5", "2.1.3", "mfa-delete"),
        ("2.0", "2.1.2", "mfa-delete"),
        ("3.0", "2.1.2", "mfa-delete"),
        ("4.0", "2.1.2", "mfa-delete"),
        ("5.0", "2.1.2", "mfa-delete"),
        ("6.0", "3.1.2", "mfa-delete"),
        ("7.0", "3.1.2", "mfa-delete"),
        ("1.4", "2.1.5", "block-public-access"),
        ("1.5", "2.1.5", "block-public-access"),
        ("2.0", "2.1.4", "block-public-access"),
        ("3.0", "2.1.4", "block-public-access"),
        ("4.0", "2.1.4", "block-public-access"),
        ("5.0", "2.1.4", "block-public-access"),
        ("6.0", "3.1.4", "block-public-access"),
        ("7.0", "3.1.4", "block-public-access"),
        ("7.0", "2.21", "principal-star"),
        ("1.4", "3.10", "data-events-write"),
        ("1.5", "3.10", "data-events-write"),
        ("2.0", "3.10", "data-events-write"),
        ("3.0", "3.8", "data-events-write"),
        ("4.0", "3.8", "data-events-write"),
        ("5.0", "3.8", "data-events-write"),
        ("6.0", "4.8", "data-events-write"),
        ("7.0", "4.8", "data-events-write"),
        ("1.4", "3.11", "data-events-read"),
        ("1.5", "3.11", "data-events-read"),
        ("2.0", "3.11", "data-events-read"),
        ("3.0", "3.9", "data-events-read"),
        ("4.0", "3.9", "data-events-read"),
        ("5.0", "3.9", "data-events-read"),
        ("6.0", "4.9", "data-events-read"),
        ("7.0", "4.9", "data-events-read"),
    ];

    /// The CIS topic each mapped check implements.
    const CHECK_TOPICS: &[(&str, &str)] = &[
        (
            "s3.account.public-access-block-disabled",
            "block-public-access",
        ),
        (
            "s3.bucket.public-access-block-disabled",
            "block-public-access",
        ),
        ("s3.bucket.insecure-transport", "tls"),
        ("s3.bucket.mfa-delete-disabled", "mfa-delete"),
        ("s3.bucket.default-encryption-disabled", "encryption"),
        ("s3.bucket.public-policy-read", "principal-star"),
        ("s3.bucket.public-policy-write", "principal-star"),
        (
            "s3.bucket.object-write-logging-disabled",
            "data-events-write",
        ),
        ("s3.bucket.object-read-logging-disabled", "data-events-read"),
    ];

    /// The Security Hub controls each check implements, decided against the control
    /// descriptions (a swapped id fails here even though it exists).
    const SECURITY_HUB_BY_CHECK: &[(&str, &[&str])] = &[
        (
            "s3.account.multi-region-access-point-public-access-block-disabled",
            &["S3.24"],
        ),
        ("s3.account.public-access-block-disabled", &["S3.1"]),
        (
            "s3.bucket.access-point-public-access-block-disabled",
            &["S3.19"],
        ),
        ("s3.bucket.acls-enabled", &["S3.12"]),
        ("s3.bucket.cross-region-replication-disabled", &["S3.7"]),
        ("s3.bucket.event-notifications-disabled", &["S3.11"]),
        ("s3.bucket.insecure-transport", &["S3.5"]),
        ("s3.bucket.kms-encryption-disabled", &["S3.17"]),
        ("s3.bucket.lifecycle-missing", &["S3.13"]),
        ("s3.bucket.logging-disabled", &["S3.9"]),
        ("s3.bucket.mfa-delete-disabled", &["S3.20"]),
        ("s3.bucket.object-read-logging-disabled", &["S3.23"]),
        ("s3.bucket.object-write-logging-disabled", &["S3.22"]),
        ("s3.bucket.object-lock-disabled", &["S3.15"]),
        ("s3.bucket.public-access-block-disabled", &["S3.8"]),
        ("s3.bucket.public-acl-read", &["S3.2"]),
        ("s3.bucket.public-acl-write", &["S3.3"]),
        ("s3.bucket.public-policy-read", &["S3.2"]),
        ("s3.bucket.public-policy-write", &["S3.3"]),
        ("s3.bucket.versioned-without-lifecycle", &["S3.10"]),
        ("s3.bucket.versioning-disabled", &["S3.14"]),
    ];

    #[test]
    fn each_check_has_exactly_its_security_hub_controls() {
        for entry in registry::checks() {
            let id = entry.meta.id;
            let mut actual: Vec<&str> = entry
                .meta
                .compliance
                .iter()
                .filter_map(|c| match c {
                    Control::Fsbp(c) | Control::SecurityHub(c) => Some(*c),
                    Control::Cis(..) => None,
                })
                .collect();
            actual.sort_unstable();
            let expected = SECURITY_HUB_BY_CHECK
                .iter()
                .find(|(c, _)| *c == id)
                .map_or(&[][..], |(_, controls)| *controls);
            assert_eq!(actual, expected, "{id}");
        }
    }

    #[test]
    fn compliance_references_match_the_frameworks() {
        for entry in registry::checks() {
            let id = entry.meta.id;
            let topic = CHECK_TOPICS.iter().find(|(c, _)| *c == id).map(|(_, t)| *t);
            for control in entry.meta.compliance {
                match control {
                    Control::Fsbp(c) | Control::SecurityHub(c) => {
                        let fsbp = matches!(control, Control::Fsbp(_));
                        assert!(
                            SECURITY_HUB.contains(&(c, fsbp)),
                            "{id}: {control} is not a Security Hub control with that FSBP membership"
                        );
                    }
                    Control::Cis(version, c) => {
                        let listed = CIS.iter().find(|(v, i, _)| v == version && i == c);
                        assert!(listed.is_some(), "{id}: CIS {version} {c} does not exist");
                        assert_eq!(
                            Some(listed.unwrap().2),
                            topic,
                            "{id}: CIS {version} {c} covers another topic"
                        );
                    }
                }
            }
            // A check mapped to a CIS topic lists that topic in every benchmark version.
            if let Some(topic) = topic {
                for (version, c, _) in CIS.iter().filter(|(_, _, t)| *t == topic) {
                    assert!(
                        entry.meta.compliance.contains(&Control::Cis(version, c)),
                        "{id}: CIS {version} {c} is missing"
                    );
                }
            }
        }
    }

    #[test]
    fn readme_iam_policy_table_matches_the_declarations() {
        assert_readme_section(
            "<!-- iam:policies -->\n",
            "<!-- iam:policies:end -->",
            &crate::iam::markdown_table(),
            "IAM policy table",
        );
    }

    #[test]
    fn readme_remediation_table_matches_the_registry() {
        assert_readme_section(
            "<!-- remediations:start -->\n",
            "<!-- remediations:end -->",
            &remediation_table(),
            "remediation table",
        );
    }

    #[test]
    fn readme_exit_code_table_matches_the_policy() {
        assert_readme_section(
            "<!-- exit-codes:start -->\n",
            "<!-- exit-codes:end -->",
            &crate::exit::markdown_table(),
            "exit-code table",
        );
    }

    #[test]
    fn readme_object_command_table_matches_the_commands() {
        assert_readme_section(
            "<!-- objects:start -->\n",
            "<!-- objects:end -->",
            &object_command_table(),
            "object command table",
        );
    }

    #[test]
    fn readme_iam_list_matches_the_checks() {
        let expected: Vec<String> = scan_iam_actions()
            .iter()
            .map(|a| format!("`{a}`"))
            .collect();
        assert_readme_section(
            "<!-- iam:scan -->\n",
            "<!-- iam:end -->",
            &format!("{}\n", expected.join(", ")),
            "IAM list for scan",
        );
    }

    #[test]
    fn cis_versions_are_grouped() {
        let meta = registry::check("s3.bucket.public-access-block-disabled")
            .unwrap()
            .meta;
        assert_eq!(
            cis(meta),
            ["2.1.5 (v1.4–1.5)", "2.1.4 (v2.0–5.0)", "3.1.4 (v6.0–7.0)"]
        );
        assert_eq!(security_hub(meta), ["S3.8 (FSBP)"]);
    }
}

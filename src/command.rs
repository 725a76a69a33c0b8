//! Commands that are not plugins (the bucket-policy, object and batch-job commands) declare
//! themselves here, beside their code: usage, help and every API they may call. Each
//! registers its [`CommandInfo`] with `inventory::submit!`, so `iam-policy` and the README find
//! every command and its IAM actions in one declaration, as they do for checks and
//! remediations. (`scan` and `scan-dns` need what their checks declare.)

use crate::facet::Facet;

/// What a command is, for its `--help`, the README and `iam-policy`.
pub struct CommandInfo {
    pub usage: &'static str,
    pub summary: &'static str,
    /// What it does / why it matters / what to know.
    pub doc: &'static str,
    /// Every API it may call, which determines the IAM actions it needs.
    pub facets: &'static [Facet],
    /// Other names it answers to (`replace-policy` for `set-policy`, as in s3tk 0.5).
    pub aliases: &'static [&'static str],
    /// Where `iam-policy` and the README list it.
    pub section: Section,
}

/// The families of commands, in help order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    BucketPolicy,
    Objects,
    BatchJobs,
}

inventory::collect!(CommandInfo);

/// A check that a command other than a remediation fixes, declared beside that command
/// (`update-policy --secure-transport` fixes `s3.bucket.insecure-transport`), so that
/// `scan --fix` and the reports' `fix_command` name it as they name a remediation's command.
/// Such commands take one bucket.
pub struct CommandFix {
    pub check: &'static str,
    /// The command line for one bucket, `{bucket}` standing for its name.
    pub usage: &'static str,
}

inventory::collect!(CommandFix);

impl CommandInfo {
    /// `s3tk encrypt BUCKET` → `encrypt`.
    pub fn name(&self) -> &'static str {
        self.usage.split_whitespace().nth(1).unwrap_or(self.usage)
    }

    /// Whether `name` is its name or one of its aliases.
    pub fn is_called(&self, name: &str) -> bool {
        self.name() == name || self.aliases.contains(&name)
    }

    pub fn iam_actions(&self) -> Vec<&'static str> {
        let mut actions: Vec<&'static str> = self
            .facets
            .iter()
            .flat_map(|f| f.iam_actions())
            .copied()
            .collect();
        actions.sort_unstable();
        actions.dedup();
        actions
    }

    /// The `--help` text: the summary, the documentation and the IAM actions.
    pub fn long_help(&self) -> String {
        format!(
            "{}.\n\n{}\n\n## IAM actions\n\n{}",
            self.summary,
            self.doc,
            self.iam_actions().join(", ")
        )
    }
}

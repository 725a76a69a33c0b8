//! The exit-code policy of every command, in one place: each command tallies what its items came
//! to ([`Tally`]) and the code follows from the tally alone, so `scan`, the remediations, the
//! policy, object and batch commands cannot drift apart again. The README's exit-code table is
//! generated from [`TABLE`] (`readme_exit_code_table_matches_the_policy`).
//!
//! The order is the order of urgency for someone reading the code in a script: a known bad
//! state (1) outranks not knowing (3), because a re-run cannot make 1 go away by itself.

/// Done, or clean: nothing failed, nothing was left undone.
pub const CLEAN: u8 = 0;
/// Findings, or something left unfixed (refused, still failing after a change, declined).
pub const UNRESOLVED: u8 = 1;
/// Usage or configuration error, reported before any request is sent.
pub const USAGE: u8 = 2;
/// Something could not be evaluated or performed (an error answer, a missing bucket, a pattern
/// that matched nothing), and nothing counted for [`UNRESOLVED`].
pub const INCOMPLETE: u8 = 3;
/// `batch-status` without `--wait`: the job has not ended yet. Its own code, so that a polling
/// loop can tell "running" from "not found" (3) and from "failed" (1).
pub const RUNNING: u8 = 4;
/// Interrupted by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;

/// What a command's items came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    unresolved: bool,
    incomplete: bool,
    interrupted: bool,
}

impl Tally {
    /// A finding, or an item left unfixed.
    pub fn unresolved(&mut self) {
        self.unresolved = true;
    }

    /// An item that could not be evaluated or performed.
    pub fn incomplete(&mut self) {
        self.incomplete = true;
    }

    pub fn interrupted(&mut self) {
        self.interrupted = true;
    }

    /// Both tallies at once (`scan --fix --apply`: the report and the fixes).
    pub fn merge(self, other: Tally) -> Tally {
        Tally {
            unresolved: self.unresolved || other.unresolved,
            incomplete: self.incomplete || other.incomplete,
            interrupted: self.interrupted || other.interrupted,
        }
    }

    /// 130 when interrupted, else 1 when anything is unresolved, else 3 when anything could not
    /// be done, else 0.
    pub fn code(self) -> u8 {
        if self.interrupted {
            INTERRUPTED
        } else if self.unresolved {
            UNRESOLVED
        } else if self.incomplete {
            INCOMPLETE
        } else {
            CLEAN
        }
    }
}

/// Every code: what it means, and what it means command by command.
pub const TABLE: &[(u8, &str, &str)] = &[
    (
        CLEAN,
        "done, or clean",
        "`scan`, `scan-dns`: no failing finding at or above `--fail-on` (muted findings don't count). \
         Remediations: every bucket fixed, already fixed or not applicable. Policy commands: written \
         and read back, or nothing to change; `--dry-run` shown. Object commands: every object done, \
         already done or kept on purpose; `scan-object-acl`: no public object. `batch-status`: the job \
         completed without failures. `--dry-run` of any command: the plan was shown and nothing in it \
         is refused or skipped.",
    ),
    (
        UNRESOLVED,
        "findings, or something left unfixed",
        "`scan`: a failing finding at or above `--fail-on` (with `--fix --apply`: after the fixes). \
         Remediations: a bucket refused (e.g. `disable-acls` without `--force`; in a `--dry-run` \
         too) or still failing after the change; the confirmation declined. `set-policy` refusing to drop statements, a public \
         policy S3 would refuse. `scan-object-acl`: a public object; other object commands: an object \
         changed during the run or left unencrypted (archived, …). `batch-status`: the job failed, was \
         cancelled or some objects failed.",
    ),
    (
        USAGE,
        "usage or configuration error; nothing was written",
        "A bad option, bucket name, pattern, region, check id, key, policy, job id or file; no \
         credentials, or S3 rejected them; a change to every bucket (or a pattern's) without a \
         terminal to confirm on and without `--yes`. Reported in one line on stderr before any \
         request (rejected credentials: at the first; a current policy that cannot be parsed, or a \
         new one S3 would refuse: after reading the policy, before writing).",
    ),
    (
        INCOMPLETE,
        "could not evaluate or perform, and nothing counted for 1",
        "A check could not be evaluated (`error` findings), the bucket list could not be read, a \
         named bucket does not exist, a bucket pattern matched no bucket, S3 refused a read or a \
         write (access denied, throttled, network), an object could not be read or changed (or S3 \
         did not confirm its change), the listing stopped, a batch job could not be created, \
         `batch-status` of a job that does not exist. `scan --sns-topic` publishing failed: 3 even with \
         failing findings, since the summary is published only then and 1 would hide that it was not sent.",
    ),
    (
        RUNNING,
        "still running",
        "`batch-status` without `--wait`: the job has not ended; run it again, or with `--wait`.",
    ),
    (
        INTERRUPTED,
        "interrupted",
        "Ctrl-C: what finished is reported (a scan writes the report of the buckets scanned, an \
         object command finishes the writes in flight); nothing is fixed or published after it. \
         A second Ctrl-C quits at once.",
    ),
];

/// The README's exit-code table.
pub fn markdown_table() -> String {
    let mut table = String::from("| Code | Meaning | By command |\n| --- | --- | --- |\n");
    for (code, meaning, detail) in TABLE {
        table += &format!("| {code} | {meaning} | {detail} |\n");
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unresolved_outranks_incomplete_and_interruption_outranks_both() {
        let mut tally = Tally::default();
        assert_eq!(tally.code(), CLEAN);
        tally.incomplete();
        assert_eq!(tally.code(), INCOMPLETE);
        tally.unresolved();
        assert_eq!(tally.code(), UNRESOLVED);
        tally.interrupted();
        assert_eq!(tally.code(), INTERRUPTED);
        let mut only_incomplete = Tally::default();
        only_incomplete.incomplete();
        let mut only_unresolved = Tally::default();
        only_unresolved.unresolved();
        assert_eq!(only_incomplete.merge(only_unresolved).code(), UNRESOLVED);
    }

    #[test]
    fn every_code_has_one_row() {
        let codes: Vec<u8> = TABLE.iter().map(|(c, _, _)| *c).collect();
        assert_eq!(
            codes,
            [CLEAN, UNRESOLVED, USAGE, INCOMPLETE, RUNNING, INTERRUPTED]
        );
    }
}

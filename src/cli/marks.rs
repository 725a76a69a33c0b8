//! How a status looks on a terminal: one table of marks and colours for every status the CLI
//! prints (remediation outcomes, object records, batch tasks), so a mark means the same thing
//! in every command and `grep ✘` finds every failure.

use crate::fix::FixOutcome;
use crate::objects::Status;

/// A status by what it asks of the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Fine as it is.
    Pass,
    /// Fine now: s3tk changed it.
    Changed,
    /// A finding, a refusal or an error.
    Fail,
    /// Would change without `--dry-run`.
    Pending,
    /// Changed by someone else meanwhile: look again.
    Conflict,
    /// Left alone.
    Skip,
}

/// A tone's mark and its colour (an SGR code).
struct Look {
    mark: &'static str,
    color: &'static str,
}

impl Tone {
    /// The table.
    const fn look(self) -> Look {
        let (mark, color) = match self {
            Tone::Pass => ("✔", "32"),     // green
            Tone::Changed => ("✔", "34"),  // blue
            Tone::Fail => ("✘", "31"),     // red
            Tone::Pending => ("~", "33"),  // yellow
            Tone::Conflict => ("!", "33"), // yellow
            Tone::Skip => ("-", "90"),     // grey
        };
        Look { mark, color }
    }

    pub fn mark(self) -> &'static str {
        self.look().mark
    }

    /// `text` in the tone's colour when `color` is on (the CLI decided: a terminal, no
    /// NO_COLOR), else as it is.
    pub fn paint(self, text: &str, color: bool) -> String {
        if color {
            format!("\x1b[{}m{text}\x1b[0m", self.look().color)
        } else {
            text.to_owned()
        }
    }

    /// A remediation's outcome on one bucket or account.
    pub fn of_fix(outcome: &FixOutcome) -> Tone {
        match outcome {
            FixOutcome::Already(_) => Tone::Pass,
            FixOutcome::Skipped(_) => Tone::Skip,
            FixOutcome::WouldChange(_) => Tone::Pending,
            FixOutcome::Changed { .. } => Tone::Changed,
            FixOutcome::Refused(_) | FixOutcome::Failed(_) => Tone::Fail,
        }
    }

    /// An object command's result on one object.
    pub fn of_object(status: Status) -> Tone {
        match status {
            Status::Ok => Tone::Pass,
            Status::Finding | Status::Error => Tone::Fail,
            Status::WouldChange => Tone::Pending,
            Status::Changed => Tone::Changed,
            Status::Skipped => Tone::Skip,
            Status::Conflict => Tone::Conflict,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Tone; 6] = [
        Tone::Pass,
        Tone::Changed,
        Tone::Fail,
        Tone::Pending,
        Tone::Conflict,
        Tone::Skip,
    ];

    #[test]
    fn each_tone_looks_different_and_only_failures_are_crossed() {
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                let (x, y) = (a.look(), b.look());
                assert!(
                    (x.mark, x.color) != (y.mark, y.color),
                    "{a:?} looks like {b:?}"
                );
            }
            assert_eq!(a.mark() == "✘", *a == Tone::Fail, "{a:?}");
        }
    }

    #[test]
    fn paint_colours_only_when_asked() {
        assert_eq!(Tone::Fail.paint("✘ a", false), "✘ a");
        assert_eq!(Tone::Fail.paint("✘ a", true), "\x1b[31m✘ a\x1b[0m");
        assert_eq!(Tone::of_object(Status::Error), Tone::Fail);
        assert_eq!(
            Tone::of_fix(&FixOutcome::Skipped(String::new())),
            Tone::Skip
        );
    }
}

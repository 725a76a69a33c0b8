//! The confirmation before a mass change. A write command that names no bucket (every bucket
//! in the account), or names a pattern, may change hundreds of buckets in seconds; s3tk 0.5
//! did so without asking. Here such a command first plans, then shows how many buckets it
//! would change (and a few names) and asks on the terminal. Without a terminal it needs
//! `--yes`, and without it stops before any request (exit 2), so that a script never hangs on a
//! question nobody sees nor changes every bucket because a variable was empty. Buckets named
//! one by one never prompt, and neither does `--dry-run`.
//!
//! The question goes through [`Prompt`], so tests can answer it without a terminal.

use super::Failure;
use crate::select::BucketSelector;
use std::io::{self, BufRead, IsTerminal, Write};

/// Who answers the question.
pub trait Prompt {
    /// Whether someone can answer: stdin and stderr are terminals.
    fn is_interactive(&self) -> bool;
    /// Asks `question` (on stderr), reads one answer; `true` only for `y` or `yes`.
    fn ask(&self, question: &str) -> io::Result<bool>;
}

/// The terminal: the question on stderr, the answer from stdin.
pub struct Terminal;

impl Prompt for Terminal {
    fn is_interactive(&self) -> bool {
        io::stdin().is_terminal() && io::stderr().is_terminal()
    }

    fn ask(&self, question: &str) -> io::Result<bool> {
        let quit_on_ctrl_c = QuitOnCtrlC::start();
        // stderr is not held while waiting: the Ctrl-C listener writes to it.
        eprint!("{question} [y/N] ");
        io::stderr().flush()?;
        let mut answer = String::new();
        let read = io::stdin().lock().read_line(&mut answer);
        quit_on_ctrl_c.stop();
        if read? == 0 {
            // End of input (Ctrl-D): end the question's line, and take it as no.
            eprintln!();
        }
        Ok(is_yes(&answer))
    }
}

/// Ctrl-C while the question waits ends s3tk (exit 130), as it would without s3tk's own
/// handlers. A scan installs one (its first Ctrl-C writes the partial report), and s3tk's one
/// thread is blocked reading the answer, so that handler could not run: a second thread with
/// its own runtime listens instead. Nothing has been written yet when the question is asked.
struct QuitOnCtrlC {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl QuitOnCtrlC {
    /// Returns once the listener is in place, so a Ctrl-C typed as soon as the question shows
    /// is never caught by another handler.
    fn start() -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, listening) = std::sync::mpsc::channel::<()>();
        let thread = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()
            .map(|runtime| {
                std::thread::spawn(move || {
                    runtime.block_on(async {
                        use tokio::signal::unix::{SignalKind, signal};
                        let Ok(mut interrupt) = signal(SignalKind::interrupt()) else {
                            ready.send(()).ok();
                            return;
                        };
                        ready.send(()).ok();
                        tokio::select! {
                            Some(()) = interrupt.recv() => {
                                eprintln!();
                                std::process::exit(i32::from(crate::exit::INTERRUPTED));
                            }
                            _ = stopped => {}
                        }
                    });
                })
            });
        if thread.is_some() {
            listening.recv().ok();
        }
        QuitOnCtrlC {
            stop: Some(stop),
            thread,
        }
    }

    fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// How a write command's change is confirmed: `--yes`, `--dry-run`, and whether its selection
/// is a mass change.
pub struct Confirmation<'a> {
    pub prompt: &'a dyn Prompt,
    pub yes: bool,
    pub dry_run: bool,
    /// What a mass change reaches (`every bucket in the account`); `None` for buckets named
    /// one by one.
    pub reach: Option<String>,
}

/// What a selection reaches when it is a mass change: every bucket (none named), or a
/// pattern's buckets, which the person typing it cannot see.
pub fn mass_reach(selectors: &[BucketSelector]) -> Option<String> {
    if selectors.is_empty() {
        return Some("every bucket in the account".into());
    }
    let patterns: Vec<String> = selectors
        .iter()
        .filter_map(|s| match s {
            BucketSelector::Pattern(glob) => Some(format!("'{glob}'")),
            BucketSelector::Name(_) => None,
        })
        .collect();
    (!patterns.is_empty()).then(|| format!("every bucket matching {}", patterns.join(", ")))
}

/// How many names the question shows.
const NAMES_SHOWN: usize = 5;

impl Confirmation<'_> {
    fn needed(&self) -> bool {
        self.reach.is_some() && !self.dry_run && !self.yes
    }

    /// Before any request: a mass change that nobody can confirm is a usage error.
    pub fn check_possible(&self, command: &str) -> Result<(), Failure> {
        if let (true, false, Some(reach)) =
            (self.needed(), self.prompt.is_interactive(), &self.reach)
        {
            return Err(Failure::Usage(format!(
                "{command} would change {}, and there is no terminal to confirm on: add --yes (-y), name the buckets, or see the plan with --dry-run",
                crate::output::printable(reach)
            )));
        }
        Ok(())
    }

    /// After planning: whether to go ahead with changing `changing` (bucket names) out of
    /// `selected`. Asks only when needed and there is something to change.
    pub fn go_ahead(&self, what: &str, changing: &[&str], selected: usize) -> io::Result<bool> {
        if !self.needed() || changing.is_empty() {
            return Ok(true);
        }
        let n = changing.len();
        let shown: Vec<_> = changing[..n.min(NAMES_SHOWN)]
            .iter()
            .map(|name| crate::output::printable(name))
            .collect();
        let mut names = shown.join(", ");
        if n > NAMES_SHOWN {
            names += &format!(" and {} more", n - NAMES_SHOWN);
        }
        eprintln!(
            "{what}: {n} of {selected} selected {} would change: {names}",
            buckets(selected)
        );
        let yes = self.prompt.ask(&format!("Change {n} {}?", buckets(n)))?;
        if !yes {
            eprintln!("Nothing changed.");
        }
        Ok(yes)
    }
}

fn buckets(n: usize) -> &'static str {
    if n == 1 { "bucket" } else { "buckets" }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A prompt with a scripted answer that records the questions.
    pub struct Scripted {
        pub interactive: bool,
        pub answer: bool,
        pub asked: RefCell<Vec<String>>,
    }

    impl Scripted {
        pub fn new(interactive: bool, answer: bool) -> Self {
            Scripted {
                interactive,
                answer,
                asked: RefCell::new(Vec::new()),
            }
        }
    }

    impl Prompt for Scripted {
        fn is_interactive(&self) -> bool {
            self.interactive
        }

        fn ask(&self, question: &str) -> io::Result<bool> {
            self.asked.borrow_mut().push(question.to_owned());
            Ok(self.answer)
        }
    }

    fn confirmation(prompt: &Scripted, yes: bool, dry_run: bool, mass: bool) -> Confirmation<'_> {
        Confirmation {
            prompt,
            yes,
            dry_run,
            reach: mass.then(|| "every bucket in the account".to_owned()),
        }
    }

    #[test]
    fn only_unnamed_or_patterned_selections_are_mass_changes() {
        let parse = |args: &[&str]| {
            BucketSelector::parse_all(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
                .unwrap()
        };
        assert_eq!(
            mass_reach(&parse(&[])).as_deref(),
            Some("every bucket in the account")
        );
        assert_eq!(
            mass_reach(&parse(&["app", "logs-*", "b?"])).as_deref(),
            Some("every bucket matching 'logs-*', 'b?'")
        );
        assert_eq!(mass_reach(&parse(&["app", "logs"])), None);
    }

    #[test]
    fn a_mass_change_asks_with_the_count_and_follows_the_answer() {
        let names = ["a", "b", "c", "d", "e", "f", "g"];
        let declined = Scripted::new(true, false);
        let c = confirmation(&declined, false, false, true);
        assert!(c.check_possible("enable-versioning").is_ok());
        assert!(!c.go_ahead("Enable versioning", &names, 9).unwrap());
        assert_eq!(*declined.asked.borrow(), ["Change 7 buckets?"]);
        let accepted = Scripted::new(true, true);
        let c = confirmation(&accepted, false, false, true);
        assert!(c.go_ahead("Enable versioning", &names[..1], 1).unwrap());
        assert_eq!(*accepted.asked.borrow(), ["Change 1 bucket?"]);
    }

    #[test]
    fn named_buckets_dry_runs_yes_and_nothing_to_change_never_ask() {
        let prompt = Scripted::new(false, false);
        for (yes, dry_run, mass) in [
            (false, false, false),
            (false, true, true),
            (true, false, true),
        ] {
            let c = confirmation(&prompt, yes, dry_run, mass);
            assert!(c.check_possible("enable-versioning").is_ok());
            assert!(c.go_ahead("Enable versioning", &["a"], 1).unwrap());
        }
        let interactive = Scripted::new(true, false);
        let c = confirmation(&interactive, false, false, true);
        assert!(c.go_ahead("Enable versioning", &[], 4).unwrap());
        assert!(prompt.asked.borrow().is_empty() && interactive.asked.borrow().is_empty());
    }

    #[test]
    fn without_a_terminal_a_mass_change_needs_yes() {
        let prompt = Scripted::new(false, true);
        let err = confirmation(&prompt, false, false, true)
            .check_possible("enable-versioning")
            .expect_err("refused");
        let Failure::Usage(message) = err else {
            panic!("not a usage error");
        };
        assert!(message.starts_with(
            "enable-versioning would change every bucket in the account, and there is no terminal"
        ));
        assert!(message.contains("add --yes") && !message.contains('\n'));
    }

    #[test]
    fn only_y_or_yes_is_yes() {
        for yes in ["y\n", "Y\n", "yes\n", " YES \n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["\n", "", "n\n", "no\n", "yep\n", "y es\n"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }
}

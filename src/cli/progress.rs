//! The one progress line of the long-running commands (`scan`, the remediations, `list-policy`,
//! the object commands, `batch-status --wait`): on
//! stderr, only when stderr is a terminal, redrawn in place at most every 100 ms and erased
//! before anything else is printed. It has no colour, so NO_COLOR leaves it as it is.

use std::cell::RefCell;
use std::io::{self, IsTerminal};
use std::time::{Duration, Instant};

/// How often the line may be redrawn: faster is flicker, and costs the walk time.
const EVERY: Duration = Duration::from_millis(100);

pub struct ProgressLine {
    shown: bool,
    /// When the line on screen was drawn; `None` when none is.
    drawn: Option<Instant>,
}

impl ProgressLine {
    /// A line that is drawn when `wanted` and stderr is a terminal.
    pub fn new(wanted: bool) -> Self {
        ProgressLine {
            shown: wanted && io::stderr().is_terminal(),
            drawn: None,
        }
    }

    pub fn is_shown(&self) -> bool {
        self.shown
    }

    /// Draws the line `text` builds, unless one was drawn less than 100 ms ago.
    pub fn draw(&mut self, text: impl FnOnce() -> String) {
        if self.shown && self.drawn.is_none_or(|at| at.elapsed() >= EVERY) {
            eprint!("\r\x1b[2K{}", text());
            self.drawn = Some(Instant::now());
        }
    }

    /// Erases the line, if one is drawn; the next [`draw`](Self::draw) draws at once.
    pub fn clear(&mut self) {
        if self.drawn.take().is_some() {
            eprint!("\r\x1b[2K");
        }
    }
}

/// The progress line of a command's work on many buckets (stderr, on a terminal).
pub struct BucketProgress {
    line: RefCell<ProgressLine>,
}

impl BucketProgress {
    pub fn new(buckets: usize) -> Self {
        BucketProgress {
            line: RefCell::new(ProgressLine::new(buckets > 1)),
        }
    }

    /// The callback that draws `VERB done/total buckets`.
    pub fn step<'a>(&'a self, verb: &'a str) -> impl Fn(usize, usize) + 'a {
        move |done, total| {
            self.line
                .borrow_mut()
                .draw(|| format!("{verb} {done}/{total} buckets"));
        }
    }

    pub fn clear(&self) {
        self.line.borrow_mut().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redraws_at_most_every_100_ms_and_at_once_after_clearing() {
        let mut line = ProgressLine {
            shown: true,
            drawn: None,
        };
        let mut drawn = 0;
        line.draw(|| {
            drawn += 1;
            String::new()
        });
        line.draw(|| {
            drawn += 1;
            String::new()
        });
        assert_eq!(drawn, 1, "redrawn within 100 ms");
        line.clear();
        line.draw(|| {
            drawn += 1;
            String::new()
        });
        assert_eq!(drawn, 2, "not drawn after clearing");
        let mut hidden = ProgressLine::new(false);
        hidden.draw(|| unreachable!("a line nobody wants is built"));
        assert!(!hidden.is_shown());
    }
}

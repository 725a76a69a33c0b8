//! The object commands' output: one record per object on stdout (text or JSON Lines), the
//! progress line on stderr, then the summary.

use crate::cli::Failure;
use crate::cli::args::ObjectFormat;
use crate::cli::marks::Tone;
use crate::cli::progress::ProgressLine;
use crate::objects::Record;
use crate::objects::walk::{Counts, Event, Totals};
use crate::output::printable;
use crate::pacing::Stop;
use crate::report::Style;
use serde_json::json;
use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

pub(super) type SharedStdout = Arc<Mutex<io::BufWriter<io::Stdout>>>;

/// The records' stdout. Bytes reach the shared buffer only as whole lines, under the lock
/// that the second Ctrl-C takes before it flushes and quits, so a JSON Lines record is never
/// cut in half, however the run ends.
struct RecordOut {
    shared: SharedStdout,
    /// The start of a line not yet ended.
    pending: Vec<u8>,
}

impl Write for RecordOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') {
            let mut out = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            out.write_all(&self.pending[..=end])?;
            self.pending.drain(..=end);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut out = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        out.write_all(&self.pending)?;
        self.pending.clear();
        out.flush()
    }
}

/// Writes results to stdout and the progress line to stderr.
pub(super) struct Printer {
    format: ObjectFormat,
    color: bool,
    out: RecordOut,
    /// Flush each line: someone is watching.
    stdout_is_terminal: bool,
    progress: ProgressLine,
    write_error: Option<io::Error>,
    /// The listing's retry note last printed (without a progress line).
    listing_note: Option<String>,
}

/// `1520 objects · 310/s · 2 errors · 3000 listed`, then what slows the run down, if anything
/// (`· 40 throttled, 8 requests at a time`, `· listing: …`).
fn progress_line(counts: &Counts) -> String {
    let mut line = format!(
        "{} objects · {:.0}/s · {} errors · {} listed",
        counts.done,
        counts.rate(),
        counts.errors,
        counts.listed
    );
    if counts.throttled > 0 {
        line += &format!(
            " · {} throttled, {} requests at a time",
            counts.throttled, counts.allowed
        );
    }
    if let Some(why) = &counts.listing_retry {
        line += &format!(" · listing: {why}");
    }
    line
}

impl Printer {
    pub(super) fn new(format: ObjectFormat, style: Style) -> Self {
        Printer {
            format,
            color: style.color,
            out: RecordOut {
                shared: Arc::new(Mutex::new(io::BufWriter::new(io::stdout()))),
                pending: Vec::new(),
            },
            stdout_is_terminal: io::stdout().is_terminal(),
            progress: ProgressLine::new(true),
            write_error: None,
            listing_note: None,
        }
    }

    pub(super) fn shared_stdout(&self) -> SharedStdout {
        Arc::clone(&self.out.shared)
    }

    pub(super) fn event(&mut self, event: Event<'_>, stop: &Stop) {
        let counts = match event {
            Event::Record(record, counts) => {
                if self.write_error.is_none() {
                    self.progress.clear();
                    if let Err(e) = self.record(record) {
                        // stdout is gone (`| head`) or failing: stop taking new objects.
                        stop.stop();
                        self.write_error = Some(e);
                    }
                }
                counts
            }
            Event::Tick(counts) => counts,
        };
        // Without a progress line, say once per failing streak why the listing waits.
        if !self.progress.is_shown() && counts.listing_retry != self.listing_note {
            if let Some(why) = &counts.listing_retry {
                eprintln!("note: listing: {why}");
            }
            self.listing_note.clone_from(&counts.listing_retry);
        }
        self.progress.draw(|| progress_line(counts));
    }

    fn record(&mut self, record: &Record) -> io::Result<()> {
        match self.format {
            ObjectFormat::Json => {
                let mut value = serde_json::to_value(record).map_err(io::Error::other)?;
                value
                    .as_object_mut()
                    .expect("a record is an object")
                    .insert("type".into(), json!("object"));
                writeln!(self.out, "{value}")?;
            }
            ObjectFormat::Text => {
                let tone = Tone::of_object(record.status);
                let mut line = format!("{} {}", tone.mark(), record.key);
                if let Some(v) = &record.version_id {
                    line += &format!(" (version {v})");
                }
                line += &format!(": {}", record.result);
                if let Some(detail) = &record.detail {
                    line += &format!(": {detail}");
                }
                writeln!(self.out, "{}", tone.paint(&printable(&line), self.color))?;
            }
        }
        if self.stdout_is_terminal {
            self.out.flush()?;
        }
        Ok(())
    }

    /// A batch job created (or, in a dry run, prepared): one line after the summary.
    pub(super) fn batch_job(
        &mut self,
        value: serde_json::Value,
        text: String,
    ) -> Result<(), Failure> {
        match self.format {
            ObjectFormat::Json => writeln!(self.out, "{value}")?,
            ObjectFormat::Text => writeln!(self.out, "{text}")?,
        }
        self.out.flush()?;
        Ok(())
    }

    /// The bucket's settings answered without walking: say so, as the summary.
    pub(super) fn finish_early(
        &mut self,
        command: &str,
        bucket: &str,
        outcome: &str,
        message: &str,
    ) -> Result<(), Failure> {
        match self.format {
            ObjectFormat::Json => writeln!(
                self.out,
                "{}",
                json!({"type": "summary", "command": command, "bucket": bucket, "outcome": outcome, "message": message, "handled": 0})
            )?,
            ObjectFormat::Text if outcome == "done" => {
                writeln!(self.out, "{}", printable(message))?
            }
            ObjectFormat::Text => {}
        }
        self.out.flush()?;
        Ok(())
    }

    pub(super) fn summary(
        &mut self,
        command: &str,
        bucket: &str,
        dry_run: bool,
        notes: &[String],
        totals: &Totals,
    ) -> Result<(), Failure> {
        self.progress.clear();
        if let Some(e) = self.write_error.take() {
            return Err(Failure::Output(e));
        }
        let c: &Counts = &totals.counts;
        let secs = totals.elapsed.as_secs_f64();
        match self.format {
            ObjectFormat::Json => writeln!(
                self.out,
                "{}",
                json!({
                    "type": "summary",
                    "command": command,
                    "bucket": bucket,
                    "dry_run": dry_run,
                    "outcome": if totals.interrupted { "interrupted" } else if totals.listing_error.is_some() { "listing failed" } else { "done" },
                    "listed": c.listed,
                    "handled": c.done,
                    "results": c.results,
                    "statuses": c.statuses,
                    "elapsed_seconds": (secs * 1000.0).round() / 1000.0,
                    "objects_per_second": (c.rate() * 10.0).round() / 10.0,
                    "notes": notes,
                    "listing_error": totals.listing_error.as_ref().map(ToString::to_string),
                    "resume_after": totals.listing_error.as_ref().and(totals.resume_after.as_ref()),
                    "throttled": c.throttled,
                })
            )?,
            ObjectFormat::Text => {
                let mut results: Vec<(&String, &u64)> = c.results.iter().collect();
                results.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                writeln!(self.out)?;
                writeln!(self.out, "Summary")?;
                if results.is_empty() {
                    writeln!(self.out, "no objects selected")?;
                }
                for (result, n) in results {
                    writeln!(self.out, "{result}: {n}")?;
                }
            }
        }
        self.out.flush()?;
        tell_stderr(command, totals);
        Ok(())
    }
}

/// The summary's stderr part: the rate, the throttling, and why the walk did not finish.
fn tell_stderr(command: &str, totals: &Totals) {
    let c = &totals.counts;
    eprintln!(
        "{command}: {} objects in {:.1} s ({:.0}/s), {} keys listed",
        c.done,
        totals.elapsed.as_secs_f64(),
        c.rate(),
        c.listed
    );
    if c.throttled > 0 {
        eprintln!(
            "note: S3 throttled {} requests; each was retried, and s3tk slowed down to as few as {} requests at a time",
            c.throttled, totals.lowest_allowed
        );
    }
    if let Some(e) = &totals.listing_error {
        let resume = match &totals.resume_after {
            Some(key) => format!(
                "continue with --start-after {} (the last key whose objects were all handled)",
                shell_quote(key)
            ),
            None => "run the command again".into(),
        };
        eprintln!(
            "error: the listing stopped after {} keys: {}; the objects after that were not handled: {resume}",
            c.listed,
            printable(&e.to_string())
        );
    }
    if totals.interrupted {
        eprintln!(
            "interrupted after {} objects; every object was either finished or left untouched: run the command again to complete it",
            c.done
        );
    }
}

/// `key` as one shell word: single-quoted, with `'` written as `'\''`.
fn shell_quote(key: &str) -> String {
    format!("'{}'", key.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn resume_keys_are_one_shell_word() {
        assert_eq!(shell_quote("logs/a b.gz"), "'logs/a b.gz'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn the_progress_line_shows_done_rate_errors_and_listed() {
        let counts = Counts {
            listed: 3000,
            done: 1520,
            errors: 2,
            started: Some(Instant::now() - Duration::from_secs(4)),
            ..Counts::default()
        };
        let line = progress_line(&counts);
        assert!(line.starts_with("1520 objects · 38"), "{line}");
        assert!(line.ends_with("/s · 2 errors · 3000 listed"), "{line}");
    }
}

//! The ignore file: reviewed exceptions that mute failing findings.
//!
//! ```toml
//! [[ignore]]
//! check = "s3.bucket.versioning-disabled"   # an id or a dotted prefix; omit for every check
//! bucket = "scratch-*"                      # a name or a wildcard pattern; omit for every bucket
//! reason = "scratch data, deleted nightly"  # required
//! expires = 2027-03-31                      # optional: stops muting after this day (UTC)
//! ```
//!
//! A muted finding is still reported in every format, with its reason; it never counts towards
//! `--fail-on`. An expired entry mutes nothing and draws a warning, so exceptions get reviewed.

use crate::error::InputError;
use crate::registry;
use crate::report::{Finding, Status};
use crate::select::BucketSelector;
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// The file read when `--ignore-file` is not given, if it exists in the working directory.
pub const DEFAULT_IGNORE_FILE: &str = ".s3tk-ignore.toml";

/// Reviewed exceptions fit in far less; more is a wrong file (or `/dev/zero`).
const IGNORE_FILE_LIMIT: u64 = 1 << 20;

/// A calendar date (UTC), as in `expires`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting impossible days (`2027-02-30`).
    pub fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<u32>().ok();
        let (year, month, day) = (num(0..4)? as i32, num(5..7)?, num(8..10)?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// Today in UTC.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day count.
    fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One `[[ignore]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreEntry {
    pub check: Option<String>,
    pub bucket: Option<BucketSelector>,
    pub reason: String,
    pub expires: Option<Date>,
    /// Where the entry starts in the file, for messages.
    pub line: usize,
}

impl IgnoreEntry {
    fn matches(&self, finding: &Finding) -> bool {
        let check_ok = self
            .check
            .as_deref()
            .is_none_or(|c| registry::selects(c, finding.check.id));
        let bucket_ok = match &self.bucket {
            None => true,
            Some(BucketSelector::Name(name)) => finding.resource.bucket() == Some(name.as_str()),
            Some(BucketSelector::Pattern(glob)) => {
                finding.resource.bucket().is_some_and(|b| glob.is_match(b))
            }
        };
        check_ok && bucket_ok
    }

    fn describe(&self) -> String {
        let check = self.check.as_deref().unwrap_or("every check");
        let bucket = match &self.bucket {
            None => "every bucket".to_owned(),
            Some(BucketSelector::Name(n)) => n.clone(),
            Some(BucketSelector::Pattern(g)) => g.to_string(),
        };
        format!("{check} on {bucket}")
    }
}

/// A parsed ignore file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreFile {
    pub path: String,
    pub entries: Vec<IgnoreEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    ignore: Vec<toml::Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    check: Option<String>,
    bucket: Option<String>,
    reason: String,
    expires: Option<toml::Value>,
}

impl IgnoreFile {
    /// Reads and validates the file; every problem names the line at fault.
    pub fn load(path: &Path) -> Result<IgnoreFile, InputError> {
        let text = crate::input::read_bounded_text(
            path,
            "ignore file",
            IGNORE_FILE_LIMIT,
            "1 MiB; an ignore file lists reviewed exceptions, not data",
        )
        .map_err(InputError::Other)?;
        Self::parse(&path.display().to_string(), &text)
    }

    pub fn parse(path: &str, text: &str) -> Result<IgnoreFile, InputError> {
        let at = |offset: usize, message: String| {
            let line = text[..offset.min(text.len())].matches('\n').count() + 1;
            InputError::Other(format!("{path} line {line}: {message}"))
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            at(offset, e.message().trim().to_owned())
        })?;
        let mut entries = Vec::new();
        for spanned in raw.ignore {
            let offset = spanned.span().start;
            let raw = spanned.into_inner();
            let line = text[..offset].matches('\n').count() + 1;
            if raw.reason.trim().is_empty() {
                return Err(at(
                    offset,
                    "`reason` must say why the finding is acceptable".into(),
                ));
            }
            if raw.check.is_none() && raw.bucket.is_none() {
                return Err(at(
                    offset,
                    "an entry must name a `check`, a `bucket` or both".into(),
                ));
            }
            if let Some(check) = &raw.check {
                let known = registry::checks()
                    .iter()
                    .any(|c| registry::selects(check, c.meta.id));
                if !known {
                    return Err(at(
                        offset,
                        format!("no check matches '{check}' (see `s3tk checks`)"),
                    ));
                }
            }
            let bucket = raw
                .bucket
                .as_deref()
                .map(BucketSelector::parse)
                .transpose()
                .map_err(|e| at(offset, e.to_string()))?;
            let expires = match raw.expires {
                None => None,
                Some(value) => {
                    let text = match &value {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Datetime(d) => d.to_string(),
                        other => other.to_string(),
                    };
                    Some(Date::parse(&text).ok_or_else(|| {
                        at(
                            offset,
                            format!("`expires` must be a date like 2027-03-31, not {text}"),
                        )
                    })?)
                }
            };
            entries.push(IgnoreEntry {
                check: raw.check,
                bucket,
                reason: raw.reason,
                expires,
                line,
            });
        }
        Ok(IgnoreFile {
            path: path.to_owned(),
            entries,
        })
    }

    /// Mutes the failing findings that an unexpired entry matches; returns one warning per
    /// expired entry.
    pub fn apply(&self, findings: &mut [Finding], today: Date) -> Vec<String> {
        let (active, expired): (Vec<&IgnoreEntry>, Vec<&IgnoreEntry>) = self
            .entries
            .iter()
            .partition(|e| e.expires.is_none_or(|d| d >= today));
        for finding in findings.iter_mut().filter(|f| f.status == Status::Fail) {
            if let Some(entry) = active.iter().find(|e| e.matches(finding)) {
                finding.status = Status::Muted;
                finding.muted_reason = Some(entry.reason.clone());
            }
        }
        expired
            .iter()
            .map(|e| {
                format!(
                    "{} line {}: the exception for {} expired on {} and no longer mutes anything",
                    self.path,
                    e.line,
                    e.describe(),
                    e.expires.expect("expired entries have a date")
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_report;

    #[test]
    fn dates() {
        assert_eq!(
            Date::parse("2027-02-28"),
            Some(Date {
                year: 2027,
                month: 2,
                day: 28
            })
        );
        assert_eq!(
            Date::parse("2028-02-29").map(|d| d.to_string()).as_deref(),
            Some("2028-02-29")
        );
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "2027-04-31",
            "27-01-01",
            "2027-1-01",
            "2027/01/01",
            "tomorrow",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(20_784).to_string(),
            "2026-11-27"
        );
        assert_eq!(
            Date::from_days_since_epoch(11_016).to_string(),
            "2000-02-29"
        );
    }

    fn error(text: &str) -> String {
        IgnoreFile::parse(".s3tk-ignore.toml", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn invalid_files_name_the_line() {
        assert_eq!(
            error("[[ignore]]\ncheck = \"s3.bucket.public-acl\"\nbucket = \"b\"\n"),
            ".s3tk-ignore.toml line 1: missing field `reason`"
        );
        assert_eq!(
            error(
                "\n[[ignore]]\ncheck = \"s3.bucket.public-acl\"\nreason = \"r\"\nexpires = \"2027-02-30\"\n"
            ),
            ".s3tk-ignore.toml line 2: `expires` must be a date like 2027-03-31, not 2027-02-30"
        );
        assert_eq!(
            error("[[ignore]]\ncheck = \"s3.bucket.nope\"\nreason = \"r\"\n"),
            ".s3tk-ignore.toml line 1: no check matches 's3.bucket.nope' (see `s3tk checks`)"
        );
        assert_eq!(
            error("[[ignore]]\nreason = \"r\"\n"),
            ".s3tk-ignore.toml line 1: an entry must name a `check`, a `bucket` or both"
        );
        assert_eq!(
            error("[[ignore]]\nbucket = \"b\"\nreason = \"  \"\n"),
            ".s3tk-ignore.toml line 1: `reason` must say why the finding is acceptable"
        );
        assert!(
            error("[[ignore]]\nbucket = \"bad[\"\nreason = \"r\"\n")
                .starts_with(".s3tk-ignore.toml line 1: invalid bucket pattern 'bad['")
        );
        assert!(error("[[ignore]\n").starts_with(".s3tk-ignore.toml line 1: "));
        assert!(
            error("[[ignore]]\nbucket = \"b\"\nreason = \"r\"\nowner = \"me\"\n")
                .starts_with(".s3tk-ignore.toml line 4: unknown field `owner`")
        );
    }

    #[test]
    fn mutes_only_failures_until_expiry() {
        let file = IgnoreFile::parse(
            "ignore.toml",
            "[[ignore]]\ncheck = \"s3.bucket\"\nbucket = \"site*\"\nreason = \"public website\"\nexpires = 2027-01-31\n\n\
             [[ignore]]\nbucket = \"app-logs\"\nreason = \"errors are not muted\"\n",
        )
        .unwrap();
        let mut findings = sample_report().findings;
        let warnings = file.apply(&mut findings, Date::parse("2027-01-31").unwrap());
        assert!(warnings.is_empty());
        let muted: Vec<_> = findings
            .iter()
            .filter(|f| f.muted_reason.as_deref() == Some("public website"))
            .collect();
        assert_eq!(
            muted.len(),
            1,
            "only the failing finding on site|www_<b> is muted"
        );
        assert_eq!(
            (muted[0].check.id, muted[0].status),
            ("s3.bucket.public-policy-read", Status::Muted)
        );
        assert!(
            findings
                .iter()
                .any(|f| f.resource.bucket() == Some("app-logs") && f.status == Status::Error)
        );

        let mut findings = sample_report().findings;
        let warnings = file.apply(&mut findings, Date::parse("2027-02-01").unwrap());
        assert_eq!(
            warnings,
            [
                "ignore.toml line 1: the exception for s3.bucket on site* expired on 2027-01-31 and no longer mutes anything"
            ]
        );
        assert!(
            findings
                .iter()
                .all(|f| f.muted_reason.as_deref() != Some("public website"))
        );
    }
}

//! Bucket selection, shared by every bucket command: no argument means every bucket in the
//! account; an argument is a bucket name or a wildcard pattern (see [`crate::glob`]).
//!
//! Names are used as given, without listing, so scanning a named bucket needs no
//! `s3:ListAllMyBuckets`. A named bucket that does not exist surfaces later as an `error`
//! finding (its region lookup answers NoSuchBucket), never as a silent skip or a pass.

use crate::aws::S3Clients;
use crate::error::{FetchError, InputError};
use crate::glob::{self, Glob};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketSelector {
    Name(String),
    Pattern(Glob),
}

impl BucketSelector {
    /// Parses one command-line argument, rejecting what can never be a bucket name or pattern.
    pub fn parse(arg: &str) -> Result<Self, InputError> {
        if glob::has_wildcards(arg) {
            check_characters(arg, "*?[]!^\\").map_err(|reason| InputError::BucketPattern {
                pattern: arg.to_owned(),
                reason,
            })?;
            let glob = Glob::new(arg).map_err(|e| InputError::BucketPattern {
                pattern: arg.to_owned(),
                reason: e.to_string(),
            })?;
            Ok(BucketSelector::Pattern(glob))
        } else {
            validate_bucket_name(arg).map_err(|reason| InputError::BucketName {
                name: arg.to_owned(),
                reason,
            })?;
            Ok(BucketSelector::Name(arg.to_owned()))
        }
    }

    pub fn parse_all(args: &[String]) -> Result<Vec<Self>, InputError> {
        args.iter().map(|a| Self::parse(a)).collect()
    }

    pub fn matches(&self, bucket: &str) -> bool {
        match self {
            BucketSelector::Name(name) => name == bucket,
            BucketSelector::Pattern(glob) => glob.is_match(bucket),
        }
    }
}

/// Bucket naming rules, loosened to what legacy us-east-1 buckets may still carry (uppercase,
/// `_`, up to 255 characters), so that no existing bucket is refused.
pub fn validate_bucket_name(name: &str) -> Result<(), String> {
    if let Some(rest) = name.strip_prefix("s3://") {
        return Err(format!(
            "write the bucket name without 's3://' (e.g. '{}')",
            rest.trim_end_matches('/')
        ));
    }
    check_characters(name, "")?;
    if name.len() < 3 {
        return Err("bucket names have at least 3 characters".into());
    }
    if name.len() > 255 {
        return Err("bucket names have at most 63 characters (255 for legacy buckets)".into());
    }
    Ok(())
}

/// Log object keys are the target prefix plus what S3 appends: up to the account, region,
/// bucket and date folders and a time-stamped unique name in the partitioned format.
const LOG_KEY_SUFFIX_BYTES: usize = 160;
/// S3's limit on an object key.
const MAX_KEY_BYTES: usize = 1024;
/// The longest bucket name `{bucket}` can stand for (legacy names up to 255 are rarer still).
const LONGEST_BUCKET_NAME: usize = 63;

/// A `--log-prefix` template: `{bucket}` is its only placeholder; any other brace is a typo
/// that would otherwise be written literally into every bucket's logging configuration.
pub fn validate_log_prefix(template: &str) -> Result<(), String> {
    if let Some(c) = template.chars().find(|c| c.is_control()) {
        return Err(format!(
            "it contains a control character (U+{:04X})",
            u32::from(c)
        ));
    }
    let mut rest = template;
    let mut placeholders = 0;
    while let Some(at) = rest.find(['{', '}']) {
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("{bucket}") {
            placeholders += 1;
            rest = after;
            continue;
        }
        let position = template[..template.len() - tail.len()].chars().count();
        return Err(if tail.starts_with('}') {
            format!(
                "'}}' at position {position} closes nothing; the only placeholder is {{bucket}}"
            )
        } else {
            match tail.find('}') {
                Some(end) if !tail[1..end].contains('{') => format!(
                    "unknown placeholder '{}'; the only placeholder is {{bucket}}",
                    &tail[..=end]
                ),
                _ => format!(
                    "'{{' at position {position} is never closed; the only placeholder is {{bucket}}"
                ),
            }
        });
    }
    let longest = template.len() + placeholders * LONGEST_BUCKET_NAME.saturating_sub(8);
    if longest + LOG_KEY_SUFFIX_BYTES > MAX_KEY_BYTES {
        return Err(format!(
            "it is too long: with a {LONGEST_BUCKET_NAME}-character bucket name it takes {longest} bytes, and with the \
             {LOG_KEY_SUFFIX_BYTES} bytes S3 appends log keys would pass S3's {MAX_KEY_BYTES}-byte key limit"
        ));
    }
    Ok(())
}

/// Whether anyone could create a bucket with this name today (the current naming rules, which
/// are stricter than what legacy buckets may hold): 3–63 characters of lowercase letters,
/// digits, dots and hyphens, starting and ending with a letter or digit, no `..`, not an IPv4
/// address, and none of the reserved prefixes and suffixes.
pub fn check_creatable_bucket_name(name: &str) -> Result<(), String> {
    if !(3..=63).contains(&name.len()) {
        return Err("bucket names have 3 to 63 characters".into());
    }
    if let Some(c) = name
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'))
    {
        return Err(format!("bucket names cannot contain {c:?}"));
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Err("bucket names start and end with a letter or digit".into());
    }
    if name.contains("..") {
        return Err("bucket names cannot contain '..'".into());
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("bucket names cannot be IP addresses".into());
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Err(format!("bucket names cannot start with '{prefix}'"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return Err(format!("bucket names cannot end with '{suffix}'"));
        }
    }
    Ok(())
}

fn check_characters(text: &str, extra: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("it is empty".into());
    }
    match text.chars().find(|&c| {
        !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') || extra.contains(c))
    }) {
        Some('/') => {
            Err("bucket names cannot contain '/'; give the bucket only, not a key or prefix".into())
        }
        Some(c) => Err(format!("bucket names cannot contain {c:?}")),
        None => Ok(()),
    }
}

/// A bucket chosen for a command, with the region ListBuckets reported when it was listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedBucket {
    pub name: String,
    pub listed_region: Option<String>,
}

/// The outcome of selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Sorted by name, without duplicates.
    pub buckets: Vec<SelectedBucket>,
    /// Patterns that matched no bucket (worth a warning: a typo would otherwise pass silently).
    pub unmatched: Vec<String>,
    /// The account's whole bucket list (name, listed region) when selecting needed it, so that
    /// checks reading the list do not ask for it again.
    pub listed: Option<Vec<(String, Option<String>)>>,
}

/// Resolves selectors into buckets, listing the account's buckets only when needed.
pub async fn resolve(
    clients: &S3Clients,
    selectors: &[BucketSelector],
) -> Result<Selection, FetchError> {
    let needs_list = selectors.is_empty()
        || selectors
            .iter()
            .any(|s| matches!(s, BucketSelector::Pattern(_)));
    if !needs_list {
        return Ok(choose(Vec::new(), selectors, true));
    }
    let listed: Vec<_> = clients
        .list_buckets()
        .await?
        .into_iter()
        .map(|b| (b.name, b.region))
        .collect();
    Ok(Selection {
        listed: Some(listed.clone()),
        ..choose(listed, selectors, true)
    })
}

/// The buckets of `listed` (name, listed region) that the selectors choose, every bucket when
/// there are none. A name not listed is chosen anyway when `names_beyond_list` (a live scan
/// reads it, and reports it missing), else it is unmatched like a pattern (recorded state has
/// nothing on it).
pub fn choose(
    listed: Vec<(String, Option<String>)>,
    selectors: &[BucketSelector],
    names_beyond_list: bool,
) -> Selection {
    let mut chosen: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut unmatched = Vec::new();
    for s in selectors {
        let matched = listed.iter().any(|(name, _)| s.matches(name));
        match s {
            BucketSelector::Pattern(g) if !matched => unmatched.push(g.to_string()),
            BucketSelector::Name(name) if !matched && !names_beyond_list => {
                unmatched.push(name.clone());
            }
            BucketSelector::Name(name) => {
                chosen.insert(name.clone(), None);
            }
            BucketSelector::Pattern(_) => {}
        }
    }
    for (name, region) in listed {
        if selectors.is_empty() || selectors.iter().any(|s| s.matches(&name)) {
            chosen.insert(name, region);
        }
    }
    Selection {
        buckets: chosen
            .into_iter()
            .map(|(name, listed_region)| SelectedBucket {
                name,
                listed_region,
            })
            .collect(),
        unmatched,
        listed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_prefixes_have_one_placeholder_and_fit_a_key() {
        for good in [
            "{bucket}/",
            "logs/{bucket}/",
            "",
            "s3/",
            "{bucket}-{bucket}/",
        ] {
            assert_eq!(validate_log_prefix(good), Ok(()), "{good}");
        }
        for (bad, reason) in [
            (
                "{buckt}/",
                "unknown placeholder '{buckt}'; the only placeholder is {bucket}",
            ),
            (
                "logs/{bucket",
                "'{' at position 5 is never closed; the only placeholder is {bucket}",
            ),
            (
                "{{bucket}}/",
                "'{' at position 0 is never closed; the only placeholder is {bucket}",
            ),
            (
                "logs}/",
                "'}' at position 4 closes nothing; the only placeholder is {bucket}",
            ),
            (
                "{Bucket}/",
                "unknown placeholder '{Bucket}'; the only placeholder is {bucket}",
            ),
            (
                "journaux-été/{bucket",
                "'{' at position 13 is never closed; the only placeholder is {bucket}",
            ),
            ("logs/\u{1b}[2K", "it contains a control character (U+001B)"),
            ("a\tb", "it contains a control character (U+0009)"),
        ] {
            assert_eq!(validate_log_prefix(bad), Err(reason.to_owned()), "{bad}");
        }
        assert_eq!(validate_log_prefix(&"x".repeat(864)), Ok(()));
        assert!(
            validate_log_prefix(&"x".repeat(865))
                .unwrap_err()
                .starts_with("it is too long: with a 63-character bucket name it takes 865 bytes")
        );
        assert!(validate_log_prefix(&format!("{}{{bucket}}", "x".repeat(810))).is_err());
    }

    #[test]
    fn names_and_patterns() {
        assert_eq!(
            BucketSelector::parse("my-bucket").unwrap(),
            BucketSelector::Name("my-bucket".into())
        );
        assert!(matches!(
            BucketSelector::parse("my-bucket*").unwrap(),
            BucketSelector::Pattern(_)
        ));
        assert!(matches!(
            BucketSelector::parse("logs-[0-9]?").unwrap(),
            BucketSelector::Pattern(_)
        ));
        assert!(BucketSelector::parse("Legacy_Bucket").is_ok());
    }

    #[test]
    fn rejects_what_cannot_be_a_bucket() {
        let reason = |arg: &str| BucketSelector::parse(arg).unwrap_err().to_string();
        assert_eq!(
            reason("s3://b1/"),
            "invalid bucket name 's3://b1/': write the bucket name without 's3://' (e.g. 'b1')"
        );
        assert!(reason("bucket/key").contains("cannot contain '/'"));
        assert!(reason("ab").contains("at least 3"));
        assert!(reason("a b c").contains("' '"));
        assert!(reason("bad[").contains("never closed"));
        assert!(reason("x*y z").starts_with("invalid bucket pattern"));
        assert!(reason("").contains("empty"));
        assert!(reason(&"a".repeat(256)).contains("at most 63"));
    }
}

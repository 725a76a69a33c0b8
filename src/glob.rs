//! Shell-style wildcard patterns: `*` (any run of characters, including none), `?` (exactly one
//! character), `[abc]`, `[a-z]`, `[!a-z]` / `[^a-z]` (one character in / not in the set), and
//! `\x` for a literal `x`. Everything else matches itself; matching is case-sensitive, as
//! bucket names and object keys are.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    AnyOne,
    AnyRun,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    #[error("'[' at position {0} is never closed")]
    UnclosedClass(usize),
    #[error("range {0}-{1} is backwards")]
    BackwardsRange(char, char),
    #[error("pattern ends with an unfinished escape '\\'")]
    TrailingEscape,
}

/// Whether the text contains any wildcard character, i.e. should be treated as a pattern.
pub fn has_wildcards(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Self, GlobError> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' => {
                    if tokens.last() != Some(&Token::AnyRun) {
                        tokens.push(Token::AnyRun);
                    }
                }
                '?' => tokens.push(Token::AnyOne),
                '\\' => {
                    i += 1;
                    tokens.push(Token::Literal(
                        *chars.get(i).ok_or(GlobError::TrailingEscape)?,
                    ));
                }
                '[' => {
                    let start = i;
                    i += 1;
                    let negated = matches!(chars.get(i), Some('!' | '^'));
                    if negated {
                        i += 1;
                    }
                    let mut ranges = Vec::new();
                    // A ']' right after the opening bracket is a member, as in POSIX.
                    let mut first = true;
                    loop {
                        let c = *chars.get(i).ok_or(GlobError::UnclosedClass(start))?;
                        if c == ']' && !first {
                            break;
                        }
                        first = false;
                        if chars.get(i + 1) == Some(&'-')
                            && chars.get(i + 2).is_some_and(|&e| e != ']')
                        {
                            let end = chars[i + 2];
                            if end < c {
                                return Err(GlobError::BackwardsRange(c, end));
                            }
                            ranges.push((c, end));
                            i += 3;
                        } else {
                            ranges.push((c, c));
                            i += 1;
                        }
                    }
                    tokens.push(Token::Class { negated, ranges });
                }
                c => tokens.push(Token::Literal(c)),
            }
            i += 1;
        }
        Ok(Glob {
            pattern: pattern.to_owned(),
            tokens,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern matches the whole of `text`.
    pub fn is_match(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        let (mut t, mut p) = (0, 0);
        // Where to resume after the last `*`: (pattern index after it, text index it covers to).
        let mut resume: Option<(usize, usize)> = None;
        while t < text.len() {
            match self.tokens.get(p) {
                Some(Token::AnyRun) => {
                    resume = Some((p + 1, t));
                    p += 1;
                }
                Some(token) if token_matches(token, text[t]) => {
                    p += 1;
                    t += 1;
                }
                _ => match resume {
                    Some((rp, rt)) => {
                        p = rp;
                        t = rt + 1;
                        resume = Some((rp, rt + 1));
                    }
                    None => return false,
                },
            }
        }
        self.tokens[p..].iter().all(|tok| *tok == Token::AnyRun)
    }

    /// The literal text every match starts with (e.g. `logs/2017/*.gz` → `logs/2017/`).
    pub fn literal_prefix(&self) -> String {
        self.tokens
            .iter()
            .map_while(|t| match t {
                Token::Literal(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// Whether the pattern has no wildcard at all (after escapes), so it names one string.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Literal(_)))
    }
}

fn token_matches(token: &Token, c: char) -> bool {
    match token {
        Token::Literal(l) => *l == c,
        Token::AnyOne => true,
        Token::AnyRun => true,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)) != *negated
        }
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        Glob::new(pattern).unwrap().is_match(text)
    }

    #[test]
    fn wildcards() {
        assert!(m("my-bucket*", "my-bucket"));
        assert!(m("my-bucket*", "my-bucket-logs"));
        assert!(!m("my-bucket*", "your-my-bucket"));
        assert!(m("*-logs", "prod-logs"));
        assert!(m("*a*b*c", "xxaxxbxxc"));
        assert!(!m("*a*b*c", "xxaxxcxxb"));
        assert!(m("b?", "b1"));
        assert!(!m("b?", "b"));
        assert!(!m("b?", "b12"));
        assert!(m("*", ""));
        assert!(m("a**b", "ab"));
        assert!(m("s3tk-demo-privat?", "s3tk-demo-private"));
    }

    #[test]
    fn classes() {
        assert!(m("log[0-9]", "log7"));
        assert!(!m("log[0-9]", "logx"));
        assert!(m("log[!0-9]", "logx"));
        assert!(m("log[^0-9]", "logx"));
        assert!(!m("log[!0-9]", "log1"));
        assert!(m("[ab]-x", "b-x"));
        assert!(m("[]a]", "]"));
        assert!(m("[a-]", "-"));
    }

    #[test]
    fn escapes_and_prefixes() {
        assert!(m(r"a\*b", "a*b"));
        assert!(!m(r"a\*b", "axb"));
        let g = Glob::new("logs/2017/*.gz").unwrap();
        assert_eq!(g.literal_prefix(), "logs/2017/");
        assert!(!g.is_literal());
        assert!(Glob::new(r"plain\?").unwrap().is_literal());
    }

    #[test]
    fn errors() {
        assert_eq!(Glob::new("a[bc"), Err(GlobError::UnclosedClass(1)));
        assert_eq!(Glob::new("[z-a]"), Err(GlobError::BackwardsRange('z', 'a')));
        assert_eq!(Glob::new("a\\"), Err(GlobError::TrailingEscape));
    }
}

//! A policy's JSON text token by token, so that edits splice text instead of re-serialising it:
//! where the `Statement` value and each statement lie, which object repeats a key, and a
//! layout for people that re-indents without changing a single token.
//!
//! Everything here reads text serde_json has already accepted as JSON; on anything else the
//! answers are merely unhelpful (no spans, no duplicate), never a panic.

use std::collections::HashSet;
use std::iter::Peekable;
use std::ops::Range;

/// The tokens of JSON text as byte ranges: `{ } [ ] , :`, each string with its quotes and
/// escapes, each number or literal as written. Whitespace between them is skipped.
struct Tokens<'a> {
    bytes: &'a [u8],
    pos: usize,
}

fn tokens(text: &str) -> Tokens<'_> {
    Tokens {
        bytes: text.as_bytes(),
        pos: 0,
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_punctuation(b: u8) -> bool {
    matches!(b, b'{' | b'}' | b'[' | b']' | b',' | b':')
}

impl Iterator for Tokens<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let bytes = self.bytes;
        while self.pos < bytes.len() && is_space(bytes[self.pos]) {
            self.pos += 1;
        }
        let start = self.pos;
        let first = *bytes.get(start)?;
        // Every boundary is an ASCII byte, so every range is on char boundaries.
        self.pos = if is_punctuation(first) {
            start + 1
        } else if first == b'"' {
            let mut i = start + 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            (i + 1).min(bytes.len())
        } else {
            let mut i = start + 1;
            while i < bytes.len() && !is_space(bytes[i]) && !is_punctuation(bytes[i]) {
                i += 1;
            }
            i
        };
        Some(start..self.pos)
    }
}

/// Whether two JSON texts are the same token for token: only the whitespace between tokens
/// may differ (`1e2` and `100`, `"\u0041"` and `"A"` are different texts).
pub(super) fn same_tokens(a: &str, b: &str) -> bool {
    tokens(a).map(|r| &a[r]).eq(tokens(b).map(|r| &b[r]))
}

/// The text laid out one member or element per line, indented by four spaces (serde_json's
/// pretty layout), every token exactly as written.
pub(super) fn pretty(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("    ", depth));
    };
    let mut tokens = tokens(text).peekable();
    while let Some(token) = tokens.next() {
        let piece = &text[token];
        match piece {
            "{" | "[" => {
                out.push_str(piece);
                let close = if piece == "{" { "}" } else { "]" };
                if tokens
                    .peek()
                    .is_some_and(|next| &text[next.clone()] == close)
                {
                    tokens.next();
                    out.push_str(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            "}" | "]" => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push_str(piece);
            }
            "," => {
                out.push(',');
                newline(&mut out, depth);
            }
            ":" => out.push_str(": "),
            _ => out.push_str(piece),
        }
    }
    out
}

/// A JSON value with the byte range it spans.
struct Node {
    span: Range<usize>,
    kind: Kind,
}

enum Kind {
    /// Members in order, keys decoded (`"\u0041"` is `A`).
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    Scalar,
}

fn tree(text: &str) -> Option<Node> {
    fn value(text: &str, tokens: &mut Peekable<Tokens<'_>>) -> Option<Node> {
        let first = tokens.next()?;
        let (close, object) = match &text[first.clone()] {
            "{" => ("}", true),
            "[" => ("]", false),
            _ => {
                return Some(Node {
                    span: first,
                    kind: Kind::Scalar,
                });
            }
        };
        let mut members = Vec::new();
        let mut elements = Vec::new();
        if tokens.peek().is_some_and(|t| &text[t.clone()] == close) {
            let end = tokens.next()?.end;
            let kind = if object {
                Kind::Object(members)
            } else {
                Kind::Array(elements)
            };
            return Some(Node {
                span: first.start..end,
                kind,
            });
        }
        loop {
            if object {
                let key = tokens.next()?;
                let key: String = serde_json::from_str(&text[key]).ok()?;
                (&text[tokens.next()?] == ":").then_some(())?;
                members.push((key, value(text, tokens)?));
            } else {
                elements.push(value(text, tokens)?);
            }
            let separator = tokens.next()?;
            match &text[separator.clone()] {
                "," => continue,
                s if s == close => {
                    let kind = if object {
                        Kind::Object(members)
                    } else {
                        Kind::Array(elements)
                    };
                    return Some(Node {
                        span: first.start..separator.end,
                        kind,
                    });
                }
                _ => return None,
            }
        }
    }
    value(text, &mut tokens(text).peekable())
}

/// Where the top-level `Statement` value lies (the last one, which is the one serde_json
/// keeps), and each statement's range when it is an array.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct StatementSpans {
    pub value: Range<usize>,
    /// `None` when `Statement` is a single object.
    pub elements: Option<Vec<Range<usize>>>,
}

pub(super) fn statement_spans(text: &str) -> Option<StatementSpans> {
    let Kind::Object(members) = tree(text)?.kind else {
        return None;
    };
    let (_, statement) = members.into_iter().rfind(|(key, _)| key == "Statement")?;
    let elements = match statement.kind {
        Kind::Array(items) => Some(items.into_iter().map(|n| n.span).collect()),
        _ => None,
    };
    Some(StatementSpans {
        value: statement.span,
        elements,
    })
}

/// A key an object holds twice, and where that object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    /// `Statement[0].Condition`, or empty for the top level.
    pub path: String,
}

/// The first key (in document order) that some object holds twice.
pub(super) fn duplicate_key(text: &str) -> Option<DuplicateKey> {
    fn walk(node: &Node, path: &str) -> Option<DuplicateKey> {
        match &node.kind {
            Kind::Scalar => None,
            Kind::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| walk(item, &format!("{path}[{i}]"))),
            Kind::Object(members) => {
                let mut seen = HashSet::new();
                if let Some((key, _)) = members.iter().find(|(key, _)| !seen.insert(key)) {
                    return Some(DuplicateKey {
                        key: key.clone(),
                        path: path.to_owned(),
                    });
                }
                members.iter().find_map(|(key, value)| {
                    let plain = !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':'));
                    let segment = match (plain, path.is_empty()) {
                        (true, true) => key.clone(),
                        (true, false) => format!(".{key}"),
                        (false, _) => format!("[{}]", serde_json::Value::from(key.as_str())),
                    };
                    walk(value, &format!("{path}{segment}"))
                })
            }
        }
    }
    walk(&tree(text)?, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_as_written() {
        let text = " {\"a\\\"b\" :\t1e2 ,\"c\":[ -0.50E+3,true , null,\"\\u0041\"]}\n";
        let pieces: Vec<&str> = tokens(text).map(|r| &text[r]).collect();
        assert_eq!(
            pieces,
            [
                "{",
                r#""a\"b""#,
                ":",
                "1e2",
                ",",
                r#""c""#,
                ":",
                "[",
                "-0.50E+3",
                ",",
                "true",
                ",",
                "null",
                ",",
                r#""\u0041""#,
                "]",
                "}"
            ]
        );
        assert!(same_tokens(
            text,
            r#"{"a\"b":1e2,"c":[-0.50E+3,true,null,"\u0041"]}"#
        ));
        assert!(!same_tokens(
            text,
            r#"{"a\"b":100,"c":[-0.50E+3,true,null,"A"]}"#
        ));
    }

    #[test]
    fn pretty_layout_matches_serde_json_for_ordinary_text() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Resource":[],"Condition":{}},{"n":[1,{"x":"y"}]}]}"#;
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut expected = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        serde::Serialize::serialize(
            &value,
            &mut serde_json::Serializer::with_formatter(&mut expected, formatter),
        )
        .unwrap();
        assert_eq!(pretty(text), String::from_utf8(expected).unwrap());
        // Tokens serde_json would rewrite stay as written.
        assert_eq!(
            pretty("{ \"n\" : 1e2, \"big\":12345678901234567890123,\"s\":\"\\u0041\"}"),
            "{\n    \"n\": 1e2,\n    \"big\": 12345678901234567890123,\n    \"s\": \"\\u0041\"\n}"
        );
    }

    #[test]
    fn statement_spans_cover_each_statement_exactly() {
        let text = "{ \"Statement\" : [ {\"a\":1} ,\n {\"b\":[2]}\n] , \"Id\":\"x\"}";
        let spans = statement_spans(text).unwrap();
        assert_eq!(&text[spans.value.clone()], "[ {\"a\":1} ,\n {\"b\":[2]}\n]");
        let elements: Vec<&str> = spans
            .elements
            .unwrap()
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(elements, ["{\"a\":1}", "{\"b\":[2]}"]);
        let single = r#"{"Statement":{"a":1}}"#;
        let spans = statement_spans(single).unwrap();
        assert_eq!(&single[spans.value], r#"{"a":1}"#);
        assert_eq!(spans.elements, None);
        // Of two Statement members, the last one counts, as in serde_json.
        let twice = r#"{"Statement":[],"Statement":[{"b":2}]}"#;
        assert_eq!(
            &twice[statement_spans(twice).unwrap().value],
            r#"[{"b":2}]"#
        );
        assert_eq!(statement_spans("[1]"), None);
        assert_eq!(statement_spans("{\"Statement\":"), None, "truncated");
    }

    #[test]
    fn duplicate_keys_are_found_with_their_path() {
        let found = |text: &str| duplicate_key(text).map(|d| (d.key, d.path));
        assert_eq!(found(r#"{"Statement":[{"Effect":"Allow"}]}"#), None);
        assert_eq!(
            found(r#"{"Version":"1","Statement":[],"Version":"2"}"#),
            Some(("Version".into(), String::new()))
        );
        assert_eq!(
            found(r#"{"Statement":[{"a":1},{"Condition":{"Bool":{"k":1,"k":2}}}]}"#),
            Some(("k".into(), "Statement[1].Condition.Bool".into()))
        );
        assert_eq!(
            found(r#"{"Statement":{"Effect":"Allow","\u0045ffect":"Deny"}}"#),
            Some(("Effect".into(), "Statement".into())),
            "keys are compared decoded"
        );
        assert_eq!(
            found(r#"{"odd key":{"x":1,"x":1}}"#),
            Some(("x".into(), r#"["odd key"]"#.into()))
        );
    }
}

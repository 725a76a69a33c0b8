//! Keeps every function of the CLI short enough to read at once (issue 17): a function over
//! [`LIMIT`] lines fails this test, by name. The lines are counted from `fn` to the closing
//! brace, found by matching braces outside comments, strings and character literals.

use std::path::{Path, PathBuf};

const LIMIT: usize = 80;

/// A function and how many lines it spans.
#[derive(Debug, PartialEq)]
struct Function {
    name: String,
    line: usize,
    lines: usize,
}

/// The source with comments, string and character literals blanked (newlines kept, so line
/// numbers stay right): what is left has only the code's own braces.
fn code_only(source: &str) -> Vec<char> {
    let chars: Vec<char> = source.chars().collect();
    let mut code = Vec::with_capacity(chars.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let rest = &chars[i..];
        let end = if rest.starts_with(&['/', '/']) {
            i + rest.iter().position(|&c| c == '\n').unwrap_or(rest.len())
        } else if rest.starts_with(&['/', '*']) {
            i + block_comment_len(rest)
        } else if let Some(len) = raw_string_len(rest) {
            i + len
        } else if rest[0] == '"' {
            i + string_len(rest)
        } else if rest[0] == '\'' {
            // A character literal ('{', '\n'), not a lifetime ('a).
            match rest {
                ['\'', '\\', ..] => {
                    i + 1 + rest[1..].iter().position(|&c| c == '\'').unwrap_or(0) + 1
                }
                ['\'', _, '\'', ..] => i + 3,
                _ => i + 1,
            }
        } else {
            code.push(chars[i]);
            i += 1;
            continue;
        };
        code.extend(chars[i..end.min(chars.len())].iter().map(|&c| blank(c)));
        i = end.max(i + 1);
    }
    code
}

fn block_comment_len(rest: &[char]) -> usize {
    let mut depth = 0;
    let mut i = 0;
    while i + 1 < rest.len() {
        match (rest[i], rest[i + 1]) {
            ('/', '*') => {
                depth += 1;
                i += 2;
            }
            ('*', '/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    rest.len()
}

/// `"…"` with its escapes.
fn string_len(rest: &[char]) -> usize {
    let mut i = 1;
    while i < rest.len() {
        match rest[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    rest.len()
}

/// `r"…"`, `r#"…"#`, `br"…"` and so on, when `rest` starts with one.
fn raw_string_len(rest: &[char]) -> Option<usize> {
    let start = match rest {
        ['r', ..] => 1,
        ['b', 'r', ..] => 2,
        _ => return None,
    };
    let hashes = rest[start..].iter().take_while(|&&c| c == '#').count();
    if rest.get(start + hashes) != Some(&'"') {
        return None;
    }
    let close: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    let body = start + hashes + 1;
    let end = (body..rest.len()).find(|&i| rest[i..].starts_with(&close))?;
    Some(end + close.len())
}

/// Every function with a body, and its length in lines.
fn functions(source: &str) -> Vec<Function> {
    let code = code_only(source);
    let line_at = |i: usize| 1 + code[..i].iter().filter(|&&c| c == '\n').count();
    let mut found = Vec::new();
    for i in 0..code.len() {
        let keyword = code[i..].starts_with(&['f', 'n'])
            && code.get(i + 2).is_some_and(|c| c.is_whitespace())
            && (i == 0 || !(code[i - 1].is_alphanumeric() || code[i - 1] == '_'));
        if !keyword {
            continue;
        }
        let name: String = code[i + 2..]
            .iter()
            .skip_while(|c| c.is_whitespace())
            .take_while(|c| c.is_alphanumeric() || **c == '_')
            .collect();
        // The body starts at the first `{` unless a `;` ends a declaration first.
        let Some(open) = (i..code.len()).find(|&j| code[j] == '{' || code[j] == ';') else {
            continue;
        };
        if code[open] == ';' || name.is_empty() {
            continue;
        }
        let mut depth = 0;
        let Some(close) = (open..code.len()).find(|&j| {
            match code[j] {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            depth == 0
        }) else {
            continue;
        };
        let line = line_at(i);
        found.push(Function {
            name,
            line,
            lines: line_at(close) - line + 1,
        });
    }
    found
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/cli is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn no_cli_function_is_over_80_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/cli"), &mut files);
    files.sort();
    assert!(files.len() > 5, "found only {files:?}");
    let mut long = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).expect("a readable source file");
        for f in functions(&source) {
            if f.lines > LIMIT {
                let file = path.strip_prefix(root).unwrap_or(path).display();
                long.push(format!(
                    "{file}:{} fn {} ({} lines)",
                    f.line, f.name, f.lines
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {LIMIT} lines; split them:\n{}",
        long.join("\n")
    );
}

#[test]
fn braces_in_strings_comments_and_chars_do_not_count() {
    let source = "fn short() {\n    let s = \"}}\"; // }\n    let c = '}';\n    let r = r#\"{\"#;\n    /* { */\n    let l: &'static str = s;\n}\n\nfn decl();\n\nfn next<'a>(x: &'a str) -> impl Fn() {\n    move || {}\n}\n";
    assert_eq!(
        functions(source),
        [
            Function {
                name: "short".into(),
                line: 1,
                lines: 7
            },
            Function {
                name: "next".into(),
                line: 11,
                lines: 3
            },
        ]
    );
}

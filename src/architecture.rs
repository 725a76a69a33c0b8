//! The module graph, read from the sources and held to the crate docs: which module uses which
//! (`crate::` paths in code, not in comments, strings or `#[cfg(test)]` items), in which layer
//! each module sits, and which files send requests to AWS or write. A cycle, a use of a higher
//! layer or an unlisted sender fails here, naming the file and line, rather than surfacing as a
//! tangle when someone next moves a type.

use crate::facet::Facet;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, lowest first: a module uses only modules of lower layers. The crate docs list
/// the same table (`the_crate_docs_list_the_layers`).
const LAYERS: &[&[&str]] = &[
    &[
        "facet", "model", "policy", "glob", "input", "clock", "pacing", "exit",
    ],
    &["error", "change"],
    &["aws"],
    &["state", "select", "dns"],
    &["check", "remediation", "command", "apply"],
    &["exposure", "data_events", "report"],
    &["registry", "runner", "objects", "org", "notify", "cases"],
    &["output", "suppress", "fix", "iam", "synthetic"],
    &["catalog", "checks", "remediations", "reporters"],
    &["cli"],
];

/// Mounted with `#[path]` and reached only through `inventory`.
const PLUGIN_FOLDERS: &[&str] = &["checks", "remediations", "reporters"];

/// The files of `src/` that send requests to AWS: they call `send()` on an SDK request.
const SENDS_REQUESTS: &[&str] = &[
    "apply.rs",
    "aws.rs",
    "dns.rs",
    "notify.rs",
    "objects/batch.rs",
    "objects/s3.rs",
    "org.rs",
    "state/aws_config.rs",
    "state/fetch.rs",
];

/// How a request is sent, spelled in two parts so that this file is no call site for the scan
/// of `tests/it/catalog.rs` (`every_sdk_call_site_is_a_declared_facet`).
const SEND_CALL: &str = concat!(".send", "()");

/// An API operation that changes something in AWS, by the first word of its name.
const WRITE_VERBS: &[&str] = &[
    "Abort", "Complete", "Copy", "Create", "Delete", "Publish", "Put", "Upload",
];

struct SourceFile {
    /// From `src/` for the core (`state/mod.rs`), from the repository root for the plugin
    /// folders (`checks/bucket/versioning_disabled.rs`).
    path: String,
    /// The top-level module the file belongs to: `state`, `checks`.
    module: String,
    /// The code, comments and string and character literals blanked (newlines kept).
    code: String,
    /// `code` without its `#[cfg(test)]` items: the library as it is built.
    library_code: String,
}

/// A use of `to` in `from`'s library code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    /// `state/mod.rs:20`.
    at: String,
}

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file of the modules in the graph: `src/` (but the crate root, the binary and the
/// test-only modules) and the plugin folders.
fn sources() -> Vec<SourceFile> {
    let test_only = test_only_modules();
    let mut files = Vec::new();
    for folder in ["src"].iter().chain(PLUGIN_FOLDERS) {
        let mut paths = Vec::new();
        collect_rust_files(&repository().join(folder), &mut paths);
        for path in paths {
            let relative = path.strip_prefix(repository()).unwrap().to_str().unwrap();
            let relative = relative.replace('\\', "/");
            let (path, module) = match relative.strip_prefix("src/") {
                Some("lib.rs" | "main.rs") => continue,
                Some(inner) => (inner.to_owned(), top_module(inner)),
                None => (relative.clone(), (*folder).to_owned()),
            };
            if test_only.contains(&module) {
                continue;
            }
            let source = std::fs::read_to_string(repository().join(&relative)).unwrap();
            let code = code_of(&source);
            let library_code = without_tests(&code);
            files.push(SourceFile {
                path,
                module,
                code,
                library_code,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn collect_rust_files(dir: &Path, into: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// `state` for `state/mod.rs` and `state.rs`.
fn top_module(path_in_src: &str) -> String {
    let first = path_in_src.split('/').next().unwrap();
    first.strip_suffix(".rs").unwrap_or(first).to_owned()
}

/// The modules the crate root mounts under `#[cfg(test)]` (this one, the test helpers).
fn test_only_modules() -> BTreeSet<String> {
    let root = code_of(&std::fs::read_to_string(repository().join("src/lib.rs")).unwrap());
    root.split("#[cfg(test)]")
        .skip(1)
        .filter_map(|after| {
            let item = after.trim_start().strip_prefix("mod ")?;
            Some(ident(item))
        })
        .collect()
}

/// The crate docs (`//!` lines of `src/lib.rs`).
fn crate_docs() -> Vec<String> {
    std::fs::read_to_string(repository().join("src/lib.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l).to_owned())
        .collect()
}

/// The lines of the crate docs' section `heading` (`## Layers`), up to the next heading.
fn docs_section(heading: &str) -> Vec<String> {
    let docs = crate_docs();
    let start = docs
        .iter()
        .position(|l| l == heading)
        .unwrap_or_else(|| panic!("the crate docs have no `{heading}` section"));
    docs[start + 1..]
        .iter()
        .take_while(|l| !l.starts_with('#'))
        .cloned()
        .collect()
}

/// `source` with comments (doc comments too), string literals and character literals replaced
/// by spaces, newlines kept: what is left is code, in which `crate::` is a path.
fn code_of(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let at_word_start = i == 0 || !is_ident_char(chars[i - 1]);
        let literal_end = match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('/')) => Some(
                chars[i..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(chars.len(), |n| i + n),
            ),
            ('/', Some('*')) => Some(block_comment_end(&chars, i)),
            ('"', _) => Some(string_end(&chars, i)),
            ('r', Some('"' | '#')) if at_word_start => raw_string_end(&chars, i),
            ('b', Some('r')) if at_word_start => raw_string_end(&chars, i + 1),
            ('\'', Some('\\')) => chars[i + 3..]
                .iter()
                .position(|&c| c == '\'')
                .map(|n| i + 3 + n + 1),
            ('\'', Some(_)) if chars.get(i + 2) == Some(&'\'') => Some(i + 3),
            _ => None,
        };
        match literal_end {
            Some(end) => {
                for &c in &chars[i..end] {
                    out.push(if c == '\n' { '\n' } else { ' ' });
                }
                i = end;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The index after the `*/` that closes the (possibly nested) comment opened at `start`.
fn block_comment_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => depth += 1,
            ('*', '/') => {
                depth -= 1;
                if depth == 0 {
                    return i + 2;
                }
            }
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    chars.len()
}

/// The index after the `"` that closes the string opened at `start`.
fn string_end(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// The end of the raw string `r#"…"#` whose `r` is at `start`, if one starts there.
fn raw_string_end(chars: &[char], start: usize) -> Option<usize> {
    let hashes = chars[start + 1..].iter().take_while(|&&c| c == '#').count();
    let quote = start + 1 + hashes;
    if chars.get(quote) != Some(&'"') {
        return None;
    }
    let closing: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    (quote + 1..chars.len())
        .find(|&i| chars[i..].starts_with(&closing))
        .map(|i| i + closing.len())
}

/// `code` with each `#[cfg(test)]` item (a test module, a test helper) blanked.
fn without_tests(code: &str) -> String {
    const ATTRIBUTE: &str = "#[cfg(test)]";
    let mut out = code.to_owned();
    let mut from = 0;
    while let Some(at) = out[from..].find(ATTRIBUTE).map(|n| from + n) {
        let end = item_end(&out, at + ATTRIBUTE.len());
        let blank: String = out[at..end]
            .chars()
            .map(|c| {
                if c == '\n' {
                    "\n".to_owned()
                } else {
                    " ".repeat(c.len_utf8())
                }
            })
            .collect();
        out.replace_range(at..end, &blank);
        from = end;
    }
    out
}

/// The end of the item that starts at `start` (after an attribute): its other attributes, then
/// up to its `;` or its closing brace, whichever comes first outside brackets.
fn item_end(code: &str, start: usize) -> usize {
    let bytes = code.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b';' if depth == 0 => return i + 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

fn ident(text: &str) -> String {
    text.chars().take_while(|&c| is_ident_char(c)).collect()
}

/// The first segment of every `crate::` path in `code`, with its line: `state` for
/// `crate::state::BucketState`, `check` and `error` for `crate::{check::Outcome, error}`.
fn crate_paths(code: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        // `$crate::` (in macros) counts; `my_crate::` does not.
        if code[..at].chars().next_back().is_some_and(is_ident_char) {
            continue;
        }
        let line = code[..at].matches('\n').count() + 1;
        let rest = code[at + "crate::".len()..].trim_start();
        match rest.strip_prefix('{') {
            Some(group) => found.extend(group_heads(group).into_iter().map(|m| (m, line))),
            None => found.push((ident(rest), line)),
        }
    }
    found
}

/// The first segment of each path of a `use` group, after its `{`: `a`, `c`, `f` for
/// `a::b, c::{d, e}, f}`.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expecting = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expecting = true,
            c if expecting && depth == 0 && is_ident_char(c) => {
                heads.push(ident(&group[i..]));
                expecting = false;
            }
            _ => {}
        }
    }
    heads
}

/// The modules' uses of each other. A `#[macro_export]` macro lives at the crate root but
/// belongs to the module that defines it, so `crate::declare_check` is a use of `check`.
fn edges(files: &[SourceFile]) -> Vec<Edge> {
    edges_in(files, |f| &f.library_code)
}

fn edges_in(files: &[SourceFile], code: impl Fn(&SourceFile) -> &str) -> Vec<Edge> {
    let modules: BTreeSet<&str> = files.iter().map(|f| f.module.as_str()).collect();
    let test_only = test_only_modules();
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    for file in files {
        for exported in file.code.split("#[macro_export]").skip(1) {
            if let Some(name) = exported.trim_start().strip_prefix("macro_rules!") {
                owner.insert(ident(name.trim_start()), &file.module);
            }
        }
    }
    let mut edges = Vec::new();
    for file in files {
        for (name, line) in crate_paths(code(file)) {
            let to = match owner.get(&name) {
                Some(module) => (*module).to_owned(),
                None if modules.contains(name.as_str()) => name,
                // Not in the graph; only tests can reach them.
                None if test_only.contains(&name) => continue,
                None => panic!(
                    "{}:{line}: crate::{name} names neither a module nor an exported macro",
                    file.path
                ),
            };
            if to != file.module {
                edges.push(Edge {
                    from: file.module.clone(),
                    to,
                    at: format!("{}:{line}", file.path),
                });
            }
        }
    }
    edges.sort();
    edges
}

/// A cycle of the graph, as its edges in order, if there is one.
fn find_cycle(edges: &[Edge]) -> Option<Vec<Edge>> {
    let mut out: BTreeMap<&str, Vec<&Edge>> = BTreeMap::new();
    for edge in edges {
        out.entry(edge.from.as_str()).or_default().push(edge);
    }
    let mut done = BTreeSet::new();
    for start in out.keys() {
        let mut path = Vec::new();
        if let Some(cycle) = cycle_from(start, &out, &mut path, &mut done) {
            return Some(cycle);
        }
    }
    None
}

/// Depth-first from `module`; `path` holds the edges walked to it.
fn cycle_from<'a>(
    module: &'a str,
    out: &BTreeMap<&'a str, Vec<&'a Edge>>,
    path: &mut Vec<&'a Edge>,
    done: &mut BTreeSet<&'a str>,
) -> Option<Vec<Edge>> {
    if let Some(back) = path.iter().position(|e| e.from == module) {
        return Some(path[back..].iter().map(|&e| e.clone()).collect());
    }
    if done.contains(module) {
        return None;
    }
    for &edge in out.get(module).into_iter().flatten() {
        path.push(edge);
        if let Some(cycle) = cycle_from(&edge.to, out, path, done) {
            return Some(cycle);
        }
        path.pop();
    }
    done.insert(module);
    None
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The files whose library code sends requests.
fn senders(files: &[SourceFile]) -> BTreeSet<String> {
    files
        .iter()
        .filter(|f| f.library_code.contains(SEND_CALL))
        .map(|f| f.path.clone())
        .collect()
}

/// The files whose library code calls an operation that changes something in AWS (per
/// [`WRITE_VERBS`]), among the operations the facets name.
fn writers(files: &[SourceFile]) -> BTreeSet<String> {
    let writes: Vec<String> = Facet::ALL
        .iter()
        .flat_map(|f| f.operation().split(' ').next().unwrap().split('/'))
        .filter(|op| WRITE_VERBS.iter().any(|verb| op.starts_with(verb)))
        .map(|op| format!(".{}()", snake_case(op)))
        .collect();
    files
        .iter()
        .filter(|f| writes.iter().any(|call| f.library_code.contains(call)))
        .map(|f| f.path.clone())
        .collect()
}

/// `put_bucket_acl` for `PutBucketAcl`, as the SDKs name their operations.
fn snake_case(operation: &str) -> String {
    let mut name = String::new();
    for c in operation.chars() {
        if c.is_uppercase() && !name.is_empty() {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

fn list(edges: &[Edge]) -> String {
    edges
        .iter()
        .map(|e| format!("{} -> {} ({})", e.from, e.to, e.at))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_module_graph_is_one_way() {
    if let Some(cycle) = find_cycle(&edges(&sources())) {
        panic!("the modules use each other in a cycle:\n{}", list(&cycle));
    }
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let files = sources();
    let found: BTreeSet<&str> = files.iter().map(|f| f.module.as_str()).collect();
    let listed: BTreeSet<&str> = LAYERS.iter().flat_map(|l| l.iter().copied()).collect();
    assert_eq!(found, listed, "every module is in one layer of LAYERS");
    let upward: Vec<Edge> = edges(&files)
        .into_iter()
        .filter(|e| layer_of(&e.from) <= layer_of(&e.to))
        .collect();
    assert!(
        upward.is_empty(),
        "these uses go to the same or a higher layer:\n{}",
        list(&upward)
    );
}

#[test]
fn the_crate_docs_list_the_layers() {
    // A numbered item per layer, lowest first, continued on indented lines; the modules are
    // the names in backticks (`checks/` for a plugin folder).
    let backticked = |line: &str| -> Vec<String> {
        line.split('`')
            .skip(1)
            .step_by(2)
            .map(|name| name.trim_end_matches('/').to_owned())
            .collect()
    };
    let mut documented: Vec<Vec<String>> = Vec::new();
    for line in docs_section("## Layers") {
        let number = line
            .split_once(". ")
            .and_then(|(n, _)| n.parse::<usize>().ok());
        match (number, documented.last_mut()) {
            (Some(n), _) => {
                assert_eq!(
                    n,
                    documented.len() + 1,
                    "layers are numbered in order: {line}"
                );
                documented.push(backticked(&line));
            }
            (None, Some(layer)) if line.starts_with("   ") => layer.extend(backticked(&line)),
            _ => {}
        }
    }
    let table: Vec<Vec<String>> = LAYERS
        .iter()
        .map(|l| l.iter().map(|m| (*m).to_owned()).collect())
        .collect();
    assert_eq!(
        documented, table,
        "the crate docs' `## Layers` and LAYERS differ"
    );
}

#[test]
fn nothing_depends_on_the_plugin_folders() {
    // Tests included: a plugin is reached only through `inventory`, and plugins of different
    // folders do not know each other.
    let files = sources();
    let into_plugins: Vec<Edge> = edges_in(&files, |f| &f.code)
        .into_iter()
        .filter(|e| PLUGIN_FOLDERS.contains(&e.to.as_str()))
        .collect();
    assert!(
        into_plugins.is_empty(),
        "the plugin folders are used by:\n{}",
        list(&into_plugins)
    );
}

#[test]
fn plugins_do_not_use_the_aws_sdk() {
    // Plugins read the state cache and return data; only the core talks to AWS, so only the
    // core names the SDK's crates.
    let files = sources();
    let users: Vec<&str> = files
        .iter()
        .filter(|f| PLUGIN_FOLDERS.contains(&f.module.as_str()))
        .filter(|f| f.code.contains("aws_sdk_") || f.code.contains("aws_smithy_"))
        .map(|f| f.path.as_str())
        .collect();
    assert!(users.is_empty(), "plugins using the AWS SDK: {users:?}");
}

#[test]
fn only_the_listed_modules_send_requests() {
    let listed: BTreeSet<String> = SENDS_REQUESTS.iter().map(|&f| f.to_owned()).collect();
    assert_eq!(senders(&sources()), listed, "files that call `send()`");
}

#[test]
fn the_crate_docs_name_the_modules_that_write() {
    let mut reads = BTreeSet::new();
    let mut writes = BTreeSet::new();
    for line in docs_section("## Requests to AWS") {
        let Some(entry) = line.strip_prefix("- `") else {
            continue;
        };
        let (file, rest) = entry.split_once('`').unwrap();
        match rest.split_whitespace().next() {
            Some("reads" | "reads:") => reads.insert(file.to_owned()),
            Some("writes" | "writes:") => writes.insert(file.to_owned()),
            _ => panic!("`{line}` says neither `reads` nor `writes`"),
        };
    }
    let files = sources();
    let named: BTreeSet<String> = reads.union(&writes).cloned().collect();
    assert_eq!(named, senders(&files), "the files the crate docs name");
    assert_eq!(
        writes,
        writers(&files),
        "the files the crate docs say write"
    );
}

#[test]
fn the_source_reading_finds_the_uses_it_should() {
    let source = r##"
//! Docs name [`crate::doc_link`].
use crate::{check::{Outcome, Severity}, error};
use crate::state::BucketState;
fn f() -> &'static str { let _ = '"'; let _ = '\''; crate::in_code::f(); "crate::in_string" }
const RAW: &str = r#"crate::in_raw " string"#;
/* crate::in /* nested */ comment */
macro_rules! m { () => { $crate::in_macro::f() }; }
#[cfg(test)]
mod tests { use crate::in_tests; }
#[cfg(test)]
fn helper() -> Vec<(u8, u8)> { crate::in_helper::f() }
fn after() { crate::after_tests::f(); }
"##;
    let code = code_of(source);
    let names =
        |code: &str| -> Vec<String> { crate_paths(code).into_iter().map(|(m, _)| m).collect() };
    assert_eq!(
        names(&without_tests(&code)),
        [
            "check",
            "error",
            "state",
            "in_code",
            "in_macro",
            "after_tests"
        ]
    );
    assert_eq!(
        names(&code),
        [
            "check",
            "error",
            "state",
            "in_code",
            "in_macro",
            "in_tests",
            "in_helper",
            "after_tests"
        ]
    );
    assert_eq!(crate_paths(&code)[2], ("state".to_owned(), 4));

    let edges = edges(&sources());
    let has = |from: &str, to: &str| edges.iter().any(|e| e.from == from && e.to == to);
    assert!(has("state", "aws"), "a plain `use`");
    assert!(
        has("checks", "check"),
        "an exported macro: crate::declare_check"
    );
    assert!(has("cli", "registry"), "a path in an expression");
    assert!(
        !has("remediation", "apply"),
        "named only in remediation.rs's docs"
    );
    assert!(!has("iam", "cli"), "used only by iam.rs's tests");
}

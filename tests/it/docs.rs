//! The documentation as a newcomer meets it: the README's sample of the default output and its
//! command list are generated (`S3TK_UPDATE_SNAPSHOTS=1` rewrites them), every ```sh example of
//! the README and `docs/*.md` parses with the real command line and the ones that need no AWS
//! run, and every link between the files leads somewhere.

use crate::support::s3tk_command;
use clap::{CommandFactory, Parser};
use s3tk::cli::Cli;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The README and every Markdown file under `docs/`, as (path relative to the root, text).
fn documents() -> Vec<(String, String)> {
    let mut paths = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(root().join(&path)).expect("readable");
            (path, text)
        })
        .collect()
}

/// Asserts that the README's text between `<!-- NAME:start -->` and `<!-- NAME:end -->` is
/// `expected`; with `S3TK_UPDATE_SNAPSHOTS=1`, writes it there instead.
fn assert_readme_section(name: &str, expected: &str) {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = (
        format!("<!-- {name}:start -->\n"),
        format!("<!-- {name}:end -->"),
    );
    let from = readme
        .find(&start)
        .unwrap_or_else(|| panic!("README has {start}"))
        + start.len();
    let to = from
        + readme[from..]
            .find(&end)
            .unwrap_or_else(|| panic!("README has {end}"));
    if readme[from..to] == *expected {
        return;
    }
    if std::env::var("S3TK_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        let mut updated = readme.clone();
        updated.replace_range(from..to, expected);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "the README's {name} section is out of date (`S3TK_UPDATE_SNAPSHOTS=1 scripts/test` \
         regenerates it; review the diff):\n{expected}"
    );
}

/// Lines of the sample kept from the start and from the end of the demo's output.
const SAMPLE_HEAD: usize = 16;
const SAMPLE_TAIL: usize = 4;

/// The README's sample is the output of its first command, in a terminal 80 columns wide
/// without colour: its first and last lines, the ones between counted.
#[tokio::test]
async fn the_readme_sample_is_the_demo_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let first = readme
        .lines()
        .find(|l| l.starts_with("cargo run --locked -- "))
        .expect("the README's first command");
    assert_eq!(
        first, "cargo run --locked -- scan --from-state examples/demo-account.json",
        "the sample below is the output of this command; change both together"
    );
    let args: Vec<&str> = first["cargo run --locked -- ".len()..].split(' ').collect();
    let mut command = s3tk_command(&args, &[("COLUMNS", "80"), ("NO_COLOR", "1")]);
    let out = command.current_dir(root()).output().await.unwrap();
    assert_eq!(out.status.code(), Some(1), "the demo has failing checks");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let mut sample = String::from("```text\n");
    if lines.len() <= SAMPLE_HEAD + SAMPLE_TAIL + 1 {
        sample += &stdout;
    } else {
        let left_out = lines.len() - SAMPLE_HEAD - SAMPLE_TAIL;
        for line in &lines[..SAMPLE_HEAD] {
            sample += &format!("{line}\n");
        }
        sample += &format!("… ({left_out} more lines)\n");
        for line in &lines[lines.len() - SAMPLE_TAIL..] {
            sample += &format!("{line}\n");
        }
    }
    sample += "```\n";
    assert_readme_section("demo-output", &sample);
}

/// The README's command list is `s3tk --help`'s.
#[test]
fn the_readme_lists_every_command() {
    let cli = Cli::command();
    let mut table = String::from("| Command | What it does |\n| --- | --- |\n");
    for command in cli.get_subcommands().filter(|c| !c.is_hide_set()) {
        let about = command
            .get_about()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let aliases: Vec<String> = command
            .get_visible_aliases()
            .map(|a| format!("`{a}`"))
            .collect();
        let aliases = match aliases.is_empty() {
            true => String::new(),
            false => format!(" (also {})", aliases.join(", ")),
        };
        table += &format!(
            "| `s3tk {}`{aliases} | {} |\n",
            command.get_name(),
            about.replace('|', "\\|")
        );
    }
    assert_readme_section("commands", &table);
}

/// One shell command of an example line: its words (quotes removed) and whether any of them
/// was left to the shell to expand (`~`, `$`).
#[derive(Debug, Default)]
struct ShellCommand {
    words: Vec<String>,
    expands: bool,
}

/// Splits an example line into its commands, at `&&`, `||`, `|` and `;`, the way sh would:
/// quotes, backslash escapes, `#` comments; redirections (`> FILE`, `2>&1`) are dropped.
fn shell_commands(line: &str) -> Result<Vec<ShellCommand>, String> {
    let mut commands = vec![ShellCommand::default()];
    let mut word = String::new();
    let mut in_word = false;
    let mut redirect = false;
    let mut chars = line.chars().peekable();
    let finish =
        |word: &mut String, in_word: &mut bool, redirect: &mut bool, c: &mut ShellCommand| {
            if *in_word {
                if *redirect {
                    *redirect = false;
                } else {
                    c.words.push(std::mem::take(word));
                }
            }
            word.clear();
            *in_word = false;
        };
    while let Some(c) = chars.next() {
        let current = commands.last_mut().unwrap();
        match c {
            '\'' | '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some('\\') if c == '"' => word.extend(chars.next()),
                        Some('$') if c == '"' => {
                            // A redirection's target is dropped, expanded or not.
                            current.expands |= !redirect;
                            word.push('$');
                        }
                        Some(other) => word.push(other),
                        None => return Err(format!("unclosed {c} in `{line}`")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            '#' if !in_word => break,
            ' ' | '\t' => finish(&mut word, &mut in_word, &mut redirect, current),
            '>' | '<' => {
                // `2>` and `2>&1`: the digit was read as a word of its own.
                if in_word && word.chars().all(|d| d.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                }
                finish(&mut word, &mut in_word, &mut redirect, current);
                if chars.peek() == Some(&'&') {
                    chars.next();
                    chars.next();
                    continue;
                }
                if chars.peek() == Some(&'>') {
                    chars.next();
                }
                redirect = true;
            }
            '&' | '|' | ';' => {
                if c != ';' && chars.peek() == Some(&c) {
                    chars.next();
                } else if c == '&' {
                    return Err(format!("a background `&` in `{line}`"));
                }
                finish(&mut word, &mut in_word, &mut redirect, current);
                commands.push(ShellCommand::default());
            }
            '~' | '$' if !in_word || c == '$' => {
                current.expands |= !redirect;
                in_word = true;
                word.push(c);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    let current = commands.last_mut().unwrap();
    finish(&mut word, &mut in_word, &mut redirect, current);
    if redirect {
        return Err(format!("a redirection without a target in `{line}`"));
    }
    if commands.iter().any(|c| c.words.is_empty()) {
        return Err(format!("an empty command in `{line}`"));
    }
    Ok(commands)
}

/// The programs besides s3tk an example may run, each with the first words it must start with.
const OTHER_PROGRAMS: &[&[&str]] = &[
    &["cargo", "install", "--locked", "--path", "."],
    &["scripts/test"],
    &["git", "clone", "https://github.com/OWNER/s3tk.git"],
    &["git", "diff"],
    &["cd", "s3tk"],
    &["mkdir", "-p"],
    &["man"],
    &["aws"],
    &["terraform", "apply"],
];

/// What one example line asks s3tk to do: its arguments (after `s3tk` or `cargo run --locked
/// --`), or `None` for an allowed other program.
fn s3tk_arguments(command: &ShellCommand, path: &str, line: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = command
        .words
        .iter()
        .map(String::as_str)
        .skip_while(|w| {
            w.split_once('=').is_some_and(|(name, _)| {
                name.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
        })
        .collect();
    if words.first() == Some(&"s3tk") {
        return Some(words[1..].iter().map(|w| w.to_string()).collect());
    }
    if words.starts_with(&["cargo", "run", "--locked", "--"]) {
        return Some(words[4..].iter().map(|w| w.to_string()).collect());
    }
    assert!(
        OTHER_PROGRAMS
            .iter()
            .any(|allowed| words.starts_with(allowed)),
        "{path}: `{line}` runs `{}`, which is neither s3tk nor an allowed program ({OTHER_PROGRAMS:?}); \
         an illustration that is not meant to run goes in a ```text block",
        words.join(" ")
    );
    None
}

/// Whether the arguments can run here: no AWS (the demo state file, or a command that sends
/// no request), nothing for the shell to expand.
fn runs_offline(args: &[String], expands: bool) -> bool {
    const OFFLINE: &[&str] = &[
        "checks",
        "explain",
        "reporters",
        "iam-policy",
        "completions",
        "man",
    ];
    let Some(command) = args.iter().find(|a| !a.starts_with('-')) else {
        return false;
    };
    if expands {
        return false;
    }
    if OFFLINE.contains(&command.as_str()) {
        return true;
    }
    let states: Vec<&String> = args
        .windows(2)
        .filter(|pair| pair[0] == "--from-state")
        .map(|pair| &pair[1])
        .collect();
    command == "scan" && !states.is_empty() && states.iter().all(|s| root().join(s).is_file())
}

/// The exit code an offline example must give: a scan of the demo fails its checks (1) unless
/// `--fail-on never`; the other offline commands succeed.
fn expected_code(args: &[String]) -> i32 {
    let report_only = args
        .windows(2)
        .any(|p| p[0] == "--fail-on" && p[1] == "never");
    match args
        .iter()
        .find(|a| !a.starts_with('-'))
        .is_some_and(|c| c == "scan")
        && !report_only
    {
        true => 1,
        false => 0,
    }
}

/// The examples of ```sh blocks, continuation lines joined: (file, example).
fn sh_examples() -> Vec<(String, String)> {
    let mut examples = Vec::new();
    for (path, text) in documents() {
        let mut in_sh = false;
        let mut pending = String::new();
        for line in text.lines() {
            match line.trim_start() {
                "```sh" => in_sh = true,
                fence if fence.starts_with("```") && in_sh => {
                    assert!(pending.is_empty(), "{path}: an example ends with `\\`");
                    in_sh = false;
                }
                text if in_sh => match text.strip_suffix('\\') {
                    Some(start) => pending += start,
                    None => {
                        let example = std::mem::take(&mut pending) + text;
                        if !example.trim().is_empty() && !example.trim().starts_with('#') {
                            examples.push((path.clone(), example));
                        }
                    }
                },
                _ => {}
            }
        }
    }
    examples
}

/// A word that stands for something to fill in rather than a value: `[--force]`, `<bucket>`,
/// `key/…`. Quoted patterns (`"logs-20[0-9]"`) are values.
fn placeholder(word: &str, line: &str) -> bool {
    (word.starts_with('[') && word.ends_with(']') && !line.contains(&format!("\"{word}\"")))
        || (word.starts_with('<') && word.ends_with('>'))
        || word.contains('…')
}

/// Every ```sh example of the README and docs/ is runnable as written: each s3tk command
/// parses with the real command line, without placeholders; the ones that need no AWS run
/// (in a scratch directory that has the demo state file) and exit as they should; any other
/// program is one of a short list. Illustrations go in ```text blocks.
#[tokio::test]
async fn every_sh_example_runs_as_written() {
    let scratch = crate::support::TempDir::new("sh-examples");
    std::os::unix::fs::symlink(root().join("examples"), scratch.0.join("examples")).unwrap();
    let (mut parsed, mut ran) = (0, 0);
    for (path, line) in sh_examples() {
        let commands = shell_commands(&line).unwrap_or_else(|e| panic!("{path}: {e}"));
        for command in commands {
            let Some(args) = s3tk_arguments(&command, &path, &line) else {
                continue;
            };
            if let Some(word) = args.iter().find(|w| placeholder(w, &line)) {
                panic!("{path}: `{line}` has the placeholder {word}: write a value");
            }
            let argv = std::iter::once("s3tk".to_owned()).chain(args.iter().cloned());
            if let Err(e) = Cli::try_parse_from(argv) {
                panic!("{path}: `{line}` does not parse:\n{e}");
            }
            parsed += 1;
            if !runs_offline(&args, command.expands) {
                continue;
            }
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut run = s3tk_command(&argv, &[]);
            let out = run.current_dir(&scratch.0).output().await.unwrap();
            assert_eq!(
                out.status.code(),
                Some(expected_code(&args)),
                "{path}: `{line}`:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert!(parsed > 60 && ran >= 8, "parsed {parsed}, ran {ran}");
}

#[test]
fn the_shell_splitter_reads_examples_as_sh_would() {
    let words = |line: &str| -> Vec<Vec<String>> {
        shell_commands(line)
            .unwrap()
            .into_iter()
            .map(|c| c.words)
            .collect()
    };
    assert_eq!(
        words(r#"A=1 s3tk scan "my bucket*" 'x y' > out.json 2>&1 && man ./s3tk.1 # note"#),
        [
            vec!["A=1", "s3tk", "scan", "my bucket*", "x y"],
            vec!["man", "./s3tk.1"]
        ]
    );
    assert!(shell_commands("s3tk scan \"open").is_err());
    assert!(shell_commands("s3tk scan >").is_err());
    assert!(shell_commands("s3tk scan &").is_err());
    assert!(shell_commands("s3tk man --dir ~/man").unwrap()[0].expands);
    assert!(!shell_commands("s3tk man > ~/s3tk.1").unwrap()[0].expands);
    assert!(placeholder("[--force]", "s3tk disable-acls app [--force]"));
    assert!(!placeholder(
        "logs-20[0-9][0-9]",
        r#"s3tk scan "logs-20[0-9][0-9]""#
    ));
}

/// GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            found.push(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

/// Every relative link of the README and docs/ names a file that exists and, after `#`, a
/// heading of it.
#[test]
fn every_link_between_the_documents_resolves() {
    let mut links = 0;
    for (path, text) in documents() {
        let dir = root().join(&path).parent().unwrap().to_path_buf();
        for target in text
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
        {
            if target.starts_with("http") || target.contains(' ') {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
            let file: PathBuf = match file {
                "" => root().join(&path),
                file => dir.join(file),
            };
            assert!(file.exists(), "{path}: link to {target}: no such file");
            if !fragment.is_empty() {
                let text = std::fs::read_to_string(&file).unwrap();
                assert!(
                    anchors(&text).iter().any(|a| a == fragment),
                    "{path}: link to {target}: no such heading"
                );
            }
            links += 1;
        }
    }
    assert!(links > 20, "{links} links");
}

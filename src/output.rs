//! Where reports go: `--format FORMAT[=PATH]`, repeatable. Without a path a format goes to
//! stdout (at most one may). A path to a regular file (or a new one) is written atomically (a
//! temporary file in the same directory, then a rename), so a crash never leaves half a report
//! for CI to parse; a FIFO, a device or `/dev/stdout` is written in place (see [`Destination`]).

use crate::error::InputError;
use crate::input::reason;
use crate::registry;
use crate::report::ReporterEntry;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub struct Output {
    pub reporter: &'static ReporterEntry,
    /// `None`: stdout.
    pub path: Option<PathBuf>,
}

/// The reporter used when no `--format` is given.
pub const DEFAULT_FORMAT: &str = "table";

/// The formats that keep every finding, whatever the size of the account (SARIF and Markdown
/// cut to fit GitHub's limits, the table is for a terminal): where a cut report points.
pub const COMPLETE_FORMATS: [&str; 4] = ["json", "csv", "ocsf", "junit"];

/// Why `name` is no `--format`: the registered ones.
pub fn unknown_format(name: &str) -> String {
    let names: Vec<&str> = registry::reporters().iter().map(|r| r.name).collect();
    format!(
        "unknown format '{}' (choose from {})",
        printable(name),
        names.join(", ")
    )
}

/// Parses and checks every `--format` value before anything runs; no value means
/// [`DEFAULT_FORMAT`].
pub fn parse_outputs(specs: &[String]) -> Result<Vec<Output>, InputError> {
    let default = [DEFAULT_FORMAT.to_owned()];
    let specs = if specs.is_empty() {
        &default[..]
    } else {
        specs
    };
    let mut outputs: Vec<Output> = Vec::new();
    for spec in specs {
        let (name, path) = match spec.split_once('=') {
            Some((name, path)) => (name, Some(path)),
            None => (spec.as_str(), None),
        };
        let reporter =
            registry::reporter(name).ok_or_else(|| InputError::Other(unknown_format(name)))?;
        let path = match path {
            // The process's own stdout, by another name: the same destination as no path.
            Some("/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1") => None,
            None => None,
            Some("") => {
                return Err(InputError::Other(format!(
                    "--format {name}= needs a file path after '='"
                )));
            }
            Some(p) => {
                let path = PathBuf::from(p);
                if p.ends_with('/') || path.is_dir() {
                    return Err(InputError::Other(format!(
                        "--format {spec}: '{p}' is a directory, not a file"
                    )));
                }
                check_writable(&path).map_err(|e| {
                    InputError::Other(format!(
                        "--format {spec}: cannot write '{p}': {}",
                        reason(&e)
                    ))
                })?;
                Some(path)
            }
        };
        let same = |other: &Option<PathBuf>| match (other, &path) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                a == b || matches!((destination(a), destination(b)), (Ok(x), Ok(y)) if x == y)
            }
            _ => false,
        };
        if let Some(other) = outputs.iter().find(|o| same(&o.path)) {
            return Err(InputError::Other(match &path {
                None => format!(
                    "only one format can go to stdout ('{}' and '{name}'); give the others a file: --format {name}=PATH",
                    other.reporter.name
                ),
                Some(p) => format!("two formats would write {}", p.display()),
            }));
        }
        outputs.push(Output { reporter, path });
    }
    Ok(outputs)
}

/// How a report reaches its path, decided from what is there: only a regular file (or a new
/// path) is replaced atomically; a FIFO, a terminal, `/dev/null` or an inherited descriptor
/// (`/dev/stdout`, `/dev/fd/3`) is written in place, because a rename would put a regular file
/// where the reader is waiting (and, as root, turn `/dev/stdout` into a file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A temporary file in the same directory, then a rename onto this path (the symlink's
    /// target when the path was a symlink, so the link stays a link).
    Replace(PathBuf),
    /// Opened for writing (appending, so a redirected stdout is not truncated) and written.
    InPlace(PathBuf),
}

/// Symlinks followed at most this many times, like the kernel's own limit.
const MAX_SYMLINKS: usize = 40;

/// What writing a report to `path` means, checked without writing anything.
pub fn destination(path: &Path) -> io::Result<Destination> {
    use std::os::unix::fs::FileTypeExt;
    if is_descriptor_path(path) {
        return Ok(Destination::InPlace(path.to_owned()));
    }
    let resolved = follow_symlinks(path)?;
    if is_descriptor_path(&resolved) {
        return Ok(Destination::InPlace(resolved));
    }
    let kind = match std::fs::metadata(&resolved) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Destination::Replace(resolved));
        }
        Err(e) => return Err(e),
        Ok(meta) => meta.file_type(),
    };
    if kind.is_file() {
        Ok(Destination::Replace(resolved))
    } else if kind.is_fifo() || kind.is_char_device() {
        Ok(Destination::InPlace(resolved))
    } else {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a block device"
        };
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {what}, not a file"),
        ))
    }
}

/// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and `/proc/…/fd/N` name descriptors the process
/// already has; their link targets (`pipe:[123]`, a terminal) are not paths to rename onto.
fn is_descriptor_path(path: &Path) -> bool {
    let text = path.to_string_lossy();
    matches!(text.as_ref(), "/dev/stdout" | "/dev/stderr" | "/dev/stdin")
        || text.starts_with("/dev/fd/")
        || (text.starts_with("/proc/") && text.contains("/fd/"))
}

/// The path with its last component's symlinks followed (a dangling link gives its target,
/// which is then created).
fn follow_symlinks(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_owned();
    for _ in 0..MAX_SYMLINKS {
        if is_descriptor_path(&current) {
            return Ok(current);
        }
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "too many levels of symbolic links",
    ))
}

/// Checks, before any request is sent, that a report can be written to `path`: what is there
/// can take a report, and the directory a new file goes into exists (or can be created) and is
/// writable. A probe file is created and removed at once; nothing else is written.
pub fn check_writable(path: &Path) -> io::Result<()> {
    let Destination::Replace(path) = destination(path)? else {
        // Opening a FIFO would wait for its reader; a device or descriptor says at write time.
        return Ok(());
    };
    let dir = directory_of(&path);
    let mut existing = dir.as_path();
    while !existing.exists() {
        existing = existing.parent().unwrap_or(Path::new("."));
        if existing.as_os_str().is_empty() {
            existing = Path::new(".");
        }
    }
    if !existing.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", existing.display()),
        ));
    }
    let probe = existing.join(format!(".s3tk-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot create files in {}: {}",
                    existing.display(),
                    reason(&e)
                ),
            )
        })?;
    std::fs::remove_file(&probe)
}

fn directory_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned()
}

/// Writes `bytes` to `path` as [`destination`] says: atomically (a temporary file in the same
/// directory, fsynced, then renamed; parent directories created; an existing file's permissions
/// kept) or in place.
pub fn write_report(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match destination(path)? {
        Destination::InPlace(path) => {
            let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
            file.write_all(bytes)?;
            file.flush()
        }
        Destination::Replace(path) => replace_atomically(&path, bytes),
    }
}

fn replace_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = directory_of(path);
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    // A name nobody can have prepared (a symlink planted in a shared directory), never
    // opened unless new.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temp = dir.join(format!(
        ".{}.tmp-{}-{}-{nonce:08x}",
        name.to_string_lossy(),
        std::process::id(),
        WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        if let Ok(old) = std::fs::metadata(path) {
            file.set_permissions(old.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        std::fs::remove_file(&temp).ok();
    }
    result
}

/// Whether a character could move the cursor, recolour or reorder what a terminal shows.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// JSON text (a policy as S3 stores it) made safe for a terminal and still the same JSON: the
/// characters [`printable`] escapes can only stand inside strings in valid JSON, and there
/// `\u009b` means the same character, so a printed policy still restores exactly. Line breaks,
/// which valid JSON has only between tokens, stay.
pub fn printable_json(text: &str) -> std::borrow::Cow<'_, str> {
    let escape = |c: char| unsafe_char(c) && !matches!(c, '\n' | '\r' | '\t');
    if !text.chars().any(escape) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Text from S3 or the user (object keys, S3's messages, tags) made safe for a terminal or a
/// text file: C0 and C1 control characters, DEL and the Unicode bidirectional overrides are
/// shown as escapes (`\n`, `\x1b`, `\u{202e}`), so a key cannot move the cursor, recolour or
/// rewrite a line, or reorder what is shown. JSON needs none of this: serde escapes.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(specs: &[&str]) -> Result<Vec<(&'static str, Option<PathBuf>)>, String> {
        let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        parse_outputs(&specs)
            .map(|o| o.into_iter().map(|o| (o.reporter.name, o.path)).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(printable("reports/2026.csv"), "reports/2026.csv");
        assert_eq!(
            printable("a\x1b[2K\r\u{2714} b: private"),
            "a\\x1b[2K\\r\u{2714} b: private"
        );
        assert_eq!(printable("x\ny\tz\u{7f}"), "x\\ny\\tz\\x7f");
        assert_eq!(printable("\u{9b}31m"), "\\x9b31m");
        assert_eq!(printable("txt.\u{202e}exe"), "txt.\\u{202e}exe");
        // In JSON, the escape is JSON's own: the document still parses to the same value.
        let policy = "{\n  \"Sid\": \"a\u{9b}31m\u{202e}\\u001b\"\n}";
        let shown = printable_json(policy);
        assert_eq!(shown, "{\n  \"Sid\": \"a\\u009b31m\\u202e\\u001b\"\n}");
        let value = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
        assert_eq!(value(&shown), value(policy));
    }

    #[test]
    fn formats_and_paths() {
        assert_eq!(parse(&[]).unwrap(), [("table", None)]);
        assert_eq!(
            parse(&["table", "junit=reports/s3tk.xml", "markdown=audit.md"]).unwrap(),
            [
                ("table", None),
                ("junit", Some("reports/s3tk.xml".into())),
                ("markdown", Some("audit.md".into()))
            ]
        );
        assert_eq!(
            parse(&["json", "table"]).unwrap_err(),
            "only one format can go to stdout ('json' and 'table'); give the others a file: --format table=PATH"
        );
        assert_eq!(
            parse(&["json=a", "sarif=a"]).unwrap_err(),
            "two formats would write a"
        );
        let names: Vec<_> = crate::registry::reporters()
            .iter()
            .map(|r| r.name)
            .collect();
        let unknown = format!("unknown format 'xml' (choose from {})", names.join(", "));
        assert!(parse(&["xml"]).unwrap_err().starts_with(&unknown));
        assert_eq!(
            parse(&["junit="]).unwrap_err(),
            "--format junit= needs a file path after '='"
        );
        assert_eq!(
            parse(&["junit=out/"]).unwrap_err(),
            "--format junit=out/: 'out/' is a directory, not a file"
        );
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("s3tk-output-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file_and_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("atomic");
        let path = dir.join("nested/report.xml");
        write_report(&path, b"<testsuites/>").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_report(&path, b"<testsuites></testsuites>").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "<testsuites></testsuites>"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let names: Vec<_> = std::fs::read_dir(dir.join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.xml"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_symlink_stays_a_link_and_its_target_gets_the_report() {
        let dir = scratch("symlink");
        let target = dir.join("reports/latest.json");
        std::fs::create_dir_all(dir.join("reports")).unwrap();
        std::fs::write(&target, "old").unwrap();
        let link = dir.join("report.json");
        std::os::unix::fs::symlink("reports/latest.json", &link).unwrap();
        write_report(&link, b"{}").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "{}");
        // A dangling link: its target is created.
        let dangling = dir.join("dangling.json");
        std::os::unix::fs::symlink(dir.join("new.json"), &dangling).unwrap();
        write_report(&dangling, b"[]").unwrap();
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(dir.join("new.json")).unwrap(), "[]");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_fifo_is_written_in_place_for_its_reader() {
        use std::os::unix::fs::FileTypeExt;
        let dir = scratch("fifo");
        let fifo = dir.join("report.fifo");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_report(&fifo, b"<testsuites/>").unwrap();
        assert_eq!(reader.join().unwrap(), "<testsuites/>");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn devices_and_descriptors_are_never_replaced() {
        assert_eq!(
            destination(Path::new("/dev/null")).unwrap(),
            Destination::InPlace("/dev/null".into())
        );
        for path in ["/dev/stdout", "/dev/stderr", "/dev/fd/3", "/proc/self/fd/1"] {
            assert_eq!(
                destination(Path::new(path)).unwrap(),
                Destination::InPlace(path.into()),
                "{path}"
            );
        }
        // A link to a descriptor is that descriptor, not where it points now.
        let dir = scratch("descriptor-link");
        let link = dir.join("out");
        std::os::unix::fs::symlink("/dev/stdout", &link).unwrap();
        assert_eq!(
            destination(&link).unwrap(),
            Destination::InPlace("/dev/stdout".into())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stdout_by_another_name_is_stdout() {
        assert_eq!(parse(&["json=/dev/stdout"]).unwrap(), [("json", None)]);
        assert_eq!(
            parse(&["table", "sarif=/dev/fd/1"]).unwrap_err(),
            "only one format can go to stdout ('table' and 'sarif'); give the others a file: --format sarif=PATH"
        );
        let dir = scratch("same-file");
        let link = dir.join("link.json");
        std::os::unix::fs::symlink(dir.join("report.json"), &link).unwrap();
        let (a, b) = (
            format!("json={}", dir.join("report.json").display()),
            format!("sarif={}", link.display()),
        );
        assert!(
            parse(&[&a, &b])
                .unwrap_err()
                .starts_with("two formats would write")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unwritable_places_are_refused_before_anything_runs() {
        let dir = scratch("unwritable");
        let file = dir.join("a-file");
        std::fs::write(&file, "").unwrap();
        let spec = format!("json={}/report.json", file.display());
        let err = parse(&[&spec]).unwrap_err();
        assert!(err.ends_with("Not a directory"), "{err}");
        let err = parse(&["sarif=/proc/s3tk-report.sarif"]).unwrap_err();
        assert!(
            err.starts_with("--format sarif=/proc/s3tk-report.sarif: cannot write"),
            "{err}"
        );
        assert!(!err.contains("os error"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

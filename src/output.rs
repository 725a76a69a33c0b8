//! Where reports go: `--format FORMAT[=PATH]`, repeatable. Without a path a format goes to
//! stdout (at most one may); with a path it is written atomically (a temporary file in the same
//! directory, then a rename), so a crash never leaves half a report for CI to parse.

use crate::error::InputError;
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

/// Parses and checks every `--format` value before anything runs; no value means `table`.
pub fn parse_outputs(specs: &[String]) -> Result<Vec<Output>, InputError> {
    let default = ["table".to_owned()];
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
        let reporter = registry::reporter(name).ok_or_else(|| {
            let names: Vec<&str> = registry::reporters().iter().map(|r| r.name).collect();
            InputError::Other(format!(
                "unknown format '{name}' (choose from {})",
                names.join(", ")
            ))
        })?;
        let path = match path {
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
                Some(path)
            }
        };
        if let Some(other) = outputs.iter().find(|o| o.path == path) {
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

/// Writes `bytes` to `path` through a temporary file and a rename, creating parent directories.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let temp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        std::fs::remove_file(&temp).ok();
    }
    result
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
        assert!(
            parse(&["xml"]).unwrap_err().starts_with(
                "unknown format 'xml' (choose from json, junit, markdown, sarif, table)"
            )
        );
        assert_eq!(
            parse(&["junit="]).unwrap_err(),
            "--format junit= needs a file path after '='"
        );
        assert_eq!(
            parse(&["junit=out/"]).unwrap_err(),
            "--format junit=out/: 'out/' is a directory, not a file"
        );
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("s3tk-output-test-{}", std::process::id()));
        let path = dir.join("nested/report.xml");
        write_atomically(&path, b"<testsuites/>").unwrap();
        write_atomically(&path, b"<testsuites></testsuites>").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "<testsuites></testsuites>"
        );
        let names: Vec<_> = std::fs::read_dir(dir.join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.xml"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Files named on the command line, read with a bound: a runaway file, or `/dev/zero`, is
//! refused after `limit + 1` bytes instead of filling memory.

use std::io::{self, Read};
use std::path::Path;

/// The contents of `path`, at most `limit` bytes. Errors are one line naming `what` (the
/// option), the path, and for a file that is too big, `limit_text` (the limit and its reason).
pub fn read_bounded(
    path: &Path,
    what: &str,
    limit: u64,
    limit_text: &str,
) -> Result<Vec<u8>, String> {
    let cannot =
        |e: std::io::Error| format!("cannot read {what} {}: {}", path.display(), reason(&e));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{what} {} is larger than {limit_text}",
            path.display()
        ));
    }
    Ok(bytes)
}

/// [`read_bounded`] for a text file, which must be UTF-8.
pub fn read_bounded_text(
    path: &Path,
    what: &str,
    limit: u64,
    limit_text: &str,
) -> Result<String, String> {
    let bytes = read_bounded(path, what, limit, limit_text)?;
    String::from_utf8(bytes).map_err(|_| {
        format!(
            "cannot read {what} {}: it is not UTF-8 text",
            path.display()
        )
    })
}

/// An I/O error's text without the `(os error N)` suffix.
pub fn reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_limit_and_refuses_more_at_once() {
        let dir = std::env::temp_dir().join(format!("s3tk-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ten");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(
            read_bounded(&file, "--x", 10, "10 bytes").unwrap(),
            b"0123456789"
        );
        assert_eq!(
            read_bounded(&file, "--x", 9, "9 bytes (why)").unwrap_err(),
            format!("--x {} is larger than 9 bytes (why)", file.display())
        );
        std::fs::write(&file, [0xff, 0xfe]).unwrap();
        assert!(
            read_bounded_text(&file, "--x", 10, "")
                .unwrap_err()
                .ends_with("it is not UTF-8 text")
        );
        std::fs::remove_dir_all(&dir).unwrap();
        // An endless file: refused once limit + 1 bytes are in.
        assert_eq!(
            read_bounded(Path::new("/dev/zero"), "--x", 1 << 20, "1 MiB").unwrap_err(),
            "--x /dev/zero is larger than 1 MiB"
        );
        assert!(
            read_bounded(Path::new("/nonexistent/s3tk"), "--x", 1, "")
                .unwrap_err()
                .starts_with("cannot read --x /nonexistent/s3tk: ")
        );
    }
}

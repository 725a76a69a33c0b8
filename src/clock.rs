//! The wall clock as reports and state files stamp it. A leaf, so the state cache can date a
//! recorded answer without depending on the report model.

/// The time now, RFC 3339 in UTC to the second (`2026-11-27T02:23:38Z`).
pub fn now_rfc3339() -> String {
    use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
    let now = DateTime::from(std::time::SystemTime::now());
    DateTime::from_secs(now.secs())
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default()
}

/// An RFC 3339 time as milliseconds since the epoch; `None` when it does not parse.
pub fn rfc3339_to_epoch_millis(rfc3339: &str) -> Option<i64> {
    use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
    DateTime::from_str(rfc3339, DateTimeFormat::DateTime)
        .ok()
        .and_then(|t| t.to_millis().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_reads_as_epoch_millis() {
        assert_eq!(
            super::rfc3339_to_epoch_millis("2026-11-27T02:23:38Z"),
            Some(1_795_746_218_000)
        );
        assert_eq!(super::rfc3339_to_epoch_millis("yesterday"), None);
    }
}

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

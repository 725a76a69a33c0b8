//! Remediation plugins: one file per remediation, registered with `declare_remediation!`.
//! See `src/remediation.rs` for the trait and README "Adding a check" for the steps.

//! Remediation plugins, one file per remediation, grouped by scope like the checks. Each plans
//! from cached state; `src/apply.rs` performs the writes.

mod account;
mod bucket;

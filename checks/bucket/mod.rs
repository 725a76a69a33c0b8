//! Checks on one bucket's configuration. Keep the `mod` lines sorted.

mod logging_disabled;
mod public_acl;
mod public_policy;
mod versioning_disabled;

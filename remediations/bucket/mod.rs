//! Remediations of one bucket's configuration. Keep the `mod` lines sorted.

mod block_public_access;
mod disable_acls;
mod enable_default_encryption;
mod enable_logging;
mod enable_versioning;

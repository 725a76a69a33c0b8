//! Checks on one bucket's configuration. Keep the `mod` lines sorted.

mod access_point_public_access_block_disabled;
mod acls_enabled;
mod bucket_key_disabled;
mod cross_account_access;
mod cross_region_replication_disabled;
mod default_encryption_disabled;
mod event_notifications_disabled;
mod insecure_transport;
mod kms_encryption_disabled;
mod lifecycle_missing;
mod logging_disabled;
mod mfa_delete_disabled;
mod object_lock_disabled;
mod object_read_logging_disabled;
mod object_write_logging_disabled;
mod public_access_block_disabled;
mod public_acl_read;
mod public_acl_write;
mod public_policy_read;
mod public_policy_write;
mod public_website;
mod replication_disabled;
mod sse_c_uploads_allowed;
mod unencrypted_uploads_allowed;
mod versioned_without_lifecycle;
mod versioning_disabled;

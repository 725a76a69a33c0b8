//! The object commands: `scan-object-acl`, `reset-object-acl`, `encrypt` and
//! `delete-unencrypted-versions`.
//!
//! Each command is one file with its documentation, a `prepare` step that reads the bucket's
//! settings once from the cached [`BucketState`] (and may finish at once, e.g. when ACLs are
//! disabled), and a per-object step that reads, decides and writes one object, returning a
//! [`Record`]. [`walk`] streams the bucket's objects through that step under bounded
//! concurrency; [`s3`] makes every object-level request.
//! [`command`] puts each command behind the [`command::ObjectCommand`] trait the CLI runs.
//!
//! They are commands rather than registered plugins: each has its own options, listing and
//! decision rules, and nothing composes them the way the runner composes bucket checks.

pub mod acl;
pub mod batch;
pub mod command;
pub mod delete_versions;
pub mod encrypt;
pub mod inventory;
pub mod reset_acl;
pub mod s3;
pub mod scan_acl;
pub mod sse;
pub mod walk;

use crate::error::FetchError;
use crate::model::ObjectOwnership;
use crate::state::BucketState;
pub use command::COMMANDS;
pub use walk::{Record, Status};

/// What `prepare` concluded from the bucket's settings.
pub enum Prepared<C> {
    /// Walk the objects with this context; the notes are worth telling the user first.
    Walk { context: C, notes: Vec<String> },
    /// Nothing to walk: the bucket's settings already answer (exit 0), said in this message.
    Done(String),
    /// The command cannot do its job on this bucket (exit 1), said in this message.
    Refused(String),
}

/// Whether the bucket has ACLs disabled (Object Ownership `BucketOwnerEnforced`).
pub async fn acls_disabled(bucket: &BucketState) -> Result<bool, FetchError> {
    Ok(matches!(
        bucket.ownership_controls().await?,
        Some(ObjectOwnership::BucketOwnerEnforced)
    ))
}

/// The message for a bucket with ACLs disabled.
pub fn acls_disabled_message(bucket: &str) -> String {
    format!(
        "ACLs are disabled on {bucket} (Object Ownership is BucketOwnerEnforced): object ACLs grant \
         nothing and S3 refuses to change them, so no object is public through its ACL. Stored ACLs \
         would return if ACLs were enabled again."
    )
}

//! The object commands behind one trait: what the CLI's runner needs from a command (its
//! description, its listing, its bucket-level `prepare` and its per-object step), so the runner
//! is written once and never asks which command it runs. Each command's own file keeps its
//! rules; the implementations here only connect them.

use super::batch::Operation;
use super::s3::Listed;
use super::sse::Target;
use super::walk::Listing;
use super::{Prepared, Record};
use super::{acl::CannedAcl, delete_versions, encrypt, reset_acl, scan_acl};
use crate::command::CommandInfo;
use crate::state::BucketState;
use aws_sdk_s3::Client;

/// An object command with its options.
pub trait ObjectCommand {
    /// Its usage, summary, documentation and the facets (so the IAM actions) it needs.
    const INFO: &'static CommandInfo;
    /// What the walk lists.
    const LISTING: Listing = Listing::Objects;
    /// What every object's step needs, read once from the bucket's settings.
    type Context;

    /// Whether only to show what would change.
    fn dry_run(&self) -> bool;

    /// Whether it sends an SSE-C key with its requests (which must never cross plain HTTP).
    fn sends_customer_key(&self) -> bool {
        false
    }

    /// Reads the bucket's settings once: walk the objects, or finish at once.
    fn prepare(self, bucket: &BucketState) -> impl Future<Output = Prepared<Self::Context>>;

    /// Reads, decides and (unless a dry run) writes one object.
    fn object(
        context: &Self::Context,
        client: &Client,
        object: Listed,
    ) -> impl Future<Output = Record>;
}

/// An object command that can hand its objects to an S3 Batch Operations job (`--batch`).
pub trait BatchCommand: ObjectCommand {
    /// The object's record and, when it goes into a job, the job's group.
    fn batch_plan(
        context: &Self::Context,
        client: &Client,
        object: Listed,
    ) -> impl Future<Output = (Record, Option<String>)>;

    /// The Batch Operations operation for a job group.
    fn batch_operation(context: &Self::Context, group: &str) -> Operation;
}

/// Every object command, in the README's order: the help, the README table and the IAM
/// policies come from this list of the [`ObjectCommand`]s.
pub const COMMANDS: [&CommandInfo; 4] = [
    ScanAcl::INFO,
    ResetAcl::INFO,
    Encrypt::INFO,
    DeleteVersions::INFO,
];

/// `scan-object-acl`.
pub struct ScanAcl;

impl ObjectCommand for ScanAcl {
    const INFO: &'static CommandInfo = &scan_acl::INFO;
    type Context = scan_acl::Context;

    fn dry_run(&self) -> bool {
        false
    }

    async fn prepare(self, bucket: &BucketState) -> Prepared<Self::Context> {
        scan_acl::prepare(bucket).await
    }

    async fn object(context: &Self::Context, client: &Client, object: Listed) -> Record {
        scan_acl::object(context, client, object).await
    }
}

/// `reset-object-acl --acl CANNED [--dry-run]`.
pub struct ResetAcl {
    pub acl: CannedAcl,
    pub dry_run: bool,
}

impl ObjectCommand for ResetAcl {
    const INFO: &'static CommandInfo = &reset_acl::INFO;
    type Context = reset_acl::Context;

    fn dry_run(&self) -> bool {
        self.dry_run
    }

    async fn prepare(self, bucket: &BucketState) -> Prepared<Self::Context> {
        reset_acl::prepare(bucket, self.acl, self.dry_run).await
    }

    async fn object(context: &Self::Context, client: &Client, object: Listed) -> Record {
        reset_acl::object(context, client, object).await
    }
}

impl BatchCommand for ResetAcl {
    async fn batch_plan(
        context: &Self::Context,
        client: &Client,
        object: Listed,
    ) -> (Record, Option<String>) {
        reset_acl::batch_plan(context, client, object).await
    }

    fn batch_operation(context: &Self::Context, _group: &str) -> Operation {
        Operation::SetAcl {
            canned: context.acl.as_str().to_owned(),
        }
    }
}

/// `encrypt [key options] [--dry-run]`; `sse` is `None` when no key option was given.
pub struct Encrypt {
    pub sse: Option<Target>,
    pub dry_run: bool,
}

impl ObjectCommand for Encrypt {
    const INFO: &'static CommandInfo = &encrypt::INFO;
    type Context = encrypt::Context;

    fn dry_run(&self) -> bool {
        self.dry_run
    }

    fn sends_customer_key(&self) -> bool {
        matches!(self.sse, Some(Target::Customer(_)))
    }

    async fn prepare(self, bucket: &BucketState) -> Prepared<Self::Context> {
        encrypt::prepare(bucket, self.sse, self.dry_run).await
    }

    async fn object(context: &Self::Context, client: &Client, object: Listed) -> Record {
        encrypt::object(context, client, object).await
    }
}

impl BatchCommand for Encrypt {
    async fn batch_plan(
        context: &Self::Context,
        client: &Client,
        object: Listed,
    ) -> (Record, Option<String>) {
        encrypt::batch_plan(context, client, object).await
    }

    /// A Batch copy sets one storage class for the whole job: the group is that class.
    fn batch_operation(context: &Self::Context, group: &str) -> Operation {
        Operation::Encrypt {
            target: context.target.clone(),
            storage_class: group.to_owned(),
        }
    }
}

/// `delete-unencrypted-versions [--dry-run]`.
pub struct DeleteVersions {
    pub dry_run: bool,
}

impl ObjectCommand for DeleteVersions {
    const INFO: &'static CommandInfo = &delete_versions::INFO;
    const LISTING: Listing = Listing::NoncurrentVersions;
    type Context = delete_versions::Context;

    fn dry_run(&self) -> bool {
        self.dry_run
    }

    async fn prepare(self, bucket: &BucketState) -> Prepared<Self::Context> {
        delete_versions::prepare(bucket, self.dry_run).await
    }

    async fn object(context: &Self::Context, client: &Client, object: Listed) -> Record {
        delete_versions::object(context, client, object).await
    }
}

//! s3tk: a security toolkit for Amazon S3.
//!
//! The core lives in `src/`: the plugin traits ([`check`], [`remediation`], [`report`]), the
//! [`registry`] that collects them, AWS access ([`aws`]: clients, account-level calls), the
//! per-bucket state cache ([`state`]), the one executor of remediations' writes ([`apply`]) and
//! the [`runner`] that composes selected checks over selected buckets.
//! Plugins live in the top-level `checks/`, `remediations/` and `reporters/` folders; they read
//! the cache and return data, and never call AWS themselves.
//!
//! ## Layers
//!
//! The modules form a one-way graph: each uses only modules of lower layers, so leaf types
//! (facets, changes, records) can be read without the logic above them, and the CLI sits on
//! top. `architecture.rs` reads the `crate::` paths of the sources and fails on a cycle or an
//! upward use, with this table:
//!
//! 1. leaves: [`facet`], [`model`], [`policy`], [`glob`], [`input`], [`clock`], [`pacing`],
//!    [`exit`];
//! 2. [`error`], [`change`];
//! 3. [`aws`];
//! 4. [`state`], [`select`], [`dns`];
//! 5. [`check`], [`remediation`], [`command`], [`apply`];
//! 6. [`exposure`], [`data_events`], [`report`];
//! 7. [`registry`], [`runner`], [`objects`], [`org`], [`notify`], [`cases`];
//! 8. [`output`], [`suppress`], [`fix`], [`iam`], [`synthetic`];
//! 9. [`catalog`] and the plugin folders `checks/`, `remediations/`, `reporters/` (which
//!    nothing uses: inventory collects them);
//! 10. [`cli`].
//!
//! ## Requests to AWS
//!
//! Only these files send requests (the same test keeps the list exact); every other module,
//! plugins included, works on their answers:
//!
//! - `aws.rs` reads: ListBuckets, for selection and the account's bucket list.
//! - `state/fetch.rs` reads: every facet of the state cache (bucket configuration, the
//!   account's Block Public Access and identity, access points, CloudTrail trails).
//! - `state/aws_config.rs` reads: the same facets from AWS Config (`--from-aws-config`).
//! - `dns.rs` reads: Route 53 hosted zones and record sets (`scan-dns`).
//! - `org.rs` reads: the organization's accounts (`scan --organization`).
//! - `apply.rs` writes: bucket and account settings, every [`change::Change`] a remediation
//!   planned, and nothing else.
//! - `objects/s3.rs` writes: objects (ACL resets, encrypting copies, deleting versions) for the
//!   object commands, and reads objects and their versions.
//! - `objects/batch.rs` writes: a Batch Operations manifest and its jobs (`--batch`).
//! - `notify.rs` writes: the scan summary published to SNS (`scan --sns-topic`).

pub mod apply;
pub mod aws;
pub mod cases;
pub mod catalog;
pub mod change;
pub mod check;
pub mod cli;
pub mod clock;
pub mod command;
pub mod data_events;
pub mod dns;
pub mod error;
pub mod exit;
pub mod exposure;
pub mod facet;
pub mod fix;
pub mod glob;
pub mod iam;
pub mod input;
pub mod model;
pub mod notify;
pub mod objects;
pub mod org;
pub mod output;
pub mod pacing;
pub mod policy;
pub mod registry;
pub mod remediation;
pub mod report;
pub mod runner;
pub mod select;
pub mod state;
pub mod suppress;
#[doc(hidden)]
pub mod synthetic;

#[cfg(test)]
mod architecture;
#[cfg(test)]
mod testing;

// The plugin folders sit at the top level (the product owner's layout) but must be part of this
// crate: a separate crate would depend on the core while the core's binary depends on it, a
// package cycle Cargo rejects. `#[path]` mounts them; they are only reached through `inventory`.
#[path = "../checks/mod.rs"]
mod checks;
#[path = "../remediations/mod.rs"]
mod remediations;
#[path = "../reporters/mod.rs"]
mod reporters;

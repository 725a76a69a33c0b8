//! s3tk: a security toolkit for Amazon S3.
//!
//! The core lives in `src/`: the plugin traits ([`check`], [`remediation`], [`report`]), the
//! [`registry`] that collects them, AWS access ([`aws`]: clients, account-level calls) and the
//! per-bucket state cache ([`state`]), which together are the only code that talks to AWS, and
//! the [`runner`] that composes selected checks over selected buckets.
//! Plugins live in the top-level `checks/`, `remediations/` and `reporters/` folders; they read
//! the cache and return data, and never call AWS themselves.

pub mod aws;
pub mod cases;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod data_events;
pub mod dns;
pub mod error;
pub mod exposure;
pub mod fix;
pub mod glob;
pub mod iam;
pub mod input;
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
pub mod testing;

// The plugin folders sit at the top level (the product owner's layout) but must be part of this
// crate: a separate crate would depend on the core while the core's binary depends on it, a
// package cycle Cargo rejects. `#[path]` mounts them; they are only reached through `inventory`.
#[path = "../checks/mod.rs"]
mod checks;
#[path = "../remediations/mod.rs"]
mod remediations;
#[path = "../reporters/mod.rs"]
mod reporters;

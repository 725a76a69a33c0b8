//! The one integration-test binary (one link on a 2-core machine, not one per file).

mod batch;
mod cache;
mod catalog;
mod cli;
mod config;
mod data_events;
mod dns;
mod docs;
mod fake_config;
mod fake_record;
mod fake_s3;
mod fix;
mod iam;
mod inventory;
mod moto;
mod notify;
mod objects;
mod org;
mod policy;
mod remediations;
mod report_consumers;
mod reports;
mod scan;
mod state;
mod support;
mod throttling;

//! Check plugins, one file per check, grouped by scope. To add one, create the file in the
//! scope's folder and add its `mod` line there (docs/contributing.md, "Adding a check").

mod account;
mod bucket;
mod dns;

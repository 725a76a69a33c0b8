//! Reporter plugins, one file per output format; the file's `name` is the `--format` value.

mod csv;
mod json;
mod junit;
mod markdown;
mod ocsf;
mod sarif;
mod table;

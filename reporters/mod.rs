//! Reporter plugins, one file per output format; the file's `name` is the `--format` value.

mod json;
mod junit;
mod markdown;
mod sarif;
mod table;

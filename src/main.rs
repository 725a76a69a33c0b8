use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    s3tk::cli::run(s3tk::cli::Cli::parse()).await
}

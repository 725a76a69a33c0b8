use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use s3tk::cli::{Cli, run};
use std::process::ExitCode;

// One thread: s3tk's work is waiting on S3. Measured with benches/objects.rs (10,000
// GetObjectAcl at 20 ms, concurrency 64), the multi-threaded scheduler cost 56% more CPU per
// request (3.72 s against 2.38 s) in cross-thread wake-ups, for no gain in throughput; one
// thread handles about 4,000 requests a second.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => run(cli).await,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
        Err(e) => {
            eprintln!("{}", one_line_usage_error(&e.render().to_string()));
            ExitCode::from(2)
        }
    }
}

/// Clap's usage errors span several lines; bad input gets one line here, keeping any tip.
fn one_line_usage_error(rendered: &str) -> String {
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut message = lines
        .next()
        .unwrap_or("error: invalid arguments")
        .to_owned();
    let rest: Vec<&str> = lines.collect();
    // "the following required arguments were not provided:" lists them on the next lines.
    let missing: Vec<&str> = rest
        .iter()
        .copied()
        .filter(|l| l.starts_with("--") || l.starts_with('<'))
        .collect();
    if !missing.is_empty() {
        message.push(' ');
        message.push_str(&missing.join(", "));
    }
    for tip in rest.iter().filter(|l| l.starts_with("tip:")) {
        message.push_str("; ");
        message.push_str(tip);
    }
    let subcommand = std::env::args()
        .skip(1)
        .find(|a| Cli::command().get_subcommands().any(|c| c.get_name() == a));
    match subcommand {
        Some(name) => format!("{message} (see `s3tk {name} --help`)"),
        None => format!("{message} (see `s3tk --help`)"),
    }
}

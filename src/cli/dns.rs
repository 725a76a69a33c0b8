//! `scan-dns`: the Route 53 records that point at S3, checked like buckets.

use super::args::{GlobalArgs, ReportArgs};
use super::scan::report::{finish_report, write_report_outputs};
use super::{Failure, aws_options};
use crate::aws::{DEFAULT_CONCURRENCY, S3Clients};
use crate::registry;
use crate::report::Style;
use crate::state::AccountState;

/// `scan-dns`: every Route 53 record that points at S3, through the same reporters and exit
/// codes as `scan`.
pub(super) async fn run(
    global: &GlobalArgs,
    args: ReportArgs,
    style: Style,
) -> Result<u8, Failure> {
    let started = std::time::Instant::now();
    let (outputs, ignore) = args.parse()?;
    let checks: Vec<_> = registry::checks()
        .into_iter()
        .filter(|c| c.meta.scope == crate::check::Scope::Dns)
        .collect();
    let clients = S3Clients::load(&aws_options(global, DEFAULT_CONCURRENCY)).await?;
    let records = crate::dns::s3_records(&clients)
        .await
        .map_err(|e| Failure::fetch(e, "could not read the Route 53 records"))?;
    let account = AccountState::new(clients);
    let (findings, account_id) = tokio::join!(
        crate::runner::scan_dns(
            &account,
            &records,
            &checks,
            global.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
        ),
        async { account.account_id().await.ok().map(str::to_owned) },
    );
    if records.is_empty() {
        eprintln!("no Route 53 record points at S3");
    }
    let report = finish_report(findings, account_id, ignore.as_ref(), started);
    let code = report.exit_code(args.fail_on);
    write_report_outputs(&report, &outputs, &args.options(style, &outputs))?;
    Ok(code)
}

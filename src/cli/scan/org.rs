//! `scan --role-name` with `--accounts` or `--organization`: every account through its
//! assumed role.

use super::{ScanPlan, scan_account};
use crate::cli::Failure;
use crate::report::Finding;
use crate::state::AccountState;
use crate::state::snapshot::AccountRecord;
use std::sync::Arc;

/// `scan --role-name`: every account through its assumed role, a few at a time. An account
/// that cannot be scanned is an error finding; only a failure to find the accounts at all
/// stops the run. Also returns what a stop left unscanned (`ACCOUNT: bucket`, or
/// `ACCOUNT: every bucket` for an account not started), and each account's record when the
/// plan records.
pub(super) async fn scan_organization(
    caller: &AccountState,
    org: &crate::org::OrgScan,
    plan: &ScanPlan<'_>,
) -> Result<(Vec<Finding>, Vec<String>, Vec<AccountRecord>), Failure> {
    use crate::org::{self, Accounts};
    use futures::StreamExt;
    let clients = caller.clients().expect("a live run has clients");
    let accounts = match &org.accounts {
        Accounts::Listed(ids) => ids.clone(),
        Accounts::Organization => org::organization_accounts(clients)
            .await
            .map_err(|e| Failure::fetch(e, "could not list the organization's accounts"))?,
    };
    eprintln!(
        "scanning {} account(s) as role {}, {} at a time",
        accounts.len(),
        org.role_name,
        org::ACCOUNTS_AT_ONCE
    );
    let region = clients.default_region().to_owned();
    let stop = &clients.pacing().stop;
    let started = std::sync::Mutex::new(std::collections::HashSet::new());
    let scan_one = |id: String| {
        let region = region.clone();
        started.lock().expect("started accounts").insert(id.clone());
        async move {
            let assumed = match org::assume(clients, &id, &org.role_name).await {
                Ok(assumed) => assumed,
                Err(e) => return (vec![org::unreachable(&id, &region, e)], Vec::new(), None),
            };
            let state = AccountState::new(assumed);
            match scan_account(Arc::clone(&state), Some(&id), plan, false).await {
                Ok(scan) => (
                    scan.scanned.findings,
                    scan.scanned
                        .not_scanned
                        .iter()
                        .map(|b| format!("{id}: {b}"))
                        .collect(),
                    scan.record,
                ),
                Err(e) => (
                    vec![org::unreachable(&id, &region, e)],
                    Vec::new(),
                    plan.record.then(|| state.record(&Default::default())),
                ),
            }
        }
    };
    let results: Vec<_> = futures::stream::iter(accounts.clone())
        .take_until(stop.stopped())
        .map(scan_one)
        .buffer_unordered(org::ACCOUNTS_AT_ONCE)
        .collect()
        .await;
    let (mut findings, mut not_scanned, mut records) = (Vec::new(), Vec::new(), Vec::new());
    for (f, n, r) in results {
        findings.extend(f);
        not_scanned.extend(n);
        records.extend(r);
    }
    let started = started.into_inner().expect("started accounts");
    not_scanned.extend(
        accounts
            .iter()
            .filter(|id| !started.contains(*id))
            .map(|id| format!("{id}: every bucket")),
    );
    Ok((findings, not_scanned, records))
}

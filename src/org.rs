//! Organization-wide scans (`scan --role-name ROLE --accounts ID… | --organization`): the
//! caller assumes the same role in every account and each account is scanned with its own
//! clients, a few accounts at a time, under the run's one request limit. An account whose role
//! cannot be assumed, or whose buckets cannot be listed, becomes an error finding of that
//! account: one account never stops the others.

use crate::aws::{S3Clients, classify};
use crate::check::{CheckMeta, Control, Scope, Severity};
use crate::error::{FetchError, FetchErrorKind};
use crate::facet::Facet;
use crate::report::{Finding, Resource};
use std::time::Duration;

/// Accounts scanned at once (each with up to `--concurrency` requests in flight in all).
pub const ACCOUNTS_AT_ONCE: usize = 4;

/// The finding of an account s3tk could not scan. Not a registered check: it has nothing to
/// evaluate, only a failure to report.
pub static SCAN_ACCESS: CheckMeta = CheckMeta {
    id: "s3.account.scan-access",
    title: "The account could not be scanned",
    scope: Scope::Account,
    severity: Severity::High,
    facets: &[Facet::AssumeRole, Facet::BucketList],
    compliance: &[] as &[Control],
    opt_in: None,
    doc: " ## What it checks
 Whether s3tk could list the account's buckets (and, with `--role-name`, assume the role in it).

 ## Why it matters
 An account that cannot be scanned is an account nobody checks: its buckets may be public.

 ## How to fix
 Grant the scanning identity the policy `s3tk iam-policy scan` prints. For `--role-name`,
 create the role in the account (for example with a StackSet), trusting the scanning account.
",
    source_file: file!(),
};

/// Which accounts to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accounts {
    Listed(Vec<String>),
    /// Every active account of the caller's organization.
    Organization,
}

/// `--role-name` with `--accounts` or `--organization`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgScan {
    pub role_name: String,
    pub accounts: Accounts,
}

impl OrgScan {
    pub fn new(
        role_name: Option<String>,
        accounts: Vec<String>,
        organization: bool,
    ) -> Result<Option<OrgScan>, String> {
        let Some(role_name) = role_name else {
            if !accounts.is_empty() || organization {
                return Err("--accounts and --organization need --role-name".into());
            }
            return Ok(None);
        };
        let valid_name = !role_name.is_empty()
            && role_name.len() <= 64
            && role_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b));
        if !valid_name {
            return Err(format!(
                "invalid --role-name '{role_name}': an IAM role name"
            ));
        }
        for id in &accounts {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "invalid --accounts entry '{id}': an AWS account id is 12 digits"
                ));
            }
        }
        let accounts = match (accounts.is_empty(), organization) {
            (false, false) => Accounts::Listed(accounts),
            (true, true) => Accounts::Organization,
            (true, false) => {
                return Err("--role-name needs --accounts ID,… or --organization".into());
            }
            (false, true) => return Err("use --accounts or --organization, not both".into()),
        };
        Ok(Some(OrgScan {
            role_name,
            accounts,
        }))
    }
}

/// The active accounts of the caller's organization (ListAccounts, every page).
pub async fn organization_accounts(clients: &S3Clients) -> Result<Vec<String>, FetchError> {
    let client = clients.organizations();
    let mut accounts = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _permit = clients.permit().await;
            client
                .list_accounts()
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify(Facet::OrganizationAccounts, e))?
        };
        accounts.extend(page.accounts().iter().filter_map(|a| {
            let active = match a.state() {
                Some(state) => state.as_str() == "ACTIVE",
                None => a.status().is_some_and(|s| s.as_str() == "ACTIVE"),
            };
            active.then(|| a.id().map(str::to_owned)).flatten()
        }));
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => {
                accounts.sort();
                accounts.dedup();
                return Ok(accounts);
            }
        }
    }
}

/// Clients acting as `role_name` in `account`. The session renews itself before it expires,
/// so a long scan of a large account keeps going; the first one is fetched here, so a refusal
/// is this account's error, not a failure of its first request.
pub async fn assume(
    clients: &S3Clients,
    account: &str,
    role_name: &str,
) -> Result<S3Clients, FetchError> {
    use aws_credential_types::provider::ProvideCredentials;
    let partition = crate::data_events::partition(clients.default_region());
    let arn = format!("arn:{partition}:iam::{account}:role/{role_name}");
    let provider = aws_config::sts::AssumeRoleProvider::builder(&arn)
        .session_name("s3tk-scan")
        .configure(clients.sdk_config())
        .build()
        .await;
    let first = {
        let _permit = clients.permit().await;
        provider.provide_credentials().await
    };
    let first = match first {
        Ok(credentials) => credentials,
        Err(e) => {
            let detail = crate::aws::error_chain(&e);
            let kind = if detail.contains("AccessDenied") {
                FetchErrorKind::AccessDenied
            } else {
                FetchErrorKind::Service {
                    code: None,
                    status: None,
                    message: Some(detail),
                }
            };
            return Err(FetchError::new(Facet::AssumeRole, kind));
        }
    };
    let provider = Prefetched {
        first: std::sync::Mutex::new(Some(first)),
        renew: provider,
    };
    clients
        .with_credentials(aws_credential_types::provider::SharedCredentialsProvider::new(provider))
        .map_err(|e| {
            FetchError::new(
                Facet::AssumeRole,
                FetchErrorKind::Malformed {
                    detail: e.to_string(),
                },
            )
        })
}

/// The credentials fetched to check the role, handed out first; then the renewing provider
/// (the clients' cache asks again only when they are about to expire).
#[derive(Debug)]
struct Prefetched {
    first: std::sync::Mutex<Option<aws_credential_types::Credentials>>,
    renew: aws_config::sts::AssumeRoleProvider,
}

impl aws_credential_types::provider::ProvideCredentials for Prefetched {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let first = self.first.lock().expect("credentials lock").take();
        match first {
            Some(credentials) => {
                aws_credential_types::provider::future::ProvideCredentials::ready(Ok(credentials))
            }
            None => self.renew.provide_credentials(),
        }
    }
}

/// The error finding of an account that could not be scanned.
pub fn unreachable(account: &str, region: &str, why: FetchError) -> Finding {
    let mut finding = Finding::new(
        &SCAN_ACCESS,
        Resource::Account(account.to_owned()),
        Some(region),
        Err(why),
        Duration::ZERO,
    );
    finding.account = Some(account.to_owned());
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_are_validated_together() {
        assert_eq!(OrgScan::new(None, vec![], false), Ok(None));
        assert_eq!(
            OrgScan::new(Some("Audit".into()), own(&["111122223333"]), false),
            Ok(Some(OrgScan {
                role_name: "Audit".into(),
                accounts: Accounts::Listed(own(&["111122223333"]))
            }))
        );
        assert_eq!(
            OrgScan::new(Some("Audit".into()), vec![], true)
                .unwrap()
                .unwrap()
                .accounts,
            Accounts::Organization
        );
        for (role, accounts, org, error) in [
            (None, own(&["111122223333"]), false, "need --role-name"),
            (Some("Audit"), vec![], false, "needs --accounts"),
            (Some("Audit"), own(&["111122223333"]), true, "not both"),
            (Some("Audit"), own(&["1111"]), false, "12 digits"),
            (
                Some("bad role"),
                own(&["111122223333"]),
                false,
                "invalid --role-name",
            ),
        ] {
            let err = OrgScan::new(role.map(str::to_owned), accounts, org).unwrap_err();
            assert!(err.contains(error), "{err}");
        }
    }
}

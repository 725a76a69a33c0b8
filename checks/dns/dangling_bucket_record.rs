use crate::check::{DnsCheck, Outcome, Severity};
use crate::declare_check;
use crate::error::{FetchError, FetchErrorKind};
use crate::model::{EndpointKind, S3Record};
use crate::select::check_creatable_bucket_name;
use crate::state::AccountState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Every Route 53 record that sends a hostname to S3: CNAMEs to any S3 endpoint (legacy
    /// `BUCKET.s3.amazonaws.com`, regional `BUCKET.s3.REGION.amazonaws.com` and
    /// `BUCKET.s3-REGION`, dualstack, FIPS, Transfer Acceleration, dash- and dot-form website
    /// endpoints, China and GovCloud) and aliases to S3 website endpoints. S3 serves such a
    /// request from the bucket named exactly like the hostname, so for each record s3tk looks
    /// that bucket up:
    ///
    /// - in this account's bucket list: pass (a bucket in another region than the record's
    ///   endpoint fails at low severity, because requests then fail);
    /// - missing (HeadBucket 404): **critical**, anyone can create the bucket and serve content
    ///   on your hostname (subdomain takeover); high in a private hosted zone, which only
    ///   clients in its VPCs resolve;
    /// - existing in another account (HeadBucket 403, or an answer for a bucket this account
    ///   does not own): high, it may already have been claimed by someone else;
    /// - a wildcard record (`*.example.com`): critical, any subdomain can be claimed by creating
    ///   a bucket with its name.
    ///
    /// A record whose name is not a valid bucket name cannot work but cannot be claimed either
    /// (low).
    ///
    /// ## Why it matters
    /// Bucket names are global. Deleting a bucket but not its DNS record leaves the hostname
    /// pointing at a name anyone can register, who then serves phishing pages or scripts from
    /// your domain, reads cookies scoped to it, and passes your Content Security Policy.
    ///
    /// ## How to fix
    /// Delete the record if the site is gone; otherwise re-create the bucket in your account at
    /// once. Better, serve the content through CloudFront with Origin Access Control, which
    /// removes the requirement that the bucket be named like the hostname.
    pub DanglingBucketRecord {
        id: "s3.dns.dangling-bucket-record",
        title: "DNS record points at an S3 bucket this account does not own",
        scope: Dns,
        severity: Critical,
        facets: [HostedZones, RecordSets, BucketList, Region],
        compliance: [],
    }
}

#[async_trait]
impl DnsCheck for DanglingBucketRecord {
    async fn evaluate(
        &self,
        record: &S3Record,
        account: &AccountState,
    ) -> Result<Outcome, FetchError> {
        let bucket = record.bucket();
        let endpoint = match record.endpoint.kind {
            EndpointKind::Rest => "S3",
            EndpointKind::Website => "S3 website",
        };
        let region = record
            .endpoint
            .region
            .as_deref()
            .map(|r| format!(" in {r}"))
            .unwrap_or_default();
        if record.is_wildcard() {
            return Ok(Outcome::Fail(format!(
                "every subdomain of {} goes to the {endpoint} endpoint {}: anyone can create a \
                 bucket named like a subdomain{region} and serve content on it",
                &bucket[2..],
                record.target
            )));
        }
        // S3 serves the bucket named like the host, not the one the target names.
        let mismatch = match &record.endpoint.bucket_in_host {
            Some(named) if named != bucket => format!(
                " (the target names bucket {named}, but S3 serves the bucket named like the host)"
            ),
            _ => String::new(),
        };
        let owned = account.owned_buckets().await?.contains(bucket);
        if !owned && let Err(reason) = check_creatable_bucket_name(bucket) {
            return Ok(Outcome::FailAt(
                Severity::Low,
                format!(
                    "no bucket can be named {bucket} ({reason}), so the record cannot work; no \
                     one can claim it either"
                ),
            ));
        }
        if owned {
            let actual = account.bucket_region(bucket).await?;
            return Ok(match record.endpoint.region.as_deref() {
                Some(expected) if expected != actual => Outcome::FailAt(
                    Severity::Low,
                    format!(
                        "bucket {bucket} is in this account but in {actual}, while the record \
                         points at the {endpoint} endpoint in {expected}: requests fail{mismatch}"
                    ),
                ),
                _ => Outcome::Pass(format!(
                    "bucket {bucket} is in this account ({actual}){mismatch}"
                )),
            });
        }
        Ok(match account.bucket_region(bucket).await {
            Err(FetchError {
                kind: FetchErrorKind::NoSuchBucket,
                ..
            }) => {
                let message = format!(
                    "bucket {bucket} does not exist: anyone can create it{region} and serve \
                     content on {bucket} (subdomain takeover){mismatch}"
                );
                if record.private_zone {
                    // Only clients inside the zone's VPCs resolve the name.
                    Outcome::FailAt(
                        Severity::High,
                        format!("{message}; the record is in a private hosted zone"),
                    )
                } else {
                    Outcome::Fail(message)
                }
            }
            Ok(actual) => Outcome::FailAt(
                Severity::High,
                format!(
                    "bucket {bucket} exists ({actual}) but not in this account: make sure its \
                     owner is yours, or delete the record{mismatch}"
                ),
            ),
            Err(other) => return Err(other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::parse_endpoint;
    use crate::model::S3Endpoint;
    use crate::state::OfflineAccount;

    fn record(name: &str, target: &str) -> S3Record {
        S3Record {
            zone_id: "Z1".into(),
            private_zone: false,
            name: name.into(),
            record_type: "CNAME".into(),
            target: target.into(),
            endpoint: parse_endpoint(target).unwrap_or(S3Endpoint {
                kind: EndpointKind::Rest,
                region: None,
                bucket_in_host: None,
            }),
        }
    }

    fn missing() -> Result<String, FetchError> {
        Err(FetchError::new(
            crate::facet::Facet::Region,
            FetchErrorKind::NoSuchBucket,
        ))
    }

    async fn outcome(record: S3Record) -> Outcome {
        let account = OfflineAccount::new()
            .owned_buckets(&["www.example.com", "old.example.com"])
            .bucket_region("www.example.com", Ok("us-east-1".into()))
            .bucket_region("old.example.com", Ok("eu-west-1".into()))
            .bucket_region("gone.example.com", missing())
            .bucket_region("taken.example.com", Ok("us-west-2".into()))
            .build();
        DanglingBucketRecord
            .evaluate(&record, &account)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn owned_buckets_pass() {
        assert_eq!(
            outcome(record(
                "www.example.com",
                "www.example.com.s3-website-us-east-1.amazonaws.com"
            ))
            .await,
            Outcome::Pass("bucket www.example.com is in this account (us-east-1)".into())
        );
    }

    #[tokio::test]
    async fn missing_buckets_are_takeovers() {
        let Outcome::Fail(message) = outcome(record(
            "gone.example.com",
            "gone.example.com.s3.eu-west-1.amazonaws.com",
        ))
        .await
        else {
            panic!("expected a critical failure");
        };
        assert_eq!(
            message,
            "bucket gone.example.com does not exist: anyone can create it in eu-west-1 and serve \
             content on gone.example.com (subdomain takeover)"
        );
    }

    #[tokio::test]
    async fn the_host_names_the_bucket_not_the_target() {
        let Outcome::Fail(message) = outcome(record(
            "gone.example.com",
            "www.example.com.s3.amazonaws.com",
        ))
        .await
        else {
            panic!("expected a critical failure");
        };
        assert!(
            message.starts_with("bucket gone.example.com does not exist"),
            "{message}"
        );
        assert!(message.ends_with("(the target names bucket www.example.com, but S3 serves the bucket named like the host)"), "{message}");
    }

    #[tokio::test]
    async fn other_accounts_wrong_regions_wildcards_and_invalid_names() {
        assert!(matches!(
            outcome(record("taken.example.com", "taken.example.com.s3.amazonaws.com")).await,
            Outcome::FailAt(Severity::High, m) if m.contains("exists (us-west-2) but not in this account")
        ));
        assert!(matches!(
            outcome(record("old.example.com", "old.example.com.s3-website-us-east-1.amazonaws.com")).await,
            Outcome::FailAt(Severity::Low, m) if m.contains("in eu-west-1, while the record points at the S3 website endpoint in us-east-1")
        ));
        assert!(matches!(
            outcome(record("*.example.com", "s3-website.eu-central-1.amazonaws.com")).await,
            Outcome::Fail(m) if m.starts_with("every subdomain of example.com goes to the S3 website endpoint")
        ));
        let long = format!("{}.example.com", "a".repeat(60));
        assert!(matches!(
            outcome(record(&long, "s3.amazonaws.com")).await,
            Outcome::FailAt(Severity::Low, m) if m.contains("bucket names have 3 to 63 characters")
        ));
    }
}

use crate::check::{AccountCheck, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::AccountState;
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};

declare_check! {
    /// ## What it checks
    /// Whether the account owns, in every Region where it has buckets, the bucket of each AWS
    /// service it is seen to use whose bucket name anyone can work out ("shadow resources").
    /// The names come from the account id and the Region: Glue assets
    /// (`aws-glue-assets-ACCOUNT-REGION`), SageMaker (`sagemaker-REGION-ACCOUNT`), EMR Studio
    /// (`aws-emr-studio-ACCOUNT-REGION`), Athena query results
    /// (`aws-athena-query-results-ACCOUNT-REGION`) and CodeStar
    /// (`aws-codestar-REGION-ACCOUNT`); CloudFormation's `cf-templates-HASH-REGION` once one
    /// such bucket reveals the account's hash, which is the same in every Region. A service
    /// counts as used when the account owns its bucket in some Region; the check fails for
    /// each other Region with buckets of the account where that name is not the account's.
    /// It reads only the bucket list and the buckets' Regions, sending no request for the
    /// missing names, so it cannot tell a free name from one another account already holds
    /// (`aws s3api head-bucket --bucket NAME` does: 404 when free, 403 when taken). Regions
    /// without any bucket of the account, and services seen only through other buckets, are
    /// not considered. A scan of named buckets does not list the account's buckets (the caller
    /// may be allowed only those), so there the check is skipped.
    ///
    /// ## Why it matters
    /// Bucket names are global. Whoever creates the missing name first owns it; when the
    /// service (or a script that builds the same name) is then used in that Region, it reads
    /// and writes the other account's bucket: templates and scripts can be swapped, data is
    /// delivered to a stranger, or the service fails. Aqua Security's "Bucket Monopoly"
    /// research (2024) showed this for these services; AWS has since made several of them
    /// check the owner, which turns the takeover into a failure to work in that Region, but
    /// scripts and infrastructure code that build the names themselves remain exposed. Rated
    /// low for that reason; a name already taken by another account is worth more attention.
    ///
    /// ## How to fix
    /// Create the missing buckets in their Regions (with Block Public Access on), so that the
    /// names are the account's: `aws s3api create-bucket --bucket NAME --region REGION
    /// --create-bucket-configuration LocationConstraint=REGION` (no configuration in
    /// us-east-1). If `head-bucket` shows a name is already taken, do not use the service's
    /// default bucket in that Region; give the service a bucket of your own instead.
    pub PredictableBucketNamesUnclaimed {
        id: "s3.account.predictable-bucket-names-unclaimed",
        title: "A service bucket name derived from the account is not the account's",
        scope: Account,
        severity: Low,
        facets: [AccountId, BucketList, Region],
        compliance: [],
    }
}

/// A service whose default bucket name anyone can derive.
struct ServiceBucket {
    service: &'static str,
    /// The name in `region` for `account`.
    name: fn(account: &str, region: &str) -> String,
}

const SERVICE_BUCKETS: &[ServiceBucket] = &[
    ServiceBucket {
        service: "Glue",
        name: |account, region| format!("aws-glue-assets-{account}-{region}"),
    },
    ServiceBucket {
        service: "SageMaker",
        name: |account, region| format!("sagemaker-{region}-{account}"),
    },
    ServiceBucket {
        service: "EMR Studio",
        name: |account, region| format!("aws-emr-studio-{account}-{region}"),
    },
    ServiceBucket {
        service: "Athena",
        name: |account, region| format!("aws-athena-query-results-{account}-{region}"),
    },
    ServiceBucket {
        service: "CodeStar",
        name: |account, region| format!("aws-codestar-{region}-{account}"),
    },
];

/// The hash of CloudFormation's template buckets, `cf-templates-HASH-REGION`: the name of an
/// owned one, less the prefix and its Region.
fn cloudformation_hash<'a>(bucket: &'a str, region: &str) -> Option<&'a str> {
    bucket
        .strip_prefix("cf-templates-")?
        .strip_suffix(region)?
        .strip_suffix('-')
        .filter(|hash| !hash.is_empty())
}

/// A service's bucket name in a given Region.
type NameIn<'a> = Box<dyn Fn(&str) -> String + 'a>;

/// The service whose predictable bucket `bucket` (in `region`) is, and that service's bucket
/// name in any Region.
fn service_of<'a>(
    bucket: &'a str,
    region: &str,
    account_id: &'a str,
) -> Option<(&'static str, NameIn<'a>)> {
    if let Some(known) = SERVICE_BUCKETS
        .iter()
        .find(|s| (s.name)(account_id, region) == bucket)
    {
        return Some((known.service, Box::new(|r| (known.name)(account_id, r))));
    }
    let hash = cloudformation_hash(bucket, region)?;
    Some((
        "CloudFormation",
        Box::new(move |r| format!("cf-templates-{hash}-{r}")),
    ))
}

#[async_trait]
impl AccountCheck for PredictableBucketNamesUnclaimed {
    async fn evaluate(
        &self,
        account: &AccountState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let account_id = account.account_id().await?;
        // A scan of named buckets lists nothing (the caller may be allowed only those), and
        // the names cannot be judged without the account's list.
        let Some(owned) = account.listed_buckets() else {
            return Ok(Outcome::Skip(
                "the account's buckets were not listed (the scan named its buckets): scan \
                 without bucket names to check the service bucket names"
                    .into(),
            ));
        };
        let owned = owned?;
        let mut located = Vec::new();
        for bucket in owned.iter() {
            located.push((bucket.as_str(), account.bucket_region(bucket).await?));
        }
        let regions: BTreeSet<&str> = located.iter().map(|(_, r)| r.as_str()).collect();
        let mut services = BTreeSet::new();
        // Each name the account should hold, with the service and where it is seen in use.
        let mut expected: BTreeMap<String, String> = BTreeMap::new();
        for (bucket, seen_in) in &located {
            let Some((service, name_in)) = service_of(bucket, seen_in, account_id) else {
                continue;
            };
            services.insert(service);
            for region in &regions {
                expected
                    .entry(name_in(region))
                    .or_insert_with(|| format!("{service}, used in {seen_in}"));
            }
        }
        let unclaimed: Vec<String> = expected
            .iter()
            .filter(|(name, _)| !owned.contains(*name))
            .map(|(name, why)| format!("{name} ({why})"))
            .collect();
        Ok(if services.is_empty() {
            Outcome::Pass("the account owns no predictable service bucket".into())
        } else if unclaimed.is_empty() {
            Outcome::Pass(format!(
                "the account owns its {} bucket names in all {} of its Region(s)",
                services.into_iter().collect::<Vec<_>>().join(", "),
                regions.len()
            ))
        } else {
            Outcome::Fail(format!(
                "not the account's, so anyone can create them: {}",
                unclaimed.join("; ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cloudformation_hash_is_read_from_an_owned_bucket() {
        assert_eq!(
            cloudformation_hash("cf-templates-1a2b3c4d5e6f-us-east-1", "us-east-1"),
            Some("1a2b3c4d5e6f")
        );
        assert_eq!(
            cloudformation_hash("cf-templates-1a2b3c4d5e6f-us-east-1", "eu-west-1"),
            None
        );
        assert_eq!(
            cloudformation_hash("cf-templates--us-east-1", "us-east-1"),
            None
        );
        assert_eq!(
            cloudformation_hash("acme-data-us-east-1", "us-east-1"),
            None
        );
    }
}

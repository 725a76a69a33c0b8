use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::{FetchError, FetchErrorKind};
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether an enabled replication rule copies the bucket's objects to a bucket in another
    /// Region. Each destination's Region is read the way s3tk reads any bucket's (ListBuckets
    /// for the account's own buckets, else HeadBucket, whose answer names the Region even when
    /// the caller may not read the bucket). A destination whose Region cannot be read makes
    /// the finding an error, unless another destination is already known to be elsewhere;
    /// s3tk never assumes a Region. A destination that no longer exists counts as no replica.
    /// `s3.bucket.replication-disabled` accepts any enabled rule; this check asks for the
    /// other Region.
    ///
    /// ## Why it matters
    /// A replica in the same Region shares that Region's outages and disasters; only a copy
    /// elsewhere keeps the data available when the Region is not. Security Hub S3.7 (low) asks
    /// for cross-Region replication, as does the AWS Config rule behind it,
    /// `s3-bucket-cross-region-replication-enabled`. s3tk rates it low as Security Hub does:
    /// most data does not need a second Region, and replication doubles storage cost.
    ///
    /// ## How to fix
    /// Create a bucket in another Region with versioning on, enable versioning on this one,
    /// then `aws s3api put-bucket-replication --bucket BUCKET --replication-configuration
    /// file://replication.json` naming the new bucket's ARN as the destination and a role S3
    /// can assume. Existing objects are copied only by S3 Batch Replication.
    pub CrossRegionReplicationDisabled {
        id: "s3.bucket.cross-region-replication-disabled",
        title: "Bucket is not replicated to another Region",
        scope: Bucket,
        severity: Low,
        facets: [Replication, Region],
        compliance: [SecurityHub("S3.7")],
    }
}

/// The bucket name of a replication destination, which S3 gives as an ARN
/// (`arn:aws:s3:::name`; bucket names hold no colon).
fn destination_name(destination: &str) -> &str {
    destination.rsplit(':').next().unwrap_or(destination)
}

#[async_trait]
impl Check for CrossRegionReplicationDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let rules = bucket.replication().await?.as_deref().unwrap_or_default();
        // Several rules (one per prefix, say) often share a destination.
        let mut destinations: Vec<&str> = Vec::new();
        for rule in rules.iter().filter(|r| r.enabled) {
            if !destinations.contains(&rule.destination_bucket.as_str()) {
                destinations.push(&rule.destination_bucket);
            }
        }
        if destinations.is_empty() {
            return Ok(Outcome::Fail(if rules.is_empty() {
                "no replication is configured".into()
            } else {
                "every replication rule is disabled".into()
            }));
        }
        let home = bucket.region().await?;
        let mut no_replica_elsewhere = Vec::new();
        let mut unreadable = None;
        for destination in destinations {
            let name = destination_name(destination);
            match bucket.account().bucket_region(name).await {
                Ok(region) if region != home => {
                    return Ok(Outcome::Pass(format!(
                        "replicates to {destination} in {region}"
                    )));
                }
                Ok(_) => no_replica_elsewhere.push(format!("{destination} (also in {home})")),
                Err(e) if e.kind == FetchErrorKind::NoSuchBucket => {
                    no_replica_elsewhere.push(format!("{destination} (does not exist)"));
                }
                Err(e) => unreadable = unreadable.or(Some(e)),
            }
        }
        if let Some(e) = unreadable {
            return Err(e);
        }
        Ok(Outcome::Fail(format!(
            "no replica outside {home}: replicates to {}",
            no_replica_elsewhere.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_named_by_arn() {
        assert_eq!(destination_name("arn:aws:s3:::replica"), "replica");
        assert_eq!(destination_name("arn:aws-cn:s3:::replica-cn"), "replica-cn");
        assert_eq!(destination_name("replica"), "replica");
    }
}

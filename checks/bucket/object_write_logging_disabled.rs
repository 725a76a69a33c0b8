use crate::check::{Check, CheckOptions, Outcome};
use crate::data_events::{self, Access};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether a CloudTrail trail records the bucket's object-level write events (S3 data
    /// events: `PutObject`, `DeleteObject`, `CopyObject` and the other writes). The trail must log in the bucket's region (a multi-region trail, or
    /// one whose home region is the bucket's), be logging (`GetTrailStatus`), and have a basic or
    /// advanced event selector that matches every object of the bucket for writes. Coverage of a
    /// prefix, of some event names, or of all but some keys fails with a distinct "part of the
    /// bucket only" message naming the trail; a trail that would cover the bucket but is stopped
    /// is named too. Runs with `scan --object-level-logging`.
    ///
    /// ## Why it matters
    /// Server access logs are best-effort and arrive hours late; CloudTrail data events record
    /// who writes which object, with the IAM identity, within minutes, and can feed alarms.
    /// Without them a data theft or tampering incident cannot be traced to a principal.
    /// Security Hub S3.22 (medium) and CIS 3.8 (v3–v5) ask for this on every bucket. Data
    /// events are billed per event, so busy buckets are often logged by prefix; that shows
    /// up here as partial coverage, which you can mute with a reason in the ignore file.
    ///
    /// ## How to fix
    /// Add an advanced event selector to a multi-region trail:
    /// `aws cloudtrail put-event-selectors --trail-name TRAIL --advanced-event-selectors
    /// '[{"Name":"S3 writes","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},
    /// {"Field":"resources.type","Equals":["AWS::S3::Object"]},
    /// {"Field":"readOnly","Equals":["false"]}]}]'`
    /// (add `{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::BUCKET/"]}` to log one bucket),
    /// and `aws cloudtrail start-logging --name TRAIL` if the trail is stopped.
    pub ObjectWriteLoggingDisabled {
        id: "s3.bucket.object-write-logging-disabled",
        title: "CloudTrail does not log the bucket's object-level write events",
        scope: Bucket,
        severity: Medium,
        facets: [Region, Trails, TrailStatus, TrailEventSelectors],
        compliance: [
            SecurityHub("S3.22"),
            Cis("1.4", "3.10"),
            Cis("1.5", "3.10"),
            Cis("2.0", "3.10"),
            Cis("3.0", "3.8"),
            Cis("4.0", "3.8"),
            Cis("5.0", "3.8"),
            Cis("6.0", "4.8"),
            Cis("7.0", "4.8"),
        ],
        opt_in: "--object-level-logging",
    }
}

#[async_trait]
impl Check for ObjectWriteLoggingDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let trails = bucket.trails().await?;
        let region = bucket.region().await?;
        Ok(data_events::outcome(
            &trails,
            bucket.name(),
            region,
            Access::Write,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_events::read_only_trail;
    use crate::state::{OfflineAccount, OfflineBucket};

    #[tokio::test]
    async fn reads_the_trails_of_the_bucket_region_for_writes() {
        let account = OfflineAccount::new()
            .trails("us-east-1", Ok(vec![read_only_trail()]))
            .build();
        let bucket = OfflineBucket::in_account("b", account).build();
        let outcome = ObjectWriteLoggingDisabled
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::Fail(m) if m.contains("write data events")));
    }
}

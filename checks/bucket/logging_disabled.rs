use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether server access logging is on. With `--log-bucket NAME` (repeatable) the logs must
    /// go to one of the named buckets, and with `--log-prefix TEMPLATE` under that prefix
    /// (`{bucket}` in the template is replaced by the bucket's name); logging anywhere else
    /// fails too, and the message names the actual target. Logging into a bucket that does
    /// not exist fails as well: nothing is delivered, and anyone could create that bucket and
    /// receive the logs.
    ///
    /// ## Why it matters
    /// Access logs are the record of who read, wrote or deleted what. Without them an incident
    /// on the bucket cannot be investigated. Logs sent to an unexpected bucket may be lost or
    /// readable by the wrong people. Security Hub S3.9 (medium).
    ///
    /// ## How to fix
    /// Enable logging into a dedicated log bucket in the same account and region, with one
    /// prefix per source bucket; grant delivery with a bucket policy for
    /// `logging.s3.amazonaws.com` on the log bucket:
    /// `aws s3api put-bucket-logging --bucket BUCKET --bucket-logging-status
    /// '{"LoggingEnabled":{"TargetBucket":"LOGS","TargetPrefix":"BUCKET/"}}'`.
    pub LoggingDisabled {
        id: "s3.bucket.logging-disabled",
        title: "Server access logging is not enabled",
        scope: Bucket,
        severity: Medium,
        facets: [Logging, Region],
        compliance: [Fsbp("S3.9")],
    }
}

#[async_trait]
impl Check for LoggingDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        options: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let Some(target) = bucket.logging().await? else {
            return Ok(Outcome::Fail("server access logging is disabled".into()));
        };
        if !options.log_buckets.is_empty() && !options.log_buckets.contains(&target.bucket) {
            return Ok(Outcome::Fail(format!(
                "logs to {target}, not to {}",
                options
                    .log_buckets
                    .iter()
                    .map(|b| format!("s3://{b}/"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )));
        }
        if let Some(template) = &options.log_prefix {
            let expected = template.replace("{bucket}", bucket.name());
            if target.prefix != expected {
                return Ok(Outcome::Fail(format!(
                    "logs to {target}, not under prefix '{expected}'"
                )));
            }
        }
        match bucket.account().bucket_region(&target.bucket).await {
            Err(e) if e.kind == crate::error::FetchErrorKind::NoSuchBucket => {
                return Ok(Outcome::Fail(format!(
                    "logs to {target}, but that bucket does not exist"
                )));
            }
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        Ok(Outcome::Pass(format!("logs to {target}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FetchErrorKind;
    use crate::facet::Facet;
    use crate::model::LoggingTarget;
    use crate::state::{OfflineAccount, OfflineBucket};

    async fn outcome(
        target: Option<(&str, &str)>,
        log_buckets: &[&str],
        log_prefix: Option<&str>,
    ) -> Outcome {
        let mut account = OfflineAccount::new();
        for existing in ["logs", "logs2", "other"] {
            account = account.bucket_region(existing, Ok("us-east-1".into()));
        }
        let missing = FetchError::new(Facet::Region, FetchErrorKind::NoSuchBucket);
        let account = account.bucket_region("deleted-logs", Err(missing)).build();
        let target = target.map(|(bucket, prefix)| LoggingTarget {
            bucket: bucket.into(),
            prefix: prefix.into(),
        });
        let bucket = OfflineBucket::in_account("app", account)
            .logging(Ok(target))
            .build();
        let options = CheckOptions {
            log_buckets: log_buckets.iter().map(|s| s.to_string()).collect(),
            log_prefix: log_prefix.map(str::to_owned),
            ..Default::default()
        };
        LoggingDisabled.evaluate(&bucket, &options).await.unwrap()
    }

    #[tokio::test]
    async fn disabled_fails() {
        assert_eq!(
            outcome(None, &[], None).await,
            Outcome::Fail("server access logging is disabled".into())
        );
    }

    #[tokio::test]
    async fn a_missing_target_fails() {
        assert_eq!(
            outcome(Some(("deleted-logs", "app/")), &[], None).await,
            Outcome::Fail("logs to s3://deleted-logs/app/, but that bucket does not exist".into())
        );
    }

    #[tokio::test]
    async fn any_target_passes_without_expectations() {
        assert_eq!(
            outcome(Some(("logs", "app/")), &[], None).await,
            Outcome::Pass("logs to s3://logs/app/".into())
        );
    }

    #[tokio::test]
    async fn wrong_bucket_or_prefix_fails() {
        assert_eq!(
            outcome(Some(("other", "app/")), &["logs", "logs2"], None).await,
            Outcome::Fail("logs to s3://other/app/, not to s3://logs/ or s3://logs2/".into())
        );
        assert_eq!(
            outcome(Some(("logs", "x/")), &["logs"], Some("{bucket}/")).await,
            Outcome::Fail("logs to s3://logs/x/, not under prefix 'app/'".into())
        );
        assert_eq!(
            outcome(
                Some(("logs2", "s3/app/")),
                &["logs", "logs2"],
                Some("s3/{bucket}/")
            )
            .await,
            Outcome::Pass("logs to s3://logs2/s3/app/".into())
        );
    }
}

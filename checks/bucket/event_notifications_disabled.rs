use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket sends event notifications (to SNS, SQS, Lambda or EventBridge).
    ///
    /// ## Why it matters
    /// Notifications let security tooling react to object changes as they happen (new public
    /// objects, mass deletes). Security Hub S3.11 (medium). s3tk rates it info: whether a
    /// bucket needs notifications depends on what reads them; CloudTrail data events and
    /// access logs cover auditing.
    ///
    /// ## How to fix
    /// `aws s3api put-bucket-notification-configuration --bucket BUCKET
    /// --notification-configuration '{"EventBridgeConfiguration":{}}'` sends every event to
    /// EventBridge, where rules can route them.
    pub EventNotificationsDisabled {
        id: "s3.bucket.event-notifications-disabled",
        title: "Bucket sends no event notifications",
        scope: Bucket,
        severity: Info,
        facets: [Notifications],
        compliance: [SecurityHub("S3.11")],
    }
}

#[async_trait]
impl Check for EventNotificationsDisabled {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let n = bucket.notifications().await?;
        if n.is_empty() {
            return Ok(Outcome::Fail(
                "no event notifications are configured".into(),
            ));
        }
        let mut to = Vec::new();
        for (count, kind) in [
            (n.topics, "SNS topic"),
            (n.queues, "SQS queue"),
            (n.lambda_functions, "Lambda function"),
        ] {
            if count > 0 {
                to.push(format!(
                    "{count} {kind}{}",
                    if count == 1 { "" } else { "s" }
                ));
            }
        }
        if n.event_bridge {
            to.push("EventBridge".into());
        }
        Ok(Outcome::Pass(format!("notifies {}", to.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Notifications;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn any_destination_passes() {
        let run = |n: Notifications| async move {
            let bucket = OfflineBucket::new("b").notifications(Ok(n)).build();
            EventNotificationsDisabled
                .evaluate(&bucket, &CheckOptions::default())
                .await
                .unwrap()
        };
        assert_eq!(
            run(Notifications::default()).await,
            Outcome::Fail("no event notifications are configured".into())
        );
        let n = Notifications {
            topics: 2,
            event_bridge: true,
            ..Default::default()
        };
        assert_eq!(
            run(n).await,
            Outcome::Pass("notifies 2 SNS topics, EventBridge".into())
        );
    }
}

use crate::change::Change;
use crate::declare_remediation;
use crate::error::FetchError;
use crate::remediation::{FixContext, FixField, FixOption, Plan, Remediation};
use crate::state::BucketState;
use async_trait::async_trait;

declare_remediation! {
    /// ## What it does
    /// Sets default encryption: SSE-S3 (`AES256`), or with `--kms-key-id KEY` SSE-KMS with that
    /// key and the S3 Bucket Key enabled. The key must be a key ARN, an alias ARN, a key id or
    /// `alias/NAME` (checked before anything is written; a full ARN is best, since an alias
    /// resolves in the caller's account). A bucket already encrypted with KMS is never
    /// downgraded to SSE-S3. Blocked encryption types (`BlockedEncryptionTypes`) are kept.
    ///
    /// ## What can break
    /// Only new objects are affected; existing ones keep their encryption (`s3tk encrypt`
    /// rewrites them). With SSE-KMS, every writer and reader needs `kms:GenerateDataKey` and
    /// `kms:Decrypt` on the key: grant them in the key policy first, or uploads and downloads
    /// fail with AccessDenied.
    pub EnableDefaultEncryption {
        id: "s3.bucket.enable-default-encryption",
        usage: "s3tk enable-default-encryption {bucket}",
        title: "Enable default encryption",
        scope: Bucket,
        fixes: ["s3.bucket.default-encryption-disabled"],
        safe: true,
        options: [FixOption {
            long: "kms-key-id",
            value_name: Some("KEY"),
            help: "Use SSE-KMS with this key and the S3 Bucket Key: a KMS key ARN, key id or alias/NAME (a full ARN is safest); SSE-S3 without it",
            required: false,
            default: None,
            field: FixField::KmsKeyId,
        }],
        facets: [Encryption, PutEncryption],
    }
}

/// Whether two references to a KMS key name the same key: equal, or a key ARN and its id.
fn same_key(configured: &str, wanted: &str) -> bool {
    let id = |k: &str| k.rsplit_once(":key/").map_or(k, |(_, id)| id).to_owned();
    configured == wanted
        || (!configured.contains("alias/")
            && !wanted.contains("alias/")
            && id(configured) == id(wanted))
}

#[async_trait]
impl Remediation for EnableDefaultEncryption {
    async fn plan(&self, bucket: &BucketState, context: &FixContext) -> Result<Plan, FetchError> {
        let current = bucket.encryption().await?.as_ref();
        let blocked = current
            .map(|r| r.blocked_encryption_types.clone())
            .unwrap_or_default();
        let change = |algorithm, kms_key_id, bucket_key| Change::PutDefaultEncryption {
            bucket: bucket.name().to_owned(),
            algorithm,
            kms_key_id,
            bucket_key,
            blocked_encryption_types: blocked.clone(),
        };
        Ok(match (&context.options.kms_key_id, current) {
            (None, Some(rule)) if rule.algorithm.is_some() => {
                Plan::Already(format!("default encryption is {}", rule.describe()))
            }
            (None, _) => Plan::Change(vec![change("AES256", None, false)]),
            (Some(key), Some(rule))
                if rule.algorithm.as_deref() == Some("aws:kms")
                    && rule.kms_key_id.as_deref().is_some_and(|k| same_key(k, key))
                    && rule.bucket_key_enabled =>
            {
                Plan::Already(format!(
                    "default encryption is {} with the S3 Bucket Key",
                    rule.describe()
                ))
            }
            (Some(key), _) => Plan::Change(vec![change("aws:kms", Some(key.clone()), true)]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DefaultEncryption;
    use crate::remediation::FixOptions;
    use crate::state::OfflineBucket;

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    async fn plan(current: Option<DefaultEncryption>, key: Option<&str>) -> Plan {
        let bucket = OfflineBucket::new("b").encryption(Ok(current)).build();
        let context = FixContext {
            options: FixOptions {
                kms_key_id: key.map(str::to_owned),
                ..Default::default()
            },
            log_target: None,
        };
        EnableDefaultEncryption
            .plan(&bucket, &context)
            .await
            .unwrap()
    }

    fn rule(algorithm: &str, key: Option<&str>, bucket_key: bool) -> DefaultEncryption {
        DefaultEncryption {
            algorithm: Some(algorithm.into()),
            kms_key_id: key.map(str::to_owned),
            bucket_key_enabled: bucket_key,
            blocked_encryption_types: vec!["SSE-C".into()],
        }
    }

    #[tokio::test]
    async fn sse_s3_by_default_and_never_a_downgrade() {
        assert!(
            matches!(plan(None, None).await, Plan::Change(c) if c[0].to_string() == "PutBucketEncryption b: SSEAlgorithm=AES256, BucketKeyEnabled=false")
        );
        assert_eq!(
            plan(Some(rule("AES256", None, false)), None).await,
            Plan::Already("default encryption is SSE-S3 (AES256)".into())
        );
        assert!(
            matches!(plan(Some(rule("aws:kms", Some(KEY), true)), None).await, Plan::Already(m) if m.contains("SSE-KMS"))
        );
    }

    #[tokio::test]
    async fn kms_with_bucket_key_keeping_blocked_types() {
        let Plan::Change(changes) = plan(Some(rule("AES256", None, false)), Some(KEY)).await else {
            panic!("a change")
        };
        assert_eq!(
            changes,
            [Change::PutDefaultEncryption {
                bucket: "b".into(),
                algorithm: "aws:kms",
                kms_key_id: Some(KEY.into()),
                bucket_key: true,
                blocked_encryption_types: vec!["SSE-C".into()],
            }]
        );
        assert!(
            matches!(
                plan(
                    Some(rule("aws:kms", Some(KEY), true)),
                    Some("1234abcd-12ab-34cd-56ef-1234567890ab")
                )
                .await,
                Plan::Already(_)
            ),
            "key id and ARN match"
        );
        assert!(
            matches!(
                plan(Some(rule("aws:kms", Some(KEY), false)), Some(KEY)).await,
                Plan::Change(_)
            ),
            "bucket key off"
        );
    }
}

use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::policy::Effect;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket policy refuses uploads that do not ask for server-side encryption:
    /// a `Deny` of `s3:PutObject` (or `s3:*`, `*`) conditioned on the
    /// `s3:x-amz-server-side-encryption` header being absent (`Null`: `true`) or not the
    /// required algorithm (`StringNotEquals`). This is the statement `s3tk set-policy
    /// --encryption` writes and `list-policy --named` calls "Encryption".
    ///
    /// ## Why it matters
    /// Before default encryption existed this was the only way to keep plaintext objects out.
    /// Since January 2023 S3 encrypts every new object, so the statement matters mainly where
    /// uploads must use a particular algorithm or key (e.g. SSE-KMS). Rated info.
    ///
    /// ## How to fix
    /// Add `{"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action":
    /// "s3:PutObject", "Resource": "arn:aws:s3:::BUCKET/*", "Condition": {"Null":
    /// {"s3:x-amz-server-side-encryption": "true"}}}`, or use `StringNotEquals` with
    /// `aws:kms` to require KMS. Make sure every uploader sends the header first.
    pub UnencryptedUploadsAllowed {
        id: "s3.bucket.unencrypted-uploads-allowed",
        title: "Bucket policy does not require encrypted uploads",
        scope: Bucket,
        severity: Info,
        facets: [Policy],
        compliance: [],
    }
}

#[async_trait]
impl Check for UnencryptedUploadsAllowed {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let Some(policy) = bucket.policy().await? else {
            return Ok(Outcome::Fail(
                "the bucket has no policy requiring encrypted uploads".into(),
            ));
        };
        let requiring = policy.statements().into_iter().find(|s| {
            s.effect() == Effect::Deny
                && s.strings("Action").iter().any(|a| {
                    a == "*"
                        || a.eq_ignore_ascii_case("s3:*")
                        || a.eq_ignore_ascii_case("s3:PutObject")
                })
                && s.conditions().iter().any(|c| {
                    let op = c.operator.to_ascii_lowercase();
                    c.key
                        .eq_ignore_ascii_case("s3:x-amz-server-side-encryption")
                        && ((op == "null"
                            && c.values.iter().any(|v| v.eq_ignore_ascii_case("true")))
                            || op == "stringnotequals"
                            || op == "stringnotequalsifexists")
                })
        });
        Ok(match requiring {
            Some(statement) => Outcome::Pass(format!(
                "{} denies uploads without server-side encryption",
                statement.label()
            )),
            None => Outcome::Fail(
                "no policy statement denies uploads without server-side encryption".into(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyDocument;
    use crate::state::OfflineBucket;

    #[tokio::test]
    async fn null_or_not_equals_conditions_count() {
        let run = |policy: &str| {
            let bucket = OfflineBucket::new("b")
                .policy(Ok(Some(PolicyDocument::parse(policy).unwrap())))
                .build();
            async move {
                UnencryptedUploadsAllowed
                    .evaluate(&bucket, &CheckOptions::default())
                    .await
                    .unwrap()
            }
        };
        let original = r#"{"Statement":[{"Sid":"Encryption","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}}]}"#;
        assert_eq!(
            run(original).await,
            Outcome::Pass(
                "statement \"Encryption\" (#1) denies uploads without server-side encryption"
                    .into()
            )
        );
        let null = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Null":{"s3:x-amz-server-side-encryption":true}}}]}"#;
        assert!(matches!(run(null).await, Outcome::Pass(_)));
        let other = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"*","Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}"#;
        assert!(matches!(run(other).await, Outcome::Fail(_)));
    }
}

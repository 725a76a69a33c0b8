use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::policy::{Effect, Statement};
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether the bucket policy denies every request made over plain HTTP: a `Deny` statement
    /// for everyone (`"Principal": "*"`), every S3 action (`"s3:*"` or `"*"`), every object (a
    /// resource `arn:aws:s3:::BUCKET/*` or `*`), under the single condition
    /// `"Bool": {"aws:SecureTransport": "false"}` (another condition would make the deny
    /// partial). An `Allow` conditioned on
    /// `aws:SecureTransport: true` does not count: other statements can still allow HTTP. A
    /// bucket without a policy fails. The message names the statement, or what is missing.
    ///
    /// ## Why it matters
    /// Over HTTP, data and request signatures travel unencrypted and can be read or replayed on
    /// the network path. Security Hub S3.5 (AWS Config `s3-bucket-ssl-requests-only`, medium);
    /// CIS AWS Foundations "Ensure S3 Bucket Policy is set to deny HTTP requests".
    ///
    /// ## How to fix
    /// Add this statement to the bucket policy:
    /// `{"Sid": "AllowSSLRequestsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    /// "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"],
    /// "Condition": {"Bool": {"aws:SecureTransport": "false"}}}`.
    pub InsecureTransport {
        id: "s3.bucket.insecure-transport",
        title: "Bucket policy does not deny HTTP requests",
        scope: Bucket,
        severity: Medium,
        facets: [Policy],
        compliance: [
            Fsbp("S3.5"),
            Cis("1.4", "2.1.2"),
            Cis("1.5", "2.1.2"),
            Cis("2.0", "2.1.1"),
            Cis("3.0", "2.1.1"),
            Cis("4.0", "2.1.1"),
            Cis("5.0", "2.1.1"),
            Cis("6.0", "3.1.1"),
            Cis("7.0", "3.1.1"),
        ],
    }
}

/// Whether the statement is conditioned on the request not using TLS.
/// Whether the statement is conditioned on the request not using TLS, and on nothing else: a
/// second condition (say, `StringNotEquals aws:SourceVpce`) would deny HTTP only sometimes.
fn denies_http(statement: &Statement<'_>) -> bool {
    let conditions = statement.conditions();
    conditions.len() == 1
        && conditions.iter().all(|c| {
            matches!(
                c.operator.to_ascii_lowercase().as_str(),
                "bool" | "boolifexists"
            ) && c.key.eq_ignore_ascii_case("aws:SecureTransport")
                && c.values.iter().any(|v| v.eq_ignore_ascii_case("false"))
        })
}

#[async_trait]
impl Check for InsecureTransport {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let Some(policy) = bucket.policy().await? else {
            return Ok(Outcome::Fail(
                "the bucket has no policy, so nothing denies HTTP requests".into(),
            ));
        };
        let candidates: Vec<Statement<'_>> = policy
            .statements()
            .into_iter()
            .filter(|s| s.effect() == Effect::Deny && denies_http(s))
            .collect();
        let mut shortfalls = Vec::new();
        for statement in &candidates {
            let all_actions = statement
                .strings("Action")
                .iter()
                .any(|a| a == "*" || a.eq_ignore_ascii_case("s3:*"));
            let every_object = format!("arn:aws:s3:::{}/*", bucket.name());
            let objects = statement
                .strings("Resource")
                .iter()
                .any(|r| r == "*" || *r == every_object);
            match (statement.principal_is_everyone(), all_actions, objects) {
                (true, true, true) => {
                    return Ok(Outcome::Pass(format!(
                        "{} denies every request over HTTP",
                        statement.label()
                    )));
                }
                (false, _, _) => shortfalls.push(format!(
                    "{} applies to some principals only",
                    statement.label()
                )),
                (_, false, _) => shortfalls.push(format!(
                    "{} denies HTTP only for {}",
                    statement.label(),
                    statement.strings("Action").join(", ")
                )),
                (_, _, false) => shortfalls.push(format!(
                    "{} does not cover the objects (BUCKET/*)",
                    statement.label()
                )),
            }
        }
        Ok(Outcome::Fail(if shortfalls.is_empty() {
            "no policy statement denies requests where aws:SecureTransport is false".into()
        } else {
            format!("HTTP is not fully denied: {}", shortfalls.join("; "))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyDocument;
    use crate::state::OfflineBucket;

    async fn outcome(policy: Option<&str>) -> Outcome {
        let policy = policy.map(|p| PolicyDocument::parse(p).unwrap());
        let bucket = OfflineBucket::new("b").policy(Ok(policy)).build();
        InsecureTransport
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap()
    }

    fn deny(principal: &str, action: &str, resource: &str, value: &str) -> String {
        format!(
            r#"{{"Statement":[{{"Sid":"TLS","Effect":"Deny","Principal":{principal},"Action":{action},"Resource":{resource},"Condition":{{"Bool":{{"aws:SecureTransport":{value}}}}}}}]}}"#
        )
    }

    #[tokio::test]
    async fn the_reference_statement_passes() {
        let good = deny(
            r#""*""#,
            r#""s3:*""#,
            r#"["arn:aws:s3:::b","arn:aws:s3:::b/*"]"#,
            r#""false""#,
        );
        assert_eq!(
            outcome(Some(&good)).await,
            Outcome::Pass("statement \"TLS\" (#1) denies every request over HTTP".into())
        );
        let boolean = deny(r#"{"AWS":"*"}"#, r#""*""#, r#""*""#, "false");
        assert!(
            matches!(outcome(Some(&boolean)).await, Outcome::Pass(_)),
            "a JSON boolean works too"
        );
    }

    #[tokio::test]
    async fn partial_denies_do_not_count() {
        let vpce = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}"#;
        assert!(
            matches!(outcome(Some(vpce)).await, Outcome::Fail(_)),
            "HTTP stays allowed through vpce-1"
        );
        let prefix = deny(
            r#""*""#,
            r#""s3:*""#,
            r#""arn:aws:s3:::b/logs/*""#,
            r#""false""#,
        );
        assert!(
            matches!(outcome(Some(&prefix)).await, Outcome::Fail(m) if m.contains("does not cover the objects"))
        );
        let other_bucket = deny(
            r#""*""#,
            r#""s3:*""#,
            r#""arn:aws:s3:::other/*""#,
            r#""false""#,
        );
        assert!(matches!(
            outcome(Some(&other_bucket)).await,
            Outcome::Fail(_)
        ));
    }

    #[tokio::test]
    async fn shortfalls_are_named() {
        assert!(matches!(outcome(None).await, Outcome::Fail(m) if m.contains("no policy")));
        let put_only = deny(
            r#""*""#,
            r#""s3:PutObject""#,
            r#""arn:aws:s3:::b/*""#,
            r#""false""#,
        );
        assert_eq!(outcome(Some(&put_only)).await, Outcome::Fail("HTTP is not fully denied: statement \"TLS\" (#1) denies HTTP only for s3:PutObject".into()));
        let bucket_only = deny(r#""*""#, r#""s3:*""#, r#""arn:aws:s3:::b""#, r#""false""#);
        assert!(
            matches!(outcome(Some(&bucket_only)).await, Outcome::Fail(m) if m.contains("does not cover the objects"))
        );
        let allow_tls = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
        assert_eq!(
            outcome(Some(allow_tls)).await,
            Outcome::Fail(
                "no policy statement denies requests where aws:SecureTransport is false".into()
            )
        );
    }
}

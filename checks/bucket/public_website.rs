use crate::check::{Check, CheckOptions, Outcome};
use crate::declare_check;
use crate::error::FetchError;
use crate::exposure;
use crate::state::BucketState;
use async_trait::async_trait;

declare_check! {
    /// ## What it checks
    /// Whether static website hosting is on for a bucket whose content anyone can read (a
    /// public read ACL or policy that Block Public Access does not neutralise). A website
    /// bucket that only redirects, or whose content is not public, passes with a note.
    ///
    /// ## Why it matters
    /// An S3 website endpoint serves over plain HTTP only, cannot use TLS, a WAF or origin
    /// access control, and shows every public object to anyone who guesses its key. Whatever
    /// lands in the bucket is published. CloudFront in front of a private bucket does the
    /// same job safely.
    ///
    /// ## How to fix
    /// Serve the site through CloudFront with origin access control, remove the public
    /// statement or ACL, turn on Block Public Access, then
    /// `aws s3api delete-bucket-website --bucket BUCKET`.
    pub PublicWebsite {
        id: "s3.bucket.public-website",
        title: "Static website hosting serves public content",
        scope: Bucket,
        severity: High,
        facets: [Website, Acl, Policy, PolicyStatus, PublicAccessBlock, AccountPublicAccessBlock, AccountId],
        compliance: [],
    }
}

#[async_trait]
impl Check for PublicWebsite {
    async fn evaluate(
        &self,
        bucket: &BucketState,
        _: &CheckOptions,
    ) -> Result<Outcome, FetchError> {
        let Some(website) = bucket.website().await? else {
            return Ok(Outcome::Pass("static website hosting is off".into()));
        };
        if let Some(host) = &website.redirect_all_to {
            return Ok(Outcome::Pass(format!(
                "the website only redirects to {host}"
            )));
        }
        Ok(match exposure::publicly_readable(bucket).await? {
            Some(how) => Outcome::Fail(format!("website hosting serves public content: {how}")),
            None => Outcome::Pass("website hosting is on, but the content is not public".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Acl, Website};
    use crate::policy::PolicyDocument;
    use crate::state::{OfflineAccount, OfflineBucket};

    async fn outcome(website: Option<Website>, policy: Option<&str>) -> Outcome {
        let account = OfflineAccount::new().public_access_block(Ok(None)).build();
        let bucket = OfflineBucket::in_account("b", account)
            .website(Ok(website))
            .acl(Ok(Acl::default()))
            .policy(Ok(policy.map(|p| PolicyDocument::parse(p).unwrap())))
            .policy_status(Ok(policy.map(|_| true)))
            .public_access_block(Ok(None))
            .build();
        PublicWebsite
            .evaluate(&bucket, &CheckOptions::default())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn website_with_public_content_fails() {
        let site = Website {
            index_document: Some("index.html".into()),
            redirect_all_to: None,
        };
        let public = r#"{"Statement":[{"Sid":"Site","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
        assert!(
            matches!(outcome(Some(site.clone()), Some(public)).await, Outcome::Fail(m) if m.starts_with("website hosting serves public content: policy allows public read access"))
        );
        assert_eq!(
            outcome(Some(site), None).await,
            Outcome::Pass("website hosting is on, but the content is not public".into())
        );
        assert_eq!(
            outcome(None, Some(public)).await,
            Outcome::Pass("static website hosting is off".into())
        );
    }
}

//! `scan-dns`: the Route 53 records that send a hostname to S3, and which bucket S3 then serves.
//!
//! S3 picks the bucket from the HTTP `Host` header: a request for `images.example.com` that a
//! CNAME or alias sends to an S3 endpoint is served from the bucket named `images.example.com`
//! (aws-s3-semantics §9). If that bucket does not exist, anyone can create it and serve content
//! on the hostname. This module finds the records (every hosted zone, every record set) and
//! recognises every S3 endpoint form; the `s3.dns.*` checks classify them.

use crate::aws::{S3Clients, classify, is_valid_region};
use crate::error::FetchError;
use crate::facet::Facet;
use crate::model::{EndpointKind, S3Endpoint, S3Record};
use aws_sdk_route53::types::RrType;
use futures::stream::{self, StreamExt, TryStreamExt};

/// Recognises an S3 endpoint in `host` (a CNAME value or alias target, any case, with or
/// without the trailing dot): legacy global (`b.s3.amazonaws.com`, `s3-external-1`), legacy
/// dash-regional (`b.s3-eu-west-1`), regional (`b.s3.eu-west-1`), dualstack, FIPS, Transfer
/// Acceleration, and dash- and dot-form website endpoints, in the commercial, GovCloud and China
/// (`amazonaws.com.cn`) partitions.
pub fn parse_endpoint(host: &str) -> Option<S3Endpoint> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let labels: Vec<&str> = rest.split('.').collect();
    // The service label is among the last three; bucket names may contain dots and "s3", so
    // the rightmost reading that fits wins.
    (labels.len().saturating_sub(3)..labels.len())
        .rev()
        .find_map(|i| {
            let (kind, region) = service(labels[i], &labels[i + 1..])?;
            Some(S3Endpoint {
                kind,
                region,
                bucket_in_host: (i > 0).then(|| labels[..i].join(".")),
            })
        })
}

/// The endpoint kind and region a service label and the labels after it spell, if they are S3.
fn service(label: &str, tail: &[&str]) -> Option<(EndpointKind, Option<String>)> {
    let region = |r: &str| is_valid_region(r, false).then(|| r.to_owned());
    match (label, tail) {
        ("s3" | "s3-accelerate", []) | ("s3-accelerate", ["dualstack"]) => {
            Some((EndpointKind::Rest, None))
        }
        ("s3-external-1", []) => Some((EndpointKind::Rest, Some("us-east-1".into()))),
        ("s3" | "s3-fips", [r]) | ("s3" | "s3-fips", ["dualstack", r]) => {
            Some((EndpointKind::Rest, Some(region(r)?)))
        }
        ("s3-website", [r]) => Some((EndpointKind::Website, Some(region(r)?))),
        (label, []) => {
            if let Some(r) = label.strip_prefix("s3-website-") {
                Some((EndpointKind::Website, Some(region(r)?)))
            } else {
                let r = label.strip_prefix("s3-")?;
                Some((EndpointKind::Rest, Some(region(r)?)))
            }
        }
        _ => None,
    }
}

/// A Route 53 name as people write it: lowercase, no trailing dot, `\052` and other octal
/// escapes decoded.
pub fn dns_name(raw: &str) -> String {
    let raw = raw.trim_end_matches('.');
    let mut name = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let digits: String = chars.clone().take(3).collect();
            if digits.len() == 3
                && digits.bytes().all(|b| b.is_ascii_digit())
                && let Ok(decoded) = u8::from_str_radix(&digits, 8)
            {
                name.push(char::from(decoded));
                chars.nth(2);
                continue;
            }
        }
        name.push(c);
    }
    name.to_ascii_lowercase()
}

/// Every record of every hosted zone that points at S3. Zones are read a few at a time:
/// Route 53 allows five requests per second per account.
pub async fn s3_records(clients: &S3Clients) -> Result<Vec<S3Record>, FetchError> {
    let zones = hosted_zones(clients).await?;
    let per_zone: Vec<Vec<S3Record>> = stream::iter(zones)
        .map(|zone| zone_records(clients, zone))
        .buffered(4)
        .try_collect()
        .await?;
    Ok(per_zone.into_iter().flatten().collect())
}

struct Zone {
    id: String,
    private: bool,
}

async fn hosted_zones(clients: &S3Clients) -> Result<Vec<Zone>, FetchError> {
    let mut zones = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = {
            let _permit = clients.permit().await;
            clients
                .route53()
                .list_hosted_zones()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| classify(Facet::HostedZones, e))?
        };
        zones.extend(page.hosted_zones().iter().map(|z| Zone {
            id: z.id().trim_start_matches("/hostedzone/").to_owned(),
            private: z.config().is_some_and(|c| c.private_zone()),
        }));
        match page.next_marker() {
            Some(next) if page.is_truncated() && !next.is_empty() => marker = Some(next.into()),
            _ => return Ok(zones),
        }
    }
}

async fn zone_records(clients: &S3Clients, zone: Zone) -> Result<Vec<S3Record>, FetchError> {
    let mut records = Vec::new();
    let mut start: Option<(String, Option<RrType>, Option<String>)> = None;
    loop {
        let page = {
            let _permit = clients.permit().await;
            let mut request = clients
                .route53()
                .list_resource_record_sets()
                .hosted_zone_id(&zone.id);
            if let Some((name, record_type, identifier)) = start.take() {
                request = request
                    .start_record_name(name)
                    .set_start_record_type(record_type)
                    .set_start_record_identifier(identifier);
            }
            request
                .send()
                .await
                .map_err(|e| classify(Facet::RecordSets, e))?
        };
        for set in page.resource_record_sets() {
            let record_type = set.r#type().as_str();
            let targets: Vec<&str> = match set.alias_target() {
                Some(alias) => vec![alias.dns_name()],
                None if record_type == "CNAME" => {
                    set.resource_records().iter().map(|r| r.value()).collect()
                }
                None => Vec::new(),
            };
            for target in targets {
                if let Some(endpoint) = parse_endpoint(target) {
                    records.push(S3Record {
                        zone_id: zone.id.clone(),
                        private_zone: zone.private,
                        name: dns_name(set.name()),
                        record_type: record_type.to_owned(),
                        target: target.trim_end_matches('.').to_ascii_lowercase(),
                        endpoint,
                    });
                }
            }
        }
        match page.next_record_name() {
            Some(next) if page.is_truncated() => {
                start = Some((
                    next.to_owned(),
                    page.next_record_type().cloned(),
                    page.next_record_identifier().map(str::to_owned),
                ));
            }
            _ => return Ok(records),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(kind: EndpointKind, region: Option<&str>, bucket: Option<&str>) -> S3Endpoint {
        S3Endpoint {
            kind,
            region: region.map(str::to_owned),
            bucket_in_host: bucket.map(str::to_owned),
        }
    }

    #[test]
    fn recognises_every_endpoint_form() {
        use EndpointKind::*;
        let cases = [
            ("b.s3.amazonaws.com", endpoint(Rest, None, Some("b"))),
            ("b.s3.amazonaws.com.", endpoint(Rest, None, Some("b"))),
            ("B.S3.AMAZONAWS.COM.", endpoint(Rest, None, Some("b"))),
            ("s3.amazonaws.com", endpoint(Rest, None, None)),
            (
                "b.s3-external-1.amazonaws.com",
                endpoint(Rest, Some("us-east-1"), Some("b")),
            ),
            (
                "b.s3-eu-west-1.amazonaws.com",
                endpoint(Rest, Some("eu-west-1"), Some("b")),
            ),
            (
                "b.s3.eu-west-1.amazonaws.com",
                endpoint(Rest, Some("eu-west-1"), Some("b")),
            ),
            (
                "b.s3.dualstack.ap-south-1.amazonaws.com",
                endpoint(Rest, Some("ap-south-1"), Some("b")),
            ),
            (
                "b.s3-fips.us-gov-west-1.amazonaws.com",
                endpoint(Rest, Some("us-gov-west-1"), Some("b")),
            ),
            (
                "b.s3-accelerate.amazonaws.com",
                endpoint(Rest, None, Some("b")),
            ),
            (
                "b.s3-accelerate.dualstack.amazonaws.com",
                endpoint(Rest, None, Some("b")),
            ),
            (
                "www.example.com.s3-website-us-east-1.amazonaws.com",
                endpoint(Website, Some("us-east-1"), Some("www.example.com")),
            ),
            (
                "www.example.com.s3-website.eu-central-1.amazonaws.com",
                endpoint(Website, Some("eu-central-1"), Some("www.example.com")),
            ),
            (
                "s3-website-us-east-1.amazonaws.com.",
                endpoint(Website, Some("us-east-1"), None),
            ),
            (
                "s3-website.eu-central-1.amazonaws.com.",
                endpoint(Website, Some("eu-central-1"), None),
            ),
            (
                "b.s3.cn-north-1.amazonaws.com.cn",
                endpoint(Rest, Some("cn-north-1"), Some("b")),
            ),
            (
                "b.s3-website.cn-northwest-1.amazonaws.com.cn",
                endpoint(Website, Some("cn-northwest-1"), Some("b")),
            ),
            // Bucket names with dots and with "s3" in them.
            (
                "my.s3.bucket.s3.us-east-2.amazonaws.com",
                endpoint(Rest, Some("us-east-2"), Some("my.s3.bucket")),
            ),
            ("s3.s3.amazonaws.com", endpoint(Rest, None, Some("s3"))),
        ];
        for (host, expected) in cases {
            assert_eq!(parse_endpoint(host), Some(expected), "{host}");
        }
    }

    #[test]
    fn ignores_what_is_not_s3() {
        for host in [
            "d111111abcdef8.cloudfront.net",
            "example.com",
            "b.s3.amazonaws.com.evil.com",
            "b.s3.example.amazonaws.com",
            "ec2-1-2-3-4.compute-1.amazonaws.com",
            "my-ap-111122223333.s3-accesspoint.us-east-1.amazonaws.com",
            "b.s3-website-nowhere.amazonaws.com",
            "elb.us-east-1.elb.amazonaws.com",
            "",
        ] {
            assert_eq!(parse_endpoint(host), None, "{host}");
        }
    }

    #[test]
    fn names_are_unescaped_and_lowercased() {
        assert_eq!(dns_name("\\052.Example.COM."), "*.example.com");
        assert_eq!(dns_name("a\\100b.example.com."), "a@b.example.com");
        assert_eq!(dns_name("back\\\\slash."), "back\\\\slash");
    }
}

//! The non-S3 services s3tk calls, faked on the same server as S3 (the CLI's endpoint override
//! sends every service there): Route 53 (REST-XML under `/2013-04-01/`), CloudTrail (JSON 1.1,
//! `X-Amz-Target`) and SNS (query protocol, `Action=Publish`). Each answers from the shared
//! model, in the shapes the services document, including their error forms.

use super::escape;
use super::objects::header;
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

/// A hosted zone and its record sets.
#[derive(Debug, Clone)]
pub struct FakeZone {
    pub id: String,
    pub name: String,
    pub private: bool,
    pub records: Vec<FakeRecord>,
}

#[derive(Debug, Clone)]
pub struct FakeRecord {
    pub name: String,
    pub record_type: String,
    pub values: Vec<String>,
    /// An alias target's DNS name (then `values` is empty).
    pub alias: Option<String>,
}

impl FakeRecord {
    pub fn cname(name: &str, value: &str) -> Self {
        FakeRecord {
            name: name.into(),
            record_type: "CNAME".into(),
            values: vec![value.into()],
            alias: None,
        }
    }

    pub fn alias(name: &str, record_type: &str, dns_name: &str) -> Self {
        FakeRecord {
            name: name.into(),
            record_type: record_type.into(),
            values: Vec::new(),
            alias: Some(dns_name.into()),
        }
    }

    pub fn other(name: &str, record_type: &str, value: &str) -> Self {
        FakeRecord {
            name: name.into(),
            record_type: record_type.into(),
            values: vec![value.into()],
            alias: None,
        }
    }
}

/// A CloudTrail trail; `selectors` is the GetEventSelectors answer without `TrailARN`
/// (`{"EventSelectors": […]}` or `{"AdvancedEventSelectors": […]}`).
#[derive(Debug, Clone)]
pub struct FakeTrail {
    pub name: String,
    /// Its ARN; `None` derives it from the home region and the fake's account.
    pub arn: Option<String>,
    pub home_region: String,
    pub multi_region: bool,
    pub logging: bool,
    pub selectors: Value,
}

impl FakeTrail {
    pub fn arn(&self) -> String {
        if let Some(arn) = &self.arn {
            return arn.clone();
        }
        format!(
            "arn:aws:cloudtrail:{}:{}:trail/{}",
            self.home_region,
            super::ACCOUNT_ID,
            self.name
        )
    }
}

/// A message published to SNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub topic: String,
    pub subject: String,
    pub message: String,
    pub region: String,
}

#[derive(Debug, Default)]
pub struct Services {
    pub zones: Vec<FakeZone>,
    /// Route 53 page sizes (its defaults are 100 zones and 300 records).
    pub zone_page_size: usize,
    pub record_page_size: usize,
    pub route53_fault: Option<(u16, &'static str)>,
    pub trails: Vec<FakeTrail>,
    /// (operation, status, code) for CloudTrail.
    pub cloudtrail_fault: Option<(&'static str, u16, &'static str)>,
    /// When set, the regions where DescribeTrails answers: normally (`None`) or with an error
    /// (status, code); elsewhere it answers `trail_fault_elsewhere`.
    pub trail_regions: Option<std::collections::HashMap<String, Option<(u16, String)>>>,
    pub trail_fault_elsewhere: (u16, String),
    pub published: Vec<Published>,
    pub sns_fault: Option<(u16, &'static str)>,
    /// AWS Organizations accounts: (id, state), listed one per page.
    pub organization: Vec<(String, String)>,
}

/// The answer when `req` is for Route 53, CloudTrail or SNS.
pub fn respond(services: &mut Services, req: &Request) -> Option<ResponseTemplate> {
    if let Some(path) = req.url.path().strip_prefix("/2013-04-01/") {
        return Some(route53(services, req, path));
    }
    if let Some(target) = header(req, "x-amz-target") {
        if target.contains("AWSOrganizations") {
            return Some(organizations(services, req, target));
        }
        if target.contains("CloudTrail") {
            let operation = target.rsplit('.').next().unwrap_or_default();
            return Some(cloudtrail(services, req, operation));
        }
    }
    let form = form(req);
    if form.iter().any(|(k, v)| k == "Action" && v == "Publish") {
        return Some(sns(services, req, &form));
    }
    None
}

/// The form fields of a query-protocol body.
pub fn form(req: &Request) -> Vec<(String, String)> {
    let body = String::from_utf8_lossy(&req.body);
    body.split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            Some((decode(k), decode(v)))
        })
        .collect()
}

/// The AWS operation a request calls, named as `Facet::operation` names it (for tests that
/// compare what was sent with what a plugin declares).
pub fn operation(req: &Request) -> Option<String> {
    let path = req.url.path();
    if let Some(rest) = path.strip_prefix("/2013-04-01/") {
        return Some(if rest.ends_with("/rrset") {
            "ListResourceRecordSets".into()
        } else {
            "ListHostedZones".into()
        });
    }
    if let Some(target) = header(req, "x-amz-target") {
        return target.rsplit('.').next().map(str::to_owned);
    }
    if let Some((_, action)) = form(req).into_iter().find(|(k, _)| k == "Action") {
        return Some(action);
    }
    let method = req.method.as_str();
    if let Some(rest) = path.strip_prefix("/v20180820/") {
        return Some(match (method, rest) {
            ("GET", "configuration/publicAccessBlock") => "GetPublicAccessBlock (account)".into(),
            ("PUT", "configuration/publicAccessBlock") => "PutPublicAccessBlock (account)".into(),
            (_, p) if p.starts_with("accesspoint") => "ListAccessPoints/GetAccessPoint".into(),
            (_, p) if p.starts_with("mrap") => "ListMultiRegionAccessPoints".into(),
            ("POST", "jobs") => "CreateJob".into(),
            ("GET", p) if p.starts_with("jobs/") => "DescribeJob".into(),
            (m, p) => format!("{m} /v20180820/{p}"),
        });
    }
    None
}

fn route53_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        format!(
            r#"<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>{code}</Code><Message>injected fault</Message></Error><RequestId>fake</RequestId></ErrorResponse>"#
        ),
        "text/xml",
    )
}

fn query(req: &Request, name: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn route53(services: &Services, req: &Request, path: &str) -> ResponseTemplate {
    if let Some((status, code)) = services.route53_fault {
        return route53_error(status, code);
    }
    const NS: &str = r#"xmlns="https://route53.amazonaws.com/doc/2013-04-01/""#;
    if path == "hostedzone" {
        let size = services.zone_page_size.max(1);
        let start = query(req, "marker")
            .and_then(|m| services.zones.iter().position(|z| z.id == m))
            .unwrap_or(0);
        let page: Vec<_> = services.zones.iter().skip(start).take(size).collect();
        let next = services.zones.get(start + size);
        let zones: String = page
            .iter()
            .map(|z| {
                format!(
                    "<HostedZone><Id>/hostedzone/{}</Id><Name>{}</Name><CallerReference>ref</CallerReference><Config><PrivateZone>{}</PrivateZone></Config><ResourceRecordSetCount>{}</ResourceRecordSetCount></HostedZone>",
                    z.id,
                    escape(&z.name),
                    z.private,
                    z.records.len()
                )
            })
            .collect();
        let truncation = match next {
            Some(z) => format!(
                "<IsTruncated>true</IsTruncated><NextMarker>{}</NextMarker>",
                z.id
            ),
            None => "<IsTruncated>false</IsTruncated>".into(),
        };
        return ResponseTemplate::new(200).set_body_raw(
            format!(
                r#"<?xml version="1.0"?><ListHostedZonesResponse {NS}><HostedZones>{zones}</HostedZones>{truncation}<MaxItems>{size}</MaxItems></ListHostedZonesResponse>"#
            ),
            "text/xml",
        );
    }
    let Some(zone_id) = path
        .strip_prefix("hostedzone/")
        .and_then(|p| p.strip_suffix("/rrset"))
    else {
        return route53_error(400, "InvalidInput");
    };
    let Some(zone) = services.zones.iter().find(|z| z.id == zone_id) else {
        return route53_error(404, "NoSuchHostedZone");
    };
    let size = services.record_page_size.max(1);
    let start = match (query(req, "name"), query(req, "type")) {
        (Some(name), Some(record_type)) => zone
            .records
            .iter()
            .position(|r| r.name == name && r.record_type == record_type)
            .unwrap_or(zone.records.len()),
        _ => 0,
    };
    let sets: String = zone
        .records
        .iter()
        .skip(start)
        .take(size)
        .map(|r| {
            let body = match &r.alias {
                Some(dns) => format!(
                    "<AliasTarget><HostedZoneId>Z3AQBSTGFYJSTF</HostedZoneId><DNSName>{}</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>",
                    escape(dns)
                ),
                None => format!(
                    "<TTL>300</TTL><ResourceRecords>{}</ResourceRecords>",
                    r.values
                        .iter()
                        .map(|v| format!("<ResourceRecord><Value>{}</Value></ResourceRecord>", escape(v)))
                        .collect::<String>()
                ),
            };
            format!(
                "<ResourceRecordSet><Name>{}</Name><Type>{}</Type>{body}</ResourceRecordSet>",
                escape(&r.name),
                r.record_type
            )
        })
        .collect();
    let truncation = match zone.records.get(start + size) {
        Some(next) => format!(
            "<IsTruncated>true</IsTruncated><NextRecordName>{}</NextRecordName><NextRecordType>{}</NextRecordType>",
            escape(&next.name),
            next.record_type
        ),
        None => "<IsTruncated>false</IsTruncated>".into(),
    };
    ResponseTemplate::new(200).set_body_raw(
        format!(
            r#"<?xml version="1.0"?><ListResourceRecordSetsResponse {NS}><ResourceRecordSets>{sets}</ResourceRecordSets>{truncation}<MaxItems>{size}</MaxItems></ListResourceRecordSetsResponse>"#
        ),
        "text/xml",
    )
}

fn json_answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/x-amz-json-1.1")
}

fn json_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    json_answer(status, json!({"__type": code, "message": message}))
}

fn cloudtrail(services: &Services, req: &Request, operation: &str) -> ResponseTemplate {
    if let Some((op, status, code)) = services.cloudtrail_fault
        && (op == operation || op == "*")
    {
        return json_error(status, code, "injected fault");
    }
    let region = super::signed_region(req).unwrap_or_default();
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    // Get* name the trail by ARN; CloudTrail answers them only in the trail's home region.
    let named = |field: &str| {
        let wanted = body[field].as_str().unwrap_or_default();
        services
            .trails
            .iter()
            .find(|t| t.arn() == wanted || t.name == wanted)
    };
    if let (Some(regions), "DescribeTrails") = (&services.trail_regions, operation) {
        let fault = match regions.get(&region) {
            Some(fault) => fault.as_ref(),
            None => Some(&services.trail_fault_elsewhere),
        };
        if let Some((status, code)) = fault {
            return json_error(*status, code, "injected fault");
        }
    }
    match operation {
        "DescribeTrails" => {
            let list: Vec<Value> = services
                .trails
                .iter()
                .filter(|t| {
                    t.home_region == region
                        || (t.multi_region && body["includeShadowTrails"] != json!(false))
                })
                .map(|t| {
                    json!({
                        "Name": t.name,
                        "TrailARN": t.arn(),
                        "HomeRegion": t.home_region,
                        "IsMultiRegionTrail": t.multi_region,
                        "IsOrganizationTrail": false,
                        "S3BucketName": "trail-logs",
                    })
                })
                .collect();
            json_answer(200, json!({ "trailList": list }))
        }
        "GetTrailStatus" => match named("Name") {
            Some(t) if t.home_region == region => json_answer(200, json!({"IsLogging": t.logging})),
            _ => json_error(
                400,
                "TrailNotFoundException",
                "Unknown trail in this region",
            ),
        },
        "GetEventSelectors" => match named("TrailName") {
            Some(t) if t.home_region == region => {
                let mut answer = t.selectors.clone();
                answer["TrailARN"] = json!(t.arn());
                json_answer(200, answer)
            }
            _ => json_error(
                400,
                "TrailNotFoundException",
                "Unknown trail in this region",
            ),
        },
        other => json_error(400, "UnknownOperationException", other),
    }
}

/// ListAccounts, one account per page (NextToken is the next index).
fn organizations(services: &Services, req: &Request, target: &str) -> ResponseTemplate {
    if !target.ends_with(".ListAccounts") {
        return json_error(400, "UnknownOperationException", target);
    }
    if services.organization.is_empty() {
        return json_error(
            400,
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        );
    }
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let at: usize = body["NextToken"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let accounts: Vec<Value> = services
        .organization
        .iter()
        .skip(at)
        .take(1)
        .map(|(id, state)| {
            json!({"Id": id, "Arn": format!("arn:aws:organizations::{}:account/o-fake/{id}", super::ACCOUNT_ID), "Name": id, "Email": format!("{id}@example.com"), "State": state, "Status": if state == "ACTIVE" { "ACTIVE" } else { "SUSPENDED" }})
        })
        .collect();
    let mut answer = json!({ "Accounts": accounts });
    if at + 1 < services.organization.len() {
        answer["NextToken"] = json!((at + 1).to_string());
    }
    json_answer(200, answer)
}

fn sns(services: &mut Services, req: &Request, form: &[(String, String)]) -> ResponseTemplate {
    const NS: &str = r#"xmlns="http://sns.amazonaws.com/doc/2010-03-31/""#;
    if let Some((status, code)) = services.sns_fault {
        return ResponseTemplate::new(status).set_body_raw(
            format!(
                r#"<ErrorResponse {NS}><Error><Type>Sender</Type><Code>{code}</Code><Message>injected fault</Message></Error><RequestId>fake</RequestId></ErrorResponse>"#
            ),
            "text/xml",
        );
    }
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    services.published.push(Published {
        topic: field("TopicArn"),
        subject: field("Subject"),
        message: field("Message"),
        region: super::signed_region(req).unwrap_or_default(),
    });
    ResponseTemplate::new(200).set_body_raw(
        format!(
            r#"<PublishResponse {NS}><PublishResult><MessageId>message-{}</MessageId></PublishResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></PublishResponse>"#,
            services.published.len()
        ),
        "text/xml",
    )
}

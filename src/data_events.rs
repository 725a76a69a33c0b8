//! CloudTrail S3 data events ("object-level logging"): which trails record reads or writes of a
//! bucket's objects, and for how much of the bucket.
//!
//! A trail records a bucket's data events when it logs in the bucket's region (a multi-region
//! trail, or a single-region trail whose home is that region), is logging, and one of its event
//! selectors matches the bucket's object ARNs (`arn:aws:s3:::BUCKET/KEY`) for that access type.
//! Selectors come in two forms, and a trail uses one of them:
//!
//! - basic (classic) event selectors: `ReadWriteType` plus `AWS::S3::Object` data resources whose
//!   values are `arn:aws:s3` or `arn:aws:s3:::` (every bucket), `arn:aws:s3:::BUCKET/` (the
//!   whole bucket) or `arn:aws:s3:::BUCKET/PREFIX` (a prefix);
//! - advanced event selectors: field selectors that are all true at once (`eventCategory`,
//!   `resources.type`, `readOnly`, `resources.ARN`, `eventName`, …), each field with operators
//!   (`Equals`, `StartsWith`, `EndsWith` and their negations); selectors are alternatives.
//!
//! Coverage is [`Extent::All`] only when every object of the bucket is matched for every event of
//! the access type; a prefix, an excluded prefix or an event-name filter gives [`Extent::Part`].

use crate::check::Outcome;
use crate::model::{AdvancedSelector, BasicSelector, EventSelectors, FieldSelector, Trail};
use std::fmt;

/// Reads (`GetObject`, `HeadObject`, …) or writes (`PutObject`, `DeleteObject`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    /// The `readOnly` field value of this access type's events.
    fn read_only_value(self) -> &'static str {
        match self {
            Access::Read => "true",
            Access::Write => "false",
        }
    }
}

/// How much of a bucket's objects a selector matches. Ordered: `None < Part < All`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Extent {
    None,
    /// Some objects or some events only; the text says which (`prefix arn:…/docs/`).
    Part(String),
    All,
}

impl Extent {
    fn and(self, other: Extent) -> Extent {
        self.min(other)
    }

    fn or(self, other: Extent) -> Extent {
        self.max(other)
    }
}

/// One trail's coverage of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailCoverage<'a> {
    pub trail: &'a Trail,
    pub extent: Extent,
}

impl fmt::Display for TrailCoverage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.trail.name)?;
        if self.trail.multi_region {
            write!(f, " (multi-region)")?;
        } else {
            write!(f, " ({})", self.trail.home_region)?;
        }
        if let Extent::Part(what) = &self.extent {
            write!(f, " for {what} only")?;
        }
        Ok(())
    }
}

/// The AWS partition of a region, as ARNs spell it.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Every trail that logs in `region` and matches the bucket's objects for `access` at all
/// (stopped trails included: the caller tells them apart), best coverage first.
pub fn coverage<'a>(
    trails: &'a [Trail],
    bucket: &str,
    region: &str,
    access: Access,
) -> Vec<TrailCoverage<'a>> {
    let objects = format!("arn:{}:s3:::{bucket}/", partition(region));
    let mut found: Vec<_> = trails
        .iter()
        .filter(|t| t.multi_region || t.home_region == region)
        .map(|trail| TrailCoverage {
            trail,
            extent: trail_extent(&trail.selectors, &objects, access),
        })
        .filter(|c| c.extent != Extent::None)
        .collect();
    found.sort_by(|a, b| {
        b.extent
            .cmp(&a.extent)
            .then(a.trail.name.cmp(&b.trail.name))
    });
    found
}

/// The verdict of the object-level logging checks: pass when a logging trail records `access`
/// events for the whole bucket; a distinct failure when trails cover only part of it, or would
/// cover it but are stopped.
pub fn outcome(trails: &[Trail], bucket: &str, region: &str, access: Access) -> Outcome {
    let found = coverage(trails, bucket, region, access);
    let kind = access.as_str();
    let list = |items: Vec<&TrailCoverage>| {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (logging, stopped): (Vec<_>, Vec<_>) = found.iter().partition(|c| c.trail.logging);
    let full: Vec<_> = logging
        .iter()
        .copied()
        .filter(|c| c.extent == Extent::All)
        .collect();
    if !full.is_empty() {
        return Outcome::Pass(format!(
            "{kind} data events are logged by trail {}",
            list(full)
        ));
    }
    let stopped_note = if stopped.is_empty() {
        String::new()
    } else {
        format!(
            "; trail {} would log them but is not logging (StartLogging)",
            list(stopped)
        )
    };
    if !logging.is_empty() {
        return Outcome::Fail(format!(
            "{kind} data events are logged for part of the bucket only: trail {}{stopped_note}",
            list(logging)
        ));
    }
    let none = if trails
        .iter()
        .any(|t| t.multi_region || t.home_region == region)
    {
        format!("no trail logging in {region} records {kind} data events for this bucket")
    } else {
        format!("no CloudTrail trail logs in {region}")
    };
    Outcome::Fail(none + &stopped_note)
}

fn trail_extent(selectors: &EventSelectors, objects: &str, access: Access) -> Extent {
    match selectors {
        EventSelectors::Basic(list) => list
            .iter()
            .map(|s| basic_extent(s, objects, access))
            .fold(Extent::None, Extent::or),
        EventSelectors::Advanced(list) => list
            .iter()
            .map(|s| advanced_extent(s, objects, access))
            .fold(Extent::None, Extent::or),
    }
}

fn basic_extent(selector: &BasicSelector, objects: &str, access: Access) -> Extent {
    let records_access = match selector.read_write_type.as_str() {
        "ReadOnly" => access == Access::Read,
        "WriteOnly" => access == Access::Write,
        _ => true,
    };
    if !records_access {
        return Extent::None;
    }
    let bucket_arn = objects.trim_end_matches('/');
    let all_buckets = &objects[..objects.find(":::").map_or(0, |i| i + 3)];
    selector
        .s3_object_values
        .iter()
        .map(|value| {
            let value = value.as_str();
            if value == all_buckets
                || value == all_buckets.trim_end_matches(':')
                || value == bucket_arn
                || value == objects
            {
                Extent::All
            } else if let Some(prefix) = value.strip_prefix(objects) {
                Extent::Part(format!("prefix {prefix}"))
            } else {
                Extent::None
            }
        })
        .fold(Extent::None, Extent::or)
}

fn advanced_extent(selector: &AdvancedSelector, objects: &str, access: Access) -> Extent {
    selector
        .fields
        .iter()
        .map(|f| match f.field.as_str() {
            "eventCategory" => admits(f, "Data"),
            "resources.type" => admits(f, "AWS::S3::Object"),
            "readOnly" => admits(f, access.read_only_value()),
            "eventSource" => admits(f, "s3.amazonaws.com"),
            "resources.ARN" => arn_extent(f, objects),
            // eventName, userIdentity.arn, errorCode, vpcEndpointId, …: only some events.
            other => Extent::Part(format!("events matching its {other} filter")),
        })
        .fold(Extent::All, Extent::and)
}

/// Whether a field that always has `value` passes the field selector: all of its operators must
/// hold; a positive operator holds when any of its values matches, a negative one when none does.
fn admits(f: &FieldSelector, value: &str) -> Extent {
    let any = |values: &[String], test: &dyn Fn(&str) -> bool| values.iter().any(|v| test(v));
    let holds = (f.equals.is_empty() || any(&f.equals, &|v| value == v))
        && (f.starts_with.is_empty() || any(&f.starts_with, &|v| value.starts_with(v)))
        && (f.ends_with.is_empty() || any(&f.ends_with, &|v| value.ends_with(v)))
        && !any(&f.not_equals, &|v| value == v)
        && !any(&f.not_starts_with, &|v| value.starts_with(v))
        && !any(&f.not_ends_with, &|v| value.ends_with(v));
    if holds { Extent::All } else { Extent::None }
}

/// How much of the object ARN space `objects` + any key the `resources.ARN` field selector
/// matches.
fn arn_extent(f: &FieldSelector, objects: &str) -> Extent {
    let positive = |values: &[String], each: &dyn Fn(&str) -> Extent| {
        if values.is_empty() {
            Extent::All
        } else {
            values
                .iter()
                .map(|v| each(v))
                .fold(Extent::None, Extent::or)
        }
    };
    let negative = |values: &[String], each: &dyn Fn(&str) -> Extent| {
        values
            .iter()
            .map(|v| each(v))
            .fold(Extent::All, Extent::and)
    };
    let equals = positive(&f.equals, &|v| match v.strip_prefix(objects) {
        Some(key) => Extent::Part(format!("object {key}")),
        None => Extent::None,
    });
    let starts_with = positive(&f.starts_with, &|v| {
        if objects.starts_with(v) {
            Extent::All
        } else if let Some(prefix) = v.strip_prefix(objects) {
            Extent::Part(format!("prefix {prefix}"))
        } else {
            Extent::None
        }
    });
    let ends_with = positive(&f.ends_with, &|v| {
        if v.is_empty() {
            Extent::All
        } else {
            Extent::Part(format!("keys ending in {v}"))
        }
    });
    let not_equals = negative(&f.not_equals, &|v| match v.strip_prefix(objects) {
        Some(key) => Extent::Part(format!("objects other than {key}")),
        None => Extent::All,
    });
    let not_starts_with = negative(&f.not_starts_with, &|v| {
        if objects.starts_with(v) {
            Extent::None
        } else if let Some(prefix) = v.strip_prefix(objects) {
            Extent::Part(format!("keys outside prefix {prefix}"))
        } else {
            Extent::All
        }
    });
    let not_ends_with = negative(&f.not_ends_with, &|v| {
        Extent::Part(format!("keys not ending in {v}"))
    });
    equals
        .and(starts_with)
        .and(ends_with)
        .and(not_equals)
        .and(not_starts_with)
        .and(not_ends_with)
}

/// A logging multi-region trail that records reads of every bucket (for the checks' tests).
#[cfg(test)]
pub fn read_only_trail() -> Trail {
    Trail {
        name: "reads".into(),
        arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/reads".into(),
        home_region: "us-east-1".into(),
        multi_region: true,
        logging: true,
        selectors: EventSelectors::Basic(vec![BasicSelector {
            read_write_type: "ReadOnly".into(),
            s3_object_values: vec!["arn:aws:s3".into()],
        }]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail(name: &str, multi_region: bool, selectors: EventSelectors) -> Trail {
        Trail {
            name: name.into(),
            arn: format!("arn:aws:cloudtrail:us-east-1:111122223333:trail/{name}"),
            home_region: "us-east-1".into(),
            multi_region,
            logging: true,
            selectors,
        }
    }

    fn basic(rw: &str, values: &[&str]) -> EventSelectors {
        EventSelectors::Basic(vec![BasicSelector {
            read_write_type: rw.into(),
            s3_object_values: values.iter().map(|v| v.to_string()).collect(),
        }])
    }

    fn field(name: &str, op: &str, values: &[&str]) -> FieldSelector {
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let mut f = FieldSelector {
            field: name.into(),
            ..Default::default()
        };
        match op {
            "Equals" => f.equals = values,
            "StartsWith" => f.starts_with = values,
            "EndsWith" => f.ends_with = values,
            "NotEquals" => f.not_equals = values,
            "NotStartsWith" => f.not_starts_with = values,
            "NotEndsWith" => f.not_ends_with = values,
            _ => panic!("unknown operator {op}"),
        }
        f
    }

    /// An advanced selector for S3 object data events plus `extra` field selectors.
    fn advanced(extra: Vec<FieldSelector>) -> EventSelectors {
        let mut fields = vec![
            field("eventCategory", "Equals", &["Data"]),
            field("resources.type", "Equals", &["AWS::S3::Object"]),
        ];
        fields.extend(extra);
        EventSelectors::Advanced(vec![AdvancedSelector {
            name: Some("s3".into()),
            fields,
        }])
    }

    fn extent(selectors: EventSelectors, access: Access) -> Extent {
        let trails = [trail("t", true, selectors)];
        coverage(&trails, "b", "us-east-1", access)
            .first()
            .map_or(Extent::None, |c| c.extent.clone())
    }

    fn part(text: &str) -> Extent {
        Extent::Part(text.into())
    }

    #[test]
    fn basic_selector_values() {
        use Access::*;
        for all in [
            "arn:aws:s3",
            "arn:aws:s3:::",
            "arn:aws:s3:::b/",
            "arn:aws:s3:::b",
        ] {
            assert_eq!(extent(basic("All", &[all]), Read), Extent::All, "{all}");
            assert_eq!(extent(basic("All", &[all]), Write), Extent::All, "{all}");
        }
        assert_eq!(
            extent(basic("ReadOnly", &["arn:aws:s3"]), Write),
            Extent::None
        );
        assert_eq!(
            extent(basic("WriteOnly", &["arn:aws:s3"]), Write),
            Extent::All
        );
        assert_eq!(
            extent(basic("WriteOnly", &["arn:aws:s3"]), Read),
            Extent::None
        );
        assert_eq!(
            extent(basic("All", &["arn:aws:s3:::b/docs/"]), Read),
            part("prefix docs/")
        );
        // Other buckets, a bucket whose name merely starts like this one's, other partitions.
        for other in [
            "arn:aws:s3:::other/",
            "arn:aws:s3:::bb/",
            "arn:aws-cn:s3:::",
        ] {
            assert_eq!(
                extent(basic("All", &[other]), Read),
                Extent::None,
                "{other}"
            );
        }
        // The whole bucket beats a prefix of it.
        assert_eq!(
            extent(basic("All", &["arn:aws:s3:::b/x", "arn:aws:s3:::b/"]), Read),
            Extent::All
        );
    }

    #[test]
    fn advanced_selectors_by_read_only_and_category() {
        use Access::*;
        assert_eq!(extent(advanced(vec![]), Read), Extent::All);
        assert_eq!(extent(advanced(vec![]), Write), Extent::All);
        let writes = advanced(vec![field("readOnly", "Equals", &["false"])]);
        assert_eq!(extent(writes.clone(), Write), Extent::All);
        assert_eq!(extent(writes, Read), Extent::None);
        // Management events only; another resource type.
        let management = EventSelectors::Advanced(vec![AdvancedSelector {
            name: None,
            fields: vec![field("eventCategory", "Equals", &["Management"])],
        }]);
        assert_eq!(extent(management, Write), Extent::None);
        let lambda = EventSelectors::Advanced(vec![AdvancedSelector {
            name: None,
            fields: vec![
                field("eventCategory", "Equals", &["Data"]),
                field("resources.type", "Equals", &["AWS::Lambda::Function"]),
            ],
        }]);
        assert_eq!(extent(lambda, Read), Extent::None);
    }

    #[test]
    fn advanced_selectors_by_arn() {
        use Access::*;
        let arn = |op, values: &[&str]| advanced(vec![field("resources.ARN", op, values)]);
        assert_eq!(
            extent(arn("StartsWith", &["arn:aws:s3:::b/"]), Read),
            Extent::All
        );
        assert_eq!(
            extent(arn("StartsWith", &["arn:aws:s3:::"]), Read),
            Extent::All
        );
        assert_eq!(
            extent(arn("StartsWith", &["arn:aws:s3:::b/logs/"]), Write),
            part("prefix logs/")
        );
        assert_eq!(
            extent(arn("StartsWith", &["arn:aws:s3:::other/"]), Write),
            Extent::None
        );
        assert_eq!(
            extent(arn("Equals", &["arn:aws:s3:::b/index.html"]), Write),
            part("object index.html")
        );
        assert_eq!(
            extent(arn("NotStartsWith", &["arn:aws:s3:::b/"]), Write),
            Extent::None
        );
        assert_eq!(
            extent(arn("NotStartsWith", &["arn:aws:s3:::other/"]), Write),
            Extent::All
        );
        assert_eq!(
            extent(arn("NotStartsWith", &["arn:aws:s3:::b/tmp/"]), Write),
            part("keys outside prefix tmp/")
        );
        assert_eq!(
            extent(arn("EndsWith", &[".csv"]), Read),
            part("keys ending in .csv")
        );
        assert_eq!(
            extent(arn("NotEquals", &["arn:aws:s3:::other/x"]), Read),
            Extent::All
        );
        // Any of several positive values; all of several negative ones.
        assert_eq!(
            extent(
                arn("StartsWith", &["arn:aws:s3:::a/", "arn:aws:s3:::b/"]),
                Read
            ),
            Extent::All
        );
        assert_eq!(
            extent(
                arn("NotStartsWith", &["arn:aws:s3:::a/", "arn:aws:s3:::b/"]),
                Read
            ),
            Extent::None
        );
    }

    #[test]
    fn other_fields_make_coverage_partial() {
        let selectors = advanced(vec![field("eventName", "Equals", &["PutObject"])]);
        assert_eq!(
            extent(selectors, Access::Write),
            part("events matching its eventName filter")
        );
        let source = advanced(vec![field("eventSource", "Equals", &["s3.amazonaws.com"])]);
        assert_eq!(extent(source, Access::Write), Extent::All);
    }

    #[test]
    fn alternatives_take_the_best_selector() {
        let selectors = EventSelectors::Advanced(vec![
            AdvancedSelector {
                name: None,
                fields: vec![
                    field("eventCategory", "Equals", &["Data"]),
                    field("resources.type", "Equals", &["AWS::S3::Object"]),
                    field("resources.ARN", "StartsWith", &["arn:aws:s3:::b/x/"]),
                ],
            },
            AdvancedSelector {
                name: None,
                fields: vec![
                    field("eventCategory", "Equals", &["Data"]),
                    field("resources.type", "Equals", &["AWS::S3::Object"]),
                    field("readOnly", "Equals", &["false"]),
                ],
            },
        ]);
        assert_eq!(extent(selectors.clone(), Access::Write), Extent::All);
        assert_eq!(extent(selectors, Access::Read), part("prefix x/"));
    }

    #[test]
    fn trails_apply_in_their_regions_and_partitions() {
        let everything = basic("All", &["arn:aws:s3"]);
        let mut single = trail("single", false, everything.clone());
        single.home_region = "eu-west-1".into();
        let trails = [single, trail("multi", true, everything)];
        let names = |region| {
            coverage(&trails, "b", region, Access::Read)
                .iter()
                .map(|c| c.trail.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names("eu-west-1"), ["multi", "single"]);
        assert_eq!(names("us-west-2"), ["multi"]);
        // In China the ARNs say aws-cn, so a commercial ARN value covers nothing there.
        let china = [trail("cn", true, basic("All", &["arn:aws:s3:::b/"]))];
        assert!(coverage(&china, "b", "cn-north-1", Access::Read).is_empty());
        let china = [trail("cn", true, basic("All", &["arn:aws-cn:s3:::b/"]))];
        assert_eq!(coverage(&china, "b", "cn-north-1", Access::Read).len(), 1);
    }

    #[test]
    fn outcomes_tell_full_partial_stopped_and_missing_coverage() {
        let everything = basic("WriteOnly", &["arn:aws:s3"]);
        let outcome = |trails: &[Trail]| super::outcome(trails, "b", "us-east-1", Access::Write);
        assert_eq!(
            outcome(&[trail("main", true, everything.clone())]),
            Outcome::Pass("write data events are logged by trail main (multi-region)".into())
        );
        let mut stopped = trail("old", false, everything.clone());
        stopped.logging = false;
        let docs = trail("docs", true, basic("All", &["arn:aws:s3:::b/docs/"]));
        assert_eq!(
            outcome(&[docs.clone(), stopped.clone()]),
            Outcome::Fail(
                "write data events are logged for part of the bucket only: trail docs \
                 (multi-region) for prefix docs/ only; trail old (us-east-1) would log them but \
                 is not logging (StartLogging)"
                    .into()
            )
        );
        assert_eq!(
            outcome(std::slice::from_ref(&stopped)),
            Outcome::Fail(
                "no trail logging in us-east-1 records write data events for this bucket; trail \
                 old (us-east-1) would log them but is not logging (StartLogging)"
                    .into()
            )
        );
        let reads = trail("reads", true, basic("ReadOnly", &["arn:aws:s3"]));
        assert_eq!(
            outcome(&[reads]),
            Outcome::Fail(
                "no trail logging in us-east-1 records write data events for this bucket".into()
            )
        );
        assert_eq!(
            outcome(&[]),
            Outcome::Fail("no CloudTrail trail logs in us-east-1".into())
        );
    }

    #[test]
    fn coverage_names_the_trail_and_the_part() {
        let t = trail("org", true, basic("All", &["arn:aws:s3:::b/docs/"]));
        let found = coverage(std::slice::from_ref(&t), "b", "us-east-1", Access::Read);
        assert_eq!(
            found[0].to_string(),
            "org (multi-region) for prefix docs/ only"
        );
    }
}

//! The named statements of `set-policy`, `update-policy` and `list-policy --named`: building
//! them for a bucket, recognising them in any policy, adding and removing them while every other
//! statement stays exactly as it was, and a line diff to show what a change does.
//!
//! Statements are compared by what they say, not how: `Sid`, the order of list values, a single
//! value versus a one-element list, and `"*"` versus `{"AWS": "*"}` do not matter.

use super::{PolicyDocument, string_or_list};
use serde_json::{Map, Value, json};

/// A statement s3tk can write and recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// Allow anyone to read objects.
    Public,
    /// Deny setting object ACLs.
    NoObjectAcl,
    /// Deny uploads that are not `public-read` (s3tk 0.5's template, kept as it was).
    PublicUploads,
    /// Deny all uploads.
    NoUploads,
    /// Deny uploads without `x-amz-server-side-encryption: AES256` (or `aws:kms` with `kms`).
    Encryption { kms: bool },
    /// Deny requests over plain HTTP.
    SecureTransport,
}

impl Named {
    /// Every statement, in the order set-policy writes them.
    pub const ALL: [Named; 7] = [
        Named::Public,
        Named::NoObjectAcl,
        Named::PublicUploads,
        Named::NoUploads,
        Named::Encryption { kms: false },
        Named::Encryption { kms: true },
        Named::SecureTransport,
    ];

    /// The label `list-policy --named` prints.
    pub const fn label(self) -> &'static str {
        match self {
            Named::Public => "Public",
            Named::NoObjectAcl => "No object ACL",
            Named::PublicUploads => "Public uploads",
            Named::NoUploads => "No uploads",
            Named::Encryption { .. } => "Encryption",
            Named::SecureTransport => "Secure transport",
        }
    }

    pub const fn sid(self) -> &'static str {
        match self {
            Named::Public => "Public",
            Named::NoObjectAcl => "NoObjectAcl",
            Named::PublicUploads => "PublicUploads",
            Named::NoUploads => "NoUploads",
            Named::Encryption { .. } => "Encryption",
            Named::SecureTransport => "SecureTransport",
        }
    }

    /// Whether two are the same kind (the two encryption variants are).
    pub fn same_kind(self, other: Named) -> bool {
        std::mem::discriminant(&self) == std::mem::discriminant(&other)
    }

    /// The statement for `bucket`.
    pub fn statement(self, bucket: &str) -> Value {
        let objects = format!("arn:aws:s3:::{bucket}/*");
        let mut statement = match self {
            Named::Public => json!({
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": objects
            }),
            Named::NoObjectAcl => json!({
                "Effect": "Deny", "Principal": "*", "Action": "s3:PutObjectAcl", "Resource": objects
            }),
            Named::PublicUploads => json!({
                "Effect": "Deny", "Principal": "*", "Action": ["s3:PutObject", "s3:PutObjectAcl"],
                "Resource": objects,
                "Condition": {"StringNotEquals": {"s3:x-amz-acl": "public-read"}}
            }),
            Named::NoUploads => json!({
                "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": objects
            }),
            Named::Encryption { kms } => json!({
                "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": objects,
                "Condition": {"StringNotEquals": {
                    "s3:x-amz-server-side-encryption": if kms { "aws:kms" } else { "AES256" }
                }}
            }),
            Named::SecureTransport => json!({
                "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [format!("arn:aws:s3:::{bucket}"), objects],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            }),
        };
        let map = statement.as_object_mut().expect("a statement is an object");
        let mut with_sid = Map::new();
        with_sid.insert("Sid".into(), Value::String(self.sid().into()));
        with_sid.append(map);
        Value::Object(with_sid)
    }

    /// Which named statement `statement` is, if any, for `bucket`.
    pub fn recognise(statement: &Map<String, Value>, bucket: &str) -> Option<Named> {
        let wanted = canonical(statement);
        Named::ALL
            .into_iter()
            .find(|n| canonical(n.statement(bucket).as_object().expect("an object")) == wanted)
    }
}

/// A statement reduced to what it means, for comparison.
fn canonical(statement: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (key, value) in statement {
        let normal = match key.as_str() {
            "Sid" => continue,
            "Action" | "NotAction" | "Resource" | "NotResource" => sorted(value),
            "Principal" | "NotPrincipal" => match value {
                Value::String(s) if s == "*" => json!({"AWS": ["*"]}),
                Value::Object(kinds) => {
                    Value::Object(kinds.iter().map(|(k, v)| (k.clone(), sorted(v))).collect())
                }
                other => other.clone(),
            },
            "Condition" => match value {
                Value::Object(ops) => Value::Object(
                    ops.iter()
                        .map(|(op, keys)| {
                            let keys = match keys {
                                Value::Object(keys) => Value::Object(
                                    keys.iter()
                                        .map(|(k, v)| (k.to_ascii_lowercase(), sorted(v)))
                                        .collect(),
                                ),
                                other => other.clone(),
                            };
                            (op.clone(), keys)
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), normal);
    }
    // Key order does not matter either.
    out.sort_keys();
    Value::Object(out)
}

fn sorted(value: &Value) -> Value {
    let mut items = string_or_list(value);
    items.sort();
    items.dedup();
    Value::Array(items.into_iter().map(Value::String).collect())
}

/// Whether two statements say the same thing.
pub fn same_statement(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    canonical(a) == canonical(b)
}

/// `doc` with `named` added for `bucket`, replacing a statement of the same kind (an
/// `aws:kms` encryption statement replaces an `AES256` one); `None` when it is already there.
pub fn add(doc: Option<&PolicyDocument>, named: Named, bucket: &str) -> Option<PolicyDocument> {
    let statement = named.statement(bucket);
    let Some(doc) = doc else {
        return Some(PolicyDocument::from_statements(vec![statement]));
    };
    if doc
        .statements()
        .iter()
        .any(|s| Named::recognise(s.json, bucket) == Some(named))
    {
        return None;
    }
    let kept = doc.without(|s| Named::recognise(s, bucket).is_some_and(|n| n.same_kind(named)));
    Some(kept.with_statement(statement))
}

/// `doc` without any statement of `named`'s kind; `None` when it has none.
pub fn remove(doc: &PolicyDocument, named: Named, bucket: &str) -> Option<PolicyDocument> {
    let kept = doc.without(|s| Named::recognise(s, bucket).is_some_and(|n| n.same_kind(named)));
    (kept.statements().len() != doc.statements().len()).then_some(kept)
}

/// A line diff of two texts (`-` removed, `+` added, two spaces for kept lines), from their
/// longest common subsequence; policies are small.
pub fn diff_lines(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out += &format!("  {}\n", a[i]);
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out += &format!("+ {}\n", b[j]);
            j += 1;
        } else {
            out += &format!("- {}\n", a[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> PolicyDocument {
        PolicyDocument::parse(text).unwrap()
    }

    #[test]
    fn every_named_statement_is_recognised_in_any_spelling() {
        for named in Named::ALL {
            let statement = named.statement("b");
            assert_eq!(
                Named::recognise(statement.as_object().unwrap(), "b"),
                Some(named),
                "{statement}"
            );
            assert_eq!(
                Named::recognise(statement.as_object().unwrap(), "other"),
                None
            );
        }
        // Another Sid, a list for a single value, {"AWS": "*"} for "*", other key order.
        let respelled = json!({
            "Resource": ["arn:aws:s3:::b/*"], "Action": ["s3:PutObjectAcl"],
            "Principal": {"AWS": "*"}, "Effect": "Deny", "Sid": "DenyObjectAcl"
        });
        assert_eq!(
            Named::recognise(respelled.as_object().unwrap(), "b"),
            Some(Named::NoObjectAcl)
        );
        let custom = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObjectAcl",
            "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
        assert_eq!(Named::recognise(custom.as_object().unwrap(), "b"), None);
    }

    #[test]
    fn the_original_readme_examples_are_what_set_policy_writes() {
        // s3tk's README, "Bucket Policies": prevent ACLs on objects (no Sid there).
        let readme = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObjectAcl",
            "Resource": "arn:aws:s3:::my-bucket/*"});
        assert!(same_statement(
            readme.as_object().unwrap(),
            Named::NoObjectAcl
                .statement("my-bucket")
                .as_object()
                .unwrap()
        ));
    }

    #[test]
    fn adding_keeps_every_other_statement_and_replaces_its_own_kind() {
        let original = doc(r#"{"Version":"2012-10-17","Id":"keep-me","Statement":[
            {"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
             "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
             "Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8"]}},"x-unknown":{"kept":true}},
            {"Sid":"Encryption","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
             "Resource":"arn:aws:s3:::b/*",
             "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}}]}"#);
        assert!(
            add(Some(&original), Named::Encryption { kms: false }, "b").is_none(),
            "already there"
        );
        let kms = add(Some(&original), Named::Encryption { kms: true }, "b").unwrap();
        let statements = kms.statements();
        assert_eq!(statements.len(), 2);
        assert_eq!(
            statements[0].json,
            original.statements()[0].json,
            "untouched"
        );
        assert_eq!(
            Named::recognise(statements[1].json, "b"),
            Some(Named::Encryption { kms: true })
        );
        assert_eq!(kms.json()["Id"], "keep-me");
        let removed = remove(&kms, Named::Encryption { kms: false }, "b").unwrap();
        assert_eq!(removed.statements().len(), 1);
        assert_eq!(removed.statements()[0].json, original.statements()[0].json);
        assert!(remove(&removed, Named::SecureTransport, "b").is_none());
        let fresh = add(None, Named::SecureTransport, "b").unwrap();
        assert_eq!(fresh.json()["Version"], "2012-10-17");
    }

    #[test]
    fn named_edits_send_untouched_statements_as_stored() {
        // serde_json would send `100.0`, `1.2345678901234568e+22`, `"A"` and no whitespace.
        let custom = "{\"Sid\" : \"\\u0041\", \"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\n    \"Resource\":\"arn:aws:s3:::b\",\"Condition\":{\"NumericGreaterThan\":{\"s3:max-keys\":1e2},\"NumericEquals\":{\"x:n\":12345678901234567890123}}}";
        let text = format!(
            "{{\"Version\":\"2012-10-17\", \"Id\" : \"\\u0049d\",\n \"Statement\":[ {custom} ]}}"
        );
        let original = doc(&text);
        let added = add(Some(&original), Named::SecureTransport, "b").unwrap();
        let secure = serde_json::to_string(&Named::SecureTransport.statement("b")).unwrap();
        assert_eq!(
            added.to_json_string(),
            format!(
                "{{\"Version\":\"2012-10-17\", \"Id\" : \"\\u0049d\",\n \"Statement\":[ {custom},{secure} ]}}"
            )
        );
        let back = remove(&added, Named::SecureTransport, "b").unwrap();
        assert_eq!(back.to_json_string(), text);
    }

    #[test]
    fn diffs_show_removed_and_added_lines() {
        let diff = diff_lines("a\nb\nc\n", "a\nc\nd\n");
        assert_eq!(diff, "  a\n- b\n  c\n+ d\n");
        assert_eq!(diff_lines("", "x\n"), "+ x\n");
        assert_eq!(diff_lines("x\n", ""), "- x\n");
    }

    /// Policies shaped like those found in the wild: every one round-trips unchanged, and adding
    /// then removing a named statement leaves every original statement byte for byte.
    const CORPUS: &[&str] = &[
        // CloudFront origin access control.
        r#"{"Version":"2008-10-17","Id":"PolicyForCloudFrontPrivateContent","Statement":[{"Sid":"AllowCloudFrontServicePrincipal","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}}}]}"#,
        // ELB access logs (legacy account principal), a single Statement object.
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::127311923021:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/AWSLogs/111122223333/*"}}"#,
        // VPC endpoint restriction with NotPrincipal, several operators and unknown fields.
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Access-to-specific-VPCE-only","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:role/admin","arn:aws:iam::111122223333:root"]},"Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"},"Bool":{"aws:ViaAWSService":false},"NumericLessThan":{"s3:TlsVersion":1.2}},"x-owner":{"team":"data","ids":[1,2,3]}}]}"#,
        // Cross-account read with unicode, IP ranges and a NotResource.
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Équipe-partenaire","Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:user/ünïcode"]},"Action":"s3:Get*","NotResource":"arn:aws:s3:::b/private/*","Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
    ];

    #[test]
    fn real_world_policies_round_trip_and_survive_edits() {
        for text in CORPUS {
            let original = doc(text);
            assert_eq!(original.validate(), Ok(()), "{text}");
            assert_eq!(original.to_json_string(), *text, "round trip");
            let added = add(Some(&original), Named::NoObjectAcl, "b").unwrap();
            let back = remove(&added, Named::NoObjectAcl, "b").unwrap();
            let originals: Vec<String> = original
                .statements()
                .iter()
                .map(|s| serde_json::to_string(s.json).unwrap())
                .collect();
            let kept: Vec<String> = back
                .statements()
                .iter()
                .map(|s| serde_json::to_string(s.json).unwrap())
                .collect();
            assert_eq!(kept, originals, "{text}");
            if original.json()["Statement"].is_array() {
                assert_eq!(back.to_json_string(), *text, "byte for byte");
            }
            assert_eq!(
                back.json().keys().collect::<Vec<_>>(),
                original.json().keys().collect::<Vec<_>>()
            );
        }
    }
}

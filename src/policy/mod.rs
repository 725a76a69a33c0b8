//! Bucket policies: a lossless document model and a local evaluator of "is this public?".
//!
//! The document keeps the JSON exactly as written (field order, unknown fields, string-or-list
//! forms), so a policy can be read, edited and written back without losing anything. Views over
//! it ([`Statement`]) accept every valid shape: `Statement` as an object or an array,
//! `Principal` as `"*"` or a map of string-or-list values, and so on.
//!
//! The evaluator follows the S3 User Guide's "The meaning of public" (see
//! `aws-s3-semantics.md` §1): a statement is public unless it grants only to fixed principals
//! or is restricted by a fixed-value condition on one of the listed keys. AWS decides with an
//! SMT solver over the whole policy, so this is an approximation used to explain and to work
//! offline; `GetBucketPolicyStatus` wins wherever it answers.

pub mod edit;
mod text;

pub use text::DuplicateKey;

use serde_json::{Map, Value};
use std::net::IpAddr;

/// S3's limit on a bucket policy: 20 KB.
pub const MAX_POLICY_BYTES: usize = 20_480;

/// A bucket policy: its JSON text exactly as read (or built), which is what gets sent, and
/// that text parsed for reading. Edits splice the text, so every byte they do not change is
/// sent as it was stored; two documents are equal when their texts are the same token for
/// token.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    text: String,
    json: Map<String, Value>,
}

impl PartialEq for PolicyDocument {
    fn eq(&self, other: &Self) -> bool {
        text::same_tokens(&self.text, &other.text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy is not valid JSON: {0}")]
    Json(String),
    #[error(
        "the policy starts with a UTF-8 byte order mark (BOM), which S3 refuses; save the file without it"
    )]
    ByteOrderMark,
    #[error("policy must be a JSON object")]
    NotAnObject,
    #[error("policy has no Statement")]
    NoStatement,
    #[error("Statement must be an object or an array of objects")]
    BadStatement,
    #[error(
        "the key {} appears twice in {}; JSON readers keep one or the other, so write it once",
        Value::from(.0.key.as_str()),
        if .0.path.is_empty() { "the top-level object" } else { .0.path.as_str() }
    )]
    DuplicateKey(DuplicateKey),
    #[error("the policy is {0} bytes; S3 accepts at most 20,480 (20 KB)")]
    TooLarge(usize),
    /// A statement S3 would refuse, named in the message.
    #[error("{0}")]
    Invalid(String),
}

/// A policy is stored (in state files) as its text, so reading it back gives the same bytes.
impl serde::Serialize for PolicyDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for PolicyDocument {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PolicyDocument::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl PolicyDocument {
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        if text.starts_with('\u{feff}') {
            return Err(PolicyError::ByteOrderMark);
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        let Value::Object(json) = value else {
            return Err(PolicyError::NotAnObject);
        };
        match json.get("Statement") {
            None => return Err(PolicyError::NoStatement),
            Some(Value::Object(_)) => {}
            Some(Value::Array(items)) if items.iter().all(Value::is_object) => {}
            Some(_) => return Err(PolicyError::BadStatement),
        }
        Ok(PolicyDocument {
            text: text.to_owned(),
            json,
        })
    }

    /// A new policy (`Version` 2012-10-17) holding these statements.
    pub fn from_statements(statements: Vec<Value>) -> Self {
        let mut json = Map::new();
        json.insert("Version".into(), Value::String("2012-10-17".into()));
        json.insert("Statement".into(), Value::Array(statements));
        let text = serde_json::to_string(&json).expect("a JSON map always serialises");
        PolicyDocument { text, json }
    }

    /// Where the statements are in the text (a parsed policy always has them).
    fn statement_spans(&self) -> text::StatementSpans {
        text::statement_spans(&self.text).expect("a parsed policy has a Statement")
    }

    /// This policy with `range` of its text replaced by `with`.
    fn spliced(&self, range: std::ops::Range<usize>, with: &str) -> Self {
        let mut text = self.text.clone();
        text.replace_range(range, with);
        PolicyDocument::parse(&text).expect("a statement splice keeps the text a policy")
    }

    /// This policy with one more statement (an object) at the end; every other byte is kept (a
    /// single `Statement` object becomes an array around it).
    pub fn with_statement(&self, statement: Value) -> Self {
        assert!(statement.is_object(), "a statement is a JSON object");
        let added = serde_json::to_string(&statement).expect("a JSON value always serialises");
        let spans = self.statement_spans();
        match spans.elements.as_deref() {
            Some([.., last]) => self.spliced(last.end..last.end, &format!(",{added}")),
            Some([]) => {
                let inside = spans.value.start + 1;
                self.spliced(inside..inside, &added)
            }
            None => {
                let one = &self.text[spans.value.clone()];
                self.spliced(spans.value.clone(), &format!("[{one},{added}]"))
            }
        }
    }

    /// The JSON text to send to S3: exactly as read, with only the edits made.
    pub fn to_json_string(&self) -> String {
        self.text.clone()
    }

    /// The document as JSON, exactly as parsed.
    pub fn json(&self) -> &Map<String, Value> {
        &self.json
    }

    /// The text laid out for people, indented by four spaces as s3tk 0.5's `list-policy` printed
    /// it; every string, number and literal exactly as it is in the text.
    pub fn to_pretty_string(&self) -> String {
        text::pretty(&self.text)
    }

    /// Checks what S3 checks before storing a policy: at most 20 KB, at least one statement,
    /// and each with an `Effect` of `Allow` or `Deny`, a principal, actions and resources; and
    /// that no object holds a key twice (which of the two counts is anyone's guess). The error
    /// names the statement and what it lacks, or the key and where it is.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.text.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge(self.text.len()));
        }
        if let Some(duplicate) = text::duplicate_key(&self.text) {
            return Err(PolicyError::DuplicateKey(duplicate));
        }
        let statements = self.statements();
        if statements.is_empty() {
            return Err(PolicyError::Invalid("the policy has no statements".into()));
        }
        for s in statements {
            let name = s.label();
            match s.json.get("Effect").and_then(Value::as_str) {
                Some("Allow" | "Deny") => {}
                None => return Err(PolicyError::Invalid(format!("{name} has no Effect"))),
                Some(other) => {
                    return Err(PolicyError::Invalid(format!(
                        "{name} has Effect \"{other}\"; it must be \"Allow\" or \"Deny\""
                    )));
                }
            }
            for (element, alternative) in [
                ("Principal", "NotPrincipal"),
                ("Action", "NotAction"),
                ("Resource", "NotResource"),
            ] {
                if !s.json.contains_key(element) && !s.json.contains_key(alternative) {
                    return Err(PolicyError::Invalid(format!("{name} has no {element}")));
                }
            }
        }
        Ok(())
    }

    /// This policy without the statements `drop` picks; every other byte is kept, the text
    /// between statements included.
    pub fn without(&self, drop: impl Fn(&Map<String, Value>) -> bool) -> Self {
        let spans = self.statement_spans();
        let statements = self.statements();
        let Some(elements) = spans.elements else {
            return if drop(statements[0].json) {
                self.spliced(spans.value, "[]")
            } else {
                self.clone()
            };
        };
        // One statement per element: parse accepts only arrays of objects.
        let kept: Vec<usize> = (0..elements.len())
            .filter(|&i| !drop(statements[i].json))
            .collect();
        if kept.len() == elements.len() {
            return self.clone();
        }
        let mut array = String::from("[");
        if let Some(&last) = kept.last() {
            let text = &self.text;
            // The whitespace before the first statement, each kept statement followed by the
            // separator that followed it, and the whitespace after the last.
            array += &text[spans.value.start + 1..elements[0].start];
            for pair in kept.windows(2) {
                array += &text[elements[pair[0]].start..elements[pair[0] + 1].start];
            }
            array += &text[elements[last].clone()];
            array += &text[elements[elements.len() - 1].end..spans.value.end - 1];
        }
        array.push(']');
        self.spliced(spans.value, &array)
    }

    /// The statements in document order, whether `Statement` is one object or an array.
    pub fn statements(&self) -> Vec<Statement<'_>> {
        match self.json.get("Statement") {
            Some(Value::Object(one)) => vec![Statement {
                index: 0,
                json: one,
            }],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_object)
                .enumerate()
                .map(|(index, json)| Statement { index, json })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A read-only view of one statement.
#[derive(Debug, Clone, Copy)]
pub struct Statement<'a> {
    /// Zero-based position in the document.
    pub index: usize,
    pub json: &'a Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
    Invalid,
}

impl<'a> Statement<'a> {
    pub fn sid(&self) -> Option<&'a str> {
        self.json
            .get("Sid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn effect(&self) -> Effect {
        match self.json.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            _ => Effect::Invalid,
        }
    }

    /// The values of a string-or-list element (`Action`, `Resource`, …); empty when absent.
    pub fn strings(&self, key: &str) -> Vec<String> {
        self.json.get(key).map(string_or_list).unwrap_or_default()
    }

    /// Whether the `Principal` is everyone (`"*"`, or `"*"` among the `AWS` principals).
    pub fn principal_is_everyone(&self) -> bool {
        match self.json.get("Principal") {
            Some(Value::String(s)) => s == "*",
            Some(Value::Object(kinds)) => kinds
                .get("AWS")
                .is_some_and(|v| string_or_list(v).iter().any(|p| p == "*")),
            _ => false,
        }
    }

    /// The account ids a statement grants to: those of its `AWS` principals and every account
    /// that a limiting condition on `aws:PrincipalAccount` or `aws:PrincipalArn` admits (the
    /// same operators that keep `"*"` from being public, [`limiting_operator`]): such a
    /// condition narrows `"*"` to other accounts without making the statement public.
    pub fn granted_accounts(&self) -> Vec<String> {
        let mut accounts = self.principal_accounts();
        for c in self.conditions() {
            let Some(op) = limiting_operator(&c) else {
                continue;
            };
            if op == "ipaddress" {
                continue;
            }
            for value in &c.values {
                let account = match c.key.to_ascii_lowercase().as_str() {
                    "aws:principalaccount" => Some(value.clone()),
                    "aws:principalarn" => value.split(':').nth(4).map(str::to_owned),
                    _ => None,
                };
                if let Some(account) = account.filter(|a| is_account_id(a) && !accounts.contains(a))
                {
                    accounts.push(account);
                }
            }
        }
        accounts
    }

    /// The account ids named by the `AWS` principals (`111122223333`, `arn:aws:iam::111122223333:root`,
    /// role, user and assumed-role ARNs), in order, without duplicates.
    pub fn principal_accounts(&self) -> Vec<String> {
        let Some(Value::Object(kinds)) = self.json.get("Principal") else {
            return Vec::new();
        };
        let mut accounts: Vec<String> = Vec::new();
        for principal in kinds.get("AWS").map(string_or_list).unwrap_or_default() {
            let account = if is_account_id(&principal) {
                Some(principal.clone())
            } else {
                // arn:PARTITION:iam|sts::ACCOUNT:…
                let parts: Vec<&str> = principal.splitn(6, ':').collect();
                (parts.len() == 6 && parts[0] == "arn" && matches!(parts[2], "iam" | "sts"))
                    .then(|| parts[4].to_owned())
                    .filter(|a| is_account_id(a))
            };
            if let Some(account) = account.filter(|a| !accounts.contains(a)) {
                accounts.push(account);
            }
        }
        accounts
    }

    /// How people should find the statement: its Sid and position, or its position alone.
    pub fn label(&self) -> String {
        match self.sid() {
            Some(sid) => format!("statement \"{sid}\" (#{})", self.index + 1),
            None => format!("statement #{}", self.index + 1),
        }
    }

    /// The `Condition` block as (operator, key, values) triples in document order.
    pub fn conditions(&self) -> Vec<Condition<'a>> {
        let Some(Value::Object(ops)) = self.json.get("Condition") else {
            return Vec::new();
        };
        ops.iter()
            .filter_map(|(op, keys)| keys.as_object().map(|keys| (op, keys)))
            .flat_map(|(op, keys)| {
                keys.iter().map(move |(key, values)| Condition {
                    operator: op,
                    key,
                    values: string_or_list(values),
                })
            })
            .collect()
    }
}

/// One key under one condition operator. Values are rendered as strings (`true`, `12`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition<'a> {
    pub operator: &'a str,
    pub key: &'a str,
    pub values: Vec<String>,
}

fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

fn string_or_list(value: &Value) -> Vec<String> {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Bool(_) | Value::Number(_) => Some(v.to_string()),
            _ => None,
        }
    }
    match value {
        Value::Array(items) => items.iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

/// The bucket-policy statement that lets S3 deliver server access logs into `target`, for
/// every source bucket of `account` (S3 User Guide, "Enabling server access logging"; a fixed
/// service principal with `aws:SourceAccount`, so it is not public).
pub fn log_delivery_statement(target: &str, account: &str) -> Value {
    serde_json::json!({
        "Sid": "S3ServerAccessLogsPolicy",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{target}/*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}
    })
}

/// Whether the policy already lets the logging service write objects.
pub fn allows_log_delivery(doc: &PolicyDocument) -> bool {
    doc.statements().iter().any(|s| {
        s.effect() == Effect::Allow
            && matches!(s.json.get("Principal"), Some(Value::Object(kinds))
                if kinds.get("Service").is_some_and(|v| string_or_list(v).iter().any(|p| p == "logging.s3.amazonaws.com")))
            && s.strings("Action").iter().any(|a| a == "*" || a.eq_ignore_ascii_case("s3:*") || a.eq_ignore_ascii_case("s3:PutObject"))
    })
}

/// Whether an action pattern can match S3 reads (`Get…`, `List…`) and S3 writes (the rest).
fn action_access(pattern: &str) -> (bool, bool) {
    let pattern = pattern.to_ascii_lowercase();
    let Some(action) = pattern.strip_prefix("s3:") else {
        // `*` covers every service; another service's actions are not S3's.
        return if pattern.starts_with(['*', '?']) {
            (true, true)
        } else {
            (false, false)
        };
    };
    let literal: String = action
        .chars()
        .take_while(|c| !matches!(c, '*' | '?'))
        .collect();
    let wildcard = literal.len() < action.len();
    let read_names = ["get", "list"];
    let committed_to_read = read_names.iter().any(|r| literal.starts_with(r));
    let could_be_read = committed_to_read
        || (wildcard && read_names.iter().any(|r| r.starts_with(literal.as_str())));
    let could_be_write = !committed_to_read && (wildcard || !could_be_read);
    (could_be_read, could_be_write)
}

/// Why a statement makes the policy public, and what it exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicStatement {
    pub label: String,
    pub reason: String,
    /// Whether its actions read data or metadata (`s3:GetObject`, `s3:ListBucket`, …).
    pub reads: bool,
    /// Whether its actions write, delete or reconfigure (`s3:PutObject`, `s3:DeleteObject`,
    /// `s3:PutBucketPolicy`, …).
    pub writes: bool,
}

impl PublicStatement {
    pub fn grants(&self, access: Access) -> bool {
        match access {
            Access::Read => self.reads,
            Access::Write => self.writes,
        }
    }
}

/// The two kinds of exposure the public checks tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub const fn word(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

impl<'a> Statement<'a> {
    /// Whether the statement's actions include reads and writes. S3 actions named `Get…` and
    /// `List…` read; every other S3 action writes, deletes or reconfigures, so every public
    /// statement counts as at least one of the two, whatever actions AWS adds later. `NotAction`
    /// grants every action it does not list and is judged conservatively; a statement with
    /// neither counts as granting everything.
    pub fn access(&self) -> (bool, bool) {
        if let Some(actions) = self.json.get("Action") {
            string_or_list(actions)
                .iter()
                .fold((false, false), |(r, w), a| {
                    let (reads, writes) = action_access(a);
                    (r || reads, w || writes)
                })
        } else if let Some(excluded) = self.json.get("NotAction") {
            let excluded: Vec<String> = string_or_list(excluded)
                .iter()
                .map(|a| a.to_ascii_lowercase())
                .collect();
            let covers = |pattern: &str| {
                excluded
                    .iter()
                    .any(|e| e == "*" || e == "s3:*" || e == pattern)
            };
            (!(covers("s3:get*") && covers("s3:list*")), !covers("s3:*"))
        } else {
            (true, true)
        }
    }
}

/// The local verdict on a whole policy: public if any statement is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicVerdict {
    pub public_statements: Vec<PublicStatement>,
    /// Allows to everyone that fixed-value conditions keep from being public by the local
    /// rules; AWS's solver may still count one as public (its reason names the conditions).
    pub limited_statements: Vec<PublicStatement>,
    /// A Deny statement with a condition might narrow a public Allow; only AWS can tell.
    pub conditional_deny: bool,
}

impl PublicVerdict {
    pub fn is_public(&self) -> bool {
        !self.public_statements.is_empty()
    }

    /// One sentence naming every public statement and why.
    pub fn explain(&self) -> String {
        self.public_statements
            .iter()
            .map(|s| format!("{} {}", s.label, s.reason))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Evaluates the policy statement by statement under AWS's rule for "public". The actions an
/// unconditional Deny to everyone removes on the same resources are taken out of an Allow's
/// read/write split; an Allow left with none is not public.
pub fn evaluate_public(doc: &PolicyDocument) -> PublicVerdict {
    let mut verdict = PublicVerdict::default();
    let statements = doc.statements();
    let denies: Vec<&Statement<'_>> = statements
        .iter()
        .filter(|s| s.effect() == Effect::Deny && s.denies_everyone_unconditionally())
        .collect();
    for statement in &statements {
        match statement.effect() {
            Effect::Deny => {
                verdict.conditional_deny |= statement.json.contains_key("Condition");
            }
            // An invalid Effect would be refused by S3; treat it like Allow to stay on the safe side.
            Effect::Allow | Effect::Invalid => {
                let Some(grantee) = public_grantee(statement) else {
                    continue;
                };
                let (reads, writes) = statement.access_left_by(&denies);
                if !reads && !writes && statement.access() != (false, false) {
                    continue;
                }
                let conditions = statement.conditions();
                let keys: Vec<String> = conditions
                    .iter()
                    .map(|c| format!("{} {}", c.operator, c.key))
                    .collect();
                let (list, reason) = if conditions.is_empty() {
                    (
                        &mut verdict.public_statements,
                        format!("allows {grantee} with no condition"),
                    )
                } else if conditions.iter().any(restricts_to_fixed_values) {
                    (
                        &mut verdict.limited_statements,
                        format!("allows {grantee} only under {}", keys.join(", ")),
                    )
                } else {
                    (
                        &mut verdict.public_statements,
                        format!(
                            "allows {grantee}; its conditions ({}) do not limit it to fixed values",
                            keys.join(", ")
                        ),
                    )
                };
                list.push(PublicStatement {
                    label: statement.label(),
                    reason,
                    reads,
                    writes,
                });
            }
        }
    }
    verdict
}

impl Statement<'_> {
    /// A Deny to `"*"` with no condition, listing its actions and resources (a `NotAction` or
    /// `NotResource` Deny is not used to narrow anything).
    fn denies_everyone_unconditionally(&self) -> bool {
        self.principal_is_everyone()
            && !self.json.contains_key("Condition")
            && self.json.contains_key("Action")
            && self.json.contains_key("Resource")
    }

    /// [`Statement::access`] after the `denies` (unconditional, to everyone) that cover every
    /// resource of this statement: an action pattern they match entirely is removed.
    fn access_left_by(&self, denies: &[&Statement<'_>]) -> (bool, bool) {
        let Some(actions) = self.json.get("Action") else {
            return self.access();
        };
        let resources = self.strings("Resource");
        let covering: Vec<&&Statement<'_>> = denies
            .iter()
            .filter(|d| {
                !resources.is_empty()
                    && resources
                        .iter()
                        .all(|r| d.strings("Resource").iter().any(|p| wildcard_match(p, r)))
            })
            .collect();
        string_or_list(actions)
            .iter()
            .filter(|a| {
                !covering
                    .iter()
                    .any(|d| d.strings("Action").iter().any(|p| wildcard_match(p, a)))
            })
            .fold((false, false), |(r, w), a| {
                let (reads, writes) = action_access(a);
                (r || reads, w || writes)
            })
    }
}

/// Whether an IAM pattern (`*`, `?`; case-insensitive) matches `text` whatever `text`'s own
/// wildcards stand for: a `*` in `text` is matched only by a `*` of the pattern, so
/// `s3:Put*` covers `s3:PutObject` and `s3:Put*` but not `s3:P*`.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (
        pattern.to_ascii_lowercase().chars().collect(),
        text.to_ascii_lowercase().chars().collect(),
    );
    // Classic two-pointer glob match with backtracking to the last `*`.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && (p[pi] == t[ti] || (p[pi] == '?' && t[ti] != '*')) {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Describes the principal if it reaches beyond fixed AWS principals, `None` if it does not.
fn public_grantee(statement: &Statement<'_>) -> Option<String> {
    if statement.json.contains_key("NotPrincipal") {
        return Some("everyone except the NotPrincipal list (NotPrincipal with Allow)".into());
    }
    let Some(principal) = statement.json.get("Principal") else {
        return Some("an unspecified principal (no Principal element)".into());
    };
    match principal {
        Value::String(s) if s.contains('*') => Some(format!("Principal \"{s}\" (everyone)")),
        // Only "*" is valid as a bare string; anything else names one fixed principal.
        Value::String(_) => None,
        Value::Object(kinds) => kinds.iter().find_map(|(kind, values)| {
            let values = string_or_list(values);
            if kind == "Federated" {
                Some(format!("federated principal {}", values.join(", ")))
            } else {
                values
                    .iter()
                    .find(|v| v.contains('*'))
                    .map(|v| format!("Principal {{\"{kind}\": \"{v}\"}} (everyone)"))
            }
        }),
        _ => Some("a Principal of an unrecognised form".into()),
    }
}

/// Condition keys whose fixed values make a statement non-public (S3 User Guide, "The meaning
/// of public"), plus `aws:PrincipalAccount`/`aws:PrincipalArn`, which name an AWS principal as
/// the rule's first item allows (marked "verify" in the reference). Lowercase: IAM compares
/// condition key names case-insensitively.
const FIXED_VALUE_KEYS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
];

/// The operators that limit a key to the values they list (lowercase), whatever the key.
const LIMITING_OPERATORS: &[&str] = &[
    "stringequals",
    "stringequalsignorecase",
    "stringlike",
    "arnequals",
    "arnlike",
    "ipaddress",
];

/// The operator of a condition that limits its key to the values it lists, lowercase and
/// without `ForAnyValue:` (which, on a single-valued key, behaves like the plain operator);
/// `None` when it does not limit: `ForAllValues:` and `…IfExists` also hold when the key is
/// absent, a policy variable is not a fixed value, and negated, numeric, date, `Bool` and
/// `Null` operators do not name the values allowed.
pub fn limiting_operator(condition: &Condition<'_>) -> Option<String> {
    let op = condition.operator.to_ascii_lowercase();
    if op.starts_with("forallvalues:")
        || op.ends_with("ifexists")
        || condition.values.is_empty()
        || condition.values.iter().any(|v| v.contains("${"))
    {
        return None;
    }
    let op = op.strip_prefix("foranyvalue:").unwrap_or(&op);
    LIMITING_OPERATORS.contains(&op).then(|| op.to_owned())
}

/// Whether one condition limits the statement to fixed values of a qualifying key.
pub fn restricts_to_fixed_values(condition: &Condition<'_>) -> bool {
    let key = condition.key.to_ascii_lowercase();
    match limiting_operator(condition).as_deref() {
        None => false,
        Some("ipaddress") => key == "aws:sourceip" && limits_source_ip(&condition.values),
        Some(op) => {
            FIXED_VALUE_KEYS.contains(&key.as_str())
                && condition.values.iter().all(|v| {
                    !v.contains(['*', '?'])
                        || (key == "s3:dataaccesspointarn"
                            && op != "stringequals"
                            && is_fixed_account_access_point(v))
                })
        }
    }
}

/// Whether an `aws:SourceIp` list limits a statement to a fixed part of the internet. AWS
/// accepts one value of at most /8 (IPv4) or /32 (IPv6) as non-public; a list is judged by the
/// internet address space it covers together (overlaps counted once, private and link-local
/// ranges not counted), which may not exceed what one such value covers: 256 × /8 is public.
fn limits_source_ip(values: &[String]) -> bool {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for value in values {
        match source_ip_range(value) {
            Some((IpAddr::V4(_), range)) => v4.push(range),
            Some((IpAddr::V6(_), range)) => v6.push(range),
            None => return false,
        }
    }
    internet_addresses(v4, NOT_INTERNET_V4) <= 1 << (32 - 8)
        && internet_addresses(v6, NOT_INTERNET_V6) <= 1 << (128 - 32)
}

/// One `aws:SourceIp` value as its first and last address, if it is no broader than /8 (IPv4)
/// or /32 (IPv6).
fn source_ip_range(value: &str) -> Option<(IpAddr, (u128, u128))> {
    let (addr, prefix) = match value.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix.parse::<u32>().ok()?)),
        None => (value, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let (bits, narrowest, number) = match addr {
        IpAddr::V4(a) => (32, 8, u128::from(u32::from(a))),
        IpAddr::V6(a) => (128, 32, u128::from(a)),
    };
    let prefix = prefix.unwrap_or(bits);
    if !(narrowest..=bits).contains(&prefix) {
        return None;
    }
    let host_bits = bits - prefix;
    let size_minus_one = if host_bits == 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let first = number & !size_minus_one;
    Some((addr, (first, first | size_minus_one)))
}

/// Private, shared, loopback and link-local IPv4 ranges (RFC 1918, 6598, 1122, 3927).
const NOT_INTERNET_V4: &[(u128, u128)] = &[
    (0x0A00_0000, 0x0AFF_FFFF),
    (0x6440_0000, 0x647F_FFFF),
    (0x7F00_0000, 0x7FFF_FFFF),
    (0xA9FE_0000, 0xA9FE_FFFF),
    (0xAC10_0000, 0xAC1F_FFFF),
    (0xC0A8_0000, 0xC0A8_FFFF),
];
/// Loopback, unique-local and link-local IPv6 ranges (RFC 4291, 4193).
const NOT_INTERNET_V6: &[(u128, u128)] = &[
    (1, 1),
    (0xfc00 << 112, (0xfe00 << 112) - 1),
    (0xfe80 << 112, (0xfec0 << 112) - 1),
];

/// How many addresses the ranges cover together, leaving out `excluded` (sorted, disjoint).
fn internet_addresses(mut ranges: Vec<(u128, u128)>, excluded: &[(u128, u128)]) -> u128 {
    ranges.sort_unstable();
    let mut merged: Vec<(u128, u128)> = Vec::new();
    for (first, last) in ranges {
        match merged.last_mut() {
            Some((_, end)) if first <= end.saturating_add(1) => *end = (*end).max(last),
            _ => merged.push((first, last)),
        }
    }
    let mut total: u128 = 0;
    for (first, last) in merged {
        let mut count = (last - first).saturating_add(1);
        for &(x_first, x_last) in excluded {
            let (from, to) = (first.max(x_first), last.min(x_last));
            if from <= to {
                count -= to - from + 1;
            }
        }
        total = total.saturating_add(count);
    }
    total
}

/// In a bucket policy, `arn:aws:s3:REGION:ACCOUNT:accesspoint/*` is non-public as long as
/// everything before the access-point name is fixed.
fn is_fixed_account_access_point(value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6
        && parts[..5].iter().all(|p| !p.contains(['*', '?']))
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("accesspoint/")
        && !parts[5]["accesspoint/".len()..].is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(policy: &str) -> PublicVerdict {
        evaluate_public(&PolicyDocument::parse(policy).expect("test policy parses"))
    }

    fn allow(principal: &str, condition: &str) -> String {
        let condition = if condition.is_empty() {
            String::new()
        } else {
            format!(r#","Condition":{condition}"#)
        };
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"{condition}}}]}}"#
        )
    }

    /// (case, policy, public?) — drawn from aws-s3-semantics.md §1.1–§1.3.
    fn cases() -> Vec<(&'static str, String, bool)> {
        vec![
            ("principal * no condition", allow(r#""*""#, ""), true),
            ("AWS * no condition", allow(r#"{"AWS":"*"}"#, ""), true),
            ("AWS [*] list", allow(r#"{"AWS":["*"]}"#, ""), true),
            ("list with root and *", allow(r#"{"AWS":["arn:aws:iam::111122223333:root","*"]}"#, ""), true),
            ("fixed account root", allow(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#, ""), false),
            ("fixed account id", allow(r#"{"AWS":"111122223333"}"#, ""), false),
            ("fixed role arn list", allow(r#"{"AWS":["arn:aws:iam::111122223333:role/a","arn:aws:iam::444455556666:role/b"]}"#, ""), false),
            ("canonical user", allow(r#"{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#, ""), false),
            ("service principal", allow(r#"{"Service":"logging.s3.amazonaws.com"}"#, ""), false),
            ("federated", allow(r#"{"Federated":"graph.facebook.com"}"#, ""), true),
            ("wildcard account arn", allow(r#"{"AWS":"arn:aws:iam::*:root"}"#, ""), true),
            ("AWS * plus service", allow(r#"{"AWS":"*","Service":"cloudtrail.amazonaws.com"}"#, ""), true),
            ("source ip /24", allow(r#""*""#, r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#), false),
            ("source ip /8", allow(r#""*""#, r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#), false),
            ("source ip /1", allow(r#""*""#, r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}"#), true),
            ("source ip /0", allow(r#""*""#, r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","0.0.0.0/0"]}}"#), true),
            ("source ip single address", allow(r#""*""#, r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#), false),
            ("source ipv6 /32", allow(r#""*""#, r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#), false),
            ("source ipv6 /16", allow(r#""*""#, r#"{"IpAddress":{"aws:SourceIp":"2001::/16"}}"#), true),
            ("not ip address", allow(r#""*""#, r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#), true),
            ("source vpce equals", allow(r#""*""#, r#"{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#), false),
            ("source vpc equals", allow(r#""*""#, r#"{"StringEquals":{"aws:SourceVpc":"vpc-91237329"}}"#), false),
            ("source vpc like wildcard", allow(r#""*""#, r#"{"StringLike":{"aws:SourceVpc":"vpc-*"}}"#), true),
            ("source vpc like literal", allow(r#""*""#, r#"{"StringLike":{"aws:SourceVpc":"vpc-91237329"}}"#), false),
            ("principal org id", allow(r#"{"AWS":"*"}"#, r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#), false),
            ("key name case-insensitive", allow(r#""*""#, r#"{"StringEquals":{"AWS:SOURCEACCOUNT":"111122223333"}}"#), false),
            ("source arn equals", allow(r#""*""#, r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/t"}}"#), false),
            ("source arn like wildcard", allow(r#""*""#, r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}"#), true),
            ("policy variable", allow(r#""*""#, r#"{"StringEquals":{"aws:SourceAccount":"${aws:PrincipalAccount}"}}"#), true),
            ("negated operator", allow(r#""*""#, r#"{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#), true),
            ("if exists", allow(r#""*""#, r#"{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-91237329"}}"#), true),
            ("null operator", allow(r#""*""#, r#"{"Null":{"aws:SourceVpc":"false"}}"#), true),
            ("for all values", allow(r#""*""#, r#"{"ForAllValues:StringEquals":{"aws:SourceVpc":"vpc-91237329"}}"#), true),
            ("for any value", allow(r#""*""#, r#"{"ForAnyValue:StringEquals":{"aws:SourceVpc":"vpc-91237329"}}"#), false),
            ("unlisted key secure transport", allow(r#""*""#, r#"{"Bool":{"aws:SecureTransport":"true"}}"#), true),
            ("unlisted key referer", allow(r#""*""#, r#"{"StringEquals":{"aws:Referer":"https://example.com"}}"#), true),
            ("userid role session wildcard", allow(r#""*""#, r#"{"StringLike":{"aws:userid":"AROAEXAMPLEID:*"}}"#), true),
            ("userid fixed", allow(r#""*""#, r#"{"StringEquals":{"aws:userid":"AIDAEXAMPLEID"}}"#), false),
            ("kms key id fixed", allow(r#""*""#, r#"{"StringEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:111122223333:key/k"}}"#), false),
            ("access point arn fixed account", allow(r#""*""#, r#"{"ArnLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:123456789012:accesspoint/*"}}"#), false),
            ("access point arn wildcard account", allow(r#""*""#, r#"{"ArnLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:*:accesspoint/*"}}"#), true),
            ("access point account", allow(r#""*""#, r#"{"StringEquals":{"s3:DataAccessPointAccount":"123456789012"}}"#), false),
            ("AND of unlisted and fixed", allow(r#""*""#, r#"{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:SourceVpce":"vpce-1"}}"#), false),
            (
                "deny never public",
                r#"{"Statement":[{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#.into(),
                false,
            ),
            (
                "statement as single object",
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#.into(),
                true,
            ),
            (
                "not principal with allow",
                r#"{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#.into(),
                true,
            ),
            (
                "not principal with deny",
                r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#.into(),
                false,
            ),
            (
                "not action still public",
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}"#.into(),
                true,
            ),
            (
                "one public among fixed statements",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"*"},{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#.into(),
                true,
            ),
            (
                "missing principal",
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#.into(),
                true,
            ),
            ("boolean condition value", allow(r#""*""#, r#"{"Bool":{"aws:SecureTransport":true}}"#), true),
            ("principal account ignoring case", allow(r#""*""#, r#"{"StringEqualsIgnoreCase":{"aws:PrincipalAccount":"111122223333"}}"#), false),
            ("principal arn for any value", allow(r#""*""#, r#"{"ForAnyValue:ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/r"}}"#), false),
            ("source ip 256 x /8", allow(r#""*""#, &source_ips((0..=255).map(|i| format!("{i}.0.0.0/8")))), true),
            ("source ip two internet /8", allow(r#""*""#, &source_ips(["3.0.0.0/8", "52.0.0.0/8"])), true),
            ("source ip one internet /8 and the private ranges", allow(r#""*""#, &source_ips(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "3.0.0.0/8"])), false),
            ("source ip overlapping values counted once", allow(r#""*""#, &source_ips(["3.0.0.0/8", "3.0.0.0/9", "3.128.0.0/9"])), false),
            ("source ip a /8 and one more address", allow(r#""*""#, &source_ips(["3.0.0.0/8", "4.0.0.1"])), true),
            ("source ipv6 two /32", allow(r#""*""#, &source_ips(["2001:db8::/32", "2001:db9::/32"])), true),
            ("source ipv6 a /32 and unique-local", allow(r#""*""#, &source_ips(["2001:db8::/32", "fd00::/48"])), false),
        ]
    }

    fn source_ips<S: ToString>(values: impl IntoIterator<Item = S>) -> String {
        let values: Vec<String> = values
            .into_iter()
            .map(|v| format!("\"{}\"", v.to_string()))
            .collect();
        format!(
            r#"{{"IpAddress":{{"aws:SourceIp":[{}]}}}}"#,
            values.join(",")
        )
    }

    #[test]
    fn evaluator_table() {
        let cases = cases();
        assert!(cases.len() >= 30);
        let wrong: Vec<_> = cases
            .iter()
            .filter(|(_, policy, public)| verdict(policy).is_public() != *public)
            .map(|(name, _, public)| format!("{name}: expected public={public}"))
            .collect();
        assert!(
            wrong.is_empty(),
            "misjudged policies:\n{}",
            wrong.join("\n")
        );
    }

    #[test]
    fn names_the_offending_statement() {
        let v = verdict(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"s3:*","Resource":"*"},{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#,
        );
        assert_eq!(
            v.explain(),
            "statement \"Open\" (#2) allows Principal \"*\" (everyone) with no condition"
        );
        let v = verdict(&allow(
            r#"{"AWS":["arn:aws:iam::111122223333:root","*"]}"#,
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
        ));
        assert_eq!(
            v.explain(),
            "statement #1 allows Principal {\"AWS\": \"*\"} (everyone); its conditions (Bool aws:SecureTransport) do not limit it to fixed values"
        );
    }

    #[test]
    fn actions_split_read_and_write() {
        let access = |actions: &str| {
            let v = verdict(&format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":"*",{actions},"Resource":"*"}}]}}"#
            ));
            let s = &v.public_statements[0];
            (s.reads, s.writes)
        };
        assert_eq!(access(r#""Action":"s3:GetObject""#), (true, false));
        assert_eq!(access(r#""Action":["s3:Get*","s3:List*"]"#), (true, false));
        assert_eq!(
            access(r#""Action":"S3:PUTOBJECT""#),
            (false, true),
            "action names are case-insensitive"
        );
        assert_eq!(
            access(r#""Action":["s3:GetObject","s3:DeleteObject"]"#),
            (true, true)
        );
        assert_eq!(access(r#""Action":"s3:*""#), (true, true));
        assert_eq!(access(r#""Action":"*""#), (true, true));
        assert_eq!(access(r#""Action":"s3:Put*""#), (false, true));
        assert_eq!(
            access(r#""NotAction":"s3:Delete*""#),
            (true, true),
            "NotAction grants the rest"
        );
        assert_eq!(
            access(r#""NotAction":["s3:Put*","s3:Delete*"]"#),
            (true, true),
            "judged conservatively"
        );
        assert_eq!(
            access(r#""NotAction":["s3:Get*","s3:List*"]"#),
            (false, true)
        );
        assert_eq!(
            access(r#""Action":"s3:GetObjectVersionAcl""#),
            (true, false),
            "any Get… reads"
        );
        assert_eq!(
            access(r#""Action":"s3:PutBucketTagging""#),
            (false, true),
            "any other S3 action writes"
        );
        assert_eq!(
            access(r#""Action":"s3:G*""#),
            (true, true),
            "conservative: a wildcard that could match more"
        );
        assert_eq!(access(r#""Action":"s3:*Object""#), (true, true));
        assert_eq!(access(r#""NotAction":"s3:*""#), (false, false));
        assert_eq!(access(r#""Action":"kms:Decrypt""#), (false, false));
    }

    #[test]
    fn an_unconditional_deny_to_everyone_narrows_the_split() {
        let split = |deny: &str| {
            let v = verdict(&format!(
                r#"{{"Statement":[{{"Sid":"Open","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}},{deny}]}}"#
            ));
            v.public_statements
                .iter()
                .map(|s| (s.reads, s.writes))
                .collect::<Vec<_>>()
        };
        let deny = |rest: &str| format!(r#"{{"Effect":"Deny",{rest}}}"#);
        assert_eq!(
            split(&deny(
                r#""Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*""#
            )),
            [(true, false)],
            "nobody can write"
        );
        assert_eq!(
            split(&deny(
                r#""Principal":{"AWS":"*"},"Action":"s3:Put*","Resource":"*""#
            )),
            [(true, false)],
            "a wildcard Deny on every resource"
        );
        assert_eq!(
            split(&deny(
                r#""Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*""#
            )),
            [],
            "nothing is left to anyone"
        );
        for (narrower, why) in [
            (
                r#""Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/tmp/*""#,
                "part of the resources",
            ),
            (
                r#""Principal":{"AWS":"111122223333"},"Action":"s3:PutObject","Resource":"*""#,
                "one account",
            ),
            (
                r#""Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}"#,
                "a condition",
            ),
            (
                r#""Principal":"*","NotAction":"s3:GetObject","Resource":"*""#,
                "NotAction",
            ),
            (
                r#""Principal":"*","Action":"s3:PutObjectAcl","Resource":"*""#,
                "another action",
            ),
        ] {
            assert_eq!(
                split(&deny(narrower)),
                [(true, true)],
                "a Deny of {why} narrows nothing"
            );
        }
        assert!(wildcard_match("s3:Put*", "s3:PUTOBJECT"));
        assert!(wildcard_match("s3:*", "s3:Get*"));
        assert!(!wildcard_match("s3:Put*", "s3:P*"));
        assert!(!wildcard_match("s3:Put?bject", "s3:Put*"));
    }

    #[test]
    fn the_docs_name_every_limiting_key_and_operator() {
        let readme = include_str!("../../README.md").to_ascii_lowercase();
        let check_doc = crate::registry::check("s3.bucket.public-policy-read")
            .expect("registered")
            .meta
            .doc
            .to_ascii_lowercase();
        for (name, text) in [
            ("README", &readme),
            ("public-policy-read's doc", &check_doc),
        ] {
            for word in FIXED_VALUE_KEYS.iter().chain(LIMITING_OPERATORS) {
                assert!(
                    text.contains(&format!("`{word}`")),
                    "{name} does not name `{word}`, which the evaluator treats as limiting"
                );
            }
            assert!(text.contains("`foranyvalue:`"), "{name}: ForAnyValue:");
        }
    }

    #[test]
    fn conditional_deny_is_noted() {
        let v = verdict(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}"#,
        );
        assert!(v.is_public() && v.conditional_deny);
    }

    #[test]
    fn parse_rejects_what_is_not_a_policy() {
        assert!(matches!(
            PolicyDocument::parse("{"),
            Err(PolicyError::Json(_))
        ));
        assert_eq!(PolicyDocument::parse("[]"), Err(PolicyError::NotAnObject));
        assert_eq!(
            PolicyDocument::parse(r#"{"Version":"2012-10-17"}"#),
            Err(PolicyError::NoStatement)
        );
        assert_eq!(
            PolicyDocument::parse(r#"{"Statement":"x"}"#),
            Err(PolicyError::BadStatement)
        );
    }

    #[test]
    fn adding_a_statement_keeps_the_rest() {
        let single = PolicyDocument::parse(r#"{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}"#).unwrap();
        let added = single.with_statement(serde_json::json!({"Sid":"B"}));
        assert_eq!(
            added.to_json_string(),
            r#"{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"},{"Sid":"B"}]}"#
        );
        assert_eq!(
            PolicyDocument::from_statements(vec![]).to_json_string(),
            r#"{"Version":"2012-10-17","Statement":[]}"#
        );
    }

    #[test]
    fn round_trip_keeps_order_and_unknown_fields() {
        let text = r#"{"Version":"2012-10-17","Id":"p1","Statement":{"Sid":"A","Effect":"Allow","Principal":{"AWS":["1","2"]},"Action":"s3:GetObject","Resource":"*","X-Custom":{"z":1,"a":[true]}}}"#;
        let doc = PolicyDocument::parse(text).unwrap();
        assert_eq!(serde_json::to_string(doc.json()).unwrap(), text);
    }

    #[test]
    fn validation_names_the_statement_and_what_it_lacks() {
        let check = |text: &str| PolicyDocument::parse(text).unwrap().validate();
        let ok =
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
        assert_eq!(check(ok), Ok(()));
        assert_eq!(
            check(r#"{"Statement":[{"Sid":"A","Principal":"*","Action":"s3:*","Resource":"*"}]}"#),
            Err(PolicyError::Invalid(
                "statement \"A\" (#1) has no Effect".into()
            ))
        );
        assert_eq!(
            check(r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:*","Resource":"*"}]}"#)
                .unwrap_err()
                .to_string(),
            "statement #1 has Effect \"Maybe\"; it must be \"Allow\" or \"Deny\""
        );
        assert_eq!(
            check(r#"{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"x"},"NotAction":"s3:Get*"}}"#)
                .unwrap_err()
                .to_string(),
            "statement #1 has no Resource"
        );
        assert!(check(r#"{"Statement":[]}"#).is_err());
    }

    #[test]
    fn without_drops_only_the_chosen_statements() {
        let doc = PolicyDocument::parse(r#"{"Id":"x","Statement":{"Sid":"A"}}"#).unwrap();
        let dropped = doc.without(|s| s.get("Sid").is_some_and(|v| v == "A"));
        assert_eq!(dropped.to_json_string(), r#"{"Id":"x","Statement":[]}"#);
        let kept = doc.without(|_| false);
        assert_eq!(
            kept.to_json_string(),
            r#"{"Id":"x","Statement":{"Sid":"A"}}"#
        );
        assert_eq!(
            doc.to_pretty_string(),
            "{\n    \"Id\": \"x\",\n    \"Statement\": {\n        \"Sid\": \"A\"\n    }\n}"
        );
    }

    /// What serde_json would rewrite: an exponent, an integer beyond f64, an escape, odd
    /// whitespace (issue 13, item 8).
    const ODD: &str = "{ \"Version\" :\"2012-10-17\",\n\t\"Id\":\"\\u0041-1e2\" , \"Statement\" : [\n  {\"Sid\":\"\\u0041\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111122223333\"},\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":{\"NumericLessThan\":{\"s3:max-keys\":1e2},\"NumericEquals\":{\"x:big\":12345678901234567890123}}} ,\r\n  { \"Sid\" : \"B\", \"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}\n ]\n}\n";

    #[test]
    fn edits_keep_every_other_byte() {
        let doc = PolicyDocument::parse(ODD).unwrap();
        assert_eq!(doc.validate(), Ok(()));
        assert_eq!(doc.to_json_string(), ODD, "read and sent unchanged");
        let a = "{\"Sid\":\"\\u0041\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111122223333\"},\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":{\"NumericLessThan\":{\"s3:max-keys\":1e2},\"NumericEquals\":{\"x:big\":12345678901234567890123}}}";
        let b = "{ \"Sid\" : \"B\", \"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}";
        let head = "{ \"Version\" :\"2012-10-17\",\n\t\"Id\":\"\\u0041-1e2\" , \"Statement\" : ";
        let added = doc.with_statement(serde_json::json!({"Sid": "C"}));
        assert_eq!(
            added.to_json_string(),
            format!("{head}[\n  {a} ,\r\n  {b},{{\"Sid\":\"C\"}}\n ]\n}}\n")
        );
        let without_b = doc.without(|s| s.get("Sid").is_some_and(|v| v == "B"));
        assert_eq!(
            without_b.to_json_string(),
            format!("{head}[\n  {a}\n ]\n}}\n")
        );
        let without_a = doc.without(|s| s.get("Sid").is_some_and(|v| v == "A"));
        assert_eq!(
            without_a.to_json_string(),
            format!("{head}[\n  {b}\n ]\n}}\n")
        );
        let middle = added.without(|s| s.get("Sid").is_some_and(|v| v == "B"));
        assert_eq!(
            middle.to_json_string(),
            format!("{head}[\n  {a} ,\r\n  {{\"Sid\":\"C\"}}\n ]\n}}\n")
        );
        let none = doc.without(|_| true);
        assert_eq!(none.to_json_string(), format!("{head}[]\n}}\n"));
        let again = none.with_statement(serde_json::json!({"Sid": "C"}));
        assert_eq!(
            again.to_json_string(),
            format!("{head}[{{\"Sid\":\"C\"}}]\n}}\n")
        );
        // Shown as sent: the layout changes, no token does.
        let shown = added.to_pretty_string();
        for token in [
            "1e2",
            "12345678901234567890123",
            "\"\\u0041\"",
            "\"\\u0041-1e2\"",
        ] {
            assert!(shown.contains(token), "{token} in {shown}");
        }
        assert!(
            !shown.contains("100.0") && !shown.contains("e+22"),
            "{shown}"
        );
    }

    #[test]
    fn equality_is_token_for_token() {
        let compact = PolicyDocument::parse(r#"{"Statement":{"n":1e2}}"#).unwrap();
        let spaced = PolicyDocument::parse("{ \"Statement\" :\n{\"n\": 1e2} }").unwrap();
        let rewritten = PolicyDocument::parse(r#"{"Statement":{"n":100.0}}"#).unwrap();
        assert_eq!(compact, spaced);
        assert_ne!(compact, rewritten);
        assert_eq!(compact.json(), rewritten.json(), "serde_json cannot tell");
    }

    #[test]
    fn byte_order_marks_duplicate_keys_and_size_are_refused() {
        assert_eq!(
            PolicyDocument::parse("\u{feff}{\"Statement\":[]}"),
            Err(PolicyError::ByteOrderMark)
        );
        let twice = PolicyDocument::parse(
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false","aws:SecureTransport":"true"}}}]}"#,
        )
        .unwrap();
        assert_eq!(
            twice.validate().unwrap_err().to_string(),
            "the key \"aws:SecureTransport\" appears twice in Statement[0].Condition.Bool; JSON readers keep one or the other, so write it once"
        );
        let top = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":[],"Version":"2008-10-17"}"#,
        )
        .unwrap();
        assert_eq!(
            top.validate().unwrap_err().to_string(),
            "the key \"Version\" appears twice in the top-level object; JSON readers keep one or the other, so write it once"
        );
        let fill = |n: usize| {
            let sid = "x".repeat(n);
            format!(
                r#"{{"Statement":[{{"Sid":"{sid}","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}]}}"#
            )
        };
        let base = fill(0).len();
        let at_limit = PolicyDocument::parse(&fill(MAX_POLICY_BYTES - base)).unwrap();
        assert_eq!(at_limit.to_json_string().len(), MAX_POLICY_BYTES);
        assert_eq!(at_limit.validate(), Ok(()));
        let over = PolicyDocument::parse(&fill(MAX_POLICY_BYTES - base + 1)).unwrap();
        assert_eq!(
            over.validate().unwrap_err().to_string(),
            "the policy is 20481 bytes; S3 accepts at most 20,480 (20 KB)"
        );
    }
}

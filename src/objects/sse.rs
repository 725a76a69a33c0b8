//! Server-side encryption of objects: the target `encrypt` writes, the state HeadObject reports,
//! the SSE-C key (which is never printed), and the rule that decides whether an object is
//! encrypted, skipped or left as it is.
//!
//! Encryption only ever moves up: none → SSE-S3 → SSE-KMS or SSE-C. An SSE-KMS object is never
//! rewritten to SSE-S3 (s3tk 0.5 did this, losing the key's access control and audit trail);
//! with `--kms-key-id` an object under another KMS key is re-keyed, one under the same key is
//! left alone, so a re-run after completion copies nothing. DSSE-KMS (dual-layer) is never
//! touched: every target would be a downgrade.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest, Md5};
use std::fmt;

/// The encryption `encrypt` gives objects.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    /// SSE-S3 (AES256 with S3-managed keys), the default.
    S3,
    /// SSE-KMS under this key ARN or key id, with the S3 Bucket Key; `None` is the AWS managed
    /// key `aws/s3` (the bucket default without a key).
    Kms(Option<String>),
    /// SSE-C with a customer-provided key.
    Customer(CustomerKey),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::S3 => f.write_str("SSE-S3"),
            Target::Kms(Some(key)) => write!(f, "SSE-KMS ({key})"),
            Target::Kms(None) => f.write_str("SSE-KMS (aws/s3)"),
            Target::Customer(_) => f.write_str("SSE-C"),
        }
    }
}

/// The encryption S3's answer to a write says it applied: its `x-amz-server-side-encryption…`
/// response headers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub sse: Option<String>,
    pub kms_key: Option<String>,
    pub customer_algorithm: Option<String>,
    pub customer_key_md5: Option<String>,
}

impl Applied {
    /// From the SDK's accessors of a write's answer.
    pub fn from_answer(
        sse: Option<&aws_sdk_s3::types::ServerSideEncryption>,
        kms_key: Option<&str>,
        customer_algorithm: Option<&str>,
        customer_key_md5: Option<&str>,
    ) -> Self {
        Applied {
            sse: sse.map(|s| s.as_str().to_owned()),
            kms_key: kms_key.map(str::to_owned),
            customer_algorithm: customer_algorithm.map(str::to_owned),
            customer_key_md5: customer_key_md5.map(str::to_owned),
        }
    }
}

impl Target {
    /// `None` when `applied` shows this encryption; else what S3's answer leaves unconfirmed,
    /// naming the header. An endpoint that ignores SSE headers answers without them.
    pub fn unconfirmed_by(&self, applied: &Applied) -> Option<String> {
        let said = |v: &Option<String>| {
            v.as_deref()
                .map_or_else(|| "absent".to_owned(), |v| format!("'{v}'"))
        };
        let algorithm = applied.sse.as_deref();
        match self {
            Target::S3 if algorithm == Some("AES256") => None,
            Target::Kms(_) if algorithm != Some("aws:kms") => Some(format!(
                "S3's answer does not confirm SSE-KMS (x-amz-server-side-encryption {})",
                said(&applied.sse)
            )),
            Target::S3 => Some(format!(
                "S3's answer does not confirm SSE-S3 (x-amz-server-side-encryption {})",
                said(&applied.sse)
            )),
            Target::Kms(Some(wanted)) => match &applied.kms_key {
                Some(key) if same_kms_key(key, wanted) => None,
                other => Some(format!(
                    "S3's answer does not confirm the KMS key {wanted} (x-amz-server-side-encryption-aws-kms-key-id {})",
                    said(other)
                )),
            },
            Target::Kms(None) => None,
            Target::Customer(key)
                if applied.customer_algorithm.as_deref() == Some("AES256")
                    && applied.customer_key_md5 == Some(key.md5_base64()) =>
            {
                None
            }
            Target::Customer(_) => Some(format!(
                "S3's answer does not confirm SSE-C with this key (x-amz-server-side-encryption-customer-algorithm {}, -key-MD5 {})",
                said(&applied.customer_algorithm),
                if applied.customer_key_md5.is_some() {
                    "of another key"
                } else {
                    "absent"
                }
            )),
        }
    }
}

/// A 256-bit SSE-C key. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct CustomerKey([u8; 32]);

impl fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CustomerKey(<redacted>)")
    }
}

impl CustomerKey {
    /// Reads a key given as exactly 32 bytes, or as the base64 of 32 bytes. Surrounding
    /// whitespace (a file's final newline) is ignored. The error never contains the key.
    pub fn parse(text: &[u8], source: &str) -> Result<Self, String> {
        let trimmed = text.trim_ascii();
        if let Ok(raw) = <[u8; 32]>::try_from(trimmed) {
            return Ok(CustomerKey(raw));
        }
        match BASE64.decode(trimmed) {
            Ok(decoded) => <[u8; 32]>::try_from(decoded.as_slice())
                .map(CustomerKey)
                .map_err(|_| {
                    format!(
                        "the customer key from {source} decodes to {} bytes; SSE-C needs a 256-bit key (32 bytes, or their base64)",
                        decoded.len()
                    )
                }),
            Err(_) => Err(format!(
                "the customer key from {source} is {} bytes and not base64; SSE-C needs a 256-bit key (32 bytes, or their base64)",
                trimmed.len()
            )),
        }
    }

    /// The key as S3's `x-amz-server-side-encryption-customer-key` header carries it.
    pub fn base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// The base64 MD5 of the raw key (`…-customer-key-MD5`), which S3 uses to detect a key
    /// damaged in transit and returns to identify the key.
    pub fn md5_base64(&self) -> String {
        BASE64.encode(Md5::digest(self.0))
    }
}

/// An object's encryption, as HeadObject reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Current {
    None,
    S3,
    /// SSE-KMS and the key ARN S3 reports.
    Kms(Option<String>),
    /// DSSE-KMS (`aws:kms:dsse`).
    DualLayerKms,
    /// SSE-C; `same_key` tells whether it is the key given (when one was).
    Customer {
        same_key: Option<bool>,
    },
    /// A value this version does not know.
    Other(String),
}

impl Current {
    /// From HeadObject's `x-amz-server-side-encryption` and key id headers.
    pub fn from_head(algorithm: Option<&str>, kms_key: Option<&str>) -> Current {
        match algorithm {
            None => Current::None,
            Some("AES256") => Current::S3,
            Some("aws:kms") => Current::Kms(kms_key.map(str::to_owned)),
            Some("aws:kms:dsse") => Current::DualLayerKms,
            Some(other) => Current::Other(other.to_owned()),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Current::None => "not encrypted".into(),
            Current::S3 => "SSE-S3".into(),
            Current::Kms(Some(key)) => format!("SSE-KMS ({key})"),
            Current::Kms(None) => "SSE-KMS".into(),
            Current::DualLayerKms => "DSSE-KMS".into(),
            Current::Customer { .. } => "SSE-C".into(),
            Current::Other(other) => format!("encrypted ({other})"),
        }
    }

    pub fn is_encrypted(&self) -> bool {
        *self != Current::None
    }
}

/// What `encrypt` does with one object, judged from its encryption alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Already encrypted as asked: nothing to do.
    Already(String),
    /// Encrypted differently, and changing it would be a downgrade or is not possible.
    Keep(String),
    /// Copy it onto itself with the target encryption.
    Encrypt,
}

/// The never-downgrade rule.
pub fn decide(current: &Current, target: &Target) -> Decision {
    use Decision::{Already, Encrypt, Keep};
    match (current, target) {
        (Current::None, _) => Encrypt,
        (Current::S3, Target::S3) => Already("already SSE-S3".into()),
        (Current::S3, Target::Kms(_) | Target::Customer(_)) => Encrypt,
        // The AWS managed key's ARN is not known here: any KMS key will do.
        (Current::Kms(_), Target::Kms(None)) => Already("already SSE-KMS".into()),
        (Current::Kms(key), Target::Kms(Some(wanted))) => match key {
            Some(key) if same_kms_key(key, wanted) => Already(format!("already SSE-KMS ({key})")),
            Some(_) => Encrypt,
            None => Keep("SSE-KMS, and S3 did not say under which key".into()),
        },
        (Current::Kms(_), Target::S3) => Keep("SSE-KMS; not downgraded to SSE-S3".into()),
        (Current::Kms(_), Target::Customer(_)) => {
            Keep("SSE-KMS; not replaced by a customer key (SSE-C)".into())
        }
        (Current::DualLayerKms, _) => Keep("DSSE-KMS (dual-layer); not downgraded".into()),
        (
            Current::Customer {
                same_key: Some(true),
            },
            Target::Customer(_),
        ) => Already("already SSE-C with this key".into()),
        (
            Current::Customer {
                same_key: Some(false),
            },
            Target::Customer(_),
        ) => Keep("SSE-C with a different customer key; not changed".into()),
        (Current::Customer { .. }, _) => {
            Keep("SSE-C (customer-provided key); not changed without that key".into())
        }
        (Current::Other(what), _) => Keep(format!("encrypted with {what}; not changed")),
    }
}

/// Whether the key S3 reports (always an ARN) is the one the user named (an ARN or a key id).
fn same_kms_key(reported: &str, wanted: &str) -> bool {
    reported == wanted
        || (!wanted.starts_with("arn:")
            && reported
                .rsplit_once(":key/")
                .is_some_and(|(_, id)| id == wanted))
}

/// Checks a `--kms-key-id` for `encrypt`: a key ARN or a key id. Aliases are refused because S3
/// reports the key ARN, so objects already under the aliased key could not be recognised and
/// every run would copy them again.
pub fn validate_encrypt_kms_key(key: &str) -> Result<(), String> {
    if key.starts_with("alias/") || key.contains(":alias/") {
        return Err(format!(
            "--kms-key-id '{key}' is an alias; give the key ARN or key id, so objects already under that key are recognised (aws kms describe-key --key-id {key} --query KeyMetadata.Arn)"
        ));
    }
    crate::remediation::validate_kms_key(key)
}

/// Storage classes whose objects must be restored before S3 can copy them.
pub fn archived(
    storage_class: Option<&str>,
    restored: bool,
    archive_status: Option<&str>,
) -> Option<String> {
    if let Some(tier) = archive_status {
        return Some(format!(
            "in the Intelligent-Tiering {tier} tier; restore it first"
        ));
    }
    match storage_class {
        Some(class @ ("GLACIER" | "DEEP_ARCHIVE")) if !restored => {
            Some(format!("in archive storage ({class}); restore it first"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_ARN: &str =
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn only_the_answer_headers_confirm_the_encryption() {
        let applied = |sse: Option<&str>, key: Option<&str>| Applied {
            sse: sse.map(str::to_owned),
            kms_key: key.map(str::to_owned),
            ..Applied::default()
        };
        assert_eq!(
            Target::S3.unconfirmed_by(&applied(Some("AES256"), None)),
            None
        );
        assert_eq!(
            Target::S3.unconfirmed_by(&Applied::default()).unwrap(),
            "S3's answer does not confirm SSE-S3 (x-amz-server-side-encryption absent)"
        );
        let by_id = Target::Kms(Some(KEY_ID.into()));
        assert_eq!(
            by_id.unconfirmed_by(&applied(Some("aws:kms"), Some(KEY_ARN))),
            None
        );
        assert_eq!(
            by_id
                .unconfirmed_by(&applied(
                    Some("aws:kms"),
                    Some("arn:aws:kms:us-east-1:111122223333:key/other")
                ))
                .unwrap(),
            format!(
                "S3's answer does not confirm the KMS key {KEY_ID} (x-amz-server-side-encryption-aws-kms-key-id 'arn:aws:kms:us-east-1:111122223333:key/other')"
            )
        );
        assert_eq!(
            Target::Kms(None)
                .unconfirmed_by(&applied(Some("AES256"), None))
                .unwrap(),
            "S3's answer does not confirm SSE-KMS (x-amz-server-side-encryption 'AES256')"
        );
        assert_eq!(
            Target::Kms(None).unconfirmed_by(&applied(Some("aws:kms"), None)),
            None
        );
        let key = CustomerKey([7; 32]);
        let customer = Target::Customer(key.clone());
        let echoed = Applied {
            customer_algorithm: Some("AES256".into()),
            customer_key_md5: Some(key.md5_base64()),
            ..Applied::default()
        };
        assert_eq!(customer.unconfirmed_by(&echoed), None);
        let other = Applied {
            customer_key_md5: Some(CustomerKey([8; 32]).md5_base64()),
            ..echoed
        };
        assert_eq!(
            customer.unconfirmed_by(&other).unwrap(),
            "S3's answer does not confirm SSE-C with this key (x-amz-server-side-encryption-customer-algorithm 'AES256', -key-MD5 of another key)"
        );
    }

    #[test]
    fn never_downgrades() {
        let kms = Current::Kms(Some(KEY_ARN.into()));
        assert!(matches!(decide(&kms, &Target::S3), Decision::Keep(_)));
        assert!(matches!(
            decide(&Current::DualLayerKms, &Target::Kms(Some(KEY_ARN.into()))),
            Decision::Keep(_)
        ));
        let key = CustomerKey([7; 32]);
        assert!(matches!(
            decide(&kms, &Target::Customer(key.clone())),
            Decision::Keep(_)
        ));
        assert!(matches!(
            decide(&Current::Customer { same_key: None }, &Target::S3),
            Decision::Keep(_)
        ));
        assert!(matches!(
            decide(
                &Current::Customer {
                    same_key: Some(false)
                },
                &Target::Customer(key.clone())
            ),
            Decision::Keep(_)
        ));
    }

    #[test]
    fn upgrades_and_rekeys() {
        assert_eq!(decide(&Current::None, &Target::S3), Decision::Encrypt);
        assert_eq!(
            decide(&Current::S3, &Target::Kms(Some(KEY_ID.into()))),
            Decision::Encrypt
        );
        let other = Current::Kms(Some("arn:aws:kms:us-east-1:111122223333:key/other".into()));
        assert_eq!(
            decide(&other, &Target::Kms(Some(KEY_ARN.into()))),
            Decision::Encrypt
        );
    }

    #[test]
    fn the_aws_managed_key_accepts_any_kms_key() {
        let kms = Current::Kms(Some(KEY_ARN.into()));
        assert!(matches!(
            decide(&kms, &Target::Kms(None)),
            Decision::Already(_)
        ));
        assert_eq!(decide(&Current::S3, &Target::Kms(None)), Decision::Encrypt);
        assert_eq!(Target::Kms(None).to_string(), "SSE-KMS (aws/s3)");
    }

    #[test]
    fn recognises_what_is_already_done() {
        assert!(matches!(
            decide(&Current::S3, &Target::S3),
            Decision::Already(_)
        ));
        let kms = Current::Kms(Some(KEY_ARN.into()));
        assert!(matches!(
            decide(&kms, &Target::Kms(Some(KEY_ARN.into()))),
            Decision::Already(_)
        ));
        assert!(matches!(
            decide(&kms, &Target::Kms(Some(KEY_ID.into()))),
            Decision::Already(_)
        ));
        assert!(matches!(
            decide(
                &Current::Customer {
                    same_key: Some(true)
                },
                &Target::Customer(CustomerKey([1; 32]))
            ),
            Decision::Already(_)
        ));
    }

    #[test]
    fn customer_keys_are_32_bytes_or_their_base64() {
        let raw = [0x41u8; 32];
        assert_eq!(CustomerKey::parse(&raw, "--customer-key").unwrap().0, raw);
        let b64 = BASE64.encode([9u8; 32]);
        let key = CustomerKey::parse(format!("{b64}\n").as_bytes(), "file k").unwrap();
        assert_eq!(key.0, [9; 32]);
        assert_eq!(key.base64(), b64);
        // MD5 of 32 bytes of 0x09, as S3 expects it (RFC 1321, base64).
        assert_eq!(key.md5_base64(), BASE64.encode(Md5::digest([9u8; 32])));
        assert_eq!(key.md5_base64().len(), 24);
        let short = CustomerKey::parse(b"too-short-secret", "--customer-key").unwrap_err();
        assert!(!short.contains("too-short-secret"), "{short}");
        assert!(short.contains("16 bytes"), "{short}");
        let b64_short =
            CustomerKey::parse(BASE64.encode([1u8; 16]).as_bytes(), "env K").unwrap_err();
        assert!(b64_short.contains("decodes to 16 bytes"), "{b64_short}");
        assert_eq!(format!("{key:?}"), "CustomerKey(<redacted>)");
        assert_eq!(Target::Customer(key).to_string(), "SSE-C");
    }

    #[test]
    fn kms_aliases_are_refused_for_encrypt() {
        assert!(validate_encrypt_kms_key(KEY_ARN).is_ok());
        assert!(validate_encrypt_kms_key(KEY_ID).is_ok());
        let err = validate_encrypt_kms_key("alias/data").unwrap_err();
        assert!(err.contains("is an alias"), "{err}");
        assert!(validate_encrypt_kms_key("arn:aws:kms:us-east-1:111122223333:alias/data").is_err());
        assert!(validate_encrypt_kms_key("not a key").is_err());
    }

    #[test]
    fn archived_objects_need_a_restore() {
        assert!(archived(Some("GLACIER"), false, None).is_some());
        assert!(archived(Some("DEEP_ARCHIVE"), true, None).is_none());
        assert!(archived(Some("GLACIER_IR"), false, None).is_none());
        assert!(archived(Some("INTELLIGENT_TIERING"), false, Some("ARCHIVE_ACCESS")).is_some());
        assert!(archived(None, false, None).is_none());
    }
}

//! `iam-policy`: the least-privilege IAM policy of the commands asked for.

use super::Failure;
use super::args::IamPolicyArgs;
use crate::iam::ConfigSourceKind;
use std::io::{self, Write};

/// `iam-policy`: the policy, narrowed by the options, on stdout.
pub(super) fn run(args: IamPolicyArgs) -> Result<u8, Failure> {
    let aws_config = match (args.from_aws_config, &args.aggregator) {
        (_, Some(_)) => Some(ConfigSourceKind::Aggregator),
        (true, None) => Some(ConfigSourceKind::Account),
        (false, None) => None,
    };
    iam_policy(
        &args.commands,
        args.object_level_logging,
        args.sns_topic.as_deref(),
        args.role_name.as_deref(),
        aws_config,
        (
            &args.buckets,
            args.role_arn.as_deref(),
            args.kms_key_id.as_deref(),
        ),
    )
}

fn iam_policy(
    commands: &[String],
    object_level_logging: bool,
    sns_topic: Option<&str>,
    role_name: Option<&str>,
    aws_config: Option<ConfigSourceKind>,
    (buckets, role_arn, kms_key_arn): (&[String], Option<&str>, Option<&str>),
) -> Result<u8, Failure> {
    let topic = sns_topic
        .map(crate::notify::TopicArn::parse)
        .transpose()
        .map_err(Failure::Usage)?;
    let options = crate::iam::PolicyOptions {
        object_level_logging,
        sns_topic: topic.as_ref(),
        role_name,
        aws_config,
        buckets,
        role_arn,
        kms_key_arn,
    };
    let policy = crate::iam::policy(commands, options).map_err(Failure::Usage)?;
    let mut out = io::stdout().lock();
    writeln!(out, "{policy}")?;
    Ok(0)
}

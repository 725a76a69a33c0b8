//! The reports fed to the programs that consume them: the SARIF to Microsoft's SARIF multitool
//! with GitHub's rules and every other rule enabled (what GitHub code scanning accepts), and the
//! README's GitHub Actions example run as written against the fake S3.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::{TempDir, tool};
use serde_json::Value;
use std::path::Path;

/// One result of the multitool: (rule id, level, message).
type Verdict = (String, String, String);

/// The multitool's configuration with every rule it has enabled at its own default level (its
/// built-in configuration leaves some off), derived from its rule list, so a new version's
/// rules are enabled too.
fn all_rules_config(multitool: &str, dir: &TempDir) -> String {
    let rules_md = dir.path("rules.md");
    let out = std::process::Command::new(multitool)
        .args(["export-validation-rules", &rules_md])
        .output()
        .expect("the multitool runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = std::fs::read_to_string(&rules_md).unwrap();
    let mut config = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Properties>\n");
    let mut rules = 0;
    for section in text.split("\n## Rule `").skip(1) {
        let id = &section[..section.find('`').unwrap()];
        // "#### `Default`: Error": the level the rule reports at.
        let level = section
            .lines()
            .find_map(|l| l.strip_prefix("#### `").and_then(|l| l.split("`: ").nth(1)))
            .unwrap_or("Warning");
        config += &format!(
            "  <Properties Key=\"{id}.Options\"><Property Key=\"RuleEnabled\" Value=\"{level}\" Type=\"Driver.RuleEnabledState\" /></Properties>\n"
        );
        rules += 1;
    }
    config += "</Properties>\n";
    assert!(rules > 50, "the multitool lists {rules} rules");
    let path = dir.path("all-rules.xml");
    std::fs::write(&path, config).unwrap();
    path
}

/// Validates `sarif` with the GitHub and SARIF rule kinds, every rule enabled, every level
/// reported. SARIF2006 checks that URIs answer an HTTP GET: a proxy on a closed loopback port
/// keeps that request on this machine (the rule then notes them unreachable).
fn multitool(multitool: &str, dir: &TempDir, config: &str, sarif: &str) -> Vec<Verdict> {
    let output = dir.path("validation.sarif");
    std::fs::remove_file(&output).ok();
    let out = std::process::Command::new(multitool)
        .args([
            "validate",
            "--rule-kind",
            "Gh;Sarif",
            "--config",
            config,
            "--level",
            "Error;Warning;Note",
            "--output",
            &output,
            sarif,
        ])
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "")
        .output()
        .expect("the multitool runs");
    let console = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{console}");
    // The multitool skips a file it cannot analyse without a word; its log proves it did.
    let log: Value = serde_json::from_str(
        &std::fs::read_to_string(&output)
            .unwrap_or_else(|e| panic!("no validation log ({e}):\n{console}")),
    )
    .unwrap();
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                r["level"].as_str().unwrap_or("warning").to_owned(),
                r["message"]["arguments"].to_string(),
            )
        })
        .collect()
}

/// What GitHub would refuse or not display: errors, and GH1005 (a location that is not a file
/// path) at any level.
fn rejected(verdicts: &[Verdict]) -> Vec<&Verdict> {
    verdicts
        .iter()
        .filter(|(rule, level, _)| level == "error" || rule == "GH1005")
        .collect()
}

#[tokio::test]
async fn sarif_passes_the_multitool_with_githubs_rules() {
    let Some(tool) = tool(
        "S3TK_SARIF_MULTITOOL",
        "SARIF validation with GitHub's rules",
    ) else {
        return;
    };
    let dir = TempDir::new("multitool");
    let config = all_rules_config(&tool, &dir);

    // A scan of the fake: failures, a muted finding, an error, a bucket name to encode.
    let fake = FakeS3::start().await;
    fake.account_block(None);
    fake.bucket("open-data", FakeBucket::new("us-east-1").public_read())
        .bucket("plain", FakeBucket::new("eu-west-1"))
        .bucket(
            "locked",
            FakeBucket::hardened("locked", "us-east-1").fault("acl", 403, "AccessDenied"),
        );
    std::fs::write(
        dir.0.join("ignore.toml"),
        "[[ignore]]\ncheck = \"s3.bucket.versioning-disabled\"\nbucket = \"plain\"\nreason = \"archive\"\n",
    )
    .unwrap();
    let scanned = dir.path("scan.sarif");
    let run = crate::support::s3tk(
        &fake.uri(),
        &[
            "scan",
            "--ignore-file",
            &dir.path("ignore.toml"),
            "--format",
            &format!("sarif={scanned}"),
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);

    // A 2,000-bucket account: more results than GitHub takes, cut to its limits.
    let large = dir.path("large.sarif");
    let report = s3tk::synthetic::synthetic_report(2_000);
    let (text, left_out) = s3tk::synthetic::render("sarif", &report, &Default::default());
    std::fs::write(&large, &text).unwrap();
    assert_eq!(left_out.0.len(), 1, "results were left out: {left_out:?}");

    for sarif in [&scanned, &large] {
        let verdicts = multitool(&tool, &dir, &config, sarif);
        let refused = rejected(&verdicts);
        assert!(refused.is_empty(), "{sarif}: {refused:#?}");
        // The validator did read the results (it has notes on them), not an empty log.
        assert!(
            verdicts.iter().any(|(rule, _, _)| rule == "SARIF2010"),
            "{sarif}: {verdicts:#?}"
        );
    }

    // And it does refuse what GitHub refuses: the same file with s3:// locations and no region
    // (what s3tk wrote before) fails.
    let mut log: Value = serde_json::from_str(&std::fs::read_to_string(&scanned).unwrap()).unwrap();
    for result in log["runs"][0]["results"].as_array_mut().unwrap() {
        let physical = &mut result["locations"][0]["physicalLocation"];
        physical.as_object_mut().unwrap().remove("region");
    }
    let broken = dir.path("broken.sarif");
    std::fs::write(&broken, serde_json::to_string(&log).unwrap()).unwrap();
    let verdicts = multitool(&tool, &dir, &config, &broken);
    assert!(
        rejected(&verdicts)
            .iter()
            .any(|(rule, _, _)| rule == "GH1003"),
        "a location without a region is refused: {verdicts:#?}"
    );
}

/// The fenced block of the README whose info string is `yaml PATH`.
fn readme_block(path: &str) -> String {
    let readme = include_str!("../../README.md");
    let fence = format!("```yaml {path}\n");
    let start = readme.find(&fence).expect("the README has the workflow") + fence.len();
    readme[start..start + readme[start..].find("\n```").unwrap()].to_owned()
}

/// The `run: |` script of the step named `name` in a workflow, unindented.
fn step_script(workflow: &str, name: &str) -> String {
    let step = workflow
        .split("\n      - ")
        .find(|s| s.starts_with(&format!("name: {name}\n")))
        .unwrap_or_else(|| panic!("no step {name} in {workflow}"));
    let script = &step[step.find("run: |\n").expect("a run block") + "run: |\n".len()..];
    script
        .lines()
        .take_while(|l| l.starts_with("          "))
        .map(|l| &l["          ".len()..])
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn the_readme_github_actions_example_runs() {
    let workflow = readme_block(".github/workflows/s3tk.yml");
    let script = step_script(&workflow, "Scan");
    assert!(script.starts_with("s3tk scan "), "{script}");
    // The upload step reads the file the scan step writes.
    let upload = &workflow[workflow
        .find("uses: github/codeql-action/upload-sarif")
        .unwrap()..];
    let sarif_file = upload
        .lines()
        .find_map(|l| l.trim().strip_prefix("sarif_file: "))
        .unwrap();
    assert!(
        script.contains(&format!("--format sarif={sarif_file}")),
        "{script}"
    );

    let fake = FakeS3::start().await;
    fake.account_block(None);
    fake.bucket("open-data", FakeBucket::new("us-east-1").public_read())
        .bucket("fine", FakeBucket::hardened("fine", "us-east-1"));
    let dir = TempDir::new("actions");
    let summary = dir.path("step-summary.md");
    std::fs::write(&summary, "previous step's summary\n").unwrap();
    // The step as the runner runs it (bash -e), with s3tk on the PATH and the fake as the
    // endpoint, nothing else from this environment.
    let bin = Path::new(env!("CARGO_BIN_EXE_s3tk")).parent().unwrap();
    let out = std::process::Command::new("bash")
        .args(["-e", "-c", &script])
        .current_dir(&dir.0)
        .env_clear()
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("HOME", std::env::temp_dir())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("AWS_ENDPOINT_URL", fake.uri())
        .env("AWS_ACCESS_KEY_ID", "AKIDTESTING")
        .env("AWS_SECRET_ACCESS_KEY", "testing-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/s3tk-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/s3tk-test/credentials",
        )
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The step fails the job for the failing findings, after writing everything.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("✘"),
        "the table"
    );

    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("previous step's summary\n# s3tk scan report\n"),
        "{written}"
    );
    assert!(written.len() < 1_048_576);
    assert!(written.contains("## Failing findings"), "{written}");

    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join(sarif_file)).unwrap()).unwrap();
    let run = &log["runs"][0];
    assert!(
        run["automationDetails"]["id"]
            .as_str()
            .unwrap()
            .starts_with("s3tk/123456789012/"),
        "{}",
        run["automationDetails"]
    );
    assert!(!run["results"].as_array().unwrap().is_empty());
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join("s3tk.json")).unwrap()).unwrap();
    assert_eq!(
        run["results"].as_array().unwrap().len() as u64,
        json["summary"]["fail"].as_u64().unwrap() + json["summary"]["muted"].as_u64().unwrap()
    );
    if let Some(multitool_path) = tool(
        "S3TK_SARIF_MULTITOOL",
        "SARIF validation with GitHub's rules",
    ) {
        let config = all_rules_config(&multitool_path, &dir);
        let verdicts = multitool(&multitool_path, &dir, &config, &dir.path(sarif_file));
        assert!(rejected(&verdicts).is_empty(), "{verdicts:#?}");
    }
}

//! `--inventory`: the S3 Inventory manifest an object command reads instead of listing.

use crate::cli::Failure;
use crate::objects::inventory::{Inventory, Manifest, ManifestLocation};
use crate::state::AccountState;

/// A manifest.json lists the report's data files, a few hundred bytes each.
const MANIFEST_LIMIT: usize = 16 << 20;

/// Reads and checks an inventory manifest: a manifest that is not for this bucket and command
/// is bad input (exit 2); one that cannot be read leaves nothing done (exit 3).
pub(super) async fn open_inventory(
    account: &AccountState,
    location: &ManifestLocation,
    bucket: &str,
    versions: bool,
) -> Result<Inventory, Failure> {
    let unreadable = |e: crate::error::FetchError| {
        Failure::Incomplete(format!("could not read the inventory {location}: {e}"))
    };
    let clients = account.clients().expect("a live run has clients");
    let region = account
        .bucket_region(&location.bucket)
        .await
        .map_err(unreadable)?;
    let client = clients.client(&region);
    let mut body = crate::objects::s3::get_object(&client, &location.bucket, &location.key)
        .await
        .map_err(unreadable)?;
    // Read in chunks and stop past the bound: a wrong object (a data file, a video) is
    // refused without being downloaded whole.
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            Failure::Incomplete(format!(
                "could not read the inventory {location}: {}",
                crate::aws::error_chain(&e)
            ))
        })?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MANIFEST_LIMIT {
            return Err(Failure::Usage(format!(
                "{location} is larger than 16 MiB, which no S3 Inventory manifest.json is; give the manifest.json of the report"
            )));
        }
    }
    let manifest = Manifest::parse(&bytes, bucket, versions)
        .map_err(|why| Failure::Usage(format!("{location}: {why}")))?;
    let client = if manifest.data_bucket == location.bucket {
        client
    } else {
        let region = account
            .bucket_region(&manifest.data_bucket)
            .await
            .map_err(unreadable)?;
        clients.client(&region)
    };
    eprintln!(
        "note: reading the inventory {location} ({} data file(s)) instead of listing {bucket}; it is a snapshot: objects changed since are re-read before any write",
        manifest.files.len()
    );
    Ok(Inventory { manifest, client })
}

//! Checks on the account as a whole, evaluated once per run. Keep the `mod` lines sorted.

mod multi_region_access_point_public_access_block_disabled;
mod predictable_bucket_names_unclaimed;
mod public_access_block_disabled;

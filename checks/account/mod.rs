//! Checks on the account as a whole, evaluated once per run. Keep the `mod` lines sorted.

mod public_access_block_disabled;

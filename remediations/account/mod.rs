//! Remediations of account-wide settings. Keep the `mod` lines sorted.

mod block_public_access;

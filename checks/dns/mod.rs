//! Checks on Route 53 records that point at S3, run by `scan-dns`. Keep the `mod` lines sorted.

mod dangling_bucket_record;

//! `gsa backup` then `gsa restore` into an empty data directory: databases and keys come back.

use std::process::Command;

use gsa_schemas::{Listing, ListingSource};

fn gsa(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_gsa"))
        .args(args)
        .env("GSA_DATA_DIR", data)
        .output()
        .expect("run gsa");
    assert!(
        out.status.success(),
        "gsa {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn a_backup_restores_into_an_empty_data_directory() {
    let src = tempfile::tempdir().unwrap();
    // A real event store with one listing, written by the logging worker's store.
    {
        let mut store = gsa_logger::store::Store::open(&src.path().join("gsa.db")).unwrap();
        let l = Listing {
            listing_id: "2365036".into(),
            asking_price: Some(1_370_000),
            source: ListingSource::DetailPage,
            ..Default::default()
        }
        .with_content_hash();
        let inc = gsa_logger::store::Incoming::scraped(l).unwrap();
        assert!(store.store_batch(&[inc])[0].is_ok());
    }
    gsa(
        src.path(),
        &["client", "create", "backup-test", "--audience", "gsa-api"],
    );
    std::fs::write(
        src.path().join("jwt_secret.key"),
        b"0123456789abcdef0123456789abcdef",
    )
    .unwrap();

    let backup = tempfile::tempdir().unwrap();
    let bdir = backup.path().join("b");
    gsa(src.path(), &["backup", bdir.to_str().unwrap()]);

    let dst = tempfile::tempdir().unwrap();
    gsa(dst.path(), &["restore", bdir.to_str().unwrap()]);
    let conn = gsa_common::db::open_ro(&dst.path().join("gsa.db")).unwrap();
    let price: i64 = conn
        .query_row(
            "SELECT asking_price FROM listings WHERE listing_id = '2365036'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(price, 1_370_000);
    let clients = String::from_utf8(gsa(dst.path(), &["client", "list"]).stdout).unwrap();
    assert!(clients.contains("backup-test"), "{clients}");
    assert_eq!(
        std::fs::read(dst.path().join("jwt_secret.key")).unwrap(),
        b"0123456789abcdef0123456789abcdef"
    );
    #[cfg(unix)]
    {
        // Keys and databases (identity.db holds signing keys and client hashes) readable by the
        // owner only, in the backup and after the restore.
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(bdir.clone()), 0o700);
        for dir in [&bdir, &dst.path().to_path_buf()] {
            for f in ["jwt_secret.key", "gsa.db", "identity.db"] {
                assert_eq!(mode(dir.join(f)), 0o600, "{}", dir.join(f).display());
            }
        }
    }
    // Restoring over existing data is refused.
    let again = Command::new(env!("CARGO_BIN_EXE_gsa"))
        .args(["restore", bdir.to_str().unwrap()])
        .env("GSA_DATA_DIR", dst.path())
        .output()
        .unwrap();
    assert!(!again.status.success());
}

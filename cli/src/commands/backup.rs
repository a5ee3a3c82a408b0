//! `gsa backup <dir>` and `gsa restore <dir>`: the databases (events, identity, webhooks) (copied online with SQLite's
//! backup API, so the logging worker and gateway may keep running) and the key files.

use std::path::Path;
use std::process::ExitCode;

use gsa_common::Config;

/// The databases in a data directory.
pub const DATABASES: &[&str] = &["gsa.db", "identity.db", "notifier.db"];

/// Key material files are recognised by these endings (generated secrets and key pairs).
fn is_key_file(name: &str) -> bool {
    name.ends_with(".key") || name.ends_with(".pem") || name.ends_with(".jwk")
}

/// Copies one database with SQLite's backup API into `to`, a new file readable by the owner only
/// (the identity and webhook databases hold signing keys and webhook secrets).
fn copy_db(from: &Path, to: &Path) -> anyhow::Result<()> {
    create_private(to)?;
    let src =
        rusqlite::Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut dst = rusqlite::Connection::open(to)?;
    let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
    backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
    Ok(())
}

fn copy_keys(from: &Path, to: &Path) -> anyhow::Result<usize> {
    let mut n = 0;
    for e in std::fs::read_dir(from)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_file() && is_key_file(&name) {
            let target = to.join(&name);
            std::fs::copy(e.path(), &target)?;
            set_private(&target)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Creates an empty file with mode 0600 (fails when it exists).
fn create_private(p: &Path) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(p).map(drop)
}

#[cfg(unix)]
fn set_private(p: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600))
}
#[cfg(not(unix))]
fn set_private(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Copies the data directory's databases and keys into `dir` (created; must be empty). The
/// directory is made 0700 and every file in it 0600: it holds signing keys and secrets.
pub fn backup(cfg: &Config, dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir)?;
    anyhow::ensure!(
        std::fs::read_dir(dir)?.next().is_none(),
        "{} is not empty",
        dir.display()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let mut dbs = 0;
    for name in DATABASES {
        let from = cfg.data_dir.join(name);
        if from.exists() {
            copy_db(&from, &dir.join(name))?;
            dbs += 1;
        }
    }
    let keys = copy_keys(&cfg.data_dir, dir)?;
    eprintln!(
        "backed up {dbs} databases and {keys} key files to {}",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Restores a backup made by [`backup`] into the data directory, which must hold no database yet.
pub fn restore(cfg: &Config, dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&cfg.data_dir)?;
    for name in DATABASES {
        anyhow::ensure!(
            !cfg.data_dir.join(name).exists(),
            "{} already holds {name}; restore into an empty data directory",
            cfg.data_dir.display()
        );
    }
    let mut dbs = 0;
    for name in DATABASES {
        let from = dir.join(name);
        if from.exists() {
            copy_db(&from, &cfg.data_dir.join(name))?;
            dbs += 1;
        }
    }
    let keys = copy_keys(dir, &cfg.data_dir)?;
    eprintln!(
        "restored {dbs} databases and {keys} key files into {}",
        cfg.data_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

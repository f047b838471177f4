//! Snapshot tests for documents and emails: the rendered text is compared with a file under
//! `src/`; `EINBLICK_UPDATE_SNAPSHOTS=1` rewrites the files after a deliberate change.

/// Compares `actual` with the snapshot `src/{folder}/{name}`.
pub(crate) fn assert_snapshot(folder: &str, name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(folder)
        .join(name);
    if std::env::var_os("EINBLICK_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}: run with EINBLICK_UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert_eq!(actual, expected, "snapshot {name} differs");
}

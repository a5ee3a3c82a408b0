//! The checked-in JSON Schema files must match the Rust types exactly.

#[test]
fn checked_in_json_schema_matches_types() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("json");
    let mut names = Vec::new();
    for (name, schema) in gsa_schemas::json_schema::all() {
        let path = dir.join(name);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{} missing ({e}); run cargo run -p gsa-schemas --bin gen-schemas",
                path.display()
            )
        });
        assert_eq!(
            on_disk,
            gsa_schemas::json_schema::render(&schema),
            "{name} drifted from the Rust types; run cargo run -p gsa-schemas --bin gen-schemas"
        );
        names.push(name);
    }
    // No stale files for types that no longer exist.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let f = entry.unwrap().file_name().into_string().unwrap();
        assert!(names.contains(&f.as_str()), "stale schema file {f}");
    }
}

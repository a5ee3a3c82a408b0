//! Writes the JSON Schema files of every event to `schemas/json/` (or the directory given).

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/json").to_string());
    std::fs::create_dir_all(&dir)?;
    for (name, schema) in gsa_schemas::json_schema::all() {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, gsa_schemas::json_schema::render(&schema))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

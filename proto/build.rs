//! Compiles the `.proto` files with protox (pure Rust, no system `protoc`)
//! and generates the prost types into `OUT_DIR`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/export.proto",
        "proto/submission_payload.proto",
        "proto/app_config_common.proto",
        "proto/app_config.proto",
        "proto/app_config_v2.proto",
        "proto/efgs.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    prost_build::Config::new()
        // Key data as `Bytes`: decoding a 600,000-key bundle then slices the
        // input instead of allocating one vector per key.
        .bytes(["."])
        // Maps as `BTreeMap`: encoded in key order, so a configuration's
        // bytes (and its signature, and whether a run rewrites its file)
        // are the same on every run; a `HashMap` would encode in a random order.
        .btree_map(["."])
        .compile_fds(descriptors)?;
    Ok(())
}

//! Compiles the `.proto` files with protox (pure Rust, no system `protoc`)
//! and generates the prost types into `OUT_DIR`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/export.proto",
        "proto/submission_payload.proto",
        "proto/app_config.proto",
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
        .compile_fds(descriptors)?;
    Ok(())
}

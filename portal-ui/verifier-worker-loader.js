// Starts the verifier's Web Worker (portal-ui/src/worker.rs points here).
// trunk builds the worker (verifier.html, data-type="worker") into
// verifier-worker.js, wasm-bindgen's glue without modules, which defines
// `wasm_bindgen`, and verifier-worker_bg.wasm. trunk's own loader shim calls
// `wasm_bindgen(path)`, which wasm-bindgen 0.2.130 accepts only with a
// deprecation warning in the console; this one passes the single object
// it asks for, as boot.js does for the apps.
importScripts("./verifier-worker.js");
wasm_bindgen({ module_or_path: "./verifier-worker_bg.wasm" });

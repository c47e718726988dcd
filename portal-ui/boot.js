// Starts the portal from a file rather than an inline script, so that the
// Content-Security-Policy can forbid inline scripts. trunk writes the hashed
// names of the wasm-bindgen glue and the WebAssembly module into the data
// attributes of the <script> that loads this file (Trunk.toml, pattern_script).
const loader = document.getElementById("portal-loader");
const { default: init } = await import(loader.dataset.js);
await init({ module_or_path: loader.dataset.wasm });

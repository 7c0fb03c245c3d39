// Bundles src/onnx_pad.js with onnxruntime-web's single-threaded WebAssembly build into the
// component's asset directory, and copies ONNX Runtime's .wasm beside it: the page loads
// nothing from anywhere else. `npm ci && npm run build` gives the same files from the lockfile.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

const out = "../app_pages/components/onnx_pad/assets";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/onnx_pad.js"],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  legalComments: "none",
  outfile: `${out}/onnx_pad.js`,
  logLevel: "warning",
});
copyFileSync("src/onnx_pad.css", `${out}/onnx_pad.css`);
// The plain (non-JSEP) WebAssembly build: the one ort.wasm.bundle uses, SIMD, threads unused.
copyFileSync("node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm", `${out}/ort-wasm-simd-threaded.wasm`);
console.log(`built ${out}`);

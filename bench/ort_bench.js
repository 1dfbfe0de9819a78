// One model through ONNX Runtime (npm onnxruntime-node, CPU), measured as bench/model_bench.cc
// measures Axon, for bench/compare_models:
//   node bench/ort_bench.js ORT_DIR MODEL.onnx INPUT.npy OUTPUT.f32 THREADS
// ORT_DIR holds node_modules/onnxruntime-node. Writes the output's float32 values (raw, C order)
// to OUTPUT.f32 and prints one JSON line with the fields model_bench prints:
//   load_ms   InferenceSession.create (read, graph optimizations, weight prepacking)
//   first_ms  the first run; median_ms: median of the timed runs after warmup (at least 20 and
//             at least a second's worth); cpu_ms: the process's CPU time per timed run (all its
//             threads, node's own included); rss_base_mb, rss_peak_mb: the process's peak
//             resident set before creating the session (node and ORT's library loaded), and at
//             the end
'use strict';
const fs = require('fs');
const path = require('path');

const [ortDir, modelPath, inputPath, outputPath, threadsArg] = process.argv.slice(2);
if (!threadsArg) {
  console.error('usage: node ort_bench.js ORT_DIR MODEL.onnx INPUT.npy OUTPUT.f32 THREADS');
  process.exit(2);
}
const ort = require(path.resolve(ortDir, 'node_modules', 'onnxruntime-node'));

// .npy version 1 or 2, little-endian float32, C order: what bench/export_models.py writes.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  if (!header.includes("'descr': '<f4'") || header.includes("'fortran_order': True"))
    throw new Error(`${file}: expected a C-order float32 array, header ${header.trim()}`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
  return new ort.Tensor('float32', data, shape);
}

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;  // KiB

async function main() {
  const input = readNpy(inputPath);
  const threads = Number(threadsArg);
  const rssBase = peakRssMb();
  let t0 = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const loadMs = ms();
  const feeds = { [session.inputNames[0]]: input };
  t0 = process.hrtime.bigint();
  let out = await session.run(feeds);
  const firstMs = ms();
  for (let i = 0; i < 3; ++i) out = await session.run(feeds);
  const times = [];
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  while (times.length < 20 || (Number(process.hrtime.bigint() - start) / 1e6 < 1000 && times.length < 5000)) {
    t0 = process.hrtime.bigint();
    out = await session.run(feeds);
    times.push(ms());
  }
  const cpu = process.cpuUsage(cpuStart);  // microseconds, this process's threads together
  const cpuMs = (cpu.user + cpu.system) / 1000 / times.length;
  times.sort((a, b) => a - b);
  const y = out[session.outputNames[0]].data;
  fs.writeFileSync(outputPath, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  console.log(JSON.stringify({
    load_ms: loadMs, first_ms: firstMs, median_ms: times[Math.floor(times.length / 2)], cpu_ms: cpuMs,
    runs: times.length,
    threads, rss_base_mb: rssBase, rss_peak_mb: peakRssMb(),
  }));
}

main().catch((e) => {
  console.error(`ort_bench: ${modelPath}: ${e.message}`);
  process.exit(1);
});

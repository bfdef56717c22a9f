import broadcastPlainWgsl from '../../shaders/broadcast_plain.wgsl?raw';
import broadcastSubgroupsWgsl from '../../shaders/broadcast_subgroups.wgsl?raw';

/**
 * Lanes a subgroup broadcast may serve in the resident kernels, given the device's `subgroups` feature
 * and its smallest subgroup size: 8 or 4, or 0 (no subgroups, or too small).
 */
export function subgroupWidthFor(hasSubgroups: boolean, minSize: number): number {
  if (!hasSubgroups) return 0;
  return minSize >= 8 ? 8 : minSize >= 4 ? 4 : 0;
}

/**
 * Quads of inputs a resident kernel's reduction runs over, for nq quads of real inputs: nq rounded up
 * to a multiple of 4 (16 inputs). The quads past nq read zeros or meet zero weights; rounding lets
 * layers of nearby sizes share one pipeline (llvmpipe takes about a second to compile each).
 */
export function coveredQuads(nq: number): number {
  return Math.ceil(nq / 4) * 4;
}

/**
 * The reduction shared by the resident kernels (recurrent_resident.wgsl, matmul_resident.wgsl):
 * reduce(src, sl) = the sum over q < nq of term(quad(src, q), q), with quad() and term() defined by the
 * kernel, written out in full (nq: coveredQuads). Unrolled, every index into the kernel's private weights is a constant,
 * which llvmpipe compiles to plain vector loads; in a loop they are per-lane gathers, and Mesa's
 * compiler does not unroll loops this long by itself (2x slower for 128 inputs, measured). With
 * subgroups (sgw lanes) lane l loads quad q0 + l and subgroupBroadcast hands every lane each quad in
 * turn, so one load serves sgw lanes (the last group's loads past nq go unused, but quad() must stay
 * in bounds for them).
 */
function reduceSource(nq: number, sgw: number): string {
  const lines: string[] = [];
  if (sgw > 0) {
    for (let q0 = 0; q0 < nq; q0 += sgw) {
      lines.push(`  { let mine = quad(src, ${q0}u + sl % ${sgw}u);`);
      for (let l = 0; l < Math.min(sgw, nq - q0); l++) lines.push(`    acc += term(subgroupBroadcast(mine, ${l}u), ${q0 + l}u);`);
      lines.push('  }');
    }
  } else {
    for (let q = 0; q < nq; q++) lines.push(`  acc += term(quad(src, ${q}u), ${q}u);`);
  }
  const prelude = sgw > 0 ? broadcastSubgroupsWgsl : broadcastPlainWgsl;
  return `${prelude}\nfn reduce(src: u32, sl: u32) -> vec4<f32> {\n  var acc = vec4<f32>(0.0);\n${lines.join('\n')}\n  return acc;\n}\n`;
}

/**
 * A resident kernel's whole module: `kernel` (its `const RES_K: u32 = 1u;` set to privateRows, the
 * vec4s of weights a thread keeps) with the reduction over nq quads appended, and `enable subgroups;`
 * first (before every declaration) when sgw > 0.
 */
export function residentModule(kernel: string, nq: number, sgw: number, privateRows: number): string {
  const sized = kernel.replace('const RES_K: u32 = 1u;', `const RES_K: u32 = ${privateRows}u;`);
  return `${sgw > 0 ? 'enable subgroups;\n' : ''}${sized}\n${reduceSource(nq, sgw)}`;
}

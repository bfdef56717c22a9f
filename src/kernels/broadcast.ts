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
 * in bounds for them). With `rows` (the recurrent kernel's batch rows per workgroup, up to 4) quad
 * takes the row first, each row has its own sums, and reduce returns them as an array of 4 (zero past
 * rows); the rows' terms read the same weights, which the compiler then loads once for all of them.
 */
function reduceSource(nq: number, sgw: number, rows?: number): string {
  const n = rows ?? 1;
  const rs = Array.from({ length: n }, (_, r) => r);
  const acc = (r: number) => (rows === undefined ? 'acc' : `acc${r}`);
  const quad = (r: number, q: string) => (rows === undefined ? `quad(src, ${q})` : `quad(${r}u, src, ${q})`);
  const lines: string[] = [];
  if (sgw > 0) {
    for (let q0 = 0; q0 < nq; q0 += sgw) {
      lines.push(`  { ${rs.map((r) => `let m${r} = ${quad(r, `${q0}u + sl % ${sgw}u`)};`).join(' ')}`);
      for (let l = 0; l < Math.min(sgw, nq - q0); l++) {
        lines.push(`    ${rs.map((r) => `${acc(r)} += term(subgroupBroadcast(m${r}, ${l}u), ${q0 + l}u);`).join(' ')}`);
      }
      lines.push('  }');
    }
  } else {
    for (let q = 0; q < nq; q++) lines.push(`  ${rs.map((r) => `${acc(r)} += term(${quad(r, `${q}u`)}, ${q}u);`).join(' ')}`);
  }
  const prelude = sgw > 0 ? broadcastSubgroupsWgsl : broadcastPlainWgsl;
  if (rows === undefined) {
    return `${prelude}\nfn reduce(src: u32, sl: u32) -> vec4<f32> {\n  var acc = vec4<f32>(0.0);\n${lines.join('\n')}\n  return acc;\n}\n`;
  }
  const sums = [0, 1, 2, 3].map((r) => (r < n ? acc(r) : 'vec4<f32>(0.0)')).join(', ');
  return `${prelude}\nfn reduce(src: u32, sl: u32) -> array<vec4<f32>, 4> {\n${rs.map((r) => `  var ${acc(r)} = vec4<f32>(0.0);`).join('\n')}\n${lines.join('\n')}\n  return array<vec4<f32>, 4>(${sums});\n}\n`;
}

/**
 * A resident kernel's whole module: `kernel` (its `const RES_K: u32 = 1u;` set to privateRows, the
 * vec4s of weights a thread keeps) with the reduction over nq quads (and the recurrent kernel's
 * batch `rows`, see reduceSource) appended, and `enable subgroups;` first (before every declaration)
 * when sgw > 0.
 */
export function residentModule(kernel: string, nq: number, sgw: number, privateRows: number, rows?: number): string {
  const sized = kernel.replace('const RES_K: u32 = 1u;', `const RES_K: u32 = ${privateRows}u;`);
  return `${sgw > 0 ? 'enable subgroups;\n' : ''}${sized}\n${reduceSource(nq, sgw, rows)}`;
}

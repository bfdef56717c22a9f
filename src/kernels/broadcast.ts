import broadcastPlainWgsl from '../../shaders/broadcast_plain.wgsl?raw';
import broadcastSubgroupsWgsl from '../../shaders/broadcast_subgroups.wgsl?raw';

/**
 * Lanes one load may serve through subgroup shuffles in the resident kernels, given the device's
 * `subgroups` feature and its smallest subgroup size: 8 or 4, or 0 (no subgroups, or too small).
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
 * How a resident kernel's reduction is laid out: the recurrent kernel's batch `rows` (each with its
 * own h: quad(r, src, q), acc += term(hv, q), or from 4 rows addPart(&acc, hv.x, q, 0) and so on)
 * or the matmul's column quads per thread, `units` (one row of x, several weight quads: quad(src, q),
 * acc += term(hv, q, u)); up to 4 sums in all.
 */
export type ReduceShape = { rows: number } | { units: number };

/** One reduction function of a resident kernel: `name(src, sl)` over quads first .. first + quads - 1. */
export interface Reduction {
  name: string;
  first: number;
  quads: number;
}

/**
 * A reduction of the resident kernels (recurrent_resident.wgsl, matmul_resident.wgsl):
 * name(src, sl) = for each row or unit of `shape` the sum over its quads q of the kernel's terms
 * (see ReduceShape) of quad(.., q), written out in full (quads: coveredQuads), returned as an
 * array of 4 (zero past the shape's sums). Unrolled, every index into the kernel's private weights is a
 * constant, which llvmpipe compiles to plain vector loads; in a loop they are per-lane gathers, and
 * Mesa's compiler does not unroll loops this long by itself (2x slower for 128 inputs, measured). With
 * subgroups (sgw lanes) lane l loads quad q0 + l and subgroupShuffle hands every lane each quad in
 * turn, so one load serves sgw lanes (the last group's loads past its quads go unused, but quad() must
 * stay in bounds for them). Shuffle, not subgroupBroadcast, though both read lane l here: llvmpipe
 * (Mesa 25.0) compiles each broadcast to a permute and a masked move, a shuffle to the permute alone, and
 * config b's pass took 5% less (`node bench/ab.mjs dd1ffac 968d50d`: 0.952 of the time). Rows'
 * terms read the same weights, which the compiler then loads once for all of them; units' terms read
 * the same broadcast quad. Without subgroups the quad's index holds the buffer `src`, a runtime value,
 * so each quad is a per-lane loop (config b about 2.7x slower than with subgroups). A copy of the
 * reduction per buffer makes every index a constant, but LLVM did not finish compiling it in minutes
 * (a 256-unit LSTM), so the kernels keep one reduction per call site.
 */
function reduceSource({ name, first, quads: nq }: Reduction, sgw: number, shape: ReduceShape): string {
  const rows = 'rows' in shape ? shape.rows : 1;
  const units = 'units' in shape ? shape.units : 1;
  const quad = (r: number, q: string) => ('rows' in shape ? `quad(${r}u, src, ${q})` : `quad(src, ${q})`);
  const term = (hv: string, q: number, u: number) => ('units' in shape ? `term(${hv}, ${q}u, ${u}u)` : `term(${hv}, ${q}u)`);
  const sums: string[] = [];
  for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) sums.push(`acc${sums.length}`);
  // Quad q's terms for every sum; hv(r, c) is the quad row r reads, or (c) one component of it. From 4
  // rows (the recurrent kernel) one input at a time, for every row in turn (its addPart): that input's
  // weights serve the 4 rows and are done with, where a quad's terms row by row keep all 16 weight
  // registers of the quad live next to the 16 sums and spill sums (llvmpipe: 32 vector registers).
  // Config b's pass (`node bench/ab.mjs A B`): adding the products one at a time row by row took 0.969
  // of term()'s time (968d50d -> a8832bb), and this order 0.964 of that (a8832bb -> 3d83884). With one
  // row config c took 5% longer than with term(), which sums a quad's products first; it stays below
  // 4 rows.
  const byInput = 'rows' in shape && rows >= 4;
  const adds = (hv: (r: number, c?: string) => string, q: number) => {
    const out: string[] = [];
    if (byInput) {
      ['x', 'y', 'z', 'w'].forEach((c, k) => { for (let r = 0; r < rows; r++) out.push(`addPart(&acc${r}, ${hv(r, c)}, ${q}u, ${k}u);`); });
    } else {
      for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) out.push(`acc${r * units + u} += ${term(hv(r), q, u)};`);
    }
    return out.join(' ');
  };
  const lines: string[] = [];
  const rs = Array.from({ length: rows }, (_, r) => r);
  const end = first + nq;
  if (sgw > 0) {
    for (let q0 = first; q0 < end; q0 += sgw) {
      lines.push(`  { ${rs.map((r) => `let m${r} = ${quad(r, `${q0}u + sl % ${sgw}u`)};`).join(' ')}`);
      for (let l = 0; l < Math.min(sgw, end - q0); l++) {
        if (byInput) {
          // Each component shuffled where it is used: a vec4 shuffled first would hold 4 registers a row.
          lines.push(`    { ${adds((r, c) => `subgroupShuffle(m${r}.${c}, ${l}u)`, q0 + l)} }`);
        } else {
          lines.push(`    { ${rs.map((r) => `let h${r} = subgroupShuffle(m${r}, ${l}u);`).join(' ')} ${adds((r) => `h${r}`, q0 + l)} }`);
        }
      }
      lines.push('  }');
    }
  } else {
    for (let q = first; q < end; q++) lines.push(`  { ${rs.map((r) => `let h${r} = ${quad(r, `${q}u`)};`).join(' ')} ${adds((r, c) => (c ? `h${r}.${c}` : `h${r}`), q)} }`);
  }
  const result = [0, 1, 2, 3].map((i) => (i < sums.length ? sums[i] : 'vec4<f32>(0.0)')).join(', ');
  return `fn ${name}(src: u32, sl: u32) -> array<vec4<f32>, 4> {\n${sums.map((a) => `  var ${a} = vec4<f32>(0.0);`).join('\n')}\n${lines.join('\n')}\n  return array<vec4<f32>, 4>(${result});\n}\n`;
}

/**
 * A resident kernel's whole module: `kernel` (its `const RES_K: u32 = 1u;` set to privateRows, the
 * vec4s of weights a thread keeps) with the lane helpers and its reductions for `shape` (see
 * reduceSource) appended, and `enable subgroups;` first (before every declaration) when sgw > 0.
 */
export function residentModule(kernel: string, reductions: Reduction[], sgw: number, privateRows: number, shape: ReduceShape): string {
  const sized = kernel.replace('const RES_K: u32 = 1u;', `const RES_K: u32 = ${privateRows}u;`);
  const prelude = sgw > 0 ? broadcastSubgroupsWgsl : broadcastPlainWgsl;
  return `${sgw > 0 ? 'enable subgroups;\n' : ''}${sized}\n${prelude}\n${reductions.map((r) => reduceSource(r, sgw, shape)).join('\n')}`;
}

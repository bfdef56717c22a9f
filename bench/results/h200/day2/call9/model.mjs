export function buildModel(lib, cfg, T) {
  const lstm = (units, returnSequences = false) => ({ cell: 'lstm', units, returnSequences });
  const specs = {
    a: { batch: 1, branches: [{ features: 32, layers: [lstm(128, true), lstm(128, true)] }] },
    b: { batch: 16, branches: [{ features: 64, layers: [lstm(256, true), lstm(256)] }] },
    d: { batch: 32, branches: [{ features: 16, layers: [lstm(64)] }, { features: 16, layers: [lstm(64)] }], dense: 1 },
    tiny: { batch: 1, branches: [{ features: 4, layers: [lstm(8)] }] },
  };
  const spec = specs[cfg];
  let seed = 1; const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 - 0.5; };
  const arr = (n, s) => Float32Array.from({ length: n }, () => rnd() * s);
  const inputs = spec.branches.map((b, i) => lib.input({ shape: [T, b.features], name: `x${i}` }));
  const set = [];
  const outs = spec.branches.map((b, bi) => {
    let x = inputs[bi]; let inp = b.features;
    for (const l of b.layers) {
      const layer = lib.layers.lstm({ units: l.units, returnSequences: l.returnSequences });
      x = layer.apply(x); set.push([layer, [arr(inp * 4 * l.units, 0.2), arr(l.units * 4 * l.units, 0.1), arr(4 * l.units, 0.1)]]); inp = l.units;
    }
    return x;
  });
  let y = outs.length > 1 ? lib.layers.concatenate().apply(outs) : outs[0];
  if (spec.dense) { const d = lib.layers.dense({ units: spec.dense }); y = d.apply(y); set.push([d, [arr(128, 0.1), arr(1, 0.1)]]); }
  const net = lib.model({ inputs, outputs: y, name: 'bench' });
  for (const [l, w] of set) l.setWeights(w);
  const x = spec.branches.map((b) => ({ data: arr(spec.batch * T * b.features, 2), shape: [spec.batch, T, b.features] }));
  return { net, x, batch: spec.batch };
}

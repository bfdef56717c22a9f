// Recurrent weights stored as f16 pairs packed in u32s (half the memory traffic; arithmetic stays
// f32). unpack2x16float is core WGSL, so this needs no shader-f16 feature and runs at the
// compatibility feature level too.
@group(0) @binding(0) var<storage, read> U: array<vec2<u32>>;

fn loadU(i: u32) -> vec4<f32> {
  let v = U[i];
  return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
}

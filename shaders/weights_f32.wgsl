// Recurrent weights stored as f32: one vec4 per (input, unit).
@group(0) @binding(0) var<storage, read> U: array<vec4<f32>>;

fn loadU(i: u32) -> vec4<f32> {
  return U[i];
}

// Activation functions shared by every kernel family (prepended to each kernel's source).
// Ids match ACTIVATION_ID in src/graph/activations.ts; alpha / beta follow the ONNX operators.
fn activate(id: u32, x: f32, alpha: f32, beta: f32) -> f32 {
  switch id {
    case 0u: { return x; }                                              // linear
    case 1u: { return max(x, 0.0); }                                    // relu
    case 2u: { return 1.0 / (1.0 + exp(-x)); }                          // sigmoid
    case 3u: { return clamp(alpha * x + beta, 0.0, 1.0); }              // hardSigmoid
    case 4u: { return tanh_safe(x); }                                   // tanh
    case 6u: { return alpha * x + beta; }                               // affine
    case 7u: { return select(alpha * x, x, x >= 0.0); }                 // leakyRelu
    case 8u: { return select(0.0, x, x > alpha); }                      // thresholdedRelu
    case 9u: { return alpha * tanh_safe(beta * x); }                    // scaledTanh
    case 10u: { return select(alpha * (exp(x) - 1.0), x, x >= 0.0); }   // elu
    case 11u: { return x / (1.0 + abs(x)); }                            // softsign
    case 12u: { return select(log(1.0 + exp(x)), x, x > 30.0); }        // softplus
    default: { return x; }
  }
}

// tanh through exp of a non-positive argument: some backends' tanh overflows to NaN for |x| > ~44.
fn tanh_safe(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

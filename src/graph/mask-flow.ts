/**
 * Which sequence tensors of a model carry a time-step mask, and where it comes from (Keras'
 * compute_mask rules, as tfjs-layers implements them):
 *  - a model's sequence inputs are masked by predict()'s per-row `lengths`, when given;
 *  - Masking: its own mask, any(x[b, t, :] != maskValue), AND the incoming one (lengths);
 *  - Dropout and Dense pass the mask through;
 *  - a recurrent or Bidirectional layer passes it to its main output when returnSequences, drops it
 *    otherwise (and its state outputs carry none);
 *  - Concatenate: the AND of its inputs' masks, an unmasked input counting as all valid.
 * A mask is thus the AND of a set of sources. Backends evaluate it their own way (the GPU with a
 * small kernel writing each consuming recurrent node's mask slot).
 */
import { Bidirectional, Concatenate, Dense, Dropout } from './layers.js';
import { Masking } from './masking.js';
import type { Model } from './model.js';
import { RecurrentLayer } from './recurrent.js';
import type { Node } from './tensor.js';

/** A mask: valid where every source says valid. */
export interface MaskSources {
  /** predict()'s per-row lengths. */
  lengths: boolean;
  /** Masking nodes whose any(x != maskValue) applies. */
  masking: Node[];
}

/** Masked tensors by id (sequence tensors only); an absent id carries no mask. */
export function maskFlow(model: Model, lengths: boolean): Map<number, MaskSources> {
  const flow = new Map<number, MaskSources>();
  if (lengths) for (const t of model.inputs) if (t.shape.length === 2) flow.set(t.id, { lengths: true, masking: [] });
  for (const node of model.nodes) {
    const layer = node.layer;
    const inMask = flow.get(node.inputs[0]!.id);
    const out = node.outputs[0]!;
    let mask: MaskSources | undefined;
    if (layer instanceof Masking) {
      mask = { lengths: inMask?.lengths ?? false, masking: [...(inMask?.masking ?? []), node] };
    } else if (layer instanceof Dropout || layer instanceof Dense) {
      mask = inMask;
    } else if (layer instanceof RecurrentLayer) {
      mask = layer.config.returnSequences ? inMask : undefined;
    } else if (layer instanceof Bidirectional) {
      mask = layer.forward.config.returnSequences ? inMask : undefined;
    } else if (layer instanceof Concatenate) {
      const masks = node.inputs.map((t) => flow.get(t.id)).filter((m): m is MaskSources => m !== undefined);
      if (masks.length > 0) {
        mask = { lengths: masks.some((m) => m.lengths), masking: [...new Set(masks.flatMap((m) => m.masking))] };
      }
    }
    if (mask && out.shape.length === 2) flow.set(out.id, mask);
  }
  return flow;
}

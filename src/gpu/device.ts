import { DeviceLostError } from '../errors.js';

/** A device plus what the runtime learned about it. */
export interface AcquiredDevice {
  device: GPUDevice;
  /** Whether the runtime created the device (and so may destroy it). */
  owned: boolean;
  description: string;
  features: { f16: boolean; subgroups: boolean; timestamps: boolean };
  /** The adapter's smallest subgroup size (GPUAdapterInfo.subgroupMinSize), 0 when unknown. */
  subgroupMinSize: number;
  /** A CPU-emulated adapter (lavapipe, SwiftShader): kernel choice differs there. */
  software: boolean;
  /** Set once the device is lost; every later call fails with it. */
  lost: DeviceLostError | null;
  /** Resolves with the same error when the device is lost (the runtime's `lost` event). */
  lostEvent?: Promise<DeviceLostError>;
  /**
   * The GPU instance the device came from. Held on purpose: Dawn in Node frees its instance when the
   * JS object is collected, and a device that outlives it crashes the process.
   */
  instance?: GPU;
}

type GpuProvider = (options: { featureLevel?: 'core' | 'compatibility' }) => Promise<GPU | undefined>;
let provider: GpuProvider | undefined;

/** The Node entry registers Dawn here; the browser entry leaves it unset. */
export function setGpuProvider(p: GpuProvider): void {
  provider = p;
}

/** Limits raised to what the adapter offers: the kernels size themselves from the device's limits. */
const RAISED_LIMITS = [
  'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxStorageBufferBindingSize', 'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
] as const;

export interface AcquireOptions {
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  featureLevel?: 'core' | 'compatibility';
}

/** Gets a device (the caller's, or a new one on the default adapter); undefined when WebGPU is unavailable. */
export async function acquireDevice(options: AcquireOptions): Promise<AcquiredDevice | undefined> {
  if (options.device) {
    const info = (options.device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const description = info ? describe(info) : 'caller-provided GPUDevice';
    return watch({
      device: options.device, owned: false, description, software: isSoftware(description), features: featuresOf(options.device),
      subgroupMinSize: subgroupMinSizeOf(info), lost: null,
    });
  }
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const gpu = nav?.gpu ?? (await provider?.({ featureLevel: options.featureLevel }));
  if (!gpu) return undefined;
  let adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference, featureLevel: options.featureLevel } as GPURequestAdapterOptions);
  let level = options.featureLevel ?? 'core';
  if (!adapter && !options.featureLevel) {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference, featureLevel: 'compatibility' } as GPURequestAdapterOptions);
    level = 'compatibility';
  }
  if (!adapter) return undefined;
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const wanted: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'].filter((f) => adapter!.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredFeatures: wanted, requiredLimits, label: 'webgpu-rnn' });
  const info = adapter.info;
  const isCompat = level === 'compatibility' && !adapter.features.has('core-features-and-limits' as GPUFeatureName);
  const description = `${describe(info)}${isCompat ? ' (compatibility)' : ''}`;
  const software = isSoftware(description) || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return watch({ device, owned: true, description, software, features: featuresOf(device), subgroupMinSize: subgroupMinSizeOf(info), lost: null, instance: gpu });
}

function describe(info: GPUAdapterInfo | undefined): string {
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s && s.length > 0);
  return parts.length ? parts.join(' / ') : 'unknown adapter';
}

function isSoftware(description: string): boolean {
  return /llvmpipe|lavapipe|swiftshader|software|warp|microsoft basic render/i.test(description);
}

function subgroupMinSizeOf(info: GPUAdapterInfo | undefined): number {
  const size = (info as { subgroupMinSize?: number } | undefined)?.subgroupMinSize;
  return typeof size === 'number' && size > 0 ? size : 0;
}

function featuresOf(device: GPUDevice): AcquiredDevice['features'] {
  return {
    f16: device.features.has('shader-f16'),
    subgroups: device.features.has('subgroups' as GPUFeatureName),
    timestamps: device.features.has('timestamp-query'),
  };
}

function watch(acquired: AcquiredDevice): AcquiredDevice {
  acquired.lostEvent = acquired.device.lost.then((info) => {
    if (info.reason === 'destroyed' && acquired.owned) {
      acquired.lost = new DeviceLostError('the runtime was disposed and its device destroyed', 'destroyed');
      return acquired.lost;
    }
    acquired.lost = new DeviceLostError(`the GPU device was lost (${info.reason}): ${info.message}`, info.reason);
    console.warn(`webgpu-rnn: ${acquired.lost.message}`);
    return acquired.lost;
  });
  return acquired;
}

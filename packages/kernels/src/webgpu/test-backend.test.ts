import { describe, expect, it, vi } from 'vitest';
import { KernelError } from './errors';
import { requireAdapterInCI, setupWebGPU } from './test-backend';

describe('requireAdapterInCI (WebGPU tests fail in CI, never skip)', () => {
  it('throws a KernelError naming the fix when CI is set and there is no adapter', async () => {
    await expect(requireAdapterInCI(async () => null, true)).rejects.toThrow(KernelError);
    await expect(requireAdapterInCI(async () => null, true)).rejects.toThrow(/mesa-vulkan-drivers/);
  });

  it('throws in CI when requesting the adapter itself fails', async () => {
    const failing = async (): Promise<GPUAdapter | null> => {
      throw new Error('libvulkan.so.1: cannot open shared object file');
    };
    await expect(requireAdapterInCI(failing, true)).rejects.toThrow(/libvulkan/);
  });

  it('outside CI resolves to undefined and warns with the fix', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await expect(requireAdapterInCI(async () => null, false)).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/mesa-vulkan-drivers/));
    warn.mockRestore();
  });

  it('passes an adapter through', async () => {
    const adapter = { features: new Set() } as unknown as GPUAdapter;
    await expect(requireAdapterInCI(async () => adapter, true)).resolves.toBe(adapter);
  });

  it('finds an adapter on this machine when CI is set (lavapipe in .ci/run)', async () => {
    const ctx = await setupWebGPU();
    if (process.env.CI) expect(ctx).toBeDefined();
    if (ctx !== undefined) expect(ctx.adapterInfo.length).toBeGreaterThan(0);
  });
});

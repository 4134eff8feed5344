import { vqkitVitestConfig } from '../../vitest.shared';

export default vqkitVitestConfig({ tfjs: true, testTimeout: 180_000 });

import { vqkitVitestConfig } from '../../vitest.shared';

export default vqkitVitestConfig({ tfjs: true });

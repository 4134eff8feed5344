import { initBackend, releaseBackend } from '../dist/index.js';
const info = await initBackend({ backend: 'webgpu' }); console.log('esm', info.versions, info.kernels); await releaseBackend();

import { initBackend, releaseBackend, describeBackend } from '../src/index';
const info = await initBackend({ backend: process.argv[2] as 'webgpu' });
console.log(describeBackend());
console.log(JSON.stringify({ ...info, limits: Object.keys(info.limits ?? {}).length }));
await releaseBackend();

const { initBackend, releaseBackend, describeBackend } = require('../dist/index.cjs');
initBackend({ backend: 'webgpu' }).then(async (info) => { console.log('cjs', info.versions); await releaseBackend(); });

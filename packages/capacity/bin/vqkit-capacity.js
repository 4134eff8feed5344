#!/usr/bin/env node
import('../dist/bin.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/bin.js')) {
    console.error(
      'vqkit-capacity: the CLI is not built yet (dist/bin.js is missing). Run `npm run build` first (in the repository root, or in packages/capacity).',
    );
    process.exit(2);
  }
  throw error;
});

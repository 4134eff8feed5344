import '../../scripts/vitest-tfjs-setup.ts';
import { runDemo } from './src/commands/demo';
const t = Date.now();
const r = await runDemo({ out: '/tmp/vqkit-demo-timing', backend: 'cpu', quiet: true });
console.log('DEMO seconds', r.seconds.toFixed(1), 'wall', ((Date.now() - t) / 1000).toFixed(1));
console.log(r.outcomes.map((o) => `${o.id} ${o.status} ${o.seconds.toFixed(1)}s ${o.message ?? ''}`).join('\n'));
console.log(r.report.reportMarkdown);

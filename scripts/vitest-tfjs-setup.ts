/**
 * Test setup for packages that use tfjs: the cpu backend, every gradient registered
 * (tfjs-core's Node bundle registers none; tfjs-layers' Node bundle registers them all
 * against the same tfjs-core instance), and the "install tfjs-node" banner silenced.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';

await tf.setBackend('cpu');
// biome-ignore lint/suspicious/noExplicitAny: private flag of MathBackendCPU that prints the banner.
(tf.backend() as any).firstUse = false;

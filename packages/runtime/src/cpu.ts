import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './errors';

/** Activates tfjs-backend-cpu with its "install tfjs-node" banner silenced. */
export async function startCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) {
    throw new BackendUnavailableError(
      'cpu',
      "initBackend('cpu'): tf.setBackend('cpu') returned false. Make sure a single copy of @tensorflow/tfjs-core 4.22.0 and @tensorflow/tfjs-backend-cpu 4.22.0 is installed (`npm ls @tensorflow/tfjs-core`).",
    );
  }
  // Private flag of MathBackendCPU: the first kernel would otherwise print the tfjs-node banner.
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}

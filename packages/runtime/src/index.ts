export { BackendUnavailableError, RuntimeError } from './errors';
export {
  describeBackend,
  initBackend,
  releaseBackend,
  shutdownBackend,
} from './init-backend';
export type {
  AdapterSummary,
  BackendInfo,
  BackendName,
  BackendRequest,
  InitBackendOptions,
} from './types';

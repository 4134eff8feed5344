export { RandomError } from './errors';
export { Rng, type RngState } from './rng';

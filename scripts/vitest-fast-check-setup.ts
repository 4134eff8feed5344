/**
 * Test setup for every package: fast-check properties run from a fixed seed, so `npm test` gives
 * the same verdict on every machine and every run (a failure is reproducible, never flaky).
 * Explore new inputs with `VQKIT_FC_SEED=random npm test` (or a number); a failure prints its
 * seed and path, which fast-check can replay.
 */
import fc from 'fast-check';

const requested = process.env.VQKIT_FC_SEED;
if (requested !== 'random') {
  const seed = requested === undefined ? 20_261_129 : Number(requested);
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`VQKIT_FC_SEED must be an integer or 'random', got '${requested}'.`);
  }
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}

export { CAPACITY_HELP, type CliIo, formatMatchedPair, runCapacityCli } from './run-capacity-cli';
